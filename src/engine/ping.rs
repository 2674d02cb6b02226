//! `ping`, as busybox's (networking/ping.c) runs and prints it, over a simulated stack.
//!
//! Echo requests go out of a smoltcp ICMP socket on the NIC the container's routing picked;
//! replies are whatever came back across the simulated wire, timed in virtual microseconds.
//! Timing rules are busybox's: one request per interval; with `-c N`, stop when N replies are
//! in, or, once all N are sent, after twice the longest round trip (at least 1 s) if any reply
//! came, else after `-W` (10 s); with `-w S`, stop at S seconds whatever happens.

use super::World;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, Ipv4Address};

/// busybox's `MAXWAIT`: the default `-W`.
pub const MAXWAIT_SECS: u64 = 10;

/// How to ping.
#[derive(Clone, Debug, PartialEq)]
pub struct PingOptions {
    /// `-c`: requests to send.
    pub count: Option<u64>,
    /// `-w`: stop after this many microseconds.
    pub deadline: Option<u64>,
    /// `-W`: how long to wait for a reply after the last request, microseconds.
    pub timeout: u64,
    /// `-i`: between requests, microseconds.
    pub interval: u64,
    /// `-s`: data bytes.
    pub size: usize,
    /// `-q`: only the header and the statistics.
    pub quiet: bool,
    /// `-f`: flood; send the next request as soon as a reply is in.
    pub flood: bool,
}

impl Default for PingOptions {
    fn default() -> PingOptions {
        PingOptions {
            count: None,
            deadline: None,
            timeout: MAXWAIT_SECS * 1_000_000,
            interval: 1_000_000,
            size: 56,
            quiet: false,
            flood: false,
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

fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// busybox's counts and its way of printing them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Requests sent.
    pub sent: u64,
    /// Replies received.
    pub received: u64,
    tmin: u64,
    tmax: u64,
    tsum: u64,
}

impl Tally {
    /// The first line: `PING name (a.b.c.d): 56 data bytes`.
    pub fn header(shown: &str, target: Ipv4Address, size: usize) -> String {
        format!("PING {shown} ({target}): {size} data bytes\n")
    }

    /// Counts a reply.
    pub fn record(&mut self, rtt: u64) {
        if self.received == 0 {
            self.tmin = rtt;
        }
        self.received += 1;
        self.tmin = self.tmin.min(rtt);
        self.tmax = self.tmax.max(rtt);
        self.tsum += rtt;
    }

    /// A reply's line.
    pub fn reply_line(size: usize, from: Ipv4Address, seq: u16, ttl: u8, rtt: u64) -> String {
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
        if let Some(avg) = self.tsum.checked_div(self.received) {
            out.push_str(&format!(
                "round-trip min/avg/max = {}/{}/{} ms\n",
                ms(self.tmin),
                ms(avg),
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
    pub fn tmax(&self) -> u64 {
        self.tmax
    }
}

/// Pings `target` from NIC `nic`; `shown` is the name as the user typed it.
pub fn ping(
    world: &mut World,
    nic: usize,
    target: Ipv4Address,
    shown: &str,
    o: &PingOptions,
) -> PingResult {
    let ident = (world.rng_u64() & 0xffff) as u16;
    let h = world.nic_mut(nic).icmp_socket(ident);
    let caps = ChecksumCapabilities::default();
    let start = world.now();
    let mut out = Tally::header(shown, target, o.size);
    let mut tally = Tally::default();
    let data = vec![0u8; o.size];
    let mut sent_at: Vec<u64> = Vec::new();
    let mut next_send = Some(start);
    // busybox checks its deadline when it would send; after the last request it waits as -c
    // says (-W, or two round trips).
    let deadline = o.deadline.map(|d| start.saturating_add(d));
    let mut stop_at: Option<u64> = None;
    let flood_gap = 10_000;
    loop {
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
            world.advance_to(due);
            let seq = sent_at.len() as u16;
            let req = Icmpv4Repr::EchoRequest {
                ident,
                seq_no: seq,
                data: &data,
            };
            // A full socket buffer (requests waiting for ARP) drops the request; the
            // sequence number moves on, as busybox's does.
            if let Ok(buf) = world
                .nic_mut(nic)
                .icmp(h)
                .send(req.buffer_len(), target.into())
            {
                req.emit(&mut Icmpv4Packet::new_unchecked(buf), &caps);
            }
            sent_at.push(due);
            tally.sent += 1;
            world.poll(nic);
            // A zero interval disarms busybox's timer: one request, unless flooding.
            let all_sent =
                o.count.is_some_and(|c| tally.sent >= c) || (o.interval == 0 && !o.flood);
            next_send = if all_sent {
                // Wait for the last replies: busybox's `tmax / (512*1024)` seconds (about two
                // round trips, at least 1 s) if any came, else -W.
                let expire = if tally.received > 0 {
                    (tally.tmax() / (512 * 1024)).max(1) * 1_000_000
                } else {
                    o.timeout
                };
                let end = due.saturating_add(expire);
                stop_at = Some(stop_at.map_or(end, |s| s.min(end)));
                None
            } else if o.flood {
                Some(due + flood_gap)
            } else {
                Some(due.saturating_add(o.interval))
            };
        } else {
            world.step();
        }
        // Collect replies.
        while let Ok((payload, _from)) = world.nic_mut(nic).icmp(h).recv() {
            let Ok(pkt) = Icmpv4Packet::new_checked(payload) else {
                continue;
            };
            let Ok(Icmpv4Repr::EchoReply {
                ident: id, seq_no, ..
            }) = Icmpv4Repr::parse(&pkt, &caps)
            else {
                continue;
            };
            // Sequence numbers are 16 bits and wrap: the reply is for the latest request
            // that carried this number.
            let n = sent_at.len();
            if id != ident || n == 0 {
                continue;
            }
            let back = (n - 1).wrapping_sub(seq_no as usize) % 65536;
            let Some(&t0) = (n - 1).checked_sub(back).and_then(|k| sent_at.get(k)) else {
                continue;
            };
            let rtt = world.now() - t0;
            tally.record(rtt);
            if !o.quiet && !o.flood {
                out.push_str(&Tally::reply_line(
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
    out.push_str(&tally.statistics(shown));
    // busybox: status 1 with no reply, or with a deadline and fewer replies than -c asked.
    let short = o.deadline.is_some() && o.count.is_some_and(|c| tally.received < c);
    PingResult {
        stdout: out,
        code: if short { 1 } else { tally.code() },
    }
}
