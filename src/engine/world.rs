//! The [`World`]: the virtual clock, the event queue, the bridges, and the path of a frame
//! from port to port.
//!
//! Each bridge is a Linux bridge ([`crate::fabric::Bridge`]) with its node (the Docker host,
//! an overlay namespace, or nobody) on port 0 and a rule chain on what leaves its ports. Links
//! are veth pairs: a traversal takes [`DEFAULT_LATENCY`](super::DEFAULT_LATENCY) plus a
//! seeded jitter. The host answers as [`super::host`] says; VTEPs and the underlay are in
//! [`super::overlay`].
//!
//! # Container NICs
//!
//! The second half of this file: the veth end inside each container, with its smoltcp stack
//! ([`crate::stack::Nic`]) built only when it is first needed.
//!
//! A flooded ARP request for another address only counts on the NIC's port, as it does on
//! Linux; a stack is built when its NIC sends, or when a frame arrives that is addressed to
//! it. Building lazily changes no outcome (the stack's seed is drawn when the NIC is added, in
//! order) and keeps commands on large networks cheap (design-notes.md, "One command, one short
//! simulation"). The engine also mirrors what each stack's ARP cache learns (RFC 826 as
//! smoltcp applies it) so a command can hand the cache to the next one.

use super::budget::{Budget, Exceeded};
use super::rule::{self, Chain, End, Hop};
use super::taps::{Tap, Taps};
use super::{
    BridgeId, BridgeNode, BridgeSpec, DEFAULT_JITTER, DEFAULT_LATENCY, LO_LATENCY, LoopbackId,
    Neighbor, NicId, NicSpec, UnderlayHostSpec, VtepSpec,
};
use crate::fabric::{Arena, Bridge, Forward, FrameId, HostId, PortId};
use crate::stack::{Counters, Nic};
use crate::time::{Duration, Instant};
use crate::wire::vxlan;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::Rng;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, Ipv4Address, Ipv4Packet,
    Ipv6Address, Ipv6Packet,
};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ev {
    /// A frame reaches its bridge through a port.
    ToBridge {
        bridge: BridgeId,
        port: PortId,
        frame: FrameId,
    },
    /// A frame leaves a bridge port and reaches what is attached.
    ToPeer {
        bridge: BridgeId,
        port: PortId,
        frame: FrameId,
    },
    /// A stack asked to run again (timers).
    Wake { nic: NicId },
    /// The oldest frame in flight on a loopback comes out.
    Loopback { lo: LoopbackId },
    /// A NIC's ARP queue is due (see [`super::router`]).
    Arp { nic: NicId },
}

/// What is attached to a bridge port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Peer {
    /// The bridge's node (see [`BridgeNode`]).
    Host,
    Nic(NicId),
    /// A VTEP on an overlay bridge.
    Vtep(usize),
    /// A host's NIC on the underlay.
    Underlay(HostId),
}

impl Peer {
    /// What the port attaches, as the rules see it: `host_nic` tells the NICs of the host's
    /// own namespace (`vnet host exec`), which are the bridge's node, not a container.
    fn end(p: Option<Peer>, host_nic: impl Fn(NicId) -> bool) -> End {
        match p {
            Some(Peer::Host) => End::Node,
            Some(Peer::Nic(n)) if host_nic(n) => End::Node,
            Some(Peer::Nic(_)) => End::Container,
            Some(Peer::Vtep(_)) => End::Vtep,
            Some(Peer::Underlay(h)) => End::Host(h),
            None => End::Nothing,
        }
    }
}

pub(super) struct Br {
    /// Built-in isolation first, then the link's rules.
    rules: Chain,
    spec: BridgeSpec,
    bridge: Bridge,
    /// By port index.
    peers: Vec<Option<Peer>>,
    /// By port index: frames sent out of the port and not yet delivered (netem's queue).
    queued: Vec<u32>,
    /// By port index: when the last frame sent out of it arrives at the far end of the veth
    /// (a veth is a FIFO: the link's own latency and jitter never reorder frames; only a
    /// delay rule's jitter does, as netem's does).
    arrives: Vec<Instant>,
    /// By port index: when the last frame sent into the bridge by it arrives (the other
    /// direction of the same FIFO).
    enters: Vec<Instant>,
    /// How many `queued` may reach before the next frame is dropped (netem's `limit`).
    limit: u32,
    /// netem's `rate`, bits a second (0: none), and by port index when the port is done
    /// sending what it has queued.
    rate: u64,
    busy: Vec<Instant>,
    host_port: PortId,
}

/// A container NIC of the world (its behaviour is in the second half of this file).
pub(super) struct NicNode {
    pub(super) spec: NicSpec,
    /// Built on first need (see [`World::add_nic`]).
    pub(super) nic: Option<Nic>,
    pub(super) seed: u64,
    pub(super) port: PortId,
    pub(super) counters: Counters,
    pub(super) neighbors: Vec<Neighbor>,
    /// What its IPv6 neighbour cache learned this run (see [`World::observe`]).
    pub(super) neighbors6: Vec<super::Neighbor6>,
    pub(super) next_wake: Option<Instant>,
    /// When its ARP timer is due (see [`super::router`]).
    pub(super) ask_at: Option<Instant>,
    pub(super) last_ttl: u8,
    /// The TCP ports its programs listen on, and the connections they accepted (see
    /// [`super::tcp`]).
    pub(super) listeners: Vec<super::tcp::Listener>,
    pub(super) conns: Vec<super::tcp::Conn>,
    /// Closed TCP sockets kept for the next connection (their buffers are allocated and
    /// zeroed once).
    pub(super) spare_tcp: Vec<smoltcp::iface::SocketHandle>,
    /// Its container's IP layer, if it has one (see [`super::router`]).
    pub(super) router: Option<usize>,
    /// The UDP ports its programs serve (see [`super::udp`]).
    pub(super) udp_servers: Vec<super::udp::UdpServer>,
    /// Packets waiting for a next hop's MAC, and the next hops being asked for.
    pub(super) held: Vec<super::router::Held>,
    pub(super) asking: Vec<super::router::Asking>,
    /// Whether it is a stack on its container's `lo` (see [`World::loopback_nic`]): what
    /// it sends comes back to it.
    pub(super) looped: bool,
    /// The ICMP error buckets of its stack, once it sent an error (a router's NICs share
    /// the router's; see [`super::router`]).
    pub(super) icmp_limit: Option<Box<super::router::IcmpLimit>>,
}

/// A host on the underlay (see [`super::overlay`]).
pub(super) struct UnderlayHost {
    pub(super) spec: UnderlayHostSpec,
    pub(super) port: PortId,
}

/// A VTEP on an overlay bridge (see [`super::overlay`]).
pub(super) struct Vtep {
    pub(super) spec: VtepSpec,
    pub(super) port: PortId,
    /// Prepared outer headers, by remote underlay host and VNI.
    pub(super) encaps: Vec<(HostId, u32, vxlan::Encap)>,
}

/// A container's loopback (see [`super::loopback`]).
pub(super) struct Loopback {
    pub(super) container: String,
    /// The port's name for the taps.
    pub(super) name: String,
    /// Sent, not yet out, oldest first.
    pub(super) in_flight: VecDeque<Vec<u8>>,
    /// Out, not yet read.
    pub(super) inbox: VecDeque<Vec<u8>>,
}

/// The simulated host and everything attached to it, for one command's run.
pub struct World {
    pub(super) now: Instant,
    seq: u64,
    queue: BinaryHeap<Reverse<(Instant, u64, Ev)>>,
    pub(super) arena: RefCell<Arena>,
    bridges: Vec<Br>,
    pub(super) nics: Vec<NicNode>,
    host_ips: Vec<Ipv4Address>,
    /// The host's IPv6 addresses: the gateways of its `--ipv6` networks.
    host_ips6: Vec<Ipv6Address>,
    /// The host's Docker bridge subnets (for naming drops: see `add_docker_subnet`).
    docker_subnets: Vec<(Ipv4Address, u8)>,

    pub(super) rng: ChaCha20Rng,
    latency: Duration,
    jitter: Duration,
    pub(super) scratch: Vec<u8>,
    flood: Vec<PortId>,
    pub(super) spare: Vec<FrameId>,
    pub(super) taps: Taps,
    pub(super) loopbacks: Vec<Loopback>,
    pub(super) underlay: Option<BridgeId>,
    pub(super) underlay_hosts: Vec<UnderlayHost>,
    pub(super) vteps: Vec<Vtep>,
    /// Asked when a VTEP sends a frame to another host (partitions).
    pub(super) underlay_rules: Chain,
    /// The containers' IP layers (see [`super::router`]).
    pub(super) routers: Vec<super::router::RouterSpec>,
    /// Each router's ICMP error buckets.
    pub(super) icmp_limits: Vec<super::router::IcmpLimit>,
    /// Frames dropped because a port's queue was full.
    queue_drops: u64,
    /// What the command may spend, what it spent, and whether it ran out (see
    /// [`super::budget`]).
    pub(super) budget: Budget,
    pub(super) events: u64,
    pub(super) time_limit: Instant,
    pub(super) exceeded: Option<Exceeded>,
}

// Nodes are indexed by the typed IDs the world hands out when it adds them (`NicId`,
// `BridgeId`, `LoopbackId`, `HostId`, VTEP indexes) and never removes, so every ID is in
// bounds; a port indexes its bridge's per-port vectors, which grow with its ports;
// `scratch` holds MAX_FRAME bytes, the most a frame has; a NIC's stack is there after
// `materialize`. The forwarding fast path relies on these rather than re-checking them
// per frame (benches/icount.sh). Frame contents are never indexed without a check.
#[allow(clippy::indexing_slicing, clippy::expect_used)]
impl World {
    /// An empty world whose clock reads `now`.
    pub fn new(seed: u64, label: &str, now: Instant) -> World {
        World {
            now,
            seq: 0,
            queue: BinaryHeap::new(),
            arena: RefCell::new(Arena::with_capacity(256)),
            bridges: Vec::new(),
            nics: Vec::new(),
            host_ips: Vec::new(),
            host_ips6: Vec::new(),
            docker_subnets: Vec::new(),

            rng: crate::rng::derive(seed, label),
            latency: DEFAULT_LATENCY,
            jitter: DEFAULT_JITTER,
            scratch: vec![0; 2048],
            flood: Vec::new(),
            spare: Vec::new(),
            taps: Taps::default(),
            loopbacks: Vec::new(),
            underlay: None,
            underlay_hosts: Vec::new(),
            vteps: Vec::new(),
            underlay_rules: Chain::default(),
            routers: Vec::new(),
            icmp_limits: Vec::new(),
            queue_drops: 0,
            budget: Budget::default(),
            events: 0,
            time_limit: now + Budget::default().time,
            exceeded: None,
        }
    }

    /// Records a tcpdump-like line per frame.
    pub fn enable_trace(&mut self) {
        self.taps.trace();
    }

    /// Records every frame for a pcapng file.
    pub fn enable_capture(&mut self) {
        self.taps.capture();
    }

    /// The trace lines so far.
    pub fn trace_lines(&self) -> &[String] {
        self.taps.tracer().map(|t| t.lines()).unwrap_or_default()
    }

    /// The capture file, if capturing.
    pub fn capture_bytes(&self) -> Option<Vec<u8>> {
        self.taps.pcap().map(|c| c.bytes())
    }

    /// Starts copying every frame NIC `nic` sends or receives (a packet socket on it, as
    /// `tcpdump -i` opens); returns the sniffer's index for [`World::sniffed`].
    pub fn sniff(&mut self, nic: NicId) -> usize {
        self.taps.sniff(nic)
    }

    /// What sniffer `i` saw, in order, and how many frames did not fit its buffer.
    pub fn sniffed(&self, i: usize) -> (&[super::taps::Sniffed], u64) {
        self.taps.sniffer(i).map_or((&[], 0), |s| s.seen())
    }

    /// Takes what sniffer `i` saw since the last take (a packet socket's reads), emptying
    /// its buffer.
    pub fn take_sniffed(&mut self, i: usize) -> Vec<super::taps::Sniffed> {
        self.taps.take(i)
    }

    /// NIC `n` sends `frame` as written (a packet socket's `sendto`: `arping`), now.
    pub fn send_frame(&mut self, n: NicId, frame: &[u8]) {
        if frame.len() > crate::fabric::arena::MAX_FRAME {
            return;
        }
        let id = self.arena.borrow_mut().alloc(frame.len());
        self.arena.borrow_mut().get_mut(id).copy_from_slice(frame);
        let now = self.now;
        self.send_from_nic(now, n, id);
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Adds a bridge with its node (the host, an overlay namespace, or nobody) attached.
    pub fn add_bridge(&mut self, spec: BridgeSpec) -> BridgeId {
        let mut bridge = Bridge::new();
        let host_port = bridge.add_port();
        if let (Some(gw), BridgeNode::Host) = (spec.gateway, spec.node) {
            self.host_ips.push(gw);
        }
        if let (Some(gw), BridgeNode::Host) = (spec.gateway6, spec.node) {
            self.host_ips6.push(gw);
        }
        let mut rules = Chain::default();
        if !spec.icc {
            rules.push(Box::new(rule::Icc {
                allow: spec.icc_allow.clone(),
            }));
        }
        spec.link.add_rules(&mut rules);
        let id = BridgeId::new(self.bridges.len()).expect("a world's bridges fit in 32 bits");
        self.bridges.push(Br {
            rules,
            limit: spec.link.limit,
            rate: spec.link.rate,
            busy: vec![Instant(0)],
            spec,
            bridge,
            peers: vec![Some(Peer::Host)],
            queued: vec![0],
            arrives: vec![Instant(0)],
            enters: vec![Instant(0)],
            host_port,
        });
        id
    }

    fn br(&self, b: BridgeId) -> &Br {
        &self.bridges[b.index()]
    }

    /// Attaches `peer` to a new port of bridge `b`.
    pub(super) fn attach(&mut self, b: BridgeId, peer: Peer) -> PortId {
        let br = &mut self.bridges[b.index()];
        let port = br.bridge.add_port();
        if br.peers.len() <= port.index() {
            br.peers.resize(port.index() + 1, None);
            br.queued.resize(port.index() + 1, 0);
            br.arrives.resize(port.index() + 1, Instant(0));
            br.enters.resize(port.index() + 1, Instant(0));
            br.busy.resize(port.index() + 1, Instant(0));
        }
        br.peers[port.index()] = Some(peer);
        port
    }

    /// Tells the host the subnet of one of its Docker bridge networks (in this world or
    /// not): a packet routed to it through the host from another bridge is what Docker's
    /// isolation chains drop, which a trace names.
    pub fn add_docker_subnet(&mut self, net: Ipv4Address, len: u8) {
        self.docker_subnets.push((net, len));
    }

    /// Gives the host one more address, the gateway of a bridge that is not in this world
    /// (the host answers for all its addresses on every bridge).
    pub fn add_host_address(&mut self, ip: Ipv4Address) {
        self.host_ips.push(ip);
    }

    /// Gives the host one more IPv6 address, the IPv6 gateway of a bridge that is not in
    /// this world (it answers echo requests to it; neighbour discovery stays on its bridge).
    pub fn add_host_address6(&mut self, ip: Ipv6Address) {
        self.host_ips6.push(ip);
    }

    pub(super) fn schedule(&mut self, at: Instant, ev: Ev) {
        if self.queue.len() >= self.budget.in_flight {
            self.exceed(Exceeded::InFlight(self.budget.in_flight));
            return;
        }
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    /// A frame enters bridge `b` by `port` after a link's delay.
    pub(super) fn enter_bridge(&mut self, b: BridgeId, port: PortId, frame: FrameId) {
        let at = self.now + self.link_delay();
        let at = self.in_order(b, port, at);
        self.arrive_at_bridge(at, b, port, frame);
    }

    /// When a frame entering bridge `b` by `port`, due at `at`, arrives: not before the one
    /// sent ahead of it (a veth is a FIFO).
    #[inline]
    fn in_order(&mut self, b: BridgeId, port: PortId, at: Instant) -> Instant {
        let last = &mut self.bridges[b.index()].enters[port.index()];
        let at = at.max(*last);
        *last = at;
        at
    }

    /// A frame enters bridge `b` by `port` after a link's delay and `extra`.
    pub(super) fn enter_bridge_after(
        &mut self,
        b: BridgeId,
        port: PortId,
        frame: FrameId,
        extra: Duration,
    ) {
        let at = self.now + self.link_delay();
        let at = self.in_order(b, port, at) + extra;
        self.arrive_at_bridge(at, b, port, frame);
    }

    /// Schedules a frame's arrival at bridge `b` by `port`.
    #[inline]
    fn arrive_at_bridge(&mut self, at: Instant, b: BridgeId, port: PortId, frame: FrameId) {
        self.schedule(
            at,
            Ev::ToBridge {
                bridge: b,
                port,
                frame,
            },
        );
    }

    /// NIC `n` sends a frame (its stack wrote it, or its IP layer forwards or asks ARP):
    /// counted, then it enters its bridge at `now` plus a link's delay.
    pub(super) fn send_from_nic(&mut self, now: Instant, n: NicId, frame: FrameId) {
        {
            let arena = self.arena.borrow();
            let f = arena.get(frame);
            let counters = &mut self.nics[n.index()].counters;
            counters.tx_packets += 1;
            counters.tx_bytes += f.len() as u64;
            if self.taps.sniffing() {
                self.taps.sniffed(now, n, f);
            }
        }
        let node = &self.nics[n.index()];
        let (bridge, port) = (node.spec.bridge, node.port);
        if node.looped {
            // `lo`: the frame comes back out of the port it went in by.
            if self.taps.is_on() {
                let name = format!("{} lo", node.spec.container);
                let arena = self.arena.borrow();
                self.taps.frame(now, &name, arena.get(frame));
            }
            self.schedule(
                now + LO_LATENCY,
                Ev::ToPeer {
                    bridge,
                    port,
                    frame,
                },
            );
            return;
        }
        let at = now + self.link_delay();
        let at = self.in_order(bridge, port, at);
        self.schedule(
            at,
            Ev::ToBridge {
                bridge,
                port,
                frame,
            },
        );
    }

    /// Asks for NIC `n`'s stack to run at `at`.
    pub(super) fn wake_at(&mut self, at: Instant, n: NicId) {
        self.schedule(at, Ev::Wake { nic: n });
    }

    /// A frame sent on loopback `lo` comes out at `at`.
    pub(super) fn loopback_due(&mut self, at: Instant, lo: LoopbackId) {
        self.schedule(at, Ev::Loopback { lo });
    }

    fn link_delay(&mut self) -> Duration {
        let j = self.jitter.as_micros();
        self.latency
            + Duration(if j > 0 {
                self.rng.next_u64() % (j + 1)
            } else {
                0
            })
    }

    /// A random draw from the world's seeded generator.
    pub fn rng_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Moves the clock forward without an event (a program's own timer).
    /// Past the budget's virtual time the clock stops there and the world stops.
    pub fn advance_to(&mut self, t: Instant) {
        if t > self.time_limit {
            self.exceed(Exceeded::Time(self.budget.time));
        }
        self.now = self.now.max(t.min(self.time_limit));
    }

    /// Runs every event due up to `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Instant) {
        while self.next_event_time().is_some_and(|e| e <= t) {
            if !self.step() {
                break;
            }
        }
        self.advance_to(t);
    }

    /// When the next event is due.
    pub fn next_event_time(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Runs the next event (moving the clock to it). Returns false if there is none, or if
    /// the world ran out of its budget (the event is not run).
    pub fn step(&mut self) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        let Some(Reverse((t, _, ev))) = self.queue.pop() else {
            return false;
        };
        if t > self.time_limit || self.events >= self.budget.events {
            self.out_of_budget(t);
            return false;
        }
        self.events += 1;
        self.now = self.now.max(t);
        match ev {
            Ev::ToBridge {
                bridge,
                port,
                frame,
            } => self.bridge_ingress(bridge, port, frame),
            Ev::ToPeer {
                bridge,
                port,
                frame,
            } => self.port_egress(bridge, port, frame),
            Ev::Wake { nic } => self.wake(nic, t),
            Ev::Loopback { lo } => self.loopback_out(lo),
            Ev::Arp { nic } => self.ask_timer(nic, t),
        }
        true
    }

    pub(super) fn port_name(&self, b: BridgeId, port: PortId) -> String {
        let br = self.br(b);
        match br.peers.get(port.index()).copied().flatten() {
            Some(Peer::Host) => format!("{} host", br.spec.name),
            Some(Peer::Nic(i)) => {
                let spec = &self.nics[i.index()].spec;
                format!("{} {}.{}", br.spec.name, spec.container, spec.ifname)
            }
            Some(Peer::Vtep(_)) => format!("{} vxlan0", br.spec.name),
            Some(Peer::Underlay(h)) => {
                let host = &self.underlay_hosts[h.index()].spec.name;
                format!("{} {host}.eth0", br.spec.name)
            }
            None => format!("{} port{port}", br.spec.name),
        }
    }

    fn bridge_ingress(&mut self, b: BridgeId, ingress: PortId, frame: FrameId) {
        if self.taps.is_on() {
            let name = self.port_name(b, ingress);
            let arena = self.arena.borrow();
            self.taps.frame(self.now, &name, arena.get(frame));
        }
        let decision = {
            let arena = self.arena.borrow();
            self.bridges[b.index()]
                .bridge
                .forward(self.now, ingress, arena.get(frame))
        };
        match decision {
            Forward::One(p) => self.send_out(b, ingress, p, frame),
            Forward::Flood => {
                let mut ports = std::mem::take(&mut self.flood);
                ports.clear();
                ports.extend(self.br(b).bridge.ports().filter(|p| *p != ingress));
                for &p in &ports {
                    self.send_out(b, ingress, p, frame);
                }
                self.flood = ports;
            }
            Forward::Drop => {}
        }
        self.arena.borrow_mut().release(frame);
    }

    /// A frame that came in by `ingress` leaves bridge `b` by port `p`: the bridge's rules
    /// decide, then the port's queue takes it if it is not full (netem: loss first, then
    /// the limit), then the link's latency applies.
    fn send_out(&mut self, b: BridgeId, ingress: PortId, p: PortId, frame: FrameId) {
        let br = &mut self.bridges[b.index()];
        let extra = if br.rules.is_empty() {
            Duration::ZERO
        } else {
            let (nics, routers) = (&self.nics, &self.routers);
            let host_nic = |n: NicId| {
                nics.get(n.index())
                    .and_then(|node| node.router)
                    .and_then(|r| routers.get(r))
                    .is_some_and(|r| r.host)
            };
            let hop = Hop {
                from: Peer::end(br.peers[ingress.index()], host_nic),
                to: Peer::end(br.peers[p.index()], host_nic),
            };
            let arena = self.arena.borrow();
            let ruling = br.rules.evaluate(&hop, &mut self.rng, arena.get(frame));
            drop(arena);
            match ruling.verdict {
                rule::Verdict::Drop => {
                    if self.taps.tracer().is_some() {
                        self.rule_drop(b, p, frame, ruling.by);
                    }
                    return;
                }
                rule::Verdict::Deliver(d) => d,
                rule::Verdict::Pass => Duration::ZERO,
            }
        };
        let br = &mut self.bridges[b.index()];
        let queued = &mut br.queued[p.index()];
        if *queued >= br.limit {
            let limit = br.limit;
            self.queue_full(b, p, frame, limit);
            return;
        }
        *queued += 1;
        self.arena.borrow_mut().share(frame);
        let mut sent = self.now;
        if br.rate > 0 {
            sent = self.serialize(b, p, frame);
        }
        let wire = (sent + self.link_delay()).max(self.bridges[b.index()].arrives[p.index()]);
        self.bridges[b.index()].arrives[p.index()] = wire;
        let at = wire + extra;
        self.schedule(
            at,
            Ev::ToPeer {
                bridge: b,
                port: p,
                frame,
            },
        );
    }

    /// netem's `rate`: the frame goes onto the wire once the port has sent the frames queued
    /// ahead of it, and takes its length in bits over the rate; returns when it is sent.
    #[cold]
    fn serialize(&mut self, b: BridgeId, p: PortId, frame: FrameId) -> Instant {
        let len = self.arena.borrow().get(frame).len() as u128;
        let br = &mut self.bridges[b.index()];
        let micros = (len * 8 * 1_000_000).div_ceil(u128::from(br.rate.max(1)));
        let took = Duration(u64::try_from(micros).unwrap_or(u64::MAX));
        let busy = &mut br.busy[p.index()];
        *busy = self.now.max(*busy) + took;
        *busy
    }

    /// A frame leaving bridge `b` by `port` was dropped by the bridge's rule named `by`: a
    /// trace line that names it (`icc`, `loss 10%`).
    #[cold]
    fn rule_drop(&mut self, b: BridgeId, port: PortId, frame: FrameId, by: Option<&str>) {
        let name = self.port_name(b, port);
        let why = self.bridges[b.index()].rules.describe(by.unwrap_or("rule"));
        let arena = self.arena.borrow();
        self.taps.dropped(self.now, &name, arena.get(frame), &why);
    }

    /// An IPv4 packet that reached the host on bridge `b` for an address not its own, which
    /// it does not forward: a trace line saying why (`isolation` when the address is on
    /// another Docker bridge, as Docker's `DOCKER-ISOLATION` chains drop it; `no route`
    /// otherwise: vnet's host has no world outside).
    #[cold]
    fn host_drop(&mut self, b: BridgeId, frame: FrameId) {
        let why = {
            let arena = self.arena.borrow();
            let Some(dst) =
                super::host::routed_destination(self.br(b).spec.host_mac, arena.get(frame))
            else {
                return;
            };
            let on = |(net, len): &(Ipv4Address, u8)| {
                let mask = crate::wire::netmask(*len);
                u32::from(dst) & mask == u32::from(*net) & mask
            };
            if self.docker_subnets.iter().any(on) {
                "isolation"
            } else {
                "no route"
            }
        };
        let host_port = self.br(b).host_port;
        let name = self.port_name(b, host_port);
        let arena = self.arena.borrow();
        self.taps.dropped(self.now, &name, arena.get(frame), why);
    }

    /// A frame leaving by `port` is dropped: the port's queue holds `limit` already.
    #[cold]
    fn queue_full(&mut self, b: BridgeId, port: PortId, frame: FrameId, limit: u32) {
        self.queue_drops += 1;
        if self.taps.tracer().is_some() {
            let name = self.port_name(b, port);
            let arena = self.arena.borrow();
            let why = format!("queue full (limit {limit})");
            self.taps.dropped(self.now, &name, arena.get(frame), &why);
        }
    }

    /// How many frames were dropped because a port's queue was full (netem's `limit`).
    pub fn queue_drops(&self) -> u64 {
        self.queue_drops
    }

    fn port_egress(&mut self, b: BridgeId, port: PortId, frame: FrameId) {
        if let Some(q) = self.bridges[b.index()].queued.get_mut(port.index()) {
            *q = q.saturating_sub(1);
        }
        match self.br(b).peers.get(port.index()).copied().flatten() {
            Some(Peer::Nic(n)) => self.nic_receive(n, frame),
            Some(Peer::Vtep(v)) => self.vtep_egress(v, frame),
            Some(Peer::Underlay(h)) => self.underlay_egress(h, frame),
            Some(Peer::Host) => {
                let spec = &self.bridges[b.index()].spec;
                let mac = spec.host_mac;
                let (ips, all6): (&[Ipv4Address], &[Ipv6Address]) = match spec.node {
                    BridgeNode::Host => (&self.host_ips, &self.host_ips6),
                    BridgeNode::Namespace => (spec.gateway.as_slice(), spec.gateway6.as_slice()),
                    BridgeNode::Nobody => (&[], &[]),
                };
                let v6 = super::host::Ipv6Host {
                    all: all6,
                    own: spec.gateway6.filter(|_| spec.node != BridgeNode::Nobody),
                };
                let reply = {
                    let arena = self.arena.borrow();
                    super::host::respond(ips, v6, mac, arena.get(frame), &mut self.scratch)
                };
                if reply.is_none() && spec.node == BridgeNode::Host && self.taps.tracer().is_some()
                {
                    self.host_drop(b, frame);
                }
                self.arena.borrow_mut().release(frame);
                if let Some(len) = reply {
                    let id = self.arena.borrow_mut().alloc(len);
                    self.arena
                        .borrow_mut()
                        .get_mut(id)
                        .copy_from_slice(&self.scratch[..len]);
                    let host_port = self.br(b).host_port;
                    self.enter_bridge(b, host_port, id);
                }
            }
            None => self.arena.borrow_mut().release(frame),
        }
    }

    /// A frame this holder may write: itself, or a copy when others hold it too.
    pub(super) fn own(&mut self, frame: FrameId) -> FrameId {
        let mut arena = self.arena.borrow_mut();
        if !arena.is_shared(frame) {
            return frame;
        }
        let len = arena.get(frame).len();
        let copy = arena.alloc(len);
        self.scratch[..len].copy_from_slice(arena.get(frame));
        arena.get_mut(copy).copy_from_slice(&self.scratch[..len]);
        arena.release(frame);
        copy
    }
}

// Nodes are indexed by the typed IDs the world hands out when it adds them (`NicId`,
// `BridgeId`, `LoopbackId`, `HostId`, VTEP indexes) and never removes, so every ID is in
// bounds; a port indexes its bridge's per-port vectors, which grow with its ports;
// `scratch` holds MAX_FRAME bytes, the most a frame has; a NIC's stack is there after
// `materialize`. The forwarding fast path relies on these rather than re-checking them
// per frame (benches/icount.sh). Frame contents are never indexed without a check.
#[allow(clippy::indexing_slicing, clippy::expect_used)]
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
            neighbors6: Vec::new(),
            next_wake: None,
            ask_at: None,
            last_ttl: 0,
            listeners: Vec::new(),
            conns: Vec::new(),
            spare_tcp: Vec::new(),
            router: None,
            udp_servers: Vec::new(),
            held: Vec::new(),
            asking: Vec::new(),
            looped: false,
            icmp_limit: None,
        });
        i
    }

    pub(super) fn node(&self, n: NicId) -> &NicNode {
        &self.nics[n.index()]
    }

    pub(super) fn node_mut(&mut self, n: NicId) -> &mut NicNode {
        &mut self.nics[n.index()]
    }

    /// Builds NIC `n`'s stack if it has none yet.
    pub(super) fn materialize(&mut self, n: NicId) {
        if self.node(n).nic.is_some() {
            return;
        }
        let node = self.node(n);
        let spec = &node.spec;
        let mut nic = Nic::new(
            spec.mac,
            spec.ipv4,
            &spec.extra,
            spec.gateway,
            &spec.routes,
            &spec.ipv6,
            spec.gateway6,
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
        // The IPv6 ones as the advertisements they came from (the override flag makes
        // smoltcp take each).
        for (ip, mac) in &spec.neighbors6 {
            let mut buf = [0u8; 86];
            super::host::neighbor_advert(*mac, *ip, spec.mac, &mut buf);
            let id = self.arena.borrow_mut().alloc(buf.len());
            self.arena.borrow_mut().get_mut(id).copy_from_slice(&buf);
            nic.rx.push_back(id);
        }
        if !spec.neighbors.is_empty() || !spec.neighbors6.is_empty() {
            nic.poll(self.now, &self.arena);
            let stray: Vec<FrameId> = std::mem::take(&mut *nic.tx.borrow_mut());
            for f in stray {
                self.arena.borrow_mut().release(f);
            }
        }
        self.node_mut(n).nic = Some(nic);
        if !self.node(n).listeners.is_empty() {
            self.open_listeners(n);
        }
        if !self.node(n).udp_servers.is_empty() {
            self.open_udp_servers(n);
        }
    }

    /// Whether a frame reaching NIC `n` needs its stack: addressed to its MAC, or a broadcast
    /// ARP request for its address. (An echo request sent to everyone is not: see
    /// [`broadcast_echo`].)
    fn wants(&self, n: NicId, frame: &[u8]) -> bool {
        let spec = &self.node(n).spec;
        let Some(h) = frame.first_chunk::<14>() else {
            return true;
        };
        if h[0..6] == spec.mac {
            return true;
        }
        if h[0] & 1 == 0 {
            return false;
        }
        if h[12..14] == [0x86, 0xdd] {
            // IPv6 multicast: the groups it joined (neighbour discovery).
            return h.first_chunk::<6>().is_some_and(|m| spec.listens(m));
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
            })) => spec.holds(target_protocol_addr),
            // Other broadcasts (none are sent here) go to the stack to be safe.
            _ => h[12..14] != [0x08, 0x06],
        }
    }

    /// The NICs of the world, in the order they were added.
    pub fn nic_ids(&self) -> impl Iterator<Item = NicId> + use<> {
        (0..self.nics.len()).filter_map(NicId::new)
    }

    /// The container NIC `n` belongs to.
    pub fn nic_container(&self, n: NicId) -> &str {
        &self.node(n).spec.container
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

    /// What NIC `nic` learned by neighbour discovery during this run.
    pub fn neighbors6(&self, nic: NicId) -> &[super::Neighbor6] {
        &self.node(nic).neighbors6
    }

    /// Forgets what NIC `nic` learned by ARP about `ip` during this run.
    pub fn forget_neighbor(&mut self, nic: NicId, ip: Ipv4Address) {
        self.node_mut(nic).neighbors.retain(|(a, _, _)| *a != ip);
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
        let mut next;
        // Its servers answer what arrived; what they wrote needs the stack again (a few
        // rounds at most: an answer is written whole).
        let mut rounds = 0;
        loop {
            let nic = self.nics[n.index()].nic.as_mut().expect("materialized");
            next = nic.poll(now, &self.arena);
            rounds += 1;
            let node = &self.nics[n.index()];
            if rounds > 4 || (node.listeners.is_empty() && node.udp_servers.is_empty()) {
                break;
            }
            let tcp = !self.nics[n.index()].listeners.is_empty() && self.serve(n);
            let udp = !self.nics[n.index()].udp_servers.is_empty() && self.serve_udp(n);
            if !tcp && !udp {
                break;
            }
        }
        let nic = self.nics[n.index()].nic.as_mut().expect("materialized");
        // Swap the NIC's queue with a spare one: both keep their capacity.
        let mut out = std::mem::take(&mut self.spare);
        std::mem::swap(&mut out, &mut *nic.tx.borrow_mut());
        for &frame in &out {
            if self.icmp_error_limited(n, frame) {
                self.arena.borrow_mut().release(frame);
                continue;
            }
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
        if self.taps.sniffing() {
            let arena = self.arena.borrow();
            self.taps.sniffed(self.now, n, arena.get(frame));
        }
        if let Some(prober) = self.observe(n, frame) {
            self.answer_dad(n, prober.0, prober.1);
        }
        let len = self.arena.borrow().get(frame).len() as u64;
        let wanted = {
            let arena = self.arena.borrow();
            let f = arena.get(frame);
            (self.node(n).nic.is_some() || self.wants(n, f)) && !broadcast_echo(f)
        };
        let node = self.node_mut(n);
        node.counters.rx_packets += 1;
        node.counters.rx_bytes += len;
        if node.router.is_some() && self.router_receive(n, frame) {
            return;
        }
        if !wanted {
            // Not for it: the stack would drop it; no need to build one.
            self.arena.borrow_mut().release(frame);
            return;
        }
        self.materialize(n);
        let node = self.node_mut(n);
        node.nic.as_mut().expect("materialized").rx.push_back(frame);
        self.poll(n);
        if !self.node(n).asking.is_empty() {
            self.release_held(n);
        }
    }

    /// Linux answers an address probe (an ARP request from `0.0.0.0` for its address, RFC
    /// 5227, `arping -D`) with a reply to the prober's MAC (arp.c `arp_process`); smoltcp
    /// takes no request from a sender outside its subnet, so the kernel's answer is here.
    fn answer_dad(&mut self, n: NicId, prober: [u8; 6], probed: Ipv4Address) {
        let spec = &self.nics[n.index()].spec;
        let mut buf = [0u8; 42];
        super::host::arp_reply(spec.mac, probed, prober, Ipv4Address::UNSPECIFIED, &mut buf);
        self.send_frame(n, &buf);
    }

    /// Mirrors what the NIC's ARP cache learns (smoltcp fills it from ARP aimed at its own
    /// address, from unicast senders in its subnet), and notes IPv4 TTLs. Returns the MAC of
    /// an address probe for one of the NIC's addresses, and that address (see
    /// [`World::answer_dad`]).
    fn observe(&mut self, n: NicId, frame: FrameId) -> Option<([u8; 6], Ipv4Address)> {
        let arena = self.arena.borrow();
        let Ok(eth) = EthernetFrame::new_checked(arena.get(frame)) else {
            return None;
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
                    return None;
                };
                // smoltcp's `has_ip_addr` and `in_same_network`: any of its addresses.
                let spec = &node.spec;
                let cidrs = || spec.addresses();
                let subnet = |a: Ipv4Address| {
                    cidrs().any(|(net, len)| {
                        let m = crate::wire::netmask(len);
                        u32::from(a) & m == u32::from(net) & m
                    })
                };
                // Linux keeps no entry for a subnet's broadcast address (a NOARP one).
                let subnet_broadcast = cidrs().any(|(_, len)| {
                    len < 31
                        && u32::from(source_protocol_addr) | crate::wire::netmask(len) == u32::MAX
                });
                let mine = spec.holds(target_protocol_addr);
                let learn = mine
                    && matches!(operation, ArpOperation::Request | ArpOperation::Reply)
                    && source_hardware_addr.is_unicast()
                    && subnet(source_protocol_addr)
                    && !subnet_broadcast;
                let probe = operation == ArpOperation::Request
                    && source_protocol_addr.is_unspecified()
                    && mine
                    && source_hardware_addr.is_unicast();
                if learn {
                    let neighbors = &mut node.neighbors;
                    neighbors.retain(|(a, _, _)| *a != source_protocol_addr);
                    neighbors.push((source_protocol_addr, source_hardware_addr.0, now));
                }
                return probe.then_some((source_hardware_addr.0, target_protocol_addr));
            }
            EthernetProtocol::Ipv4 => {
                if let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) {
                    node.last_ttl = ip.hop_limit();
                }
            }
            EthernetProtocol::Ipv6 => {
                let Ok(ip) = Ipv6Packet::new_checked(eth.payload()) else {
                    return None;
                };
                node.last_ttl = ip.hop_limit();
                if let Some((addr, mac)) = ndisc_learns(&node.spec, &ip) {
                    let neighbors = &mut node.neighbors6;
                    neighbors.retain(|(a, _, _)| *a != addr);
                    neighbors.push((addr, mac, now));
                }
            }
            _ => {}
        }
        None
    }
}

/// What a NIC's smoltcp neighbour cache learns from IPv6 packet `ip` (its `process_ndisc`):
/// the sender of a solicitation or an advertisement addressed to the NIC that carries the
/// sender's link-layer address.
fn ndisc_learns(spec: &NicSpec, ip: &Ipv6Packet<&[u8]>) -> Option<(Ipv6Address, [u8; 6])> {
    let repr = smoltcp::wire::Ipv6Repr::parse(ip).ok()?;
    if repr.next_header != smoltcp::wire::IpProtocol::Icmpv6 || !spec.hears(repr.dst_addr) {
        return None;
    }
    let icmp = smoltcp::wire::Icmpv6Packet::new_checked(ip.payload()).ok()?;
    let caps = smoltcp::phy::ChecksumCapabilities::default();
    let parsed = smoltcp::wire::Icmpv6Repr::parse(&repr.src_addr, &repr.dst_addr, &icmp, &caps);
    let (target, lladdr) = match parsed.ok()? {
        smoltcp::wire::Icmpv6Repr::Ndisc(
            smoltcp::wire::NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
            }
            | smoltcp::wire::NdiscRepr::NeighborAdvert {
                target_addr,
                lladdr,
                ..
            },
        ) => (target_addr, lladdr?),
        _ => return None,
    };
    let mac = <[u8; 6]>::try_from(lladdr.as_bytes()).ok()?;
    let unicast = |a: Ipv6Address| !a.is_multicast() && !a.is_unspecified();
    (unicast(target) && unicast(repr.src_addr) && mac[0] & 1 == 0).then_some((repr.src_addr, mac))
}

/// Whether `frame` is an ICMP echo request sent to every host of a link (a broadcast or
/// multicast MAC): Linux ignores those (`net.ipv4.icmp_echo_ignore_broadcasts=1`, the
/// default), where smoltcp would answer.
fn broadcast_echo(frame: &[u8]) -> bool {
    let Some(h) = frame.first_chunk::<34>() else {
        return false;
    };
    // Group MAC, IPv4, ICMP; then the ICMP type after the IP header's length (IHL words).
    if h[0] & 1 == 0 || h[12..14] != [0x08, 0x00] || h[23] != 1 {
        return false;
    }
    let ihl = usize::from(h[14] & 0x0f) * 4;
    frame.get(14 + ihl) == Some(&8)
}
