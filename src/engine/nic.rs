//! Container NICs in a world: the veth end inside each container, with its smoltcp stack
//! ([`crate::stack::Nic`]) built only when it is first needed.
//!
//! A flooded ARP request for another address only counts on the NIC's port, as it does on
//! Linux; a stack is built when its NIC sends, or when a frame arrives that is addressed to
//! it. Building lazily changes no outcome (the stack's seed is drawn when the NIC is added, in
//! order) and keeps commands on large networks cheap (design-notes.md, "One command, one short
//! simulation"). The engine also mirrors what each stack's ARP cache learns (RFC 826 as
//! smoltcp applies it) so a command can hand the cache to the next one.

use super::world::{NicNode, Peer, World};
use super::{NicId, NicSpec};
use crate::fabric::FrameId;
use crate::stack::{Counters, Nic};
use crate::time::{Duration, Instant};
use rand_chacha::rand_core::Rng;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, Ipv4Address, Ipv4Packet,
};

impl World {
    /// Adds a container NIC on a bridge. Its smoltcp stack is built when it is first needed
    /// (it sends, or a frame arrives that is addressed to it).
    pub fn add_nic(&mut self, mut spec: NicSpec) -> NicId {
        // An arena slot holds frames of MAX_FRAME bytes: a larger configured MTU (jumbo
        // frames) is shown but not reached.
        spec.mtu = spec.mtu.min(crate::fabric::arena::MAX_FRAME - 14);
        let i = NicId::new(self.nics.len()).expect("a world's NICs fit in 32 bits");
        let port = self.attach(spec.bridge, Peer::Nic(i));
        let seed = self.rng.next_u64();
        self.nics.push(NicNode {
            counters: spec.counters,
            spec,
            nic: None,
            seed,
            port,
            neighbors: Vec::new(),
            next_wake: None,
            last_ttl: 0,
        });
        i
    }

    fn node(&self, n: NicId) -> &NicNode {
        &self.nics[n.index()]
    }

    fn node_mut(&mut self, n: NicId) -> &mut NicNode {
        &mut self.nics[n.index()]
    }

    /// Builds NIC `n`'s stack if it has none yet.
    fn materialize(&mut self, n: NicId) {
        if self.node(n).nic.is_some() {
            return;
        }
        let node = self.node(n);
        let spec = &node.spec;
        let mut nic = Nic::new(
            spec.mac,
            spec.ipv4,
            spec.gateway,
            spec.mtu,
            node.seed,
            &self.arena,
            self.now,
        );
        // The stack starts with the ARP cache it had: smoltcp has no call to fill it, so each
        // entry is handed to it as the ARP reply it learned it from. These frames restore
        // state; they are not traffic: not counted, not traced.
        for (ip, mac) in &spec.neighbors {
            let mut buf = [0u8; 42];
            super::host::arp_reply(*mac, *ip, spec.mac, spec.ipv4.0, &mut buf);
            let id = self.arena.borrow_mut().alloc(buf.len());
            self.arena.borrow_mut().get_mut(id).copy_from_slice(&buf);
            nic.rx.push_back(id);
        }
        if !spec.neighbors.is_empty() {
            nic.poll(self.now, &self.arena);
            let stray: Vec<FrameId> = std::mem::take(&mut *nic.tx.borrow_mut());
            for f in stray {
                self.arena.borrow_mut().release(f);
            }
        }
        self.node_mut(n).nic = Some(nic);
    }

    /// Whether a frame reaching NIC `n` needs its stack: addressed to its MAC, or a broadcast
    /// ARP request for its address.
    fn wants(&self, n: NicId, frame: &[u8]) -> bool {
        let spec = &self.node(n).spec;
        if frame.len() < 14 || frame[0..6] == spec.mac {
            return true;
        }
        if frame[0] & 1 == 0 {
            return false;
        }
        match EthernetFrame::new_checked(frame)
            .ok()
            .filter(|e| e.ethertype() == EthernetProtocol::Arp)
            .and_then(|e| {
                ArpPacket::new_checked(e.payload())
                    .ok()
                    .map(|p| ArpRepr::parse(&p))
            }) {
            Some(Ok(ArpRepr::EthernetIpv4 {
                target_protocol_addr,
                ..
            })) => target_protocol_addr == spec.ipv4.0,
            // Other broadcasts (none are sent here) go to the stack to be safe.
            _ => frame[12..14] != [0x08, 0x06],
        }
    }

    /// How many NICs have a smoltcp stack built.
    pub fn stacks_built(&self) -> usize {
        self.nics.iter().filter(|n| n.nic.is_some()).count()
    }

    /// A NIC's counters.
    pub fn counters(&self, nic: NicId) -> Counters {
        self.node(nic).counters
    }

    /// What a NIC learned by ARP during this run.
    pub fn neighbors(&self, nic: NicId) -> &[super::Neighbor] {
        &self.node(nic).neighbors
    }

    /// The NIC's stack.
    pub fn nic_mut(&mut self, nic: NicId) -> &mut Nic {
        self.materialize(nic);
        self.node_mut(nic).nic.as_mut().expect("materialized")
    }

    /// The TTL of the last IPv4 packet the NIC received.
    pub fn last_ttl(&self, nic: NicId) -> u8 {
        self.node(nic).last_ttl
    }

    /// Runs a NIC's stack now, and sends what it wrote.
    pub fn poll(&mut self, n: NicId) {
        let now = self.now;
        self.materialize(n);
        let nic = self.nics[n.index()].nic.as_mut().expect("materialized");
        let next = nic.poll(now, &self.arena);
        // Swap the NIC's queue with a spare one: both keep their capacity.
        let mut out = std::mem::take(&mut self.spare);
        std::mem::swap(&mut out, &mut *nic.tx.borrow_mut());
        for &frame in &out {
            let len = self.arena.borrow().get(frame).len() as u64;
            let node = self.node_mut(n);
            node.counters.tx_packets += 1;
            node.counters.tx_bytes += len;
            self.send_from_nic(now, n, frame);
        }
        out.clear();
        self.spare = out;
        if let Some(at) = next {
            let at = at.max(now + Duration(1));
            let node = self.node_mut(n);
            if node.next_wake.is_none_or(|w| at < w) {
                node.next_wake = Some(at);
                self.wake_at(at, n);
            }
        }
    }

    /// NIC `n`'s timer, set for `t`, fires (unless a sooner one replaced it).
    pub(super) fn wake(&mut self, n: NicId, t: Instant) {
        if self.node(n).next_wake == Some(t) {
            self.node_mut(n).next_wake = None;
            self.poll(n);
        }
    }

    /// A frame leaves its bridge for NIC `n`: counted, mirrored, and handed to the stack if
    /// it needs one.
    pub(super) fn nic_receive(&mut self, n: NicId, frame: FrameId) {
        self.observe(n, frame);
        let len = self.arena.borrow().get(frame).len() as u64;
        let wanted = {
            let arena = self.arena.borrow();
            self.node(n).nic.is_some() || self.wants(n, arena.get(frame))
        };
        let node = self.node_mut(n);
        node.counters.rx_packets += 1;
        node.counters.rx_bytes += len;
        if !wanted {
            // Not for it: the stack would drop it; no need to build one.
            self.arena.borrow_mut().release(frame);
            return;
        }
        self.materialize(n);
        let node = self.node_mut(n);
        node.nic.as_mut().expect("materialized").rx.push_back(frame);
        self.poll(n);
    }

    /// Mirrors what the NIC's ARP cache learns (smoltcp fills it from ARP aimed at its own
    /// address, from unicast senders in its subnet), and notes IPv4 TTLs.
    fn observe(&mut self, n: NicId, frame: FrameId) {
        let arena = self.arena.borrow();
        let Ok(eth) = EthernetFrame::new_checked(arena.get(frame)) else {
            return;
        };
        let now = self.now;
        let node = &mut self.nics[n.index()];
        match eth.ethertype() {
            EthernetProtocol::Arp => {
                let Ok(ArpRepr::EthernetIpv4 {
                    operation,
                    source_hardware_addr,
                    source_protocol_addr,
                    target_protocol_addr,
                    ..
                }) = ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p))
                else {
                    return;
                };
                let (ip, len) = node.spec.ipv4;
                let subnet = |a: Ipv4Address| {
                    let m = if len == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(len))
                    };
                    u32::from(a) & m == u32::from(ip) & m
                };
                if target_protocol_addr == ip
                    && matches!(operation, ArpOperation::Request | ArpOperation::Reply)
                    && source_hardware_addr.is_unicast()
                    && subnet(source_protocol_addr)
                {
                    node.neighbors
                        .retain(|(a, _, _)| *a != source_protocol_addr);
                    node.neighbors
                        .push((source_protocol_addr, source_hardware_addr.0, now));
                }
            }
            EthernetProtocol::Ipv4 => {
                if let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) {
                    node.last_ttl = ip.hop_limit();
                }
            }
            _ => {}
        }
    }
}
