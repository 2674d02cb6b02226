//! A container's IP layer above its NICs' stacks: the routing table that joins them, the
//! forwarding of a container with `net.ipv4.ip_forward=1`, and the ARP queue Linux keeps.
//!
//! smoltcp runs one interface per NIC and forwards nothing, so what Linux's IP layer does
//! between a namespace's interfaces is here, as net/ipv4 does it:
//!
//! - **Forwarding** (`ip_forward.c`, RFC 1812 5.3): a packet sent to one of the container's
//!   MACs for an address that is not its own is routed by the container's table, its TTL
//!   decremented, and sent by the egress NIC to the next hop. With `ip_forward=0` it is
//!   dropped silently (`ip_error` only counts it). A TTL of 1 or less gets ICMP time
//!   exceeded (11/0), no route gets net unreachable (3/0), a packet larger than the egress
//!   MTU with DF set gets fragmentation needed (3/4): each from the address of the interface
//!   the error leaves by, quoting up to 548 bytes of the packet, as `icmp_send` does.
//! - **The weak host model**: a packet for the container's address on another of its
//!   interfaces is answered here as the kernel would with no program on it (echo reply,
//!   UDP port unreachable, TCP RST): smoltcp's stack of that other NIC could not route the
//!   answer back out of this one.
//! - **The ARP queue** (`neigh_resolve_output`, `arp_queue`): a packet whose next hop has no
//!   ARP entry waits while the NIC asks (three probes a second apart, `mcast_solicit`); when
//!   none is answered it is dropped and its sender told host unreachable (3/1,
//!   `arp_error_report`). smoltcp drops such a packet instead; so a packet arriving from
//!   beyond a router, whose answer needs the router's MAC, waits here until the NIC has it
//!   before its stack sees it, and the stack's answer leaves at once, as Linux's would after
//!   its queue emptied.
//!
//! - **ICMP's rate limit** (`icmpv4_xrlim_allow`, inetpeer.c `inet_peer_xrlim_allow`):
//!   errors of the types in `icmp_ratemask` (destination unreachable but fragmentation
//!   needed, source quench, time exceeded, parameter problem) to one address draw on a
//!   bucket of `icmp_ratelimit` (1 s) per error that fills with time up to six errors'
//!   worth, full for an address not seen before; an error the bucket cannot pay for is not
//!   sent (`traceroute -q 10` through a router shows `*` after six answers). Errors a
//!   container's stack sends (smoltcp's port unreachable) are held to the same limit as
//!   they leave, per container (per NIC for one without a router). The limit lives in the
//!   namespace for one command (between two commands a person takes longer than the six
//!   seconds that fill it); the host-wide `icmp_msgs_per_sec` (1000/s, randomised credit)
//!   is not simulated.
//!
//! Only containers that need it have a router (several interfaces, routes of their own, or
//! forwarding on): a plain container's frames never come here.

use super::world::Ev;
use super::{NicId, World};
use crate::fabric::FrameId;
use crate::time::{Duration, Instant};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, Icmpv4Packet, IpProtocol, Ipv4Address,
    Ipv4Packet, Ipv4Repr,
};

/// A route of a container's table, for the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination network.
    pub net: Ipv4Address,
    /// Its prefix length.
    pub len: u8,
    /// The gateway, if the destination is not on the link.
    pub via: Option<Ipv4Address>,
    /// The NIC it leaves by.
    pub nic: NicId,
}

impl Route {
    fn contains(&self, ip: Ipv4Address) -> bool {
        let m = crate::wire::netmask(self.len);
        u32::from(ip) & m == u32::from(self.net) & m
    }
}

/// A container's IP layer: its NICs, its table, whether it forwards.
#[derive(Clone, Debug, Default)]
pub struct RouterSpec {
    /// Its NICs in the world.
    pub nics: Vec<NicId>,
    /// Its whole main table.
    pub routes: Vec<Route>,
    /// Every address of the container, on interfaces in the world or not (what it answers
    /// for as its own).
    pub addresses: Vec<Ipv4Address>,
    /// `net.ipv4.ip_forward`.
    pub forward: bool,
    /// The Docker host's own stack (`vnet host exec`): it forwards, but Docker's isolation
    /// chains drop what goes between bridges, and it has no world outside.
    pub host: bool,
}

/// Packets an unresolved next hop holds at most (Linux's `unres_qlen` is about 100 frames).
const QUEUE: usize = 100;
/// Next hops a NIC asks for at once at most (vnet's bound on the queue as a whole).
const ASKING: usize = 256;
/// ARP probes for a next hop before it is given up (`mcast_solicit`).
const PROBES: u8 = 3;
/// Between probes (`retrans_time_ms`).
const RETRANS: Duration = Duration::from_secs(1);
/// The most of a packet an ICMP error quotes (576 bytes less its own headers).
const QUOTE: usize = 548;
/// `net.ipv4.icmp_ratelimit`: what one error costs, in µs of the bucket (1000 ms).
const ICMP_RATELIMIT: u64 = 1_000_000;
/// `XRLIM_BURST_FACTOR`: the bucket holds six errors' worth.
const XRLIM_BURST: u64 = 6 * ICMP_RATELIMIT;
/// Addresses one router keeps a bucket for (vnet's bound; the kernel's inet_peer cache
/// forgets the oldest too).
const ICMP_PEERS: usize = 1024;

/// The ICMP error buckets of one router, by destination: tokens (µs) and when last used.
#[derive(Debug, Default)]
pub(super) struct IcmpLimit {
    peers: Vec<(Ipv4Address, u64, Instant)>,
}

impl IcmpLimit {
    /// Whether an error to `to` may go at `now` (`inet_peer_xrlim_allow`); it pays if so.
    fn allow(&mut self, to: Ipv4Address, now: Instant) -> bool {
        let k = match self.peers.iter().position(|p| p.0 == to) {
            Some(k) => k,
            None => {
                if self.peers.len() >= ICMP_PEERS {
                    self.peers.remove(0);
                }
                // A new peer's `rate_last` is 60 s back: its bucket starts full.
                self.peers.push((to, XRLIM_BURST, now));
                self.peers.len() - 1
            }
        };
        let Some((_, tokens, last)) = self.peers.get_mut(k) else {
            return true;
        };
        let mut token = tokens
            .saturating_add(now.0.saturating_sub(last.0))
            .min(XRLIM_BURST);
        *last = now;
        let ok = token >= ICMP_RATELIMIT;
        if ok {
            token -= ICMP_RATELIMIT;
        }
        *tokens = token;
        ok
    }
}

/// Whether `icmp_ratemask` (its default, 0x1818) limits an error of this type and code.
fn rate_limited((kind, code): (u8, u8)) -> bool {
    match kind {
        // Fragmentation needed is never limited: path MTU discovery needs it.
        3 => code != 4,
        4 | 11 | 12 => true,
        _ => false,
    }
}

/// A packet waiting for its next hop's MAC on one NIC.
pub(super) struct Held {
    hop: Ipv4Address,
    frame: FrameId,
    /// Arrived for the NIC's own stack (else: to be sent out by it).
    inbound: bool,
}

/// A next hop being asked for.
pub(super) struct Asking {
    hop: Ipv4Address,
    probes: u8,
    next: Instant,
}

/// What arrives for a router NIC, once classified.
enum Arrival {
    /// Its stack's business, now.
    Stack,
    /// Its stack's, once the answer's next hop is known.
    Hold(Ipv4Address),
    /// For another address of the container.
    Local,
    /// For someone else: its destination, TTL, total length and DF bit.
    Forward(Ipv4Address, u8, usize, bool),
}

// NIC and router indices come from the world that handed them out (see world.rs).
#[allow(clippy::indexing_slicing)]
impl World {
    /// Makes the container whose NICs are `spec.nics` route as `spec` says.
    pub fn add_router(&mut self, spec: RouterSpec) {
        let r = self.routers.len();
        for n in &spec.nics {
            if let Some(node) = self.nics.get_mut(n.index()) {
                node.router = Some(r);
            }
        }
        self.routers.push(spec);
        self.icmp_limits.push(IcmpLimit::default());
    }

    /// The route to `ip` of router `r`: the NIC and the next hop.
    fn lookup(&self, r: usize, ip: Ipv4Address) -> Option<(NicId, Ipv4Address)> {
        let mut best: Option<&Route> = None;
        for route in &self.routers[r].routes {
            if route.contains(ip) && best.is_none_or(|b| route.len > b.len) {
                best = Some(route);
            }
        }
        best.map(|b| (b.nic, b.via.unwrap_or(ip)))
    }

    /// The MAC NIC `n` has for `ip`, if its ARP cache holds it.
    pub(super) fn neighbor_mac(&self, n: NicId, ip: Ipv4Address) -> Option<[u8; 6]> {
        let node = &self.nics[n.index()];
        node.neighbors
            .iter()
            .rev()
            .find(|(a, _, _)| *a == ip)
            .map(|(_, m, _)| *m)
            .or_else(|| {
                node.spec
                    .neighbors
                    .iter()
                    .find(|(a, _)| *a == ip)
                    .map(|(_, m)| *m)
            })
    }

    /// A frame reached NIC `n` of a router: returns true when the router took it (held,
    /// answered, forwarded or dropped), false when it goes to the NIC's stack as usual.
    pub(super) fn router_receive(&mut self, n: NicId, frame: FrameId) -> bool {
        let Some(r) = self.nics[n.index()].router else {
            return false;
        };
        match self.classify(r, n, frame) {
            Arrival::Stack => false,
            Arrival::Hold(hop) => {
                self.hold(n, hop, frame, true);
                true
            }
            Arrival::Local => {
                self.answer_locally(r, n, frame);
                true
            }
            Arrival::Forward(dst, ttl, len, df) => {
                if self.routers[r].forward {
                    self.forward(r, frame, dst, ttl, len, df);
                } else {
                    if self.taps.tracer().is_some() {
                        let why = if !self.routers[r].host {
                            "ip_forward=0"
                        } else if self.lookup(r, dst).is_some() {
                            "isolation"
                        } else {
                            "no route"
                        };
                        self.nic_drop(n, frame, why);
                    }
                    self.arena.borrow_mut().release(frame);
                }
                true
            }
        }
    }

    fn classify(&self, r: usize, n: NicId, frame: FrameId) -> Arrival {
        let arena = self.arena.borrow();
        let node = &self.nics[n.index()];
        let Ok(eth) = EthernetFrame::new_checked(arena.get(frame)) else {
            return Arrival::Stack;
        };
        if eth.dst_addr() != EthernetAddress(node.spec.mac)
            || eth.ethertype() != EthernetProtocol::Ipv4
        {
            return Arrival::Stack;
        }
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
            return Arrival::Stack;
        };
        let (dst, src) = (ip.dst_addr(), ip.src_addr());
        if node.spec.holds(dst) {
            // The answer goes back by the route to the sender: wait for its MAC if unknown.
            return match self.lookup(r, src) {
                Some((out, hop))
                    if out == n && hop != src && self.neighbor_mac(n, hop).is_none() =>
                {
                    Arrival::Hold(hop)
                }
                _ => Arrival::Stack,
            };
        }
        let own = self.routers[r].addresses.contains(&dst);
        if own {
            Arrival::Local
        } else if dst.is_broadcast() || dst.is_multicast() {
            Arrival::Stack
        } else {
            Arrival::Forward(
                dst,
                ip.hop_limit(),
                usize::from(ip.total_len()),
                ip.dont_frag(),
            )
        }
    }

    /// `ip_forward`: TTL, route, MTU, then out by the egress NIC (the header's fields as
    /// `classify` read them).
    fn forward(
        &mut self,
        r: usize,
        frame: FrameId,
        dst: Ipv4Address,
        ttl: u8,
        len: usize,
        df: bool,
    ) {
        // The route first (ip_route_input), then the TTL (ip_forward).
        let Some((out, hop)) = self.lookup(r, dst) else {
            self.icmp_error(r, None, frame, NET_UNREACHABLE, 0);
            return;
        };
        if ttl <= 1 {
            self.icmp_error(r, None, frame, TIME_EXCEEDED, 0);
            return;
        }
        let mtu = self.nics[out.index()].spec.mtu;
        if len > mtu {
            if df {
                // The next hop's MTU is the egress interface's.
                let next = u16::try_from(mtu).unwrap_or(u16::MAX);
                self.icmp_error(r, None, frame, FRAG_NEEDED, next);
            } else {
                if self.taps.tracer().is_some() {
                    self.nic_drop(out, frame, "mtu (fragmentation is not simulated)");
                }
                self.arena.borrow_mut().release(frame);
            }
            return;
        }
        let frame = self.own(frame);
        {
            let mut arena = self.arena.borrow_mut();
            let f = arena.get_mut(frame);
            if let Some(ip) = f.get_mut(14..) {
                let mut ip = Ipv4Packet::new_unchecked(ip);
                ip.set_hop_limit(ttl - 1);
                ip.fill_checksum();
            }
        }
        self.send_to(out, hop, frame);
    }

    /// Sends `frame` (an Ethernet frame whose addresses are to be filled) out of NIC `out`
    /// to `hop`, now or once ARP has found it.
    fn send_to(&mut self, out: NicId, hop: Ipv4Address, frame: FrameId) {
        match self.neighbor_mac(out, hop) {
            Some(mac) => self.emit(out, mac, frame),
            None => self.hold(out, hop, frame, false),
        }
    }

    fn emit(&mut self, out: NicId, mac: [u8; 6], frame: FrameId) {
        let src = self.nics[out.index()].spec.mac;
        {
            let mut arena = self.arena.borrow_mut();
            let mut eth = EthernetFrame::new_unchecked(arena.get_mut(frame));
            eth.set_src_addr(EthernetAddress(src));
            eth.set_dst_addr(EthernetAddress(mac));
        }
        let now = self.now;
        self.send_from_nic(now, out, frame);
    }

    /// Queues `frame` on NIC `n` until `hop` is resolved, and asks for it if nobody is.
    fn hold(&mut self, n: NicId, hop: Ipv4Address, frame: FrameId, inbound: bool) {
        let node = &mut self.nics[n.index()];
        let asked = node.asking.iter().any(|a| a.hop == hop);
        if node.held.iter().filter(|h| h.hop == hop).count() >= QUEUE
            || (!asked && node.asking.len() >= ASKING)
        {
            self.arena.borrow_mut().release(frame);
            return;
        }
        node.held.push(Held {
            hop,
            frame,
            inbound,
        });
        if node.asking.iter().any(|a| a.hop == hop) {
            return;
        }
        let now = self.now;
        self.nics[n.index()].asking.push(Asking {
            hop,
            probes: 0,
            next: now,
        });
        self.ask(n, now);
    }

    /// NIC `n`'s ARP timer: probes that are due go out; a hop asked [`PROBES`] times for a
    /// second each is given up.
    pub(super) fn ask(&mut self, n: NicId, now: Instant) {
        let mut due = Vec::new();
        let mut failed = Vec::new();
        for a in &mut self.nics[n.index()].asking {
            if a.next > now {
                continue;
            }
            if a.probes >= PROBES {
                failed.push(a.hop);
            } else {
                a.probes += 1;
                a.next = now + RETRANS;
                due.push(a.hop);
            }
        }
        for hop in due {
            self.probe(n, hop);
        }
        for hop in failed {
            self.give_up(n, hop);
        }
        // One timer a NIC, for its soonest probe (as `next_wake` is for its stack).
        let node = &mut self.nics[n.index()];
        if let Some(next) = node.asking.iter().map(|a| a.next).min()
            && node.ask_at.is_none_or(|at| next < at)
        {
            node.ask_at = Some(next);
            self.schedule(next, Ev::Arp { nic: n });
        }
    }

    /// NIC `n`'s ARP timer, set for `t`, fires (unless a sooner one replaced it).
    pub(super) fn ask_timer(&mut self, n: NicId, t: Instant) {
        if self.nics[n.index()].ask_at == Some(t) {
            self.nics[n.index()].ask_at = None;
            self.ask(n, t);
        }
    }

    /// A broadcast ARP request for `hop` from NIC `n`.
    fn probe(&mut self, n: NicId, hop: Ipv4Address) {
        let spec = &self.nics[n.index()].spec;
        let mut buf = [0u8; 42];
        super::host::arp_request(spec.mac, spec.ipv4.0, hop, &mut buf);
        self.send_frame(n, &buf);
    }

    /// Nobody answered for `hop`: what waited for it is dropped, and each forwarded packet's
    /// sender hears host unreachable.
    fn give_up(&mut self, n: NicId, hop: Ipv4Address) {
        let node = &mut self.nics[n.index()];
        node.asking.retain(|a| a.hop != hop);
        let mut gone = Vec::new();
        node.held.retain(|h| {
            if h.hop == hop {
                gone.push((h.frame, h.inbound));
                false
            } else {
                true
            }
        });
        let r = self.nics[n.index()].router;
        for (frame, inbound) in gone {
            match r {
                Some(r) if !inbound => {
                    self.icmp_error(r, None, frame, HOST_UNREACHABLE, 0);
                }
                _ => self.arena.borrow_mut().release(frame),
            }
        }
    }

    /// After NIC `n`'s stack ran: what waited for a hop it now knows goes on.
    pub(super) fn release_held(&mut self, n: NicId) {
        let node = &self.nics[n.index()];
        if node.held.is_empty() && node.asking.is_empty() {
            return;
        }
        let known: Vec<Ipv4Address> = node
            .asking
            .iter()
            .map(|a| a.hop)
            .filter(|h| self.neighbor_mac(n, *h).is_some())
            .collect();
        if known.is_empty() {
            return;
        }
        let node = &mut self.nics[n.index()];
        node.asking.retain(|a| !known.contains(&a.hop));
        let mut ready = Vec::new();
        node.held.retain(|h| {
            if known.contains(&h.hop) {
                ready.push((h.hop, h.frame, h.inbound));
                false
            } else {
                true
            }
        });
        let mut inbound = false;
        for (hop, frame, to_stack) in ready {
            if to_stack {
                if let Some(nic) = self.nics[n.index()].nic.as_mut() {
                    nic.rx.push_back(frame);
                    inbound = true;
                } else {
                    self.arena.borrow_mut().release(frame);
                }
            } else if let Some(mac) = self.neighbor_mac(n, hop) {
                self.emit(n, mac, frame);
            } else {
                self.arena.borrow_mut().release(frame);
            }
        }
        if inbound {
            self.poll(n);
        }
    }

    /// What the kernel answers for one of the container's addresses that arrived on another
    /// of its interfaces, with no program there: echo reply, port unreachable, RST.
    fn answer_locally(&mut self, r: usize, n: NicId, frame: FrameId) {
        let (proto, src, dst) = {
            let arena = self.arena.borrow();
            let f = arena.get(frame);
            match f.get(14..).and_then(|b| Ipv4Packet::new_checked(b).ok()) {
                Some(ip) => (ip.next_header(), ip.src_addr(), ip.dst_addr()),
                None => {
                    drop(arena);
                    self.arena.borrow_mut().release(frame);
                    return;
                }
            }
        };
        match proto {
            IpProtocol::Udp => {
                self.icmp_error(r, Some(dst), frame, PORT_UNREACHABLE, 0);
            }
            IpProtocol::Icmp | IpProtocol::Tcp => {
                let mac = self.nics[n.index()].spec.mac;
                let answer = {
                    let arena = self.arena.borrow();
                    super::host::respond(
                        &[dst],
                        super::host::Ipv6Host::default(),
                        mac,
                        arena.get(frame),
                        &mut self.scratch,
                    )
                };
                self.arena.borrow_mut().release(frame);
                let Some(len) = answer else {
                    return;
                };
                let Some((out, hop)) = self.lookup(r, src) else {
                    return;
                };
                let id = self.arena.borrow_mut().alloc(len);
                self.arena
                    .borrow_mut()
                    .get_mut(id)
                    .copy_from_slice(&self.scratch[..len]);
                self.send_to(out, hop, id);
            }
            _ => self.arena.borrow_mut().release(frame),
        }
    }

    /// `icmp_send` for the packet in `frame` (type and code; `mtu` for fragmentation
    /// needed), from `from` or else the address of the interface the error leaves by,
    /// quoting the packet as it arrived.
    fn icmp_error(
        &mut self,
        r: usize,
        from: Option<Ipv4Address>,
        frame: FrameId,
        kind: (u8, u8),
        mtu: u16,
    ) {
        let quoted = {
            let arena = self.arena.borrow();
            let f = arena.get(frame);
            f.get(14..).and_then(|b| {
                let ip = Ipv4Packet::new_checked(b).ok()?;
                // Never an error about an error (RFC 1122 3.2.2): only echo, timestamp and
                // information queries among ICMP messages get one.
                if ip.next_header() == IpProtocol::Icmp
                    && !matches!(ip.payload().first(), Some(0 | 8 | 13 | 14))
                {
                    return None;
                }
                let end = usize::from(ip.total_len()).min(b.len()).min(QUOTE);
                Some((ip.src_addr(), b.get(..end)?.to_vec()))
            })
        };
        self.arena.borrow_mut().release(frame);
        let Some((to, quoted)) = quoted else {
            return;
        };
        let Some((out, hop)) = self.lookup(r, to) else {
            return;
        };
        let src = from.unwrap_or(self.nics[out.index()].spec.ipv4.0);
        // Nothing tells the router itself it cannot reach itself.
        if self.routers[r].addresses.contains(&to) {
            return;
        }
        let now = self.now;
        if rate_limited(kind) && !self.icmp_limits[r].allow(to, now) {
            return;
        }
        let caps = ChecksumCapabilities::default();
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: to,
            next_header: IpProtocol::Icmp,
            payload_len: 8 + quoted.len(),
            hop_limit: super::host::DEFAULT_TTL,
        };
        let len = 14 + ip.buffer_len() + 8 + quoted.len();
        let id = self.arena.borrow_mut().alloc(len);
        {
            let mut arena = self.arena.borrow_mut();
            let mut eth = EthernetFrame::new_unchecked(arena.get_mut(id));
            eth.set_ethertype(EthernetProtocol::Ipv4);
            let mut p = Ipv4Packet::new_unchecked(eth.payload_mut());
            ip.emit(&mut p, &caps);
            let icmp = p.payload_mut();
            if let Some(h) = icmp.get_mut(..8) {
                h.copy_from_slice(&[kind.0, kind.1, 0, 0, 0, 0, (mtu >> 8) as u8, mtu as u8]);
            }
            if let Some(q) = icmp.get_mut(8..) {
                q.copy_from_slice(&quoted);
            }
            Icmpv4Packet::new_unchecked(icmp).fill_checksum();
        }
        self.send_to(out, hop, id);
    }

    /// Whether frame `frame` that NIC `n`'s stack sends is an ICMP error the namespace's
    /// rate limit holds back (smoltcp's port unreachable); `lo` has no limit.
    pub(super) fn icmp_error_limited(&mut self, n: NicId, frame: FrameId) -> bool {
        let (kind, to) = {
            let arena = self.arena.borrow();
            let f = arena.get(frame);
            if f.get(12..14) != Some(&[0x08, 0x00]) || f.get(23) != Some(&1) {
                return false;
            }
            let ihl = usize::from(f.get(14).map_or(0, |b| b & 0x0f)) * 4;
            let (Some(&t), Some(&c), Some(to)) = (
                f.get(14 + ihl),
                f.get(15 + ihl),
                f.get(30..34).and_then(|a| <[u8; 4]>::try_from(a).ok()),
            ) else {
                return false;
            };
            ((t, c), Ipv4Address::from(to))
        };
        if !rate_limited(kind) || self.nics[n.index()].looped {
            return false;
        }
        let now = self.now;
        let limit = match self.nics[n.index()].router {
            Some(r) => &mut self.icmp_limits[r],
            None => self.nics[n.index()]
                .icmp_limit
                .get_or_insert_with(Default::default),
        };
        !limit.allow(to, now)
    }

    /// A trace line for a frame NIC `n` drops.
    #[cold]
    fn nic_drop(&mut self, n: NicId, frame: FrameId, why: &str) {
        let node = &self.nics[n.index()];
        let name = self.port_name(node.spec.bridge, node.port);
        let arena = self.arena.borrow();
        self.taps.dropped(self.now, &name, arena.get(frame), why);
    }
}

/// ICMP time exceeded in transit (11/0).
const TIME_EXCEEDED: (u8, u8) = (11, 0);
/// ICMP net unreachable (3/0).
const NET_UNREACHABLE: (u8, u8) = (3, 0);
/// ICMP host unreachable (3/1).
const HOST_UNREACHABLE: (u8, u8) = (3, 1);
/// ICMP port unreachable (3/3).
const PORT_UNREACHABLE: (u8, u8) = (3, 3);
/// ICMP fragmentation needed and DF set (3/4), with the next hop's MTU.
const FRAG_NEEDED: (u8, u8) = (3, 4);
