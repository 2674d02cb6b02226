//! tcpdump's filter expressions, the subset of libpcap's language (pcap-filter(7)) a lab
//! types: `host`, `net`, `port`, `portrange` with `src`/`dst`, the protocols `ether`, `ip`,
//! `arp`, `tcp`, `udp`, `icmp`, joined by `and`/`&&`, `or`/`||`, `not`/`!` and parentheses.
//!
//! As in libpcap's grammar (grammar.y), `and` and `or` bind equally and from the left, `not`
//! binds tighter, and a bare value after `and`/`or` takes the qualifiers of the primitive
//! before it (`host a or b` is `host a or host b`). A filter is read once, when the capture
//! starts: names are resolved then, and the errors are libpcap's words.

use std::net::Ipv4Addr;

/// The longest expression vnet reads (libpcap has no bound; a lab's fit many times).
pub const MAX_EXPRESSION: usize = 4096;
/// The deepest parentheses and `not`s nest.
const MAX_DEPTH: usize = 64;

/// A compiled filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// A primitive.
    Prim(Prim),
}

/// A protocol qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `ether`.
    Ether,
    /// `ip`.
    Ip,
    /// `arp`.
    Arp,
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
    /// `icmp`.
    Icmp,
    /// `ip6`.
    Ip6,
    /// `icmp6`.
    Icmp6,
}

/// A direction qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// `src or dst` (the default).
    Either,
    /// `src`.
    Src,
    /// `dst`.
    Dst,
    /// `src and dst`.
    Both,
}

/// What a primitive tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// The protocol alone (`tcp`).
    Proto,
    /// `host A` (the addresses a name resolved to).
    Host(Vec<Ipv4Addr>),
    /// `host NAME` before the name is resolved (once the whole expression parsed).
    Name(String),
    /// `net A/LEN`.
    Net(u32, u32),
    /// `portrange A-B` (`port P` is `P-P`).
    Ports(u16, u16),
    /// `ether host MAC`.
    Mac([u8; 6]),
}

/// A primitive: qualifiers and what they test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prim {
    /// `ip`, `tcp`, ...; none: any that has such a field.
    pub proto: Option<Proto>,
    /// `src`, `dst`, ...
    pub dir: Dir,
    /// The test.
    pub test: Test,
}

/// What a primitive's type qualifier was, kept for a bare value that follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    PortRange,
}

/// A filter that does not compile: libpcap's message (tcpdump prints `tcpdump: ` before it).
pub type Error = String;

fn syntax() -> Error {
    "can't parse filter expression: syntax error".into()
}

/// Splits an expression into words and operators.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let op = match c {
            '(' | ')' => Some(c.to_string()),
            '!' if chars.peek() != Some(&'=') => Some("!".into()),
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                Some("&&".into())
            }
            '|' if chars.peek() == Some(&'|') => {
                chars.next();
                Some("||".into())
            }
            c if c.is_whitespace() => Some(String::new()),
            _ => None,
        };
        match op {
            Some(op) => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                if !op.is_empty() {
                    out.push(op);
                }
            }
            None => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Compiles the words after tcpdump's options (joined with spaces, as tcpdump does), with
/// `resolve` naming a host's addresses (`None`: not known).
pub fn compile(
    words: &[&str],
    resolve: &mut dyn FnMut(&str) -> Option<Ipv4Addr>,
) -> Result<Option<Expr>, Error> {
    let text = words.join(" ");
    if text.len() > MAX_EXPRESSION {
        return Err(format!(
            "the filter expression is longer than {MAX_EXPRESSION} bytes (vnet's bound)"
        ));
    }
    let toks = tokens(&text);
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        at: 0,
        last: None,
        depth: 0,
    };
    let mut e = p.expr()?;
    if p.at != p.toks.len() {
        return Err(syntax());
    }
    e.resolve(resolve)?;
    Ok(Some(e))
}

impl Expr {
    /// Resolves the host names of a parsed expression, in order.
    fn resolve(&mut self, resolve: &mut dyn FnMut(&str) -> Option<Ipv4Addr>) -> Result<(), Error> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.resolve(resolve)?;
                b.resolve(resolve)
            }
            Expr::Not(a) => a.resolve(resolve),
            Expr::Prim(p) => {
                if let Test::Name(n) = &p.test {
                    let ip = resolve(n).ok_or_else(|| format!("unknown host '{n}'"))?;
                    p.test = Test::Host(vec![ip]);
                }
                Ok(())
            }
        }
    }
}

struct Parser {
    toks: Vec<String>,
    at: usize,
    /// The qualifiers of the last primitive, for a bare value after `and`/`or`.
    last: Option<(Option<Proto>, Dir, Kind)>,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.unary()?;
        loop {
            let or = match self.peek() {
                Some("and" | "&&") => false,
                Some("or" | "||") => true,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            left = if or {
                Expr::Or(Box::new(left), Box::new(right))
            } else {
                Expr::And(Box::new(left), Box::new(right))
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax());
        }
        let e = match self.peek() {
            Some("not" | "!") => {
                self.at += 1;
                Expr::Not(Box::new(self.unary()?))
            }
            Some("(") => {
                self.at += 1;
                let e = self.expr()?;
                if self.next().as_deref() != Some(")") {
                    return Err(syntax());
                }
                e
            }
            Some(_) => Expr::Prim(self.prim()?),
            None => return Err(syntax()),
        };
        self.depth -= 1;
        Ok(e)
    }

    fn prim(&mut self) -> Result<Prim, Error> {
        let mut proto = None;
        let mut dir = None;
        let mut kind = None;
        if let Some(p) = self.peek().and_then(proto_named) {
            proto = Some(p);
            self.at += 1;
        }
        match self.peek() {
            Some("src") | Some("dst") => {
                let first = self.next().unwrap_or_default();
                let both = match (self.peek(), self.toks.get(self.at + 1).map(String::as_str)) {
                    (Some("or"), Some(o)) if o == other(&first) => Some(Dir::Either),
                    (Some("and"), Some(o)) if o == other(&first) => Some(Dir::Both),
                    _ => None,
                };
                dir = Some(match both {
                    Some(d) => {
                        self.at += 2;
                        d
                    }
                    None if first == "src" => Dir::Src,
                    None => Dir::Dst,
                });
            }
            _ => {}
        }
        if let Some(k) = self.peek().and_then(kind_named) {
            kind = Some(k);
            self.at += 1;
        }
        let value = match self.peek() {
            Some(v) if is_value(v) => Some(v.to_string()),
            _ => None,
        };
        if proto.is_some() && dir.is_none() && kind.is_none() && value.is_none() {
            return Ok(Prim {
                proto,
                dir: Dir::Either,
                test: Test::Proto,
            });
        }
        let value = value.ok_or_else(syntax)?;
        self.at += 1;
        // A bare value takes the qualifiers before it; else host is assumed.
        let (proto, dir, kind) = match (proto, dir, kind, self.last) {
            (None, None, None, Some(last)) => last,
            _ => (
                proto,
                dir.unwrap_or(Dir::Either),
                kind.unwrap_or(Kind::Host),
            ),
        };
        self.last = Some((proto, dir, kind));
        let test = self.value(proto, kind, &value)?;
        Ok(Prim { proto, dir, test })
    }

    fn value(&mut self, proto: Option<Proto>, kind: Kind, v: &str) -> Result<Test, Error> {
        let address = v.split_once('/').map_or(v, |(a, _)| a);
        if matches!(kind, Kind::Host | Kind::Net) && address.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err(format!(
                "vnet: IPv6 addresses in filters are not simulated ('{v}')"
            ));
        }
        match kind {
            Kind::Host if proto == Some(Proto::Ether) => mac(v)
                .map(Test::Mac)
                .ok_or_else(|| format!("unknown ether host '{v}'")),
            Kind::Host => {
                if v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    let ip = v
                        .parse::<Ipv4Addr>()
                        .map_err(|_| format!("invalid IPv4 address '{v}'"))?;
                    return Ok(Test::Host(vec![ip]));
                }
                Ok(Test::Name(v.to_string()))
            }
            Kind::Net => net(v),
            Kind::Port => {
                let p = port(v)?;
                Ok(Test::Ports(p, p))
            }
            Kind::PortRange => {
                let (a, b) = v.split_once('-').ok_or_else(syntax)?;
                let (a, b) = (port(a)?, port(b)?);
                Ok(Test::Ports(a.min(b), a.max(b)))
            }
        }
    }
}

fn other(dir: &str) -> &'static str {
    if dir == "src" { "dst" } else { "src" }
}

fn proto_named(w: &str) -> Option<Proto> {
    Some(match w {
        "ether" => Proto::Ether,
        "ip" => Proto::Ip,
        "arp" => Proto::Arp,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "ip6" => Proto::Ip6,
        "icmp6" => Proto::Icmp6,
        _ => return None,
    })
}

fn kind_named(w: &str) -> Option<Kind> {
    Some(match w {
        "host" => Kind::Host,
        "net" => Kind::Net,
        "port" => Kind::Port,
        "portrange" => Kind::PortRange,
        _ => return None,
    })
}

/// Whether a word is a value (an address, a name, a number), not a keyword or operator.
fn is_value(w: &str) -> bool {
    !matches!(
        w,
        "and" | "or" | "not" | "&&" | "||" | "!" | "(" | ")" | "src" | "dst"
    ) && proto_named(w).is_none()
        && kind_named(w).is_none()
}

/// A port by number or by its name in the image's /etc/services.
fn port(v: &str) -> Result<u16, Error> {
    if let Ok(n) = v.parse::<u32>() {
        return u16::try_from(n).map_err(|_| format!("illegal port number {n} > 65535"));
    }
    super::SERVICES
        .iter()
        .find(|(_, name, _, _)| *name == v)
        .map(|(p, _, _, _)| *p)
        .ok_or_else(|| format!("unknown port '{v}'"))
}

/// `net A/LEN`, `net A` (its dotted octets: `10`, `10.1`, `10.1.2`, a whole address).
fn net(v: &str) -> Result<Test, Error> {
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => {
            let len: u32 = l.parse().map_err(|_| syntax())?;
            if len > 32 {
                return Err("mask length must be <= 32".into());
            }
            (a, Some(len))
        }
        None => (v, None),
    };
    let octets: Vec<&str> = addr.split('.').collect();
    if octets.is_empty() || octets.len() > 4 {
        return Err(format!("invalid IPv4 address '{addr}'"));
    }
    let mut n: u32 = 0;
    for o in &octets {
        let b: u8 = o
            .parse()
            .map_err(|_| format!("invalid IPv4 address '{addr}'"))?;
        n = n << 8 | u32::from(b);
    }
    let given = 8 * octets.len() as u32;
    n <<= 32 - given;
    let len = len.unwrap_or(given);
    let mask = crate::wire::netmask(len as u8);
    if n & !mask != 0 {
        return Err(format!("non-network bits set in \"{v}\""));
    }
    Ok(Test::Net(n, mask))
}

fn mac(v: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = v.split([':', '-', '.']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (b, p) in m.iter_mut().zip(parts) {
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

/// The fields of a frame a filter looks at.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fields {
    /// Ethernet source and destination.
    pub macs: ([u8; 6], [u8; 6]),
    /// An IPv4 packet.
    pub ip: bool,
    /// An ARP packet.
    pub arp: bool,
    /// An IPv6 packet.
    pub ip6: bool,
    /// The source and destination addresses (ARP: sender and target).
    pub addrs: Option<(Ipv4Addr, Ipv4Addr)>,
    /// IP's protocol number.
    pub protocol: Option<u8>,
    /// TCP's or UDP's ports.
    pub ports: Option<(u16, u16)>,
}

impl Expr {
    /// Whether a frame with `f` passes.
    pub fn matches(&self, f: &Fields) -> bool {
        match self {
            Expr::And(a, b) => a.matches(f) && b.matches(f),
            Expr::Or(a, b) => a.matches(f) || b.matches(f),
            Expr::Not(a) => !a.matches(f),
            Expr::Prim(p) => p.matches(f),
        }
    }
}

fn by_dir<T: Copy>(dir: Dir, (s, d): (T, T), ok: impl Fn(T) -> bool) -> bool {
    match dir {
        Dir::Either => ok(s) || ok(d),
        Dir::Src => ok(s),
        Dir::Dst => ok(d),
        Dir::Both => ok(s) && ok(d),
    }
}

impl Prim {
    fn proto_ok(&self, f: &Fields) -> bool {
        match self.proto {
            None | Some(Proto::Ether) => true,
            Some(Proto::Ip) => f.ip,
            Some(Proto::Arp) => f.arp,
            Some(Proto::Tcp) => f.protocol == Some(6),
            Some(Proto::Udp) => f.protocol == Some(17),
            Some(Proto::Icmp) => f.ip && f.protocol == Some(1),
            Some(Proto::Ip6) => f.ip6,
            Some(Proto::Icmp6) => f.ip6 && f.protocol == Some(58),
        }
    }

    fn matches(&self, f: &Fields) -> bool {
        if !self.proto_ok(f) {
            return false;
        }
        match &self.test {
            Test::Proto => true,
            Test::Mac(m) => by_dir(self.dir, f.macs, |x| x == *m),
            Test::Name(_) => false,
            Test::Host(ips) => f
                .addrs
                .is_some_and(|a| by_dir(self.dir, a, |x| ips.contains(&x))),
            Test::Net(n, mask) => f
                .addrs
                .is_some_and(|a| by_dir(self.dir, a, |x| u32::from(x) & mask == *n)),
            Test::Ports(lo, hi) => {
                // `port` alone: TCP or UDP.
                matches!(f.protocol, Some(6 | 17))
                    && f.ports
                        .is_some_and(|p| by_dir(self.dir, p, |x| (*lo..=*hi).contains(&x)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Result<Option<Expr>, Error> {
        compile(&[s], &mut |n| {
            (n == "web").then_some(Ipv4Addr::new(10, 0, 0, 3))
        })
    }

    fn tcp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Fields {
        Fields {
            ip: true,
            addrs: Some((src.into(), dst.into())),
            protocol: Some(6),
            ports: Some((sport, dport)),
            ..Default::default()
        }
    }

    #[test]
    fn primitives_and_operators() {
        let f = tcp([10, 0, 0, 2], 40000, [10, 0, 0, 3], 80);
        let yes = |s: &str| c(s).unwrap().unwrap().matches(&f);
        assert!(yes("tcp port 80"));
        assert!(yes("port http and host web"));
        assert!(yes("dst port 80 && src host 10.0.0.2"));
        assert!(!yes("src port 80"));
        assert!(!yes("udp or icmp"));
        assert!(yes("not arp"));
        assert!(yes("net 10.0.0.0/24"));
        assert!(yes("net 10"));
        assert!(
            yes("host 10.0.0.9 or 10.0.0.3"),
            "a bare value takes the last qualifiers"
        );
        assert!(yes("( icmp or tcp ) and portrange 79-81"));
        assert!(!yes("src and dst net 10.0.0.2/32"));
        // and/or bind equally, from the left: (tcp or udp) and icmp.
        assert!(!yes("tcp or udp and icmp"));
    }

    #[test]
    fn libpcap_errors() {
        let e = |s: &str| c(s).unwrap_err();
        assert_eq!(e("port"), "can't parse filter expression: syntax error");
        assert_eq!(
            e("hots 1.2.3.4"),
            "can't parse filter expression: syntax error"
        );
        assert_eq!(e("port abc"), "unknown port 'abc'");
        assert_eq!(e("host 300.1.1.1"), "invalid IPv4 address '300.1.1.1'");
        assert_eq!(
            e("net 10.0.0.1/8"),
            "non-network bits set in \"10.0.0.1/8\""
        );
        assert_eq!(e("tcp and"), "can't parse filter expression: syntax error");
        assert_eq!(e("host nope"), "unknown host 'nope'");
        assert_eq!(
            e(&"(".repeat(100)),
            "can't parse filter expression: syntax error"
        );
        assert_eq!(c("").unwrap(), None);
    }
}
