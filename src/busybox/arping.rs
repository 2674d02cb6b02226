//! `arping [-fqbDUA] [-c CNT] [-w TIMEOUT] [-I IFACE] [-s SRC_IP] DST_IP`
//! (networking/arping.c): ARP requests from a packet socket on one interface (`eth0` by
//! default), a line for each answer that comes back, and the tally.
//!
//! Its clock is busybox's: a tick a second (`alarm(1)`), a probe at a tick if the last went
//! out more than half a second before; `-c N` ends at the tick after the Nth probe, `-w S`
//! at the first tick past S.5 seconds, `-f` (and `-D`) at the first answer. After an answer
//! the probes go unicast to the MAC that answered (`-b` keeps broadcasting). `-D` probes
//! from 0.0.0.0 (duplicate address detection: status 1 if anyone answers), `-U` and `-A`
//! announce the source address (gratuitous request, or reply). busybox's quirks are kept:
//! with `-c` the broadcasts are not counted (the option's bit is the one "unicasting"
//! uses), and an answer naming another target address prints `for ADDR` with no space.
//!
//! Answers are real: the target's stack replies to the request that crossed the bridge,
//! and the kernel's answer to a probe from 0.0.0.0 (which smoltcp does not give) is the
//! engine's (see `World::answer_dad`). Without `-c` or `-w` it runs until interrupted,
//! paced to the wall clock, on a terminal only (with `-f` or `-D`, elsewhere too, until the
//! command's budget of virtual time if nobody answers).

use super::applet::{Errno, ExecOptions, ExecResult, Getopt, Output, finish, strerror};
use super::nslookup::resolve_host;
use crate::docker::sandbox::Sandbox;
use crate::engine::World;
use crate::engine::taps::Sniffed;
use crate::time::{Duration, Instant};
use smoltcp::wire::ArpOperation;
use std::net::Ipv4Addr;

const USAGE: &str = "[-fqbDUA] [-c CNT] [-w TIMEOUT] [-I IFACE] [-s SRC_IP] DST_IP";

/// busybox's `-w` bound, `INT_MAX/2000000` seconds.
const MAX_TIMEOUT: u64 = 1073;

/// The options, as flags.
struct Mode {
    quiet: bool,
    quit_on_reply: bool,
    bcast_only: bool,
    dad: bool,
    unsolicited: bool,
    advert: bool,
    /// `-c` was given: its option bit is the one busybox tests for "unicasting".
    count_given: bool,
}

/// What one run counted.
#[derive(Default)]
struct Tally {
    sent: u32,
    brd_sent: u32,
    received: u32,
    brd_recv: u32,
    req_recv: u32,
}

fn usage() -> ExecResult {
    ExecResult::err(
        format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: arping {USAGE}\n"),
        1,
    )
}

/// libbb's `xatou_range(s, 0, max)`: digits only (no sign, no space), else its words.
fn xatou_range(s: &str, max: u64) -> Result<u64, Box<ExecResult>> {
    match super::applet::strtou(s) {
        Some(n) if n <= max => Ok(n),
        // All digits but too big (for u64 too): out of range, as strtoull's ERANGE.
        _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Err(Box::new(
            ExecResult::err(format!("arping: number {s} is not in 0..{max} range\n"), 1),
        )),
        _ => Err(Box::new(ExecResult::err(
            format!("arping: invalid number '{s}'\n"),
            1,
        ))),
    }
}

fn fail(msg: String) -> ExecResult {
    ExecResult::err(format!("arping: {msg}\n"), 2)
}

/// Runs `arping ARGS` in the container.
pub fn run(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    // Its packet socket comes first, before the options are read: CAP_NET_RAW.
    if !sb.capable("CAP_NET_RAW") {
        return ExecResult::err("arping: socket: Operation not permitted\n".into(), 1);
    }
    let g = match Getopt::parse("arping", args, "UDAqfb", "cwIs", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    let [target] = g.operands.as_slice() else {
        return usage();
    };
    let mut count: Option<u64> = None;
    if let Some(c) = g.value('c') {
        // getopt32's `c:+`: xatoi_positive.
        match xatou_range(c, i32::MAX as u64) {
            Ok(n) => count = Some(n),
            Err(e) => return *e,
        }
    }
    let mut timeout = None;
    if let Some(w) = g.value('w') {
        match xatou_range(w, MAX_TIMEOUT) {
            Ok(n) => timeout = Some(Duration::from_secs(n) + Duration::from_millis(500)),
            Err(e) => return *e,
        }
    }
    let advert = g.has('A');
    let dad = g.has('D');
    let mode = Mode {
        quiet: g.has('q'),
        quit_on_reply: g.has('f') || dad,
        bcast_only: g.has('b'),
        dad,
        unsolicited: g.has('U') || advert,
        advert,
        count_given: count.is_some(),
    };
    // Only an interrupt ends it (or, with -f, an answer that may never come).
    if count.is_none() && timeout.is_none() && !mode.quit_on_reply && opts.terminal.is_none() {
        return ExecResult::err(
            "vnet: arping would run until interrupted; give -c COUNT or -w SECONDS\n".into(),
            1,
        );
    }
    if sb.host_network() {
        return super::applet::host_network();
    }
    // The world first: it reads the container's interfaces.
    let mut world = sb.world(opts.trace, opts.capture);
    let device = g.value('I').unwrap_or("eth0");
    if device == "lo" {
        let mut r = fail("interface lo is not ARPable".into());
        r.code = if mode.dad { 0 } else { 2 };
        return finish(sb, &world, r);
    }
    let found = sb
        .ifaces()
        .iter()
        .enumerate()
        .find_map(|(k, i)| (i.name == device).then_some((k, i.up, i.ip, i.len, i.mac)));
    let not_found = || fail(format!("interface {device} not found: No such device"));
    let Some((k, up, own_ip, own_len, own_mac)) = found else {
        return finish(sb, &world, not_found());
    };
    if !up {
        return finish(sb, &world, fail(format!("interface {device} is down")));
    }
    let Some(nic) = sb.nic(k) else {
        return finish(sb, &world, not_found());
    };
    let Some(dst) = resolve_host(sb, &mut world, target) else {
        return finish(sb, &world, fail(format!("bad address '{target}'")));
    };
    let mut src = Ipv4Addr::UNSPECIFIED;
    if let Some(s) = g.value('s') {
        match s.parse::<Ipv4Addr>() {
            Ok(a) => src = a,
            Err(_) => return finish(sb, &world, fail(format!("invalid source address {s}"))),
        }
    }
    if mode.unsolicited && !mode.dad && src.is_unspecified() {
        src = dst;
    }
    if !mode.dad || !src.is_unspecified() {
        // A subnet's broadcast address (none on a /31 or /32).
        let broadcast = |i: Ipv4Addr, len: u8| {
            (len < 31).then(|| Ipv4Addr::from(u32::from(i) | !crate::wire::netmask(len)))
        };
        if src.is_unspecified() {
            // connect() of a UDP socket to a broadcast address without SO_BROADCAST.
            if dst.is_broadcast() || Some(dst) == broadcast(own_ip, own_len) {
                return finish(
                    sb,
                    &world,
                    fail(format!(
                        "can't connect to remote host ({dst}): Permission denied"
                    )),
                );
            }
            // The address a datagram to the target would leave the interface with.
            src = own_ip;
        } else if !src.is_loopback()
            && !src.is_multicast()
            && !src.is_broadcast()
            && !sb
                .ifaces()
                .iter()
                .any(|i| i.holds(src) || i.all().any(|(a, len)| broadcast(a, len) == Some(src)))
        {
            let e = strerror(sb, Errno::AddrNotAvail);
            return finish(sb, &world, fail(format!("bind: {e}")));
        }
    }
    let mut out = Output::new(opts);
    if !mode.quiet {
        out.push(&format!("ARPING {dst} from {src} {device}\n"));
    }
    // Without a terminal nothing interrupts it: the day of virtual time ends it instead.
    let paced = opts.realtime || (count.is_none() && timeout.is_none() && opts.terminal.is_some());
    if paced {
        world.unbounded_time();
    }
    let run = Run {
        mode,
        me: own_mac,
        he: [0xff; 6],
        src,
        dst,
        last: None,
        unicasting: false,
        tally: Tally::default(),
    };
    // Linux (arp_accept=0) creates no neighbour entry from a reply it did not ask for; it
    // only refreshes one it has. smoltcp learns from any reply to its address.
    let known = sb
        .neighbors()
        .iter()
        .any(|n| n.dev == device && n.ip == dst);
    let code = run.ping(&mut world, nic, count, timeout, paced, &mut out);
    if !known {
        world.forget_neighbor(nic, dst);
    }
    let (stdout, stopped) = out.finish();
    let r = ExecResult {
        stdout,
        stderr: stopped.unwrap_or_default(),
        code,
        ..Default::default()
    };
    finish(sb, &world, r)
}

/// One arping's state.
struct Run {
    mode: Mode,
    me: [u8; 6],
    /// Where probes go (the broadcast address, then the MAC that answered).
    he: [u8; 6],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    last: Option<Instant>,
    unicasting: bool,
    tally: Tally,
}

impl Run {
    /// The ticks and what comes between them; returns the status.
    fn ping(
        mut self,
        world: &mut World,
        nic: crate::engine::NicId,
        mut count: Option<u64>,
        timeout: Option<Duration>,
        paced: bool,
        out: &mut Output,
    ) -> i32 {
        let sniffer = world.sniff(nic);
        let start = world.now();
        let mut tick = start;
        loop {
            // catcher().
            if count == Some(0) || timeout.is_some_and(|t| tick - start > t) {
                return self.finish(out);
            }
            if let Some(c) = count.as_mut() {
                *c -= 1;
            }
            if self
                .last
                .is_none_or(|l| tick - l > Duration::from_millis(500))
            {
                self.send(world, nic);
                if count == Some(0) && self.mode.unsolicited {
                    return self.finish(out);
                }
            }
            // What arrives before the next tick.
            tick = tick + Duration::from_secs(1);
            while world.next_event_time().is_some_and(|t| t <= tick) {
                if !world.step() {
                    return self.finish(out);
                }
                for f in world.take_sniffed(sniffer) {
                    if self.receive(&f, out) && self.mode.quit_on_reply {
                        return self.finish(out);
                    }
                }
            }
            if world.budget_exceeded().is_some() {
                return self.finish(out);
            }
            world.advance_to(tick);
            if paced {
                out.pace(tick - start);
            }
            if out.stopped() {
                return self.finish(out);
            }
        }
    }

    /// `send_pack`.
    fn send(&mut self, world: &mut World, nic: crate::engine::NicId) {
        let (op, tha) = if self.mode.advert {
            (ArpOperation::Reply, self.me)
        } else {
            (ArpOperation::Request, self.he)
        };
        let mut buf = [0u8; 42];
        crate::engine::host::arp(op, (self.me, self.src), self.he, (tha, self.dst), &mut buf);
        world.send_frame(nic, &buf);
        self.last = Some(world.now());
        self.tally.sent += 1;
        if !(self.mode.count_given || self.unicasting) {
            self.tally.brd_sent += 1;
        }
    }

    /// `recv_pack`: whether `f` was an answer (counted and, unless quiet, printed).
    fn receive(&mut self, f: &Sniffed, out: &mut Output) -> bool {
        let frame = &f.frame;
        let (Some(eth_dst), Some(eth_src), Some(ah)) =
            (frame.get(0..6), frame.get(6..12), frame.get(14..))
        else {
            return false;
        };
        // Only what came in (the sniffer sees what the NIC sends too), of ARP.
        if eth_src == self.me || frame.get(12..14) != Some(&[0x08, 0x06]) {
            return false;
        }
        let host = eth_dst == self.me;
        let broadcast = eth_dst.first().is_some_and(|b| b & 1 == 1);
        if !host && !broadcast {
            return false;
        }
        let (Some(hdr), Some(sha), Some(sip), Some(tha), Some(tip)) = (
            ah.get(0..8),
            ah.get(8..14),
            ah.get(14..18),
            ah.get(18..24),
            ah.get(24..28),
        ) else {
            return false;
        };
        // Ethernet, IPv4, 6 and 4 byte addresses; a request or a reply.
        if hdr.get(0..6) != Some(&[0, 1, 8, 0, 6, 4]) {
            return false;
        }
        let reply = match hdr.get(6..8) {
            Some([0, 1]) => false,
            Some([0, 2]) => true,
            _ => return false,
        };
        let ip = |b: &[u8]| {
            <[u8; 4]>::try_from(b)
                .map(Ipv4Addr::from)
                .unwrap_or(Ipv4Addr::UNSPECIFIED)
        };
        let (sip, tip) = (ip(sip), ip(tip));
        if sip != self.dst {
            return false;
        }
        if !self.mode.dad {
            if self.src != tip || tha != self.me {
                return false;
            }
        } else if sha == self.me || (!self.src.is_unspecified() && self.src != tip) {
            return false;
        }
        if !self.mode.quiet {
            let mut line = format!(
                "{}cast re{} from {sip} [{}]",
                if host { "Uni" } else { "Broad" },
                if reply { "ply" } else { "quest" },
                mac(sha)
            );
            let mut s_printed = false;
            if tip != self.src {
                // busybox prints it without a space before.
                line.push_str(&format!("for {tip}"));
                s_printed = true;
            }
            if tha != self.me {
                if !s_printed {
                    line.push_str(" for");
                }
                line.push_str(&format!(" [{}]", mac(tha)));
            }
            match self.last {
                Some(l) => {
                    let us = (f.at - l).as_micros();
                    line.push_str(&format!(" {}.{:03}ms\n", us / 1000, us % 1000));
                }
                None => line.push_str(" UNSOLICITED?\n"),
            }
            out.push(&line);
        }
        self.tally.received += 1;
        if !host {
            self.tally.brd_recv += 1;
        }
        if !reply {
            self.tally.req_recv += 1;
        }
        if !self.mode.bcast_only {
            self.he.copy_from_slice(sha);
            self.unicasting = true;
        }
        true
    }

    /// `finish`: the tally, and the status.
    fn finish(&self, out: &mut Output) -> i32 {
        let t = &self.tally;
        if !self.mode.quiet {
            out.push(&format!(
                "Sent {} probe(s) ({} broadcast(s))\nReceived {} response(s) ({} request(s), {} broadcast(s))\n",
                t.sent, t.brd_sent, t.received, t.req_recv, t.brd_recv
            ));
        }
        if self.mode.dad {
            return i32::from(t.received > 0);
        }
        if self.mode.unsolicited {
            return 0;
        }
        i32::from(t.received == 0)
    }
}

/// A MAC address as `%02x:…`.
fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
