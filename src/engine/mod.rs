//! The discrete-event world: virtual time, the event queue, links, the host, and the
//! programs that run inside it.
//!
//! Sans-IO and deterministic (style.md guidelines 1–3): the caller builds a [`World`] from a
//! topology, starts a program (busybox's `ping`, a [`udp`] stream), and the world advances its clock from event to event,
//! never reading the wall clock. Events are ordered by `(time, sequence)`, so two events due at
//! the same microsecond run in the order they were scheduled. Every random draw (link jitter,
//! stack seeds) comes from the seed the caller passes.
//!
//! A frame's life: a stack writes it into the arena → the link carries it to its bridge
//! (latency) → the bridge learns and picks egress ports → the isolation rules (`enable_icc`,
//! the host not forwarding) filter → each link carries it on → a stack, or the host node,
//! receives it.

pub mod host;
pub mod rule;
pub mod trace;
pub mod udp;

use crate::fabric::{Arena, Bridge, Forward, FrameId, PortId};
use crate::stack::{Counters, Nic};
use crate::wire::vxlan;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::Rng;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, Ipv4Address, Ipv4Packet,
};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Link latency per traversal (veth + bridge), microseconds: a bridge ping's round trip
/// crosses four, about 0.07–0.1 ms as on the seed's host.
pub const DEFAULT_LATENCY: u64 = 18;
/// Seeded jitter added to each traversal, up to this many microseconds.
pub const DEFAULT_JITTER: u64 = 6;
/// A frame's trip through a container's loopback, microseconds (the embedded DNS answers
/// from behind it).
pub const LO_LATENCY: u64 = 25;

/// A network as the engine sees it.
#[derive(Clone, Debug)]
pub struct BridgeSpec {
    /// The network's name (for traces).
    pub name: String,
    /// The host's address on it (the gateway), if any.
    pub gateway: Option<Ipv4Address>,
    /// The host side's MAC on this bridge.
    pub host_mac: [u8; 6],
    /// `com.docker.network.bridge.enable_icc`: whether containers on it may talk.
    pub icc: bool,
    /// Loss, delay and jitter on the frames it sends out of its ports.
    pub link: rule::LinkConfig,
    /// What answers on its node port.
    pub node: BridgeNode,
}

/// Who sits on a bridge's own port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BridgeNode {
    /// The Docker host: it owns every gateway of every bridge (weak host model).
    #[default]
    Host,
    /// An overlay network's namespace: its bridge holds the network's gateway, nothing else.
    Namespace,
    /// Nobody (the underlay LAN between hosts).
    Nobody,
}

/// One host on the underlay LAN that carries VXLAN between hosts.
#[derive(Clone, Debug)]
pub struct UnderlayHostSpec {
    /// The host's name (for traces).
    pub name: String,
    /// Its underlay address (the VTEP's source address).
    pub ip: Ipv4Address,
    /// Its underlay MAC.
    pub mac: [u8; 6],
}

/// An overlay network's VXLAN tunnel endpoint on one host: Docker's overlay driver puts a
/// vxlan device on the network's bridge with `proxy` on and fills its neighbour and
/// forwarding tables from the cluster store (peerAdd): it answers ARP for remote containers
/// itself and sends frames for their MACs to their host, floods nothing, learns nothing.
#[derive(Clone, Debug)]
pub struct VtepSpec {
    /// The overlay bridge it is on.
    pub bridge: usize,
    /// Its host, an index from [`World::add_underlay_host`].
    pub host: usize,
    /// The network's VNIs (one per subnet): what it takes in from the underlay.
    pub vnis: Vec<u32>,
    /// The remote containers: address, MAC, their host, and their subnet's VNI.
    pub remote: Vec<(Ipv4Address, [u8; 6], usize, u32)>,
}

/// A container NIC as the engine sees it.
#[derive(Clone, Debug)]
pub struct NicSpec {
    /// The container's name (for traces).
    pub container: String,
    /// `eth0`, `eth1`, ...
    pub ifname: String,
    /// Index of its bridge in the world.
    pub bridge: usize,
    /// MAC address.
    pub mac: [u8; 6],
    /// Address and prefix length.
    pub ipv4: (Ipv4Address, u8),
    /// The default route's gateway, on the NIC that carries it.
    pub gateway: Option<Ipv4Address>,
    /// Counters so far (they persist between commands).
    pub counters: Counters,
    /// The ARP cache it had at the end of the last command: (address, MAC).
    pub neighbors: Vec<(Ipv4Address, [u8; 6])>,
    /// The interface MTU.
    pub mtu: usize,
}

/// What a NIC learned from ARP: `(address, MAC, when)`.
pub type Neighbor = (Ipv4Address, [u8; 6], u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// A frame reaches its bridge through a port.
    ToBridge {
        bridge: u32,
        port: PortId,
        frame: FrameId,
    },
    /// A frame leaves a bridge port and reaches what is attached.
    ToPeer {
        bridge: u32,
        port: PortId,
        frame: FrameId,
    },
    /// A stack asked to run again (timers).
    Wake { nic: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    Host,
    Nic(usize),
    /// A VTEP on an overlay bridge.
    Vtep(usize),
    /// A host's NIC on the underlay.
    Underlay(usize),
}

struct UnderlayHost {
    spec: UnderlayHostSpec,
    port: PortId,
}

struct Vtep {
    spec: VtepSpec,
    port: PortId,
    /// Prepared outer headers, by remote underlay host and VNI.
    encaps: Vec<(usize, u32, vxlan::Encap)>,
}

struct Br {
    rules: Vec<Box<dyn rule::Rule>>,
    spec: BridgeSpec,
    bridge: Bridge,
    peers: Vec<Option<Peer>>,
    host_port: PortId,
}

struct NicNode {
    spec: NicSpec,
    /// Built on first need (see [`World::add_nic`]).
    nic: Option<Nic>,
    seed: u64,
    port: PortId,
    counters: Counters,
    neighbors: Vec<Neighbor>,
    next_wake: Option<u64>,
    last_ttl: u8,
}

/// The simulated host and everything attached to it, for one command's run.
pub struct World {
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    arena: RefCell<Arena>,
    bridges: Vec<Br>,
    nics: Vec<NicNode>,
    host_ips: Vec<Ipv4Address>,
    rng: ChaCha20Rng,
    latency: u64,
    jitter: u64,
    scratch: Vec<u8>,
    flood: Vec<PortId>,
    spare: Vec<FrameId>,
    trace: Option<Vec<String>>,
    capture: Option<trace::Pcapng>,
    underlay: Option<usize>,
    underlay_hosts: Vec<UnderlayHost>,
    vteps: Vec<Vtep>,
    cuts: Vec<(usize, usize)>,
}

impl World {
    /// An empty world at virtual time `now` (µs since the Unix epoch).
    pub fn new(seed: u64, label: &str, now: u64) -> World {
        World {
            now,
            seq: 0,
            queue: BinaryHeap::new(),
            arena: RefCell::new(Arena::with_capacity(256)),
            bridges: Vec::new(),
            nics: Vec::new(),
            host_ips: Vec::new(),
            rng: crate::rng::derive(seed, label),
            latency: DEFAULT_LATENCY,
            jitter: DEFAULT_JITTER,
            scratch: vec![0; 2048],
            flood: Vec::new(),
            spare: Vec::new(),
            trace: None,
            capture: None,
            underlay: None,
            underlay_hosts: Vec::new(),
            vteps: Vec::new(),
            cuts: Vec::new(),
        }
    }

    /// Records a tcpdump-like line per frame.
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// Records every frame for a pcapng file.
    pub fn enable_capture(&mut self) {
        self.capture = Some(trace::Pcapng::default());
    }

    /// The trace lines so far.
    pub fn trace_lines(&self) -> &[String] {
        self.trace.as_deref().unwrap_or_default()
    }

    /// The capture file, if capturing.
    pub fn capture_bytes(&self) -> Option<Vec<u8>> {
        self.capture.as_ref().map(|c| c.bytes())
    }

    /// The virtual clock.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Adds a bridge with its node (the host, an overlay namespace, or nobody) attached.
    pub fn add_bridge(&mut self, spec: BridgeSpec) -> usize {
        let mut bridge = Bridge::new();
        let host_port = bridge.add_port();
        if let (Some(gw), BridgeNode::Host) = (spec.gateway, spec.node) {
            self.host_ips.push(gw);
        }
        self.bridges.push(Br {
            rules: spec.link.rules(),
            spec,
            bridge,
            peers: vec![Some(Peer::Host)],
            host_port,
        });
        self.bridges.len() - 1
    }

    /// Puts a host on the underlay LAN (made on first use); returns its index.
    pub fn add_underlay_host(&mut self, spec: UnderlayHostSpec) -> usize {
        let b = match self.underlay {
            Some(b) => b,
            None => {
                let b = self.add_bridge(BridgeSpec {
                    name: "underlay".into(),
                    gateway: None,
                    host_mac: [0; 6],
                    icc: true,
                    link: rule::LinkConfig::default(),
                    node: BridgeNode::Nobody,
                });
                self.underlay = Some(b);
                b
            }
        };
        let h = self.underlay_hosts.len();
        let port = self.attach(b, Peer::Underlay(h));
        self.underlay_hosts.push(UnderlayHost { spec, port });
        h
    }

    /// Cuts the underlay between two hosts: VXLAN frames between them are lost.
    pub fn cut(&mut self, a: usize, b: usize) {
        self.cuts.push((a.min(b), a.max(b)));
    }

    /// Adds a VTEP on an overlay bridge; returns its index.
    pub fn add_vtep(&mut self, spec: VtepSpec) -> usize {
        let v = self.vteps.len();
        let port = self.attach(spec.bridge, Peer::Vtep(v));
        self.vteps.push(Vtep {
            spec,
            port,
            encaps: Vec::new(),
        });
        v
    }

    fn attach(&mut self, b: usize, peer: Peer) -> PortId {
        let br = &mut self.bridges[b];
        let port = br.bridge.add_port();
        if br.peers.len() <= port as usize {
            br.peers.resize(port as usize + 1, None);
        }
        br.peers[port as usize] = Some(peer);
        port
    }

    /// Gives the host one more address, the gateway of a bridge that is not in this world
    /// (the host answers for all its addresses on every bridge).
    pub fn add_host_address(&mut self, ip: Ipv4Address) {
        self.host_ips.push(ip);
    }

    /// Adds a container NIC on a bridge. Its smoltcp stack is built when it is first needed
    /// (it sends, or a frame arrives that is addressed to it): a flooded ARP request for
    /// another address only counts on its port, as it does on Linux. Building lazily changes
    /// no outcome (the stack's seed is drawn here, in order) and keeps commands on large
    /// networks cheap (design-notes.md, "One command, one short simulation").
    pub fn add_nic(&mut self, mut spec: NicSpec) -> usize {
        // An arena slot holds frames of MAX_FRAME bytes: a larger configured MTU (jumbo
        // frames) is shown but not reached.
        spec.mtu = spec.mtu.min(crate::fabric::arena::MAX_FRAME - 14);
        let i = self.nics.len();
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

    /// Builds NIC `n`'s stack if it has none yet.
    fn materialize(&mut self, n: usize) {
        if self.nics[n].nic.is_some() {
            return;
        }
        let spec = &self.nics[n].spec;
        let mut nic = Nic::new(
            spec.mac,
            spec.ipv4,
            spec.gateway,
            spec.mtu,
            self.nics[n].seed,
            &self.arena,
            self.now,
        );
        // The stack starts with the ARP cache it had: smoltcp has no call to fill it, so each
        // entry is handed to it as the ARP reply it learned it from. These frames restore
        // state; they are not traffic: not counted, not traced.
        for (ip, mac) in &spec.neighbors {
            let mut buf = [0u8; 42];
            host::arp_reply(*mac, *ip, spec.mac, spec.ipv4.0, &mut buf);
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
        self.nics[n].nic = Some(nic);
    }

    /// Whether a frame reaching NIC `n` needs its stack: addressed to its MAC, or a broadcast
    /// ARP request for its address.
    fn wants(&self, n: usize, frame: &[u8]) -> bool {
        let spec = &self.nics[n].spec;
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
    pub fn counters(&self, nic: usize) -> Counters {
        self.nics[nic].counters
    }

    /// What a NIC learned by ARP during this run.
    pub fn neighbors(&self, nic: usize) -> &[Neighbor] {
        &self.nics[nic].neighbors
    }

    /// The NIC's stack.
    pub fn nic_mut(&mut self, nic: usize) -> &mut Nic {
        self.materialize(nic);
        self.nics[nic].nic.as_mut().expect("materialized")
    }

    /// The TTL of the last IPv4 packet the NIC received.
    pub fn last_ttl(&self, nic: usize) -> u8 {
        self.nics[nic].last_ttl
    }

    fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    /// A frame enters bridge `b` by `port` after a link's delay.
    fn enter_bridge(&mut self, b: usize, port: PortId, frame: FrameId) {
        let at = self.now + self.link_delay();
        self.schedule(
            at,
            Ev::ToBridge {
                bridge: b as u32,
                port,
                frame,
            },
        );
    }

    fn link_delay(&mut self) -> u64 {
        self.latency
            + if self.jitter > 0 {
                self.rng.next_u64() % (self.jitter + 1)
            } else {
                0
            }
    }

    /// A frame on a container's loopback (`lo`): traced and captured like any other, and
    /// [`LO_LATENCY`] later it has arrived. Nothing else sees it.
    pub fn loopback(&mut self, container: &str, frame: &[u8]) {
        let name = format!("{container} lo");
        if let Some(t) = &mut self.trace {
            t.push(format!(
                "{} {name} > {}",
                clock(self.now),
                trace::summary(frame)
            ));
        }
        if let Some(c) = &mut self.capture {
            let i = c.interface(&name);
            c.record(i, self.now, frame);
        }
        self.now += LO_LATENCY;
    }

    /// A random draw from the world's seeded generator.
    pub fn rng_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Moves the clock forward without an event (a program's own timer).
    pub fn advance_to(&mut self, t: u64) {
        self.now = self.now.max(t);
    }

    /// Runs every event due up to `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: u64) {
        while self.next_event_time().is_some_and(|e| e <= t) {
            self.step();
        }
        self.advance_to(t);
    }

    /// When the next event is due.
    pub fn next_event_time(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Runs the next event (moving the clock to it). Returns false if there is none.
    pub fn step(&mut self) -> bool {
        let Some(Reverse((t, _, ev))) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(t);
        match ev {
            Ev::ToBridge {
                bridge,
                port,
                frame,
            } => self.bridge_ingress(bridge as usize, port, frame),
            Ev::ToPeer {
                bridge,
                port,
                frame,
            } => self.port_egress(bridge as usize, port, frame),
            Ev::Wake { nic } => {
                let n = nic as usize;
                if self.nics[n].next_wake == Some(t) {
                    self.nics[n].next_wake = None;
                    self.poll(n);
                }
            }
        }
        true
    }

    /// Runs a NIC's stack now, and sends what it wrote.
    pub fn poll(&mut self, n: usize) {
        let now = self.now;
        self.materialize(n);
        let nic = self.nics[n].nic.as_mut().expect("materialized");
        let next = nic.poll(now, &self.arena);
        // Swap the NIC's queue with a spare one: both keep their capacity.
        let mut out = std::mem::take(&mut self.spare);
        std::mem::swap(&mut out, &mut *nic.tx.borrow_mut());
        for &frame in &out {
            let len = self.arena.borrow().get(frame).len() as u64;
            let node = &mut self.nics[n];
            node.counters.tx_packets += 1;
            node.counters.tx_bytes += len;
            let (bridge, port) = (node.spec.bridge as u32, node.port);
            let at = now + self.link_delay();
            self.schedule(
                at,
                Ev::ToBridge {
                    bridge,
                    port,
                    frame,
                },
            );
        }
        out.clear();
        self.spare = out;
        if let Some(at) = next {
            let at = at.max(now + 1);
            let node = &mut self.nics[n];
            if node.next_wake.is_none_or(|w| at < w) {
                node.next_wake = Some(at);
                self.schedule(at, Ev::Wake { nic: n as u32 });
            }
        }
    }

    fn port_name(&self, b: usize, port: PortId) -> String {
        let br = &self.bridges[b];
        match br.peers.get(port as usize).copied().flatten() {
            Some(Peer::Host) => format!("{} host", br.spec.name),
            Some(Peer::Nic(i)) => format!(
                "{} {}.{}",
                br.spec.name, self.nics[i].spec.container, self.nics[i].spec.ifname
            ),
            Some(Peer::Vtep(_)) => format!("{} vxlan0", br.spec.name),
            Some(Peer::Underlay(h)) => {
                format!("{} {}.eth0", br.spec.name, self.underlay_hosts[h].spec.name)
            }
            None => format!("{} port{port}", br.spec.name),
        }
    }

    fn bridge_ingress(&mut self, b: usize, ingress: PortId, frame: FrameId) {
        if self.trace.is_some() || self.capture.is_some() {
            let name = self.port_name(b, ingress);
            let bytes = self.arena.borrow().get(frame).to_vec();
            if let Some(t) = &mut self.trace {
                t.push(format!(
                    "{} {name} > {}",
                    clock(self.now),
                    trace::summary(&bytes)
                ));
            }
            if let Some(c) = &mut self.capture {
                let i = c.interface(&name);
                c.record(i, self.now, &bytes);
            }
        }
        let decision = {
            let arena = self.arena.borrow();
            self.bridges[b]
                .bridge
                .forward(self.now, ingress, arena.get(frame))
        };
        let br = &self.bridges[b];
        let from_nic = matches!(br.peers[ingress as usize], Some(Peer::Nic(_)));
        let is_ip = self.arena.borrow().get(frame).get(12..14) == Some(&[0x08, 0x00]);
        // Docker's ICC rule (`-i br -o br -j DROP`) filters IP between containers; ARP and
        // traffic to and from the host pass.
        let blocked = |peer: Option<Peer>| {
            !br.spec.icc && from_nic && is_ip && matches!(peer, Some(Peer::Nic(_)))
        };
        match decision {
            Forward::One(p) => {
                if !blocked(br.peers[p as usize]) {
                    self.send_out(b, p, frame);
                }
            }
            Forward::Flood => {
                let mut ports = std::mem::take(&mut self.flood);
                ports.clear();
                ports.extend(
                    br.bridge
                        .ports()
                        .filter(|p| *p != ingress && !blocked(br.peers[*p as usize])),
                );
                for &p in &ports {
                    self.send_out(b, p, frame);
                }
                self.flood = ports;
            }
            Forward::Drop => {}
        }
        self.arena.borrow_mut().release(frame);
    }

    /// A frame leaves bridge `b` by port `p`: the link's rules decide, then its latency.
    fn send_out(&mut self, b: usize, p: PortId, frame: FrameId) {
        let verdict = if self.bridges[b].rules.is_empty() {
            rule::Verdict::Pass
        } else {
            let arena = self.arena.borrow();
            rule::evaluate(&mut self.bridges[b].rules, &mut self.rng, arena.get(frame))
        };
        let extra = match verdict {
            rule::Verdict::Drop => return,
            rule::Verdict::Deliver(d) => d,
            rule::Verdict::Pass => 0,
        };
        self.arena.borrow_mut().share(frame);
        let at = self.now + self.link_delay() + extra;
        self.schedule(
            at,
            Ev::ToPeer {
                bridge: b as u32,
                port: p,
                frame,
            },
        );
    }

    fn port_egress(&mut self, b: usize, port: PortId, frame: FrameId) {
        match self.bridges[b].peers.get(port as usize).copied().flatten() {
            Some(Peer::Nic(n)) => {
                self.observe(n, frame);
                let len = self.arena.borrow().get(frame).len() as u64;
                let wanted = {
                    let arena = self.arena.borrow();
                    self.nics[n].nic.is_some() || self.wants(n, arena.get(frame))
                };
                let node = &mut self.nics[n];
                node.counters.rx_packets += 1;
                node.counters.rx_bytes += len;
                if !wanted {
                    // Not for it: the stack would drop it; no need to build one.
                    self.arena.borrow_mut().release(frame);
                    return;
                }
                self.materialize(n);
                let node = &mut self.nics[n];
                node.nic.as_mut().expect("materialized").rx.push_back(frame);
                self.poll(n);
            }
            Some(Peer::Vtep(v)) => self.vtep_egress(v, frame),
            Some(Peer::Underlay(h)) => self.underlay_egress(h, frame),
            Some(Peer::Host) => {
                let spec = &self.bridges[b].spec;
                let mac = spec.host_mac;
                let ips: &[Ipv4Address] = match spec.node {
                    BridgeNode::Host => &self.host_ips,
                    BridgeNode::Namespace => spec.gateway.as_slice(),
                    BridgeNode::Nobody => &[],
                };
                let reply = {
                    let arena = self.arena.borrow();
                    host::respond(ips, mac, arena.get(frame), &mut self.scratch)
                };
                self.arena.borrow_mut().release(frame);
                if let Some(len) = reply {
                    let id = self.arena.borrow_mut().alloc(len);
                    self.arena
                        .borrow_mut()
                        .get_mut(id)
                        .copy_from_slice(&self.scratch[..len]);
                    let host_port = self.bridges[b].host_port;
                    self.enter_bridge(b, host_port, id);
                }
            }
            None => self.arena.borrow_mut().release(frame),
        }
    }

    /// A frame reaches a VTEP from its overlay bridge: an ARP request for a remote container
    /// is answered on the spot (the neighbour table's proxy); a frame for a remote MAC goes
    /// into VXLAN, headers written in the slot's headroom, to that container's host; the rest
    /// is dropped.
    fn vtep_egress(&mut self, v: usize, frame: FrameId) {
        enum Act {
            Proxy([u8; 6], Ipv4Address, [u8; 6], Ipv4Address),
            Tunnel(usize, u32),
            Drop,
        }
        let act = {
            let arena = self.arena.borrow();
            let bytes = arena.get(frame);
            let remote = &self.vteps[v].spec.remote;
            match EthernetFrame::new_checked(bytes) {
                Ok(eth) if eth.ethertype() == EthernetProtocol::Arp => {
                    match ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p)) {
                        Ok(ArpRepr::EthernetIpv4 {
                            operation: ArpOperation::Request,
                            source_hardware_addr,
                            source_protocol_addr,
                            target_protocol_addr,
                            ..
                        }) => remote
                            .iter()
                            .find(|(ip, _, _, _)| *ip == target_protocol_addr)
                            .map_or(Act::Drop, |(ip, mac, _, _)| {
                                Act::Proxy(*mac, *ip, source_hardware_addr.0, source_protocol_addr)
                            }),
                        _ => Act::Drop,
                    }
                }
                Ok(eth) => remote
                    .iter()
                    .find(|(_, mac, _, _)| *mac == eth.dst_addr().0)
                    .map_or(Act::Drop, |(_, _, h, vni)| Act::Tunnel(*h, *vni)),
                Err(_) => Act::Drop,
            }
        };
        let spec = &self.vteps[v].spec;
        let (bridge, port, here) = (spec.bridge, self.vteps[v].port, spec.host);
        match act {
            Act::Drop => self.arena.borrow_mut().release(frame),
            Act::Proxy(mac, ip, to_mac, to_ip) => {
                self.arena.borrow_mut().release(frame);
                let mut buf = [0u8; 42];
                host::arp_reply(mac, ip, to_mac, to_ip, &mut buf);
                let id = self.arena.borrow_mut().alloc(buf.len());
                self.arena.borrow_mut().get_mut(id).copy_from_slice(&buf);
                self.enter_bridge(bridge, port, id);
            }
            Act::Tunnel(there, vni) => {
                if self.cuts.contains(&(here.min(there), here.max(there))) {
                    self.arena.borrow_mut().release(frame);
                    return;
                }
                let frame = self.own(frame);
                let (src, dst) = (&self.underlay_hosts[here], &self.underlay_hosts[there]);
                let encaps = &mut self.vteps[v].encaps;
                let encap = match encaps.iter().find(|(h, n, _)| *h == there && *n == vni) {
                    Some((_, _, e)) => *e,
                    None => {
                        let e = vxlan::Encap::new(&vxlan::Tunnel {
                            src_mac: src.spec.mac,
                            dst_mac: dst.spec.mac,
                            src_ip: src.spec.ip,
                            dst_ip: dst.spec.ip,
                            src_port: 0,
                            vni,
                        });
                        encaps.push((there, vni, e));
                        e
                    }
                };
                let mut arena = self.arena.borrow_mut();
                let inner_len = arena.get(frame).len();
                // Linux picks the source port from a hash of the inner flow.
                let sport = {
                    let inner = arena.get(frame);
                    let h = inner[..12]
                        .iter()
                        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(*b)));
                    32768 + (h % 28232) as u16
                };
                encap.write(inner_len, sport, arena.push_head(frame, vxlan::OVERHEAD));
                drop(arena);
                let (ub, up) = (self.underlay.expect("hosts on it"), src.port);
                self.enter_bridge(ub, up, frame);
            }
        }
    }

    /// A frame reaches a host's underlay NIC: VXLAN for one of its VTEPs is unwrapped and
    /// enters that overlay bridge; anything else is dropped.
    fn underlay_egress(&mut self, h: usize, frame: FrameId) {
        let found = {
            let arena = self.arena.borrow();
            let bytes = arena.get(frame);
            let for_me = bytes.get(0..6) == Some(&self.underlay_hosts[h].spec.mac[..]);
            vxlan::decapsulate(bytes)
                .filter(|_| for_me)
                .and_then(|(vni, off)| {
                    self.vteps
                        .iter()
                        .find(|t| t.spec.host == h && t.spec.vnis.contains(&vni))
                        .map(|t| (t.spec.bridge, t.port, off))
                })
        };
        let Some((bridge, port, off)) = found else {
            self.arena.borrow_mut().release(frame);
            return;
        };
        let frame = self.own(frame);
        self.arena.borrow_mut().pull_head(frame, off);
        self.enter_bridge(bridge, port, frame);
    }

    /// A frame this holder may write: itself, or a copy when others hold it too.
    fn own(&mut self, frame: FrameId) -> FrameId {
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

    /// Mirrors what the NIC's ARP cache learns (smoltcp fills it from ARP aimed at its own
    /// address, from unicast senders in its subnet), and notes IPv4 TTLs.
    fn observe(&mut self, n: usize, frame: FrameId) {
        let arena = self.arena.borrow();
        let Ok(eth) = EthernetFrame::new_checked(arena.get(frame)) else {
            return;
        };
        let node = &mut self.nics[n];
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
                        .push((source_protocol_addr, source_hardware_addr.0, self.now));
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

/// `HH:MM:SS.ffffff` of a virtual time, as tcpdump prints timestamps.
pub fn clock(micros: u64) -> String {
    let secs = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        micros % 1_000_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Address {
        s.parse().unwrap()
    }

    /// c2 (172.25.0.2) and c3 (172.25.3.3) on one bridge whose link follows `link`.
    pub(super) fn two_on_a_link(icc: bool, link: rule::LinkConfig) -> World {
        let mut w = World::new(1, "test", 1_000_000);
        let b = w.add_bridge(BridgeSpec {
            name: "isolated_nw".into(),
            gateway: Some(ip("172.25.0.1")),
            host_mac: [2, 0x42, 0x11, 0, 0, 1],
            icc,
            link,
            node: BridgeNode::Host,
        });
        for (name, addr, mac) in [("c2", "172.25.0.2", 2u8), ("c3", "172.25.3.3", 3)] {
            w.add_nic(NicSpec {
                container: name.into(),
                ifname: "eth0".into(),
                bridge: b,
                mac: [2, 0x42, 0xac, 0x19, 0, mac],
                ipv4: (ip(addr), 16),
                gateway: Some(ip("172.25.0.1")),
                counters: Counters::default(),
                neighbors: Vec::new(),
                mtu: crate::stack::MTU,
            });
        }
        w
    }
}
