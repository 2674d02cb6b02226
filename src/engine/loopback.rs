//! A container's loopback (`lo`) as a port of the world, as Linux's loopback device is: a
//! frame sent on it comes back out of it, to whatever listens in the same namespace (Docker's
//! embedded DNS at 127.0.0.11 answers from behind it; its frames are held as bytes, below).
//!
//! TCP between programs of one container (`wget localhost`, `nc 127.0.0.1 80`, a client of
//! a server on the container's own address) runs on a stack of its own over `lo`
//! ([`World::loopback_nic`]): a NIC, one per local address a program connects to, whose
//! frames come back to it after [`LO_LATENCY`] instead of entering a bridge. Its frames
//! carry the zero MACs Linux's `lo` gives them (tcpdump reads `lo` as Ethernet) and there
//! is no ARP on it: the stack starts knowing the address's MAC. Unlike DNS's bytes, its
//! frames live in the arena, so its MTU is a slot's (1970, an MSS of 1930) where Linux's
//! `lo` has 65536 (MSS 65495); and the address a program connects to is the source too
//! (Linux takes 127.0.0.1 for any of 127/8).
//!
//! The taps see a frame when it is sent, under the port name `CONTAINER lo`; it comes out
//! [`LO_LATENCY`] later, through the event queue like any other frame, into the loopback's
//! inbox. A program sends, runs the world until the frame is out ([`World::loopback_wait`]),
//! and answers. Frames are held as bytes, not in the arena: `lo`'s MTU (65536) is larger than
//! a slot. Every trip takes the same time, so frames come out in the order they went in.

use super::taps::Tap;
use super::world::{Loopback, World};
use super::{BridgeNode, BridgeSpec, LO_LATENCY, LoopbackId, NicId, NicSpec};
use crate::stack::Counters;
use smoltcp::wire::Ipv4Address;
use std::collections::VecDeque;

// Indexed by the world's own IDs, as in world.rs (see there).
#[allow(clippy::indexing_slicing, clippy::expect_used)]
impl World {
    /// `container`'s loopback, made on first use.
    pub fn loopback(&mut self, container: &str) -> LoopbackId {
        if let Some(i) = self.loopbacks.iter().position(|l| l.container == container) {
            return LoopbackId::new(i).expect("an index of the list");
        }
        let id = LoopbackId::new(self.loopbacks.len()).expect("loopbacks fit in 32 bits");
        self.loopbacks.push(Loopback {
            container: container.to_string(),
            name: format!("{container} lo"),
            in_flight: VecDeque::new(),
            inbox: VecDeque::new(),
        });
        id
    }

    /// Sends `frame` on loopback `lo`: the taps see it now, and [`LO_LATENCY`] later it
    /// comes out.
    pub fn loopback_send(&mut self, lo: LoopbackId, frame: &[u8]) {
        let l = &mut self.loopbacks[lo.index()];
        if self.taps.is_on() {
            self.taps.frame(self.now, &l.name, frame);
        }
        l.in_flight.push_back(frame.to_vec());
        let at = self.now + LO_LATENCY;
        self.loopback_due(at, lo);
    }

    /// The oldest frame that came out of loopback `lo` and was not read yet.
    pub fn loopback_recv(&mut self, lo: LoopbackId) -> Option<Vec<u8>> {
        self.loopbacks[lo.index()].inbox.pop_front()
    }

    /// Runs the world until a frame comes out of loopback `lo`, and returns it; `None` if
    /// the world falls quiet first.
    pub fn loopback_wait(&mut self, lo: LoopbackId) -> Option<Vec<u8>> {
        loop {
            if let Some(f) = self.loopback_recv(lo) {
                return Some(f);
            }
            if !self.step() {
                return None;
            }
        }
    }

    /// The stack on `container`'s `lo` that holds local address `ip` (made on first use;
    /// the container's servers are not on it until the caller puts them there).
    pub fn loopback_nic(&mut self, container: &str, ip: Ipv4Address) -> (NicId, bool) {
        if let Some(n) = self.nic_ids().find(|n| {
            let node = self.node(*n);
            node.looped && node.spec.container == container && node.spec.ipv4.0 == ip
        }) {
            return (n, false);
        }
        // A bridge of its own that no frame enters: the NIC needs a port to exist.
        let bridge = self.add_bridge(BridgeSpec {
            name: format!("{container} lo"),
            gateway: None,
            gateway6: None,
            host_mac: [0; 6],
            icc: true,
            icc_allow: Vec::new(),
            link: Default::default(),
            node: BridgeNode::Nobody,
        });
        let len = if ip.is_loopback() { 8 } else { 32 };
        let n = self.add_nic(NicSpec {
            container: container.to_string(),
            ifname: "lo".into(),
            bridge,
            mac: [0; 6],
            ipv4: (ip, len),
            extra: Vec::new(),
            gateway: None,
            routes: Vec::new(),
            counters: Counters::default(),
            neighbors: vec![(ip, [0; 6])],
            ipv6: Vec::new(),
            gateway6: None,
            neighbors6: Vec::new(),
            mtu: 65536,
        });
        self.node_mut(n).looped = true;
        (n, true)
    }

    /// Whether NIC `n` is a stack on a container's `lo` ([`World::loopback_nic`]).
    pub fn is_loopback_nic(&self, n: NicId) -> bool {
        self.node(n).looped
    }

    /// The oldest frame in flight on `lo` comes out.
    pub(super) fn loopback_out(&mut self, lo: LoopbackId) {
        let l = &mut self.loopbacks[lo.index()];
        if let Some(f) = l.in_flight.pop_front() {
            l.inbox.push_back(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Duration, Instant};

    #[test]
    fn a_frame_comes_back_out_after_the_loopback_latency() {
        let mut w = World::new(1, "lo", Instant(1_000_000));
        w.enable_trace();
        let lo = w.loopback("c1");
        assert_eq!(w.loopback("c1"), lo);
        assert_ne!(w.loopback("c2"), lo);
        w.loopback_send(lo, &[1; 10]);
        w.loopback_send(lo, &[2; 10]);
        assert_eq!(w.loopback_recv(lo), None);
        assert_eq!(w.loopback_wait(lo), Some(vec![1; 10]));
        assert_eq!(w.now(), Instant(1_000_000) + LO_LATENCY);
        assert_eq!(w.loopback_wait(lo), Some(vec![2; 10]));
        assert_eq!(w.loopback_wait(lo), None);
        assert_eq!(w.now() - Instant(1_000_000), Duration(25));
        assert_eq!(
            w.trace_lines(),
            [
                "00:00:01.000000 c1 lo > malformed frame, length 10",
                "00:00:01.000000 c1 lo > malformed frame, length 10"
            ]
        );
    }
}
