//! `tcpdump` (tcpdump 4.99: tcpdump.c, print-ether.c, print-arp.c, print-ip.c, print-icmp.c,
//! print-udp.c, print-tcp.c, print-http.c, print-resp.c), which images made for network
//! labs carry (`nicolaka/netshoot`); busybox has none.
//!
//! A capture copies the frames one interface of the container sends and receives (a
//! [`Sniffer`](crate::engine::taps::Sniffer) on its NIC, in every world the command builds)
//! and prints each one that passes its [`filter`] in tcpdump's default format: the time,
//! then `IP a.port > b.port: Flags [S], seq 1, win 64240, options [mss 1460,...], length
//! 0`, sequence numbers relative to the first of a conversation, HTTP's and RESP's first
//! words, ARP, ICMP and its errors; `-e` adds the link-level header, `-n` keeps addresses and
//! ports as numbers (else names: PTR through the container's resolver, ports by the image's
//! /etc/services).
//!
//! The frames a capture sees are those the container's later commands cause: tcpdump runs
//! in the background of a shell (`tcpdump -n -c 4 & wget -qO- web`), and ends when it has
//! its `-c` count or when the `exec` ends, as if interrupted (tcpdump's blank line and its
//! statistics). Alone in the foreground it would wait for frames nothing sends; vnet says
//! so instead.

pub mod filter;

use super::applet::ExecResult;
use super::stdio::Stdout;
use crate::docker::sandbox::Sandbox;
use crate::time::Instant;
use filter::{Expr, Fields};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What tcpdump prints before its usage (tcpdump.c `print_usage`): this is tcpdump 4.99.3
/// as Debian 12 builds it, the build vnet's output was compared with; netshoot's Alpine
/// build names its own, newer, versions in these three lines.
const USAGE: &str = "tcpdump version 4.99.3
libpcap version 1.10.3 (with TPACKET_V3)
OpenSSL 3.0.19 27 Jan 2026
Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
";

/// The image's /etc/services entries tcpdump names ports by: (port, name, TCP, UDP).
pub(crate) const SERVICES: &[(u16, &str, bool, bool)] = &[
    (7, "echo", true, true),
    (9, "discard", true, true),
    (13, "daytime", true, true),
    (21, "ftp", true, false),
    (22, "ssh", true, false),
    (23, "telnet", true, false),
    (25, "smtp", true, false),
    (53, "domain", true, true),
    (67, "bootps", false, true),
    (68, "bootpc", false, true),
    (69, "tftp", false, true),
    (80, "http", true, false),
    (123, "ntp", false, true),
    (443, "https", true, true),
    (3306, "mysql", true, false),
    (5432, "postgresql", true, false),
    (8080, "http-alt", true, false),
];

/// Conversations whose first sequence numbers a capture keeps (tcpdump keeps every one; a
/// long capture of many connections forgets the oldest).
const MAX_CONVERSATIONS: usize = 4096;

/// Addresses a capture keeps the names of (past it, each further one is asked again).
const MAX_NAMES: usize = 4096;

/// A running capture: its options, filter, counts and what it knows of the conversations.
/// One left running after its exec is kept in the container as JSON ([`Left`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tcpdump {
    /// The sandbox's capture it reads.
    #[serde(skip)]
    capture: usize,
    iface: usize,
    numeric: bool,
    link: bool,
    absolute: bool,
    stamps: bool,
    count: Option<u64>,
    /// `-l` or `-U`: each line is written as it is printed, even to a file.
    #[serde(default)]
    line_buffered: bool,
    /// The filter, compiled from `expr` with the names in `resolved`.
    #[serde(skip)]
    filter: Option<Expr>,
    /// The filter's words.
    expr: Vec<String>,
    /// The names the filter named, and what they resolved to when the capture started (a
    /// filter is compiled once).
    resolved: Vec<(String, Option<Ipv4Addr>)>,
    /// Frames that passed the filter (printed); tcpdump's "received by filter" counts the
    /// same frames here, as nothing arrives after the count is reached.
    captured: u64,
    dropped: u64,
    /// First sequence numbers by conversation (print-tcp.c's `tcp_seq_hash`).
    seqs: Vec<(Conversation, u32, u32)>,
    /// Addresses already named (or found to have no name).
    names: Vec<(IpAddr, Option<String>)>,
    /// Its command line, as `docker top` shows a capture left running.
    #[serde(skip)]
    command: String,
}

/// A capture left running in a container after its exec ([`Tcpdump::leave`]), as the
/// container keeps it between commands.
#[derive(Serialize, Deserialize)]
struct Left {
    dump: Tcpdump,
    /// The file its standard output goes to (`None`: nowhere).
    stdout: Option<String>,
    /// The file its standard error goes to (`None`: the exec's, gone with it).
    stderr: Option<String>,
    /// What its C library holds of its standard output.
    out: Stdout,
}

impl Left {
    /// Writes what the capture printed where it goes: its lines through the C library's
    /// buffer `out`, its statistics (once it ended) unbuffered, after what `out` held.
    fn write(&self, sb: &mut Sandbox, r: &Read, out: &mut Stdout) {
        let mut text: String = r
            .stdout
            .split_inclusive('\n')
            .map(|l| out.write(l))
            .collect();
        if r.done {
            text.push_str(&out.flush());
        }
        if let Some(path) = &self.stdout
            && !text.is_empty()
        {
            // A full layer: tcpdump does not check its writes.
            let _ = sb.append_opened(path, &text);
        }
        if let Some(path) = &self.stderr
            && !r.stderr.is_empty()
        {
            let _ = sb.append_opened(path, &r.stderr);
        }
    }
}

/// Prints what the captures left running in the container saw since a command last ran in
/// it: each one's lines go to its file, and one that reached its count ends there (its
/// statistics to its standard error's file). One whose container stopped was killed: it
/// prints what it saw before and loses what its C library still held; one whose interface
/// went exits, flushing it.
pub fn drain(sb: &mut Sandbox) {
    for cap in sb.take_captures() {
        // A state vnet cannot read (from another version): the capture is gone.
        let Ok(mut left) = serde_json::from_str::<Left>(&cap.program) else {
            continue;
        };
        let mut names = left.dump.resolved.iter().cloned();
        let mut resolve = |name: &str| {
            names
                .by_ref()
                .find(|(n, _)| n == name)
                .and_then(|(_, ip)| ip)
        };
        let words: Vec<&str> = left.dump.expr.iter().map(String::as_str).collect();
        let Ok(filter) = filter::compile(&words, &mut resolve) else {
            continue;
        };
        left.dump.filter = filter;
        left.dump.dropped += cap.dropped;
        let mut r = left
            .dump
            .print(sb, cap.frames.iter().map(|f| (f.at, &f.frame[..])));
        let mut out = std::mem::take(&mut left.out);
        match cap.ended {
            // Its interface went: pcap_loop fails and tcpdump exits, flushing its output
            // (what it says on its standard error then is not simulated).
            Some(crate::docker::container::CaptureEnd::Exited) if !r.done => r.done = true,
            // SIGKILL: what the buffer still holds never reaches the file.
            Some(crate::docker::container::CaptureEnd::Killed) if !r.done => {
                left.write(sb, &r, &mut out);
                continue;
            }
            _ => {}
        }
        left.write(sb, &r, &mut out);
        if r.done {
            continue;
        }
        left.out = out;
        if let Ok(json) = serde_json::to_string(&left) {
            sb.keep_capture(cap, json);
        }
    }
}

/// A TCP conversation in tcpdump's collating order: both directions are one entry.
type Conversation = (IpAddr, IpAddr, u32);

/// What happened when the shell asked a capture for its output.
#[derive(Debug, Default)]
pub struct Read {
    /// Its lines.
    pub stdout: String,
    /// Whether it reached its count and ended (its statistics in `stderr`).
    pub done: bool,
    /// Its statistics, once it ended.
    pub stderr: String,
}

impl Tcpdump {
    /// Starts a capture with tcpdump's command line; `Err` is what tcpdump printed as it
    /// failed. The header lines (`listening on eth0, ...`) are the second value.
    pub fn start(sb: &mut Sandbox, args: &[&str]) -> Result<(Tcpdump, String), Box<ExecResult>> {
        Self::open(sb, args).map_err(Box::new)
    }

    // The error is what the applet prints: built once, when it fails.
    #[allow(clippy::result_large_err)]
    fn open(sb: &mut Sandbox, args: &[&str]) -> Result<(Tcpdump, String), ExecResult> {
        let fail = |msg: String| ExecResult::err(format!("tcpdump: {msg}\n"), 1);
        let mut numeric = false;
        let mut link = false;
        let mut absolute = false;
        let mut stamps = true;
        let mut count = None;
        let mut line_buffered = false;
        let mut iface: Option<&str> = None;
        let mut expr: Vec<&str> = Vec::new();
        let mut it = args.iter().copied();
        while let Some(a) = it.next() {
            if a == "--" {
                expr.extend(it.by_ref());
                break;
            }
            let Some(body) = a.strip_prefix('-').filter(|b| !b.is_empty()) else {
                expr.push(a);
                continue;
            };
            if body.starts_with('-') {
                return Err(match body {
                    "-version" => {
                        ExecResult::out(USAGE.lines().take(3).map(|l| format!("{l}\n")).collect())
                    }
                    _ => ExecResult::err(format!("tcpdump: unrecognized option '{a}'\n{USAGE}"), 1),
                });
            }
            for (i, c) in body.char_indices() {
                match c {
                    'n' => numeric = true,
                    'e' => link = true,
                    'S' => absolute = true,
                    't' => stamps = false,
                    // Line-buffered (or packet-buffered) output.
                    'l' | 'U' => line_buffered = true,
                    // No promiscuous mode: a container's interface sees its own frames.
                    'p' => {}
                    'c' | 'i' | 's' | 'B' | 'w' | 'r' | 'W' | 'C' | 'G' | 'F' | 'y' | 'T' | 'E'
                    | 'M' | 'Q' | 'j' | 'V' | 'z' | 'Z' => {
                        let rest = body.get(i + 1..).unwrap_or_default();
                        let v = if rest.is_empty() {
                            it.next().ok_or_else(|| {
                                ExecResult::err(
                                    format!(
                                        "tcpdump: option requires an argument -- '{c}'\n{USAGE}"
                                    ),
                                    1,
                                )
                            })?
                        } else {
                            rest
                        };
                        match c {
                            'c' => match v.parse::<i64>() {
                                Ok(n) if n > 0 => count = Some(n as u64),
                                _ => return Err(fail(format!("invalid packet count {v}"))),
                            },
                            'i' => iface = Some(v),
                            // tcpdump 4.99's words for these.
                            's' => {
                                if !v.parse::<u32>().is_ok_and(|n| n <= 262_144) {
                                    return Err(fail(format!(
                                        "invalid snaplen {v} (must be >= 0 and <= 262144)"
                                    )));
                                }
                            }
                            'B' => {
                                if !v.parse::<u32>().is_ok_and(|n| n > 0) {
                                    return Err(fail(format!("invalid packet buffer size {v}")));
                                }
                            }
                            _ => {
                                return Err(ExecResult::err(
                                    format!(
                                        "tcpdump: -{c} is not simulated; vnet's --capture FILE writes the frames of a command to a pcapng file\n"
                                    ),
                                    1,
                                ));
                            }
                        }
                        break;
                    }
                    'v' | 'x' | 'X' | 'A' | 'q' | 'D' | 'L' | 'd' | 'I' | 'K' | 'N' | 'O' | 'u'
                    | 'H' | 'J' | 'b' | 'f' | 'h' | '#' => {
                        return Err(ExecResult::err(
                            format!("tcpdump: -{c} is not simulated\n"),
                            1,
                        ));
                    }
                    _ => {
                        return Err(ExecResult::err(
                            format!("tcpdump: invalid option -- '{c}'\n{USAGE}"),
                            1,
                        ));
                    }
                }
            }
        }
        if sb.host_network() {
            return Err(super::applet::host_network());
        }
        // No -i: the first interface that is up (pcap_lookupdev).
        let k = match iface {
            None => sb.ifaces().iter().position(|i| i.up),
            Some(name) => match sb.ifaces().iter().position(|i| i.name == name) {
                Some(k) => Some(k),
                None if matches!(name, "any" | "lo") => {
                    return Err(ExecResult::err(
                        format!(
                            "tcpdump: capturing on {name} is not simulated; name one of the container's interfaces (eth0, ...)\n"
                        ),
                        1,
                    ));
                }
                None => {
                    return Err(fail(format!(
                        "{name}: No such device exists\n(No such device exists)"
                    )));
                }
            },
        };
        // With no interface up tcpdump falls back to `any`, which vnet does not capture on.
        let Some(k) = k else {
            return Err(fail(
                "capturing on any (no interface of the container is up) is not simulated".into(),
            ));
        };
        // pcap_activate's packet socket needs CAP_NET_RAW (PCAP_ERROR_PERM_DENIED).
        if !sb.capable("CAP_NET_RAW") {
            let name = sb.ifaces().get(k).map_or("eth0", |i| i.name.as_str());
            return Err(fail(format!(
                "{name}: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)"
            )));
        }
        if !sb.ifaces().get(k).is_some_and(|i| i.up) {
            let name = sb
                .ifaces()
                .get(k)
                .map(|i| i.name.clone())
                .unwrap_or_default();
            return Err(fail(format!("{name}: That device is not up")));
        }
        let mut resolved = Vec::new();
        let filter = {
            let mut world = sb.bare_world(false, false);
            let mut resolve = |name: &str| {
                let ip = super::nslookup::resolve_host(sb, &mut world, name);
                resolved.push((name.to_string(), ip));
                ip
            };
            let f = filter::compile(&expr, &mut resolve);
            sb.write_back(&world);
            f.map_err(fail)?
        };
        let name = sb
            .ifaces()
            .get(k)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let header = format!(
            "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on {name}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"
        );
        let capture = sb.open_capture(k);
        Ok((
            Tcpdump {
                capture,
                iface: k,
                numeric,
                link,
                absolute,
                stamps,
                count,
                line_buffered,
                filter,
                expr: expr.iter().map(|w| w.to_string()).collect(),
                resolved,
                captured: 0,
                dropped: 0,
                seqs: Vec::new(),
                names: Vec::new(),
                command: std::iter::once("tcpdump")
                    .chain(args.iter().copied())
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            header,
        ))
    }

    /// Ends the capture without a word (a foreground tcpdump vnet does not run).
    pub fn close(self, sb: &mut Sandbox) {
        sb.close_capture(self.capture);
    }

    /// Whether `-l` or `-U` made its output line buffered.
    pub fn line_buffered(&self) -> bool {
        self.line_buffered
    }

    /// Carries the capture into a new sandbox of the same container (the next line an
    /// interactive shell reads).
    pub fn reopen(&mut self, sb: &mut Sandbox) {
        self.capture = sb.open_capture(self.iface);
    }

    /// Prints what the capture saw since it was last read; ends it when it has its count.
    pub fn read(&mut self, sb: &mut Sandbox) -> Read {
        let (frames, dropped) = sb.captured(self.capture);
        self.dropped += dropped;
        let r = self.print(sb, frames.iter().map(|f| (f.at, &f.frame[..])));
        if r.done {
            sb.close_capture(self.capture);
        }
        r
    }

    /// Prints `frames` (when each was seen, and its bytes) as far as its count goes.
    fn print<'f>(
        &mut self,
        sb: &mut Sandbox,
        frames: impl Iterator<Item = (Instant, &'f [u8])>,
    ) -> Read {
        let mut r = Read::default();
        for (at, frame) in frames {
            if self.count.is_some_and(|c| self.captured >= c) {
                break;
            }
            if let Some(e) = &self.filter
                && !e.matches(&fields(frame))
            {
                continue;
            }
            self.captured += 1;
            let line = self.line(sb, at, frame);
            r.stdout.push_str(&line);
            r.stdout.push('\n');
        }
        if self.count.is_some_and(|c| self.captured >= c) {
            r.done = true;
            r.stderr = self.statistics();
        }
        r
    }

    /// Ends the capture as an interrupt does (the command it ran in ended): what it still
    /// had, tcpdump's newline after an interrupted line, and its statistics.
    pub fn interrupt(mut self, sb: &mut Sandbox) -> Read {
        let mut r = self.read(sb);
        if !r.done {
            sb.close_capture(self.capture);
            r.stdout.push('\n');
            r.stderr = self.statistics();
            r.done = true;
        }
        r
    }

    /// Leaves the capture running in the container after its exec ends (its standard output
    /// goes to a file, or nowhere, so nothing ends it): what it saw so far goes out first,
    /// then the container keeps it, with where its output goes (`None`: discarded) and the
    /// C library's buffer `out` holds for that file. `Err` is why it could not stay.
    pub fn leave(
        mut self,
        sb: &mut Sandbox,
        stdout: Option<String>,
        stderr: Option<String>,
        mut out: Stdout,
    ) -> Result<(), String> {
        let r = self.read(sb);
        let mut left = Left {
            dump: self,
            stdout,
            stderr,
            out: Stdout::default(),
        };
        left.write(sb, &r, &mut out);
        if r.done {
            return Ok(());
        }
        sb.close_capture(left.dump.capture);
        left.out = out;
        let json = serde_json::to_string(&left).map_err(|e| e.to_string())?;
        let command = std::mem::take(&mut left.dump.command);
        if sb.leave_capture(left.dump.iface, json, command) {
            Ok(())
        } else {
            Err(format!(
                "a container keeps at most {} captures running (vnet's bound)",
                crate::docker::container::MAX_CAPTURES
            ))
        }
    }

    /// tcpdump.c `info(1)`.
    fn statistics(&self) -> String {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        format!(
            "{} packet{} captured\n{} packet{} received by filter\n{} packet{} dropped by kernel\n",
            self.captured,
            s(self.captured),
            self.captured,
            s(self.captured),
            self.dropped,
            s(self.dropped)
        )
    }

    /// An address as tcpdump prints it: its name, unless `-n` or it has none.
    fn host(&mut self, sb: &mut Sandbox, ip: impl Into<IpAddr>) -> String {
        let ip: IpAddr = ip.into();
        if self.numeric {
            return ip.to_string();
        }
        if let Some((_, n)) = self.names.iter().find(|(a, _)| *a == ip) {
            return n.clone().unwrap_or_else(|| ip.to_string());
        }
        let mut world = sb.bare_world(false, false);
        let name = super::nslookup::reverse_host(sb, &mut world, ip);
        sb.write_back(&world);
        if self.names.len() < MAX_NAMES {
            self.names.push((ip, name.clone()));
        }
        name.unwrap_or_else(|| ip.to_string())
    }

    fn port(&self, p: u16, tcp: bool) -> String {
        if !self.numeric
            && let Some((_, name, _, _)) = SERVICES
                .iter()
                .find(|(n, _, t, u)| *n == p && if tcp { *t } else { *u })
        {
            return name.to_string();
        }
        p.to_string()
    }

    fn mac(&self, m: &[u8; 6]) -> String {
        let hex = crate::engine::trace::colon_mac(m);
        match (self.numeric, m) {
            (true, _) => hex,
            (false, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) => "Broadcast".into(),
            (false, _) => format!("{hex} (oui Unknown)"),
        }
    }

    /// One frame's line.
    fn line(&mut self, sb: &mut Sandbox, at: Instant, frame: &[u8]) -> String {
        let mut s = String::new();
        if self.stamps {
            s.push_str(&crate::engine::clock(at));
            s.push(' ');
        }
        let (Some(dst), Some(src), Some(kind)) = (
            frame.first_chunk::<6>(),
            frame.get(6..12).and_then(|m| <&[u8; 6]>::try_from(m).ok()),
            frame.get(12..14),
        ) else {
            s.push_str("[|ether]");
            return s;
        };
        let ethertype = be16(kind, 0).unwrap_or_default();
        let payload = frame.get(14..).unwrap_or_default();
        if self.link {
            let name = match ethertype {
                0x0800 => "IPv4",
                0x0806 => "ARP",
                0x86dd => "IPv6",
                _ => "Unknown",
            };
            s.push_str(&format!(
                "{} > {}, ethertype {name} (0x{ethertype:04x}), length {}: ",
                self.mac(src),
                self.mac(dst),
                frame.len()
            ));
        }
        match ethertype {
            0x0806 => {
                if !self.link {
                    s.push_str("ARP, ");
                }
                s.push_str(&self.arp(sb, payload));
            }
            0x0800 => {
                // With the link-level header, the ethertype already said IPv4.
                if !self.link {
                    s.push_str("IP ");
                }
                s.push_str(&self.ipv4(sb, payload));
            }
            0x86dd => {
                if !self.link {
                    s.push_str("IP6 ");
                }
                s.push_str(&self.ipv6(sb, payload));
            }
            _ if !self.link => {
                s.push_str(&format!(
                    "ethertype Unknown (0x{ethertype:04x}), length {}: ",
                    frame.len()
                ));
            }
            _ => {}
        }
        s
    }

    /// print-arp.c for Ethernet/IPv4.
    fn arp(&mut self, sb: &mut Sandbox, p: &[u8]) -> String {
        let (Some(op), Some(sha), Some(spa), Some(tha), Some(tpa)) = (
            p.get(6..8),
            p.get(8..14).and_then(|m| <[u8; 6]>::try_from(m).ok()),
            p.get(14..18).and_then(|a| <[u8; 4]>::try_from(a).ok()),
            p.get(18..24).and_then(|m| <[u8; 6]>::try_from(m).ok()),
            p.get(24..28).and_then(|a| <[u8; 4]>::try_from(a).ok()),
        ) else {
            return "[|arp]".into();
        };
        let (spa, tpa) = (Ipv4Addr::from(spa), Ipv4Addr::from(tpa));
        match be16(op, 0).unwrap_or_default() {
            1 => {
                let who = self.host(sb, tpa);
                let asking = if tha == [0; 6] {
                    String::new()
                } else {
                    format!(" ({})", self.mac(&tha))
                };
                let tell = self.host(sb, spa);
                format!("Request who-has {who}{asking} tell {tell}, length 28")
            }
            2 => {
                let is = self.host(sb, spa);
                format!("Reply {is} is-at {}, length 28", self.mac(&sha))
            }
            op => format!("Unknown ({op}), length 28"),
        }
    }

    /// print-ip.c, then the protocol's printer.
    fn ipv4(&mut self, sb: &mut Sandbox, p: &[u8]) -> String {
        let Some(h) = p.first_chunk::<20>() else {
            return "[|ip]".into();
        };
        let ihl = usize::from(h[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let proto = h[9];
        let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
        let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
        let body = p.get(ihl..total.min(p.len())).unwrap_or_default();
        match proto {
            1 => {
                let (a, b) = (self.host(sb, src), self.host(sb, dst));
                format!("{a} > {b}: {}", self.icmp(sb, body))
            }
            6 => self.tcp(sb, src.into(), dst.into(), body),
            17 => {
                let (Some(sp), Some(dp), Some(len)) = (be16(body, 0), be16(body, 2), be16(body, 4))
                else {
                    return format!("{src} > {dst}: [|udp]");
                };
                let (a, b) = (self.host(sb, src), self.host(sb, dst));
                format!(
                    "{a}.{} > {b}.{}: UDP, length {}",
                    self.port(sp, false),
                    self.port(dp, false),
                    len.saturating_sub(8)
                )
            }
            n => {
                let (a, b) = (self.host(sb, src), self.host(sb, dst));
                format!("{a} > {b}: ip-proto-{n} {}", body.len())
            }
        }
    }

    /// print-ip6.c, then ICMPv6's printer (nothing else here speaks IPv6).
    fn ipv6(&mut self, sb: &mut Sandbox, p: &[u8]) -> String {
        let Some(h) = p.first_chunk::<40>() else {
            return "[|ip6]".into();
        };
        let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        let next = h[6];
        let addr = |o: &[u8]| <[u8; 16]>::try_from(o).map(Ipv6Addr::from).ok();
        let (Some(src), Some(dst)) = (addr(&h[8..24]), addr(&h[24..40])) else {
            return "[|ip6]".into();
        };
        let body = p.get(40..(40 + len).min(p.len())).unwrap_or_default();
        if next == 6 {
            return self.tcp(sb, src.into(), dst.into(), body);
        }
        let (a, b) = (self.host(sb, src), self.host(sb, dst));
        match next {
            58 => format!("{a} > {b}: {}", self.icmp6(sb, body)),
            17 => match (be16(body, 0), be16(body, 2), be16(body, 4)) {
                (Some(sp), Some(dp), Some(len)) => format!(
                    "{a}.{} > {b}.{}: UDP, length {}",
                    self.port(sp, false),
                    self.port(dp, false),
                    len.saturating_sub(8)
                ),
                _ => format!("{a} > {b}: [|udp]"),
            },
            n => format!("{a} > {b}: ip-proto-{n} {len}"),
        }
    }

    /// print-icmp6.c: echo and neighbour discovery, the rest by type name.
    fn icmp6(&mut self, sb: &mut Sandbox, p: &[u8]) -> String {
        let Some(&typ) = p.first() else {
            return "[|icmp6]".into();
        };
        let len = p.len();
        let target = p
            .get(8..24)
            .and_then(|o| <[u8; 16]>::try_from(o).ok())
            .map(Ipv6Addr::from);
        let what = match typ {
            1 => {
                // The code, and for a port the quoted packet's destination and port.
                let code = p.get(1).copied().unwrap_or(0);
                let name = match code {
                    0 => "unreachable route",
                    1 => "unreachable prohibited",
                    2 => "beyond scope",
                    3 => "unreachable address",
                    4 => "unreachable port",
                    _ => "unknown unreach code",
                };
                let quoted = p.get(8..).unwrap_or_default();
                let qdst = quoted
                    .get(24..40)
                    .and_then(|o| <[u8; 16]>::try_from(o).ok())
                    .map(Ipv6Addr::from);
                let (qnext, qport) = (quoted.get(6).copied(), be16(quoted, 42));
                match (code, qdst, qnext, qport) {
                    (4, Some(d), Some(n @ (6 | 17)), Some(port)) => {
                        let (proto, tcp) = if n == 6 {
                            ("tcp", true)
                        } else {
                            ("udp", false)
                        };
                        let d = self.host(sb, d);
                        let port = self.port(port, tcp);
                        format!("destination unreachable, {name}, {d} {proto} port {port}")
                    }
                    _ => format!("destination unreachable, {name}"),
                }
            }
            2 => "packet too big".to_string(),
            3 => "time exceeded in-transit".to_string(),
            4 => "parameter problem".to_string(),
            128 | 129 => {
                let kind = if typ == 128 { "request" } else { "reply" };
                match (be16(p, 4), be16(p, 6)) {
                    (Some(id), Some(seq)) => format!("echo {kind}, id {id}, seq {seq}"),
                    _ => return format!("ICMP6, echo {kind}[|icmp6]"),
                }
            }
            133 => "router solicitation".to_string(),
            134 => "router advertisement".to_string(),
            135 | 136 => {
                let Some(t) = target else {
                    return "ICMP6, [|icmp6]".into();
                };
                let t = self.host(sb, t);
                if typ == 135 {
                    format!("neighbor solicitation, who has {t}")
                } else {
                    format!("neighbor advertisement, tgt is {t}")
                }
            }
            137 => "redirect".to_string(),
            143 => "multicast listener report v2".to_string(),
            t => format!("unknown icmp6 type ({t})"),
        };
        format!("ICMP6, {what}, length {len}")
    }

    /// print-icmp.c: echo, and the errors with the packet they quote.
    fn icmp(&mut self, sb: &mut Sandbox, p: &[u8]) -> String {
        let (Some(&typ), Some(&code)) = (p.first(), p.get(1)) else {
            return "[|icmp]".into();
        };
        let len = p.len();
        let quoted = p.get(8..).unwrap_or_default();
        let qdst = quoted
            .get(16..20)
            .and_then(|a| <[u8; 4]>::try_from(a).ok())
            .map(Ipv4Addr::from);
        let qproto = quoted.get(9).copied();
        let qhlen = quoted.first().map_or(20, |b| usize::from(b & 0x0f) * 4);
        let what = match (typ, code) {
            (8 | 0, _) => {
                let id = be16(p, 4).unwrap_or_default();
                let seq = be16(p, 6).unwrap_or_default();
                let kind = if typ == 8 { "request" } else { "reply" };
                format!("ICMP echo {kind}, id {id}, seq {seq}")
            }
            (11, 0) => "ICMP time exceeded in-transit".into(),
            (11, 1) => "ICMP ip reassembly time exceeded".into(),
            (3, c) => {
                let Some(d) = qdst else {
                    return format!("ICMP unreachable, length {len}");
                };
                let d = self.host(sb, d);
                match c {
                    0 => format!("ICMP net {d} unreachable"),
                    1 => format!("ICMP host {d} unreachable"),
                    2 => format!("ICMP {d} protocol {} unreachable", qproto.unwrap_or(0)),
                    3 => {
                        let port = be16(quoted, qhlen + 2).unwrap_or_default();
                        match qproto {
                            Some(6) => {
                                format!("ICMP {d} tcp port {} unreachable", self.port(port, true))
                            }
                            Some(17) => {
                                format!("ICMP {d} udp port {} unreachable", self.port(port, false))
                            }
                            p => format!(
                                "ICMP {d} protocol {} port {port} unreachable",
                                p.unwrap_or(0)
                            ),
                        }
                    }
                    4 => format!(
                        "ICMP {d} unreachable - need to frag (mtu {})",
                        be16(p, 6).unwrap_or_default()
                    ),
                    c => format!("ICMP {d} unreachable - #{c}"),
                }
            }
            (t, _) => format!("ICMP type-#{t}"),
        };
        format!("{what}, length {len}")
    }

    /// print-tcp.c.
    fn tcp(&mut self, sb: &mut Sandbox, src: IpAddr, dst: IpAddr, p: &[u8]) -> String {
        let (Some(sport), Some(dport), Some(h)) = (be16(p, 0), be16(p, 2), p.first_chunk::<20>())
        else {
            return format!("{src} > {dst}: [|tcp]");
        };
        let (a, b) = (self.host(sb, src), self.host(sb, dst));
        let mut s = format!(
            "{a}.{} > {b}.{}: ",
            self.port(sport, true),
            self.port(dport, true)
        );
        let mut seq = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        let mut ack = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
        let hlen = usize::from(h[12] >> 4) * 4;
        let flags = h[13];
        let win = u16::from_be_bytes([h[14], h[15]]);
        let (fin, syn, rst, psh, ackf, urg) = (
            flags & 1 != 0,
            flags & 2 != 0,
            flags & 4 != 0,
            flags & 8 != 0,
            flags & 16 != 0,
            flags & 32 != 0,
        );
        let mut f = String::new();
        for (on, c) in [
            (fin, 'F'),
            (syn, 'S'),
            (rst, 'R'),
            (psh, 'P'),
            (urg, 'U'),
            (flags & 0x40 != 0, 'E'),
            (flags & 0x80 != 0, 'W'),
            (ackf, '.'),
        ] {
            if on {
                f.push(c);
            }
        }
        if f.is_empty() {
            f.push_str("none");
        }
        s.push_str(&format!("Flags [{f}]"));
        if !self.absolute && ackf {
            // tcpdump's collating order: one entry for both directions.
            let rev = sport > dport || (sport == dport && src > dst);
            let key: Conversation = if rev {
                (dst, src, u32::from(dport) << 16 | u32::from(sport))
            } else {
                (src, dst, u32::from(sport) << 16 | u32::from(dport))
            };
            match self.seqs.iter().position(|(k, _, _)| *k == key) {
                Some(i) if !syn => {
                    let (_, kseq, kack) = self.seqs.get(i).copied().unwrap_or((key, 0, 0));
                    if rev {
                        seq = seq.wrapping_sub(kack);
                        ack = ack.wrapping_sub(kseq);
                    } else {
                        seq = seq.wrapping_sub(kseq);
                        ack = ack.wrapping_sub(kack);
                    }
                }
                found => {
                    let entry = if rev {
                        (key, ack.wrapping_sub(1), seq)
                    } else {
                        (key, seq, ack.wrapping_sub(1))
                    };
                    match found {
                        Some(i) => {
                            if let Some(e) = self.seqs.get_mut(i) {
                                *e = entry;
                            }
                        }
                        None => {
                            if self.seqs.len() >= MAX_CONVERSATIONS {
                                self.seqs.remove(0);
                            }
                            self.seqs.push(entry);
                        }
                    }
                }
            }
        }
        if hlen < 20 || hlen > p.len() {
            s.push_str(&format!(" [bad hdr length {hlen}]"));
            return s;
        }
        let data = p.get(hlen..).unwrap_or_default();
        let length = data.len() as u32;
        if length > 0 || syn || fin || rst {
            s.push_str(&format!(", seq {seq}"));
            if length > 0 {
                s.push_str(&format!(":{}", seq.wrapping_add(length)));
            }
        }
        if ackf {
            s.push_str(&format!(", ack {ack}"));
        }
        s.push_str(&format!(", win {win}"));
        if urg {
            s.push_str(&format!(", urg {}", be16(p, 18).unwrap_or_default()));
        }
        if hlen > 20 {
            s.push_str(&options(p.get(20..hlen).unwrap_or_default()));
        }
        s.push_str(&format!(", length {length}"));
        if length == 0 || rst {
            return s;
        }
        let either = |port: u16| sport == port || dport == port;
        if either(80) || either(8080) {
            s.push_str(&http(data));
        } else if either(6379) {
            s.push_str(&resp(data));
        }
        s
    }
}

/// A big-endian u32 at `at`.
fn be32(p: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

/// A big-endian u16 at `at`.
fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

/// The TCP options, as print-tcp.c lists them: `, options [mss 1460,sackOK,TS val 1 ecr
/// 0,nop,wscale 7]`.
fn options(mut o: &[u8]) -> String {
    let mut out = String::from(", options [");
    let mut first = true;
    while let Some((&kind, rest)) = o.split_first() {
        if !first {
            out.push(',');
        }
        first = false;
        if kind <= 1 {
            out.push_str(if kind == 0 { "eol" } else { "nop" });
            o = rest;
            if kind == 0 {
                break;
            }
            continue;
        }
        let Some(&len) = rest.first() else {
            out.push_str("[bad opt]");
            return out;
        };
        let len = usize::from(len);
        let Some(data) = o.get(2..len).filter(|_| len >= 2) else {
            out.push_str("[bad opt]");
            return out;
        };
        let name = match kind {
            2 => "mss",
            3 => "wscale",
            4 => "sackOK",
            5 => "sack",
            8 => "TS",
            28 => "uto",
            30 => "mptcp",
            34 => "tfo",
            _ => "",
        };
        if name.is_empty() {
            out.push_str(&format!("unknown-{kind}"));
        } else {
            out.push_str(name);
        }
        match (kind, data) {
            (2, [a, b]) => out.push_str(&format!(" {}", u16::from_be_bytes([*a, *b]))),
            (3, [s]) => out.push_str(&format!(" {s}")),
            (4, []) => {}
            (5, d) if d.len() % 8 == 0 => {
                out.push_str(&format!(" {} ", d.len() / 8));
                for c in d.chunks_exact(8) {
                    let s = be32(c, 0).unwrap_or_default();
                    let e = be32(c, 4).unwrap_or_default();
                    out.push_str(&format!("{{{s}:{e}}}"));
                }
            }
            (8, d) if d.len() == 8 => {
                let v = be32(d, 0).unwrap_or_default();
                let e = be32(d, 4).unwrap_or_default();
                out.push_str(&format!(" val {v} ecr {e}"));
            }
            (_, d) => {
                if !d.is_empty() {
                    out.push_str(" 0x");
                }
                for b in d {
                    out.push_str(&format!("{b:02x}"));
                }
            }
        }
        o = o.get(len..).unwrap_or_default();
    }
    out.push(']');
    out
}

/// print-http.c through util-print.c's `txtproto_print`: `: HTTP`, and the request or
/// status line when the payload starts with one.
fn http(data: &[u8]) -> String {
    const METHODS: &[&str] = &[
        "GET",
        "PUT",
        "COPY",
        "HEAD",
        "LOCK",
        "MOVE",
        "POLL",
        "POST",
        "BCOPY",
        "BMOVE",
        "MKCOL",
        "TRACE",
        "LABEL",
        "MERGE",
        "DELETE",
        "SEARCH",
        "UNLOCK",
        "REPORT",
        "UPDATE",
        "NOTIFY",
        "BDELETE",
        "CONNECT",
        "OPTIONS",
        "CHECKIN",
        "PROPFIND",
        "CHECKOUT",
        "CCM_POST",
        "SUBSCRIBE",
        "PROPPATCH",
        "BPROPFIND",
    ];
    let mut out = String::from(": HTTP");
    let mut words = data.split(|b| *b == b' ');
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    let is_request = METHODS
        .iter()
        .any(|m| m.as_bytes().eq_ignore_ascii_case(first));
    let is_status = second.len() == 3 && second.iter().all(u8::is_ascii_digit);
    if is_request || is_status {
        // The first line, if it is all printable and ends in the packet (CRLF or LF).
        let end = data.iter().position(|b| *b == b'\n' || *b == b'\r');
        let line = data.get(..end.unwrap_or(data.len())).unwrap_or_default();
        let ends = match end {
            Some(i) if data.get(i) == Some(&b'\r') => data.get(i + 1) == Some(&b'\n'),
            _ => true,
        };
        if ends
            && line
                .iter()
                .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\t')
        {
            out.push_str(": ");
            out.push_str(&String::from_utf8_lossy(line));
        }
    }
    out
}

/// print-resp.c: `: RESP` and each value quoted (`"SET" "k" "v"`, `"OK"`).
fn resp(data: &[u8]) -> String {
    let mut out = String::from(": RESP");
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split("\r\n").peekable();
    while let Some(l) = lines.next() {
        let Some(kind) = l.chars().next() else {
            continue;
        };
        match kind {
            '*' => {
                if l == "*0" {
                    out.push_str(" empty");
                } else if l == "*-1" {
                    out.push_str(" null");
                }
            }
            '$' => {
                if l == "$-1" {
                    out.push_str(" null");
                } else if l == "$0" {
                    out.push_str(" empty");
                    lines.next();
                } else if let Some(v) = lines.next() {
                    out.push_str(&format!(" \"{v}\""));
                }
            }
            '+' | '-' | ':' => out.push_str(&format!(" \"{}\"", &l[1..])),
            _ => {
                out.push_str(&format!(" \"{l}\""));
            }
        }
    }
    out
}

/// The fields of a frame a filter tests.
fn fields(frame: &[u8]) -> Fields {
    let mut f = Fields::default();
    let (Some(dst), Some(src)) = (
        frame.first_chunk::<6>(),
        frame.get(6..12).and_then(|m| <[u8; 6]>::try_from(m).ok()),
    ) else {
        return f;
    };
    f.macs = (src, *dst);
    let p = frame.get(14..).unwrap_or_default();
    match frame.get(12..14) {
        Some([0x08, 0x06]) => {
            f.arp = true;
            if let (Some(s), Some(t)) = (
                p.get(14..18).and_then(|a| <[u8; 4]>::try_from(a).ok()),
                p.get(24..28).and_then(|a| <[u8; 4]>::try_from(a).ok()),
            ) {
                f.addrs = Some((s.into(), t.into()));
            }
        }
        Some([0x86, 0xdd]) => {
            // The next header: ICMPv6 is all vnet's IPv6 carries (no extension headers).
            if let Some(h) = p.first_chunk::<40>() {
                f.ip6 = true;
                f.protocol = Some(h[6]);
                if matches!(h[6], 6 | 17) {
                    let body = p.get(40..).unwrap_or_default();
                    if let (Some(sp), Some(dp)) = (be16(body, 0), be16(body, 2)) {
                        f.ports = Some((sp, dp));
                    }
                }
            }
        }
        Some([0x08, 0x00]) => {
            let Some(h) = p.first_chunk::<20>() else {
                return f;
            };
            f.ip = true;
            f.addrs = Some((
                Ipv4Addr::new(h[12], h[13], h[14], h[15]),
                Ipv4Addr::new(h[16], h[17], h[18], h[19]),
            ));
            f.protocol = Some(h[9]);
            let ihl = usize::from(h[0] & 0x0f) * 4;
            if matches!(h[9], 6 | 17)
                && let (Some(s), Some(d)) = (be16(p, ihl), be16(p, ihl + 2))
            {
                f.ports = Some((s, d));
            }
        }
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_as_tcpdump_lists_them() {
        let o = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        assert_eq!(
            options(&o),
            ", options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]"
        );
        assert_eq!(options(&[1, 1, 8]), ", options [nop,nop,[bad opt]");
    }

    #[test]
    fn http_and_resp_first_words() {
        assert_eq!(
            http(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ": HTTP: GET / HTTP/1.1"
        );
        assert_eq!(http(b"HTTP/1.1 200 OK\r\n"), ": HTTP: HTTP/1.1 200 OK");
        assert_eq!(http(b"hello\n"), ": HTTP");
        assert_eq!(resp(b"*1\r\n$4\r\nPING\r\n"), ": RESP \"PING\"");
        assert_eq!(resp(b"+PONG\r\n"), ": RESP \"PONG\"");
        assert_eq!(
            resp(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
            ": RESP \"SET\" \"k\" \"v\""
        );
    }
}
