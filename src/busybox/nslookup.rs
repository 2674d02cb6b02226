//! `nslookup NAME [SERVER]` (networking/nslookup.c), and the resolver's way to a name that
//! `ping` shares (glibc's `getaddrinfo`): a literal,
//! `/etc/hosts`, then a question to Docker's embedded DNS at 127.0.0.11, carried over the
//! container's loopback.

use super::applet::{ExecOptions, ExecResult, finish};
use crate::dns;
use crate::docker::sandbox::Sandbox;
use crate::engine::World;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `/etc/hosts` as the resolver reads it: the address of the first line naming `name`.
fn hosts_entry(sb: &Sandbox, name: &str) -> Option<Ipv4Addr> {
    let name = name.to_lowercase();
    hosts(sb).lines().find_map(|l| {
        let (a, names) = l.split_once('\t')?;
        let ip: Ipv4Addr = a.parse().ok()?;
        names
            .split_whitespace()
            .any(|w| w.to_lowercase() == name)
            .then_some(ip)
    })
}

/// One question to the embedded DNS, on the wire: the query leaves on `lo` for
/// 127.0.0.11:53, the resolver answers with this container's view, the answer comes back.
fn exchange(
    sb: &mut Sandbox,
    world: &mut World,
    name: &str,
    rtype: RecordType,
) -> Option<dns::Reply> {
    let id = sb.draw("dns/id", 65536) as u16;
    let port = 32768 + sb.draw("dns/port", 28232) as u16;
    let q = dns::query(id, name, rtype)?;
    let frame = dns::udp_frame((Ipv4Addr::LOCALHOST, port), (dns::RESOLVER, 53), &q);
    let lo = world.loopback(sb.name());
    world.loopback_send(lo, &frame);
    sb.count_lo(frame.len());
    let frame = world.loopback_wait(lo)?;
    let request = dns::udp_payload(&frame)?;
    let answer = sb.embedded_dns(request)?;
    let frame = dns::udp_frame((dns::RESOLVER, 53), (Ipv4Addr::LOCALHOST, port), &answer);
    world.loopback_send(lo, &frame);
    sb.count_lo(frame.len());
    let frame = world.loopback_wait(lo)?;
    dns::read_reply(dns::udp_payload(&frame)?, id)
}

/// How the container's libc finds an IPv4 address for `host`: a literal, `/etc/hosts`,
/// then DNS (A and AAAA, as glibc asks) at the embedded resolver, or, on the default
/// bridge, the host's upstream resolver (which knows no container names).
pub fn resolve_host(sb: &mut Sandbox, world: &mut World, host: &str) -> Option<Ipv4Addr> {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Some(ip);
    }
    if let Some(ip) = hosts_entry(sb, host) {
        return Some(ip);
    }
    if !sb.uses_embedded_dns() {
        return None;
    }
    let a = exchange(sb, world, host, RecordType::A)?;
    let _ = exchange(sb, world, host, RecordType::AAAA);
    a.addresses.iter().find_map(|a| match a {
        IpAddr::V4(a) => Some(*a),
        IpAddr::V6(_) => None,
    })
}

/// What busybox's `xhost_and_af2sockaddr(host, 0, AF_UNSPEC)` finds with
/// FEATURE_PREFER_IPV4_ADDRESS (its default): a literal of either family, else the first
/// IPv4 address getaddrinfo gives (`/etc/hosts`, then A and AAAA at the embedded resolver),
/// else the first IPv6 one.
pub fn resolve_host_any(sb: &mut Sandbox, world: &mut World, host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(ip) = hosts_entry(sb, host) {
        return Some(ip.into());
    }
    if let Some(ip) = hosts_entry6(sb, host) {
        return Some(ip.into());
    }
    if !sb.uses_embedded_dns() {
        return None;
    }
    let a = exchange(sb, world, host, RecordType::A);
    let aaaa = exchange(sb, world, host, RecordType::AAAA);
    let all = [a, aaaa].into_iter().flatten().flat_map(|r| r.addresses);
    let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = all.partition(|a| a.is_ipv4());
    v4.first().or(v6.first()).copied()
}

/// The first IPv6 address `/etc/hosts` gives `name`.
fn hosts_entry6(sb: &Sandbox, name: &str) -> Option<Ipv6Addr> {
    let name = name.to_lowercase();
    hosts(sb).lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let a = words.next()?.parse::<Ipv6Addr>().ok()?;
        words.any(|n| n.to_lowercase() == name).then_some(a)
    })
}

/// How the container's libc finds an IPv6 address for `host` (`ping -6`: getaddrinfo with
/// AF_INET6): a literal, `/etc/hosts`, then an AAAA question to the embedded resolver.
pub fn resolve_host6(sb: &mut Sandbox, world: &mut World, host: &str) -> Option<Ipv6Addr> {
    if let Ok(ip) = host.parse::<Ipv6Addr>() {
        return Some(ip);
    }
    let listed = hosts_entry6(sb, host);
    if listed.is_some() {
        return listed;
    }
    if !sb.uses_embedded_dns() {
        return None;
    }
    let r = exchange(sb, world, host, RecordType::AAAA)?;
    r.addresses.iter().find_map(|a| match a {
        IpAddr::V6(a) => Some(*a),
        IpAddr::V4(_) => None,
    })
}

/// How the container's libc names an address (`getnameinfo`, as traceroute asks it):
/// the first name `/etc/hosts` gives it, else a PTR question to the embedded DNS. `None`
/// when neither knows (the caller prints the address), and on the default bridge, whose
/// upstream resolver knows no container.
pub fn reverse_host(sb: &mut Sandbox, world: &mut World, ip: IpAddr) -> Option<String> {
    let file = hosts(sb);
    let listed = file.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next()?.parse::<IpAddr>().ok()? == ip).then(|| words.next())?
    });
    if let Some(name) = listed {
        return Some(name.to_string());
    }
    if !sb.uses_embedded_dns() {
        return None;
    }
    let name = match ip {
        IpAddr::V4(a) => dns::reverse_name(a),
        IpAddr::V6(a) => dns::reverse_name6(a),
    };
    let reply = exchange(sb, world, &name, RecordType::PTR)?;
    reply
        .names
        .first()
        .map(|n| n.trim_end_matches('.').to_string())
}

/// busybox's usage text for nslookup (FEATURE_NSLOOKUP_BIG).
const USAGE: &str = "BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any\n";

/// The query types `-type=` takes, in the order nslookup.c asks them (`qtypes`).
const QTYPES: [(&str, RecordType); 10] = [
    ("SOA", RecordType::SOA),
    ("NS", RecordType::NS),
    ("A", RecordType::A),
    ("AAAA", RecordType::AAAA),
    ("CNAME", RecordType::CNAME),
    ("MX", RecordType::MX),
    ("TXT", RecordType::TXT),
    ("SRV", RecordType::SRV),
    ("PTR", RecordType::PTR),
    ("ANY", RecordType::ANY),
];

/// `nslookup [-type=T]... [-port=N] [-retry=N] [-timeout=N] HOST [SERVER]`, options read as
/// nslookup.c reads them (each `-NAME[=VALUE]`, exact names); `None` for what vnet does not
/// simulate (`-debug`, another port).
pub fn main(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> Option<ExecResult> {
    let mut types = [false; QTYPES.len()];
    let mut rest = args;
    while let Some((first, tail)) = rest.split_first() {
        let Some(opt) = first.strip_prefix('-') else {
            break;
        };
        rest = tail;
        let (name, value) = opt.split_once('=').unwrap_or((opt, ""));
        match name {
            "type" | "querytype" => {
                let Some(k) = QTYPES
                    .iter()
                    .position(|(n, _)| n.eq_ignore_ascii_case(value))
                else {
                    let e = format!("nslookup: invalid query type \"{value}\"\n");
                    return Some(ExecResult::err(e, 1));
                };
                if let Some(t) = types.get_mut(k) {
                    *t = true;
                }
            }
            "port" if value == "53" => {}
            "retry" | "t" | "timeout" => {
                // xatou_range: a number in range; the embedded resolver always answers.
                if value.parse::<u32>().map_or(true, |n| n == 0) {
                    let e = format!("nslookup: invalid number '{value}'\n");
                    return Some(ExecResult::err(e, 1));
                }
            }
            "debug" | "port" => return None,
            _ => return Some(ExecResult::err(USAGE.into(), 1)),
        }
    }
    let asked: Vec<RecordType> = QTYPES
        .iter()
        .zip(types)
        .filter(|(_, on)| *on)
        .map(|((_, t), _)| *t)
        .collect();
    let types = (!asked.is_empty()).then_some(asked.as_slice());
    match rest {
        [name] => Some(run(sb, name, None, types, opts)),
        [name, server] => Some(run(sb, name, Some(server), types, opts)),
        _ => Some(ExecResult::err(USAGE.into(), 1)),
    }
}

/// busybox `nslookup NAME [SERVER]`: A then AAAA (PTR for an address), or the `-type=`
/// ones asked for, with the name as given.
pub fn run(
    sb: &mut Sandbox,
    name: &str,
    server: Option<&str>,
    types: Option<&[RecordType]>,
    opts: &ExecOptions,
) -> ExecResult {
    let embedded = sb.uses_embedded_dns();
    // The first `nameserver` of /etc/resolv.conf (nslookup.c `parse_resolvconf`).
    let conf = sb.file("/etc/resolv.conf").unwrap_or_default();
    let default_server = conf
        .lines()
        .find_map(|l| l.strip_prefix("nameserver "))
        .map(str::trim)
        .unwrap_or("127.0.0.1")
        .to_string();
    let server = server.unwrap_or(&default_server);
    let mut world = sb.bare_world(opts.trace, opts.capture);
    let mut out = format!("Server:\t\t{server}\nAddress:\t{server}:53\n\n");
    // make_ptr only without -type.
    let ptr = name.parse::<IpAddr>().ok().filter(|_| types.is_none());
    let kinds: &[RecordType] = match (types, ptr) {
        (Some(t), _) => t,
        (None, Some(_)) => &[RecordType::PTR],
        (None, None) => &[RecordType::A, RecordType::AAAA],
    };
    let qname = match ptr {
        Some(IpAddr::V4(a)) => dns::reverse_name(a),
        Some(IpAddr::V6(a)) => dns::reverse_name6(a),
        None => name.trim_end_matches('.').to_string(),
    };
    if sb.ifaces().is_empty() && !sb.host_network() {
        // No route to the server: send_queries' xconnect fails, and libbb's
        // bb_perror_msg_and_die reports it with errno's words and status 1
        // (libbb/xconnect.c `xconnect`); nothing was printed before.
        let r = ExecResult::err(
            format!(
                "nslookup: can't connect to remote host ({server}): {}\n",
                super::applet::strerror(sb, super::applet::Errno::NetUnreach)
            ),
            1,
        );
        return finish(sb, &world, r);
    }
    if sb.ifaces().is_empty() {
        let r = ExecResult {
            stdout: ";; connection timed out; no servers could be reached\n\n".into(),
            code: 1,
            ..Default::default()
        };
        return finish(sb, &world, r);
    }
    if server != "127.0.0.11" || !embedded {
        // Only the embedded resolver is reachable; the host's upstream knows no container.
        if server != default_server.as_str() {
            return finish(
                sb,
                &world,
                ExecResult {
                    stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                    code: 1,
                    ..Default::default()
                },
            );
        }
        for _ in kinds {
            out.push_str(&format!("** server can't find {qname}: NXDOMAIN\n\n"));
        }
        return finish(
            sb,
            &world,
            ExecResult {
                stdout: out,
                code: 1,
                ..Default::default()
            },
        );
    }
    let mut found = false;
    for &k in kinds {
        let Some(r) = exchange(sb, &mut world, &qname, k) else {
            continue;
        };
        match r.code {
            // busybox 1.33+: an empty answer still gets its header (Docker's resolver never
            // sets AA).
            ResponseCode::NoError if r.addresses.is_empty() && r.names.is_empty() => {
                out.push_str("Non-authoritative answer:\n\n");
            }
            ResponseCode::NoError => {
                found = true;
                out.push_str("Non-authoritative answer:\n");
                for a in &r.addresses {
                    out.push_str(&format!("Name:\t{qname}\nAddress: {a}\n"));
                }
                for n in &r.names {
                    out.push_str(&format!("{qname}\tname = {}\n", n.trim_end_matches('.')));
                }
                out.push('\n');
            }
            code => {
                let word = if code == ResponseCode::NXDomain {
                    "NXDOMAIN"
                } else {
                    "SERVFAIL"
                };
                out.push_str(&format!("** server can't find {qname}: {word}\n\n"));
            }
        }
    }
    let code = if found { 0 } else { 1 };
    finish(
        sb,
        &world,
        ExecResult {
            stdout: out,
            code,
            ..Default::default()
        },
    )
}

/// The hosts file, as the resolver reads it.
fn hosts(sb: &Sandbox) -> String {
    sb.file("/etc/hosts").unwrap_or_default()
}
