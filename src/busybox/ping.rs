//! `ping`, as busybox's (networking/ping.c) parses, runs and prints it, over a simulated stack.
//!
//! Echo requests go out of a smoltcp ICMP socket on the NIC the container's routing picked;
//! replies are whatever came back across the simulated wire, timed in virtual microseconds.
//! Timing rules are busybox's: one request per interval; with `-c N`, stop when N replies are
//! in, or, once all N are sent, after twice the longest round trip (at least 1 s) if any reply
//! came, else after `-W` (10 s); with `-w S`, stop at S seconds whatever happens. A ping of the
//! container's own addresses never leaves it (the loopback). IPv6 (an address literal, `-6`,
//! or the `ping6` applet) sends ICMPv6 echo requests (RFC 4443) on an `--ipv6` network's
//! interface, after neighbour discovery; a name is looked up as busybox's
//! FEATURE_PREFER_IPV4_ADDRESS has it, IPv4 first.

use super::applet::{ExecOptions, ExecResult, Output, finish};
use super::nslookup::{resolve_host, resolve_host_any, resolve_host6};
use crate::docker::sandbox::Sandbox;
use crate::engine::{NicId, World};
use crate::time::{Duration, Instant};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress, Ipv4Address};
use std::net::{IpAddr, Ipv6Addr};

/// `ping [OPTIONS] HOST` in the container: the name resolved as its libc would, the route
/// its routing table gives, then echo requests on the wire (or on `lo` for its own addresses).
pub fn run(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    run_applet(sb, "ping", args, opts)
}

/// `ping6 [OPTIONS] HOST`: `ping -6`.
pub fn run6(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    run_applet(sb, "ping6", args, opts)
}

fn run_applet(sb: &mut Sandbox, applet: &str, args: &[&str], opts: &ExecOptions) -> ExecResult {
    let (o, host) = match parse_ping(applet, args) {
        Ok(x) => x,
        Err(e) => return ExecResult::err(e, 1),
    };
    // Without a terminal nothing could interrupt it.
    if o.count.is_none() && o.deadline.is_none() && opts.terminal.is_none() {
        return ExecResult::err(
            "vnet: ping would run until interrupted; give -c COUNT or -w SECONDS\n".into(),
            1,
        );
    }
    if sb.host_network() {
        return super::applet::host_network();
    }
    let mut world = sb.world(opts.trace, opts.capture);
    // An IPv6 literal may name its interface: `fe80::1%eth0` (getaddrinfo's scope).
    let mut o = o;
    let scoped = host
        .split_once('%')
        .filter(|_| o.family != Family::V4)
        .and_then(|(a, dev)| Some((a.parse::<Ipv6Addr>().ok()?, dev)));
    let target = match (scoped, o.family) {
        (Some((a, dev)), _) => match sb.ifaces().iter().position(|i| i.name == dev) {
            Some(k) => {
                o.scope = Some((k, dev.to_string()));
                Some(IpAddr::V6(a))
            }
            None => None,
        },
        (None, Family::Any) => resolve_host_any(sb, &mut world, &host),
        (None, Family::V4) => resolve_host(sb, &mut world, &host).map(IpAddr::V4),
        (None, Family::V6) => resolve_host6(sb, &mut world, &host).map(IpAddr::V6),
    };
    let Some(target) = target else {
        let r = ExecResult::err(format!("{applet}: bad address '{host}'\n"), 1);
        return finish(sb, &world, r);
    };
    if target.is_multicast() {
        let r = ExecResult::err(
            format!("{applet}: {target}: pinging a multicast group is not simulated\n"),
            1,
        );
        return finish(sb, &world, r);
    }
    let mut out = Output::new(opts);
    // Paced to the wall clock: a ping without an end (it runs until interrupted, as the real
    // one does), or any under `--realtime`.
    let paced = opts.realtime || (o.count.is_none() && o.deadline.is_none());
    if paced {
        // Its virtual time is wall time, which the user ends.
        world.unbounded_time();
    }
    // create_icmp_socket, after the header: a raw socket needs CAP_NET_RAW (root's by
    // default). Alpine patches its busybox to fall back to an unprivileged ICMP socket,
    // which Docker's `net.ipv4.ping_group_range` opens to every group.
    // What fails once busybox has printed its header.
    let after_header = |stderr: String| ExecResult {
        stdout: Tally::header(&host, target, &o),
        stderr,
        code: 1,
        ..Default::default()
    };
    if !sb.capable("CAP_NET_RAW") && !sb.musl() {
        let r = after_header(format!("{applet}: permission denied (are you root?)\n"));
        return finish(sb, &world, r);
    }
    if super::socket::is_own_ip(sb, target) {
        let code = ping_local(sb, &mut world, target, &host, &o, &mut out, paced);
        return finish(sb, &world, out.result(code));
    }
    // -I: an interface by name (SO_BINDTODEVICE: only its own routes), or an address of
    // the container's (the source; routing as usual).
    let route = match o.interface.as_deref() {
        None => route_to(sb, target, o.scope.as_ref().map(|(k, _)| *k)),
        Some(name) => match sb.ifaces().iter().position(|i| i.name == name) {
            Some(k) => route_to(sb, target, Some(k)),
            None => match name.parse::<IpAddr>() {
                Ok(ip) if holds(sb, ip) => route_to(sb, target, None),
                Ok(_) => {
                    // busybox prints its header, then fails to use the address.
                    let r =
                        after_header(format!("{applet}: can't set multicast source interface\n"));
                    return finish(sb, &world, r);
                }
                Err(_) if name == "lo" => {
                    let r =
                        ExecResult::err(format!("{applet}: -I lo: arguments not simulated\n"), 1);
                    return finish(sb, &world, r);
                }
                Err(_) => {
                    let r = ExecResult::err(format!("{applet}: bad address '{name}'\n"), 1);
                    return finish(sb, &world, r);
                }
            },
        },
    };
    let Some(nic) = route.and_then(|r| sb.nic(r)) else {
        let r = after_header(format!(
            "{applet}: sendto: {}\n",
            super::applet::strerror(sb, super::applet::Errno::NetUnreach)
        ));
        return finish(sb, &world, r);
    };
    let code = ping_on(&mut world, nic, target, &host, &o, &mut out, paced);
    finish(sb, &world, out.result(code))
}

/// The interface a packet to `target` leaves by (only `dev`'s routes with `-I DEV`).
fn route_to(sb: &Sandbox, target: IpAddr, dev: Option<usize>) -> Option<usize> {
    match (target, dev) {
        (IpAddr::V4(t), None) => sb.route(t),
        (IpAddr::V4(t), Some(k)) => sb
            .routes()
            .iter()
            .any(|r| r.dev == k && r.contains(t))
            .then_some(k),
        (IpAddr::V6(t), None) => sb.route6(t),
        (IpAddr::V6(t), Some(k)) => sb
            .ifaces()
            .get(k)
            .and_then(|i| (i.up && (i.on_link6(t) || i.gateway6.is_some())).then_some(k)),
    }
}

/// Whether `ip` is one of the container's addresses.
fn holds(sb: &Sandbox, ip: IpAddr) -> bool {
    sb.ifaces().iter().any(|i| i.holds_ip(ip))
}

/// busybox ping's options: `-c N -w N -W N -i SECS -s N -q -f -4 -6`, combined or apart.
fn parse_ping(applet: &str, args: &[&str]) -> std::result::Result<(PingOptions, String), String> {
    let mut o = PingOptions::default();
    let usage = usage(applet);
    let (mut v4, mut v6) = (false, applet == "ping6");
    let mut host = None;
    let mut it = args.iter().copied();
    let number = |v: Option<&str>, what: char| -> std::result::Result<f64, String> {
        let v = v.ok_or_else(|| format!("{applet}: option requires an argument -- '{what}'\n"))?;
        // busybox reads -c, -w, -W and -s as whole numbers, -i as a duration.
        let x = if what == 'i' {
            v.parse::<f64>().ok().filter(|x| *x >= 0.0 && x.is_finite())
        } else {
            super::applet::strtou(v).map(|n| n as f64)
        };
        let x = x.ok_or_else(|| format!("{applet}: invalid number '{v}'\n"))?;
        if what == 's' && x > 65535.0 {
            return Err(format!("{applet}: number {v} is not in 0..65535 range\n"));
        }
        // Deadlines beyond any run anyone would wait for are capped (a day).
        Ok(x.min(86_400.0 * 1e3))
    };
    while let Some(a) = it.next() {
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            if host.is_some() {
                return Err(usage);
            }
            host = Some(a.to_string());
            continue;
        };
        for (i, f) in flags.char_indices() {
            match f {
                'q' => o.quiet = true,
                'f' => o.flood = true,
                // -n (numeric) is busybox's default.
                'n' => {}
                // ping6 takes -4 too, and -6 wins (common_ping_main tests it last).
                '4' => v4 = true,
                '6' => v6 = true,
                't' | 'I' => {
                    let rest = &flags[i + 1..];
                    let v = if rest.is_empty() {
                        it.next()
                    } else {
                        Some(rest)
                    };
                    let Some(v) = v else {
                        return Err(format!(
                            "{applet}: option requires an argument -- '{f}'\n{usage}"
                        ));
                    };
                    if f == 'I' {
                        o.interface = Some(v.to_string());
                    } else {
                        // getopt32's `t:+`: a non-negative number; setsockopt(IP_TTL)
                        // ignores what is past 255, and 0 leaves the default.
                        let ttl = v
                            .parse::<u32>()
                            .map_err(|_| format!("{applet}: invalid number '{v}'\n"))?;
                        o.ttl = u8::try_from(ttl).ok().filter(|t| *t > 0);
                    }
                    break;
                }
                'c' | 'w' | 'W' | 'i' | 's' => {
                    let rest = &flags[i + 1..];
                    let v = if rest.is_empty() {
                        it.next()
                    } else {
                        Some(rest)
                    };
                    let x = number(v, f)?;
                    match f {
                        // busybox: a count of 0 means no limit.
                        'c' => o.count = Some(x as u64).filter(|c| *c > 0),
                        // busybox: -w 0 is no deadline.
                        'w' => o.deadline = Some(seconds(x)).filter(|d| !d.is_zero()),
                        'W' => o.timeout = seconds(x),
                        'i' => o.interval = seconds(x),
                        _ => o.size = x as usize,
                    }
                    break;
                }
                other => return Err(format!("{applet}: invalid option -- '{other}'\n{usage}")),
            }
        }
    }
    let host = host.ok_or_else(|| usage.clone())?;
    o.family = if v6 {
        Family::V6
    } else if v4 {
        Family::V4
    } else {
        Family::Any
    };
    Ok((o, host))
}

/// A number of seconds from the command line, to the microsecond.
fn seconds(x: f64) -> Duration {
    Duration((x * 1e6) as u64)
}

/// busybox's usage line for `applet` (`ping` or `ping6`).
fn usage(applet: &str) -> String {
    format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: {applet} [OPTIONS] HOST\n")
}

/// Which addresses a name is looked up for: `-4`, `-6` (`ping6`), or either.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    /// AF_UNSPEC: IPv4 first (busybox's FEATURE_PREFER_IPV4_ADDRESS), else IPv6.
    #[default]
    Any,
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

/// busybox's `MAXWAIT`: the default `-W`.
pub const MAXWAIT_SECS: u64 = 10;

/// How to ping.
#[derive(Clone, Debug, PartialEq)]
pub struct PingOptions {
    /// `-c`: requests to send.
    pub count: Option<u64>,
    /// `-w`: stop after this long.
    pub deadline: Option<Duration>,
    /// `-W`: how long to wait for a reply after the last request.
    pub timeout: Duration,
    /// `-i`: between requests.
    pub interval: Duration,
    /// `-s`: data bytes.
    pub size: usize,
    /// `-q`: only the header and the statistics.
    pub quiet: bool,
    /// `-f`: flood; send the next request as soon as a reply is in.
    pub flood: bool,
    /// `-t`: the requests' TTL (the system's 64 when unset).
    pub ttl: Option<u8>,
    /// `-I`: the interface (by name, or by one of its addresses) to send from.
    pub interface: Option<String>,
    /// `-4`/`-6`.
    pub family: Family,
    /// The interface an IPv6 literal named (`fe80::1%eth0`): its index and name.
    pub scope: Option<(usize, String)>,
}

impl Default for PingOptions {
    fn default() -> PingOptions {
        PingOptions {
            count: None,
            deadline: None,
            timeout: Duration::from_secs(MAXWAIT_SECS),
            interval: Duration::from_secs(1),
            size: 56,
            quiet: false,
            flood: false,
            ttl: None,
            interface: None,
            family: Family::Any,
            scope: None,
        }
    }
}

/// What a ping run printed and how it exited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingResult {
    /// Standard output.
    pub stdout: String,
    /// busybox's status: 0 if any reply came back, else 1.
    pub code: i32,
}

/// A round trip as busybox prints it: milliseconds with three decimals.
fn ms(d: Duration) -> String {
    let us = d.as_micros();
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// busybox's counts and its way of printing them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Requests sent.
    pub sent: u64,
    /// Replies received.
    pub received: u64,
    tmin: Duration,
    tmax: Duration,
    tsum: Duration,
}

impl Tally {
    /// The first line: `PING name (a.b.c.d): 56 data bytes`.
    pub fn header(shown: &str, target: IpAddr, o: &PingOptions) -> String {
        // `-I ADDRESS` names the source, when of the target's family.
        let from = o
            .interface
            .as_deref()
            .and_then(|i| i.parse::<IpAddr>().ok())
            .filter(|a| a.is_ipv4() == target.is_ipv4())
            .map(|a| format!(" from {a}"))
            .unwrap_or_default();
        let scope = o
            .scope
            .as_ref()
            .map(|(_, d)| format!("%{d}"))
            .unwrap_or_default();
        format!(
            "PING {shown} ({target}{scope}){from}: {} data bytes\n",
            o.size
        )
    }

    /// Counts a reply.
    pub fn record(&mut self, rtt: Duration) {
        if self.received == 0 {
            self.tmin = rtt;
        }
        self.received += 1;
        self.tmin = self.tmin.min(rtt);
        self.tmax = self.tmax.max(rtt);
        self.tsum = self.tsum + rtt;
    }

    /// A reply's line.
    pub fn reply_line(size: usize, from: IpAddr, seq: u16, ttl: u8, rtt: Duration) -> String {
        format!(
            "{} bytes from {from}: seq={seq} ttl={ttl} time={} ms\n",
            size + 8,
            ms(rtt)
        )
    }

    /// The statistics block.
    pub fn statistics(&self, shown: &str) -> String {
        let loss = ((self.sent - self.received) * 100)
            .checked_div(self.sent)
            .unwrap_or(0);
        let mut out = format!(
            "\n--- {shown} ping statistics ---\n{} packets transmitted, {} packets received, {loss}% packet loss\n",
            self.sent, self.received
        );
        if let Some(avg) = self.tsum.as_micros().checked_div(self.received) {
            out.push_str(&format!(
                "round-trip min/avg/max = {}/{}/{} ms\n",
                ms(self.tmin),
                ms(Duration(avg)),
                ms(self.tmax)
            ));
        }
        out
    }

    /// busybox's exit status.
    pub fn code(&self) -> i32 {
        if self.received > 0 { 0 } else { 1 }
    }

    /// The longest round trip so far.
    pub fn tmax(&self) -> Duration {
        self.tmax
    }
}

/// Pings `target` from NIC `nic`; `shown` is the name as the user typed it.
pub fn ping(
    world: &mut World,
    nic: NicId,
    target: Ipv4Address,
    shown: &str,
    o: &PingOptions,
) -> PingResult {
    let mut out = Output::new(&ExecOptions::default());
    let code = ping_on(world, nic, target.into(), shown, o, &mut out, false);
    PingResult {
        stdout: out.finish().0,
        code,
    }
}

/// Pings as [`ping`] does, writing to `out` as replies come, and stopping when `out` is
/// interrupted (busybox's SIGINT handler: the statistics, then the status); `paced` waits
/// for the wall clock before each request. Returns busybox's status.
fn ping_on(
    world: &mut World,
    nic: NicId,
    target: IpAddr,
    shown: &str,
    o: &PingOptions,
    out: &mut Output,
    paced: bool,
) -> i32 {
    let ident = (world.rng_u64() & 0xffff) as u16;
    let h = world.nic_mut(nic).icmp_socket(ident);
    if let Some(ttl) = o.ttl {
        world.nic_mut(nic).icmp(h).set_hop_limit(Some(ttl));
    }
    let caps = ChecksumCapabilities::default();
    let start = world.now();
    out.push(&Tally::header(shown, target, o));
    let mut tally = Tally::default();
    let data = vec![0u8; o.size];
    // When each sequence number (16 bits) last went out: a reply is for the latest request
    // that carried its number.
    let mut sent_at: Vec<Instant> = Vec::new();
    let mut next_send = Some(start);
    // busybox checks its deadline when it would send; after the last request it waits as -c
    // says (-W, or two round trips).
    let deadline = o.deadline.map(|d| start + d);
    let mut stop_at: Option<Instant> = None;
    let flood_gap = Duration::from_millis(10);
    loop {
        if out.stopped() || world.budget_exceeded().is_some() {
            break;
        }
        let ev = world.next_event_time();
        if let (Some(s), Some(d)) = (next_send, deadline)
            && s >= d
        {
            // The next request would go out at or after the deadline: stop there.
            next_send = None;
            stop_at = Some(stop_at.map_or(d, |x| x.min(d)));
        }
        let send = next_send.filter(|s| ev.is_none_or(|e| *s <= e));
        // The deadline comes first at equal times (busybox's alarm fires before the next send).
        let due = [send, ev].into_iter().flatten().min();
        if let Some(stop) = stop_at
            && due.is_none_or(|d| d >= stop)
        {
            world.run_until(stop);
            break;
        }
        let Some(due) = due else { break };
        if send == Some(due) {
            if paced {
                out.pace(due - start);
                if out.stopped() {
                    break;
                }
            }
            world.advance_to(due);
            let seq = tally.sent as u16;
            // A full socket buffer (requests waiting for ARP) drops the request; the
            // sequence number moves on, as busybox's does.
            let socket = world.nic_mut(nic).icmp(h);
            match target {
                IpAddr::V4(t) => {
                    let req = Icmpv4Repr::EchoRequest {
                        ident,
                        seq_no: seq,
                        data: &data,
                    };
                    if let Ok(buf) = socket.send(req.buffer_len(), t.into()) {
                        req.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
                    }
                }
                IpAddr::V6(t) => {
                    let req = Icmpv6Repr::EchoRequest {
                        ident,
                        seq_no: seq,
                        data: &data,
                    };
                    // The socket writes the source and the checksum when it sends.
                    if let Ok(buf) = socket.send(req.buffer_len(), t.into()) {
                        let (src, none) = (Ipv6Addr::UNSPECIFIED, ChecksumCapabilities::ignored());
                        req.emit(&src, &t, &mut Icmpv6Packet::new_unchecked(buf), &none);
                    }
                }
            }
            match sent_at.get_mut(usize::from(seq)) {
                Some(t) => *t = due,
                None => sent_at.push(due),
            }
            tally.sent += 1;
            world.poll(nic);
            // A zero interval disarms busybox's timer: one request, unless flooding.
            let all_sent =
                o.count.is_some_and(|c| tally.sent >= c) || (o.interval.is_zero() && !o.flood);
            next_send = if all_sent {
                // Wait for the last replies: busybox's `tmax / (512*1024)` seconds (about two
                // round trips, at least 1 s) if any came, else -W.
                let expire = if tally.received > 0 {
                    Duration::from_secs((tally.tmax().as_micros() / (512 * 1024)).max(1))
                } else {
                    o.timeout
                };
                let end = due + expire;
                stop_at = Some(stop_at.map_or(end, |s| s.min(end)));
                None
            } else if o.flood {
                Some(due + flood_gap)
            } else {
                Some(due + o.interval)
            };
        } else {
            world.step();
        }
        // Collect replies.
        while let Ok((payload, from)) = world.nic_mut(nic).icmp(h).recv() {
            let Some((id, seq_no)) = echo_reply(payload, from, &caps) else {
                continue;
            };
            // Sequence numbers are 16 bits and wrap: the reply is for the latest request
            // that carried this number.
            if id != ident {
                continue;
            }
            let Some(&t0) = sent_at.get(usize::from(seq_no)) else {
                continue;
            };
            let rtt = world.now() - t0;
            tally.record(rtt);
            if !o.quiet && !o.flood {
                out.push(&Tally::reply_line(
                    o.size,
                    target,
                    seq_no,
                    world.last_ttl(nic),
                    rtt,
                ));
            }
            if o.flood && next_send.is_some() {
                next_send = Some(world.now());
            }
        }
        if o.count.is_some_and(|c| tally.received >= c) {
            break;
        }
    }
    out.push(&tally.statistics(shown));
    // busybox: status 1 with no reply, or with a deadline and fewer replies than -c asked.
    let short = o.deadline.is_some() && o.count.is_some_and(|c| tally.received < c);
    if short { 1 } else { tally.code() }
}

/// The identifier and sequence number of an echo reply from `from` (ICMP or ICMPv6; the
/// stack checked the checksum).
fn echo_reply(payload: &[u8], from: IpAddress, caps: &ChecksumCapabilities) -> Option<(u16, u16)> {
    match from {
        IpAddress::Ipv4(_) => {
            let pkt = Icmpv4Packet::new_checked(payload).ok()?;
            match Icmpv4Repr::parse(&pkt, caps).ok()? {
                Icmpv4Repr::EchoReply { ident, seq_no, .. } => Some((ident, seq_no)),
                _ => None,
            }
        }
        IpAddress::Ipv6(src) => {
            let pkt = Icmpv6Packet::new_checked(payload).ok()?;
            let none = ChecksumCapabilities::ignored();
            match Icmpv6Repr::parse(&src, &Ipv6Addr::UNSPECIFIED, &pkt, &none).ok()? {
                Icmpv6Repr::EchoReply { ident, seq_no, .. } => Some((ident, seq_no)),
                _ => None,
            }
        }
    }
}

/// A ping that never leaves the container: loopback, 98-byte frames on `lo` (118 for
/// IPv6), timed here and counted against `world`'s budget.
fn ping_local(
    sb: &mut Sandbox,
    world: &mut World,
    target: IpAddr,
    host: &str,
    o: &PingOptions,
    out: &mut Output,
    paced: bool,
) -> i32 {
    out.push(&Tally::header(host, target, o));
    let mut tally = Tally::default();
    let start = world.now();
    let end = o.deadline.map(|d| start + d);
    let mut t = start;
    loop {
        if paced {
            out.pace(t - start);
        }
        if out.stopped() || world.budget_exceeded().is_some() {
            break;
        }
        if let Some(e) = end
            && t >= e
        {
            t = e;
            break;
        }
        tally.sent += 1;
        let rtt = Duration(15 + sb.draw("loopback", 10));
        tally.record(rtt);
        if !o.quiet {
            out.push(&Tally::reply_line(
                o.size,
                target,
                (tally.sent - 1) as u16,
                64,
                rtt,
            ));
        }
        // The request and the reply, each out on `lo` and so back in.
        let ip_header = if target.is_ipv4() { 20 } else { 40 };
        let frame = o.size + 8 + ip_header + 14;
        for _ in 0..2 {
            sb.count_lo(frame);
        }
        if o.count.is_some_and(|c| tally.sent >= c) || (o.interval.is_zero() && !o.flood) {
            t = t + rtt;
            break;
        }
        t = t + o.interval;
        world.charge(2);
        world.advance_to(t);
    }
    world.advance_to(t);
    sb.advance_to(world.now());
    out.push(&tally.statistics(host));
    tally.code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{NIC0, two_on_a_bridge};
    use crate::engine::{BridgeNode, BridgeSpec, NicSpec};

    fn ip(s: &str) -> Ipv4Address {
        s.parse().unwrap()
    }

    #[test]
    fn ping_options() {
        let (o, h) = parse_ping("ping", &["-w", "4", "container3"]).unwrap();
        assert_eq!(
            (o.deadline, h.as_str()),
            (Some(Duration::from_secs(4)), "container3")
        );
        let (o, _) = parse_ping("ping", &["-c2", "-qi", "0.5", "x"]).unwrap();
        assert_eq!(
            (o.count, o.quiet, o.interval),
            (Some(2), true, Duration::from_millis(500))
        );
        assert!(
            parse_ping("ping", &["-c", "x", "h"])
                .unwrap_err()
                .contains("invalid number 'x'")
        );
        assert!(parse_ping("ping", &["-z", "h"]).is_err());
    }

    #[test]
    fn ping_across_a_bridge() {
        let mut w = two_on_a_bridge(true);
        w.enable_trace();
        let o = PingOptions {
            count: Some(2),
            ..Default::default()
        };
        let r = ping(&mut w, NIC0, ip("172.25.3.3"), "172.25.3.3", &o);
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert!(
            r.stdout
                .contains("2 packets transmitted, 2 packets received, 0% packet loss"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("64 bytes from 172.25.3.3: seq=1 ttl=64 time=0."),
            "{}",
            r.stdout
        );
        let t = w.trace_lines().join("\n");
        assert!(
            t.contains("ARP, Request who-has 172.25.3.3 tell 172.25.0.2"),
            "{t}"
        );
        assert!(t.contains("ICMP echo reply"), "{t}");
        // ARP request + 2 echo requests out; ARP reply + 2 echo replies in.
        assert_eq!(w.counters(NIC0).tx_packets, 3);
        assert_eq!(w.counters(NIC0).rx_packets, 3);
        assert_eq!(w.neighbors(NIC0)[0].0, ip("172.25.3.3"));
        // Same seed, same bytes.
        let mut w2 = two_on_a_bridge(true);
        assert_eq!(ping(&mut w2, NIC0, ip("172.25.3.3"), "172.25.3.3", &o), r);
    }

    #[test]
    fn gateway_answers_and_icc_off_blocks_peers() {
        let mut w = two_on_a_bridge(false);
        let o = PingOptions {
            count: Some(1),
            timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let r = ping(&mut w, NIC0, ip("172.25.0.1"), "172.25.0.1", &o);
        assert_eq!(r.code, 0, "{}", r.stdout);
        let r = ping(&mut w, NIC0, ip("172.25.3.3"), "172.25.3.3", &o);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stdout
                .contains("1 packets transmitted, 0 packets received, 100% packet loss")
        );
    }

    #[test]
    fn stacks_are_built_only_when_needed() {
        let mut w = World::new(3, "lazy", Instant(1_000_000));
        let b = w.add_bridge(BridgeSpec {
            name: "big".into(),
            gateway: Some(ip("10.0.0.1")),
            gateway6: None,
            host_mac: [2, 0x42, 9, 9, 9, 9],
            icc: true,
            icc_allow: Vec::new(),
            link: Default::default(),
            node: BridgeNode::Host,
        });
        for i in 0..100u8 {
            w.add_nic(NicSpec {
                container: format!("c{i}"),
                ifname: "eth0".into(),
                bridge: b,
                mac: [2, 0x42, 10, 0, 0, 2 + i],
                ipv4: (Ipv4Address::new(10, 0, 0, 2 + i), 24),
                extra: Vec::new(),
                gateway: Some(ip("10.0.0.1")),
                routes: Vec::new(),
                counters: Default::default(),
                neighbors: Vec::new(),
                ipv6: Vec::new(),
                gateway6: None,
                neighbors6: Vec::new(),
                mtu: crate::stack::MTU,
            });
        }
        let o = PingOptions {
            count: Some(1),
            ..Default::default()
        };
        // The gateway: only the sender's stack; the flooded ARP request still counts on
        // every port.
        assert_eq!(ping(&mut w, NIC0, ip("10.0.0.1"), "gw", &o).code, 0);
        assert_eq!(w.stacks_built(), 1);
        assert_eq!(w.counters(NicId::new(57).unwrap()).rx_packets, 1);
        // A peer: its stack too.
        assert_eq!(ping(&mut w, NIC0, ip("10.0.0.60"), "peer", &o).code, 0);
        assert_eq!(w.stacks_built(), 2);
    }

    #[test]
    fn deadline_stops_at_four_seconds() {
        let mut w = two_on_a_bridge(true);
        let start = w.now();
        let o = PingOptions {
            deadline: Some(Duration::from_secs(4)),
            ..Default::default()
        };
        let r = ping(&mut w, NIC0, ip("172.25.3.3"), "container3", &o);
        assert!(
            r.stdout
                .starts_with("PING container3 (172.25.3.3): 56 data bytes\n")
        );
        assert!(
            r.stdout
                .contains("4 packets transmitted, 4 packets received"),
            "{}",
            r.stdout
        );
        assert_eq!(w.now() - start, Duration::from_secs(4));
    }
}
