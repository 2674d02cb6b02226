//! `traceroute [-nl] [-f 1ST_TTL] [-m MAXTTL] [-q PROBES] [-p PORT] [-w WAIT_SEC] HOST
//! [BYTES]` (networking/traceroute.c, UDP probes): for each TTL from the first, `PROBES`
//! datagrams of BYTES (46: IP, UDP and busybox's 18-byte `outdata_t`) to ports 33434 + 1,
//! 2, ..., each waited for up to WAIT_SEC (5) seconds. A router whose TTL runs out answers
//! ICMP time exceeded; the destination answers port unreachable, and the trace ends. A line
//! per TTL: `%2d`, then per probe the answering hop (`  NAME (IP)`, by reverse lookup
//! unless `-n`, printed when it changes) and `  N.NNN ms`, or `  *` for silence, with
//! busybox's marks for unreachables (`!H`, `!N`, `!F-MTU`, ...).
//!
//! The probes go through the container's own stack (smoltcp) and every hop is a simulated
//! container forwarding them ([`crate::engine::router`]); nothing here knows the path.

use super::applet::{ExecOptions, ExecResult, Getopt, Output, finish};
use crate::docker::sandbox::Sandbox;
use crate::time::Duration;
use std::net::Ipv4Addr;

const USAGE: &str = "[-46Flnrv] [-f 1ST_TTL] [-m MAXTTL] [-q PROBES] [-p PORT]\n\t[-t TOS] [-w WAIT_SEC] [-s SRC_IP] [-i IFACE]\n\t[-z PAUSE_MSEC] HOST [BYTES]";

/// IP + UDP + `struct outdata_t` (seq, ttl, a 16-byte timeval).
const PACKLEN: u32 = 20 + 8 + 18;

/// Probes a run sends at most (vnet's bound: `-m 255 -q N` would otherwise let a user ask
/// for any number of 5-second waits).
const MAX_PROBES: u32 = 10_000;

/// xatou_range: a number in `lo..=hi`, or busybox's message.
fn number(s: &str, lo: u32, hi: u32) -> Result<u32, Box<ExecResult>> {
    let fail = |m: String| Box::new(ExecResult::err(format!("traceroute: {m}\n"), 1));
    let n: u64 = s
        .parse()
        .map_err(|_| fail(format!("invalid number '{s}'")))?;
    if n < u64::from(lo) || n > u64::from(hi) {
        return Err(fail(format!("number {s} is not in {lo}..{hi} range")));
    }
    Ok(n as u32)
}

struct Options {
    numeric: bool,
    show_ttl: bool,
    first: u32,
    max: u32,
    probes: u32,
    port: u16,
    wait: Duration,
    packlen: u32,
}

fn options(g: &Getopt) -> Result<Options, Box<ExecResult>> {
    let max = g.value('m').map_or(Ok(30), |v| number(v, 1, 255))?;
    let o = Options {
        numeric: g.has('n'),
        show_ttl: g.has('l'),
        max,
        first: g.value('f').map_or(Ok(1), |v| number(v, 1, max))?,
        probes: g
            .value('q')
            .map_or(Ok(3), |v| number(v, 1, i32::MAX as u32))?,
        port: g.value('p').map_or(Ok(33434), |v| number(v, 0, 65535))? as u16,
        wait: Duration::from_secs(u64::from(
            g.value('w').map_or(Ok(5), |v| number(v, 1, 24 * 60 * 60))?,
        )),
        packlen: g
            .operands
            .get(1)
            .map_or(Ok(PACKLEN), |v| number(v, PACKLEN, 32 * 1024))?,
    };
    Ok(o)
}

/// Runs `traceroute ARGS`.
pub fn run(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    let g = match Getopt::parse("traceroute", args, "46IFlnrvd", "tim pqswzf", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if let Some(f) = ['6', 'I', 'F', 'r', 'v', 'd', 't', 'i', 's', 'z']
        .into_iter()
        .find(|f| g.has(*f) || g.value(*f).is_some())
    {
        return super::applet::not_simulated("traceroute", Some(&format!("-{f}")), args);
    }
    let Some(host) = g.operands.first().copied() else {
        return ExecResult::err(
            format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: traceroute {USAGE}\n"),
            1,
        );
    };
    let o = match options(&g) {
        Ok(o) => o,
        Err(e) => return *e,
    };
    if o.packlen > PACKLEN + 1400 {
        return super::applet::not_simulated("traceroute", Some("BYTES past one frame"), args);
    }
    if sb.host_network() {
        return super::applet::host_network();
    }
    let mut world = super::socket::world(sb, opts);
    let Some(ip) = super::nslookup::resolve_host(sb, &mut world, host) else {
        let r = ExecResult::err(format!("traceroute: bad address '{host}'\n"), 1);
        return finish(sb, &world, r);
    };
    // The raw ICMP socket that hears the answers: CAP_NET_RAW.
    if !sb.capable("CAP_NET_RAW") {
        let r = ExecResult::err("traceroute: socket: Operation not permitted\n".into(), 1);
        return finish(sb, &world, r);
    }
    if ip.is_loopback() || sb.ifaces().iter().any(|i| i.holds(ip)) {
        let r = super::applet::not_simulated("traceroute", Some("its own address"), args);
        return finish(sb, &world, r);
    }
    let Some(nic) = sb.route(ip).and_then(|k| sb.nic(k)) else {
        let r = ExecResult::err(
            format!(
                "traceroute: connect: {}\n",
                super::applet::strerror(sb, super::applet::Errno::NetUnreach)
            ),
            1,
        );
        return finish(sb, &world, r);
    };
    let mut out = Output::new(opts);
    out.push(&format!(
        "traceroute to {host} ({ip}), {} hops max, {} byte packets\n",
        o.max, o.packlen
    ));
    let local = 32768 + sb.draw("udp/port", 28232) as u16;
    let (udp, icmp) = {
        let n = world.nic_mut(nic);
        (n.udp_socket(local), n.icmp_errors_socket(local))
    };
    let payload = vec![0u8; (o.packlen - 28) as usize];
    let mut seq: u32 = 0;
    let mut last: Option<Ipv4Addr> = None;
    let mut stopped = false;
    'ttls: for ttl in o.first..=o.max {
        out.push(&format!("{ttl:2}"));
        let (mut got_there, mut unreachable) = (false, 0);
        for probe in 0..o.probes {
            if seq >= MAX_PROBES {
                out.push("\n");
                stopped = true;
                break 'ttls;
            }
            seq += 1;
            let dport = o.port.wrapping_add(seq as u16);
            let s = world.nic_mut(nic).udp(udp);
            s.set_hop_limit(Some(ttl as u8));
            // The socket holds 64 datagrams; a probe is sent before the next is queued.
            let _ = s.send_slice(&payload, (ip, dport));
            world.poll(nic);
            let t1 = world.now();
            let deadline = t1 + o.wait;
            let answer = loop {
                world.run_while(deadline, |w| !w.nic_mut(nic).icmp(icmp).can_recv());
                let Ok((msg, from)) = world.nic_mut(nic).icmp(icmp).recv() else {
                    break None;
                };
                // The socket is bound to an IPv4 probe's port: only ICMPv4 errors reach it.
                let smoltcp::wire::IpAddress::Ipv4(from) = from else {
                    continue;
                };
                if let Some(kind) = matches(msg, dport) {
                    break Some((from, kind, world.last_ttl(nic)));
                }
            };
            let Some((from, (typ, code, mtu), reply_ttl)) = answer else {
                out.push("  *");
                continue;
            };
            let t2 = world.now();
            if probe == 0 || last != Some(from) {
                let shown = if o.numeric {
                    format!("  {from}")
                } else {
                    let name = super::nslookup::reverse_host(sb, &mut world, from.into());
                    format!("  {} ({from})", name.unwrap_or_else(|| from.to_string()))
                };
                out.push(&shown);
                last = Some(from);
            }
            let us = (t2 - t1).as_micros();
            out.push(&format!("  {}.{:03} ms", us / 1000, us % 1000));
            if o.show_ttl {
                out.push(&format!(" ({reply_ttl})"));
            }
            if typ == 11 {
                continue;
            }
            match code {
                3 => {
                    if reply_ttl <= 1 {
                        out.push(" !");
                    }
                    got_there = true;
                }
                2 => {
                    out.push(" !P");
                    got_there = true;
                }
                c => {
                    // busybox's marks by code (traceroute.c, after ICMP_UNREACH_*).
                    let mark = match c {
                        0 => "!N".to_string(),
                        1 => "!H".to_string(),
                        4 => format!("!F-{mtu}"),
                        5 => "!S".to_string(),
                        9 | 13 => "!A".to_string(),
                        10 | 15 => "!C".to_string(),
                        14 => "!V".to_string(),
                        6 | 7 => "!U".to_string(),
                        8 => "!I".to_string(),
                        11 | 12 => "!T".to_string(),
                        _ => format!("!<{c}>"),
                    };
                    out.push(&format!(" {mark}"));
                    unreachable += 1;
                }
            }
        }
        out.push("\n");
        if got_there || (unreachable > 0 && unreachable >= o.probes - 1) {
            break;
        }
    }
    let (stdout, full) = out.finish();
    let mut stderr = full.unwrap_or_default();
    if stopped {
        stderr.push_str(&format!(
            "vnet: traceroute stopped after {MAX_PROBES} probes (vnet's bound)\n"
        ));
    }
    let r = ExecResult {
        stdout,
        stderr,
        ..Default::default()
    };
    finish(sb, &world, r)
}

/// packet4_ok for a UDP probe: an ICMP time exceeded in transit or destination unreachable
/// quoting a UDP datagram to `dport`. Returns (type, code, the next-hop MTU field).
fn matches(msg: &[u8], dport: u16) -> Option<(u8, u8, u16)> {
    let (&typ, &code) = (msg.first()?, msg.get(1)?);
    if !((typ == 11 && code == 0) || typ == 3) {
        return None;
    }
    let quoted = msg.get(8..)?;
    let hlen = usize::from(quoted.first()? & 0x0f) * 4;
    if *quoted.get(9)? != 17 {
        return None;
    }
    let port = quoted.get(hlen + 2..hlen + 4)?;
    let mtu = msg.get(6..8)?;
    (port == dport.to_be_bytes()).then_some((
        typ,
        code,
        u16::from_be_bytes([*mtu.first()?, *mtu.get(1)?]),
    ))
}
