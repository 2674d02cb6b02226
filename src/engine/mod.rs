//! The discrete-event world: virtual time, the event queue, links, the host, and the
//! programs that run inside it.
//!
//! Sans-IO and deterministic (style.md guidelines 1–3): the caller builds a [`World`] from a
//! topology, starts a program (busybox's `ping`, a [`udp`] stream), and the world advances its
//! clock from event to event, never reading the wall clock. Events are ordered by `(time, sequence)`, so two events due at
//! the same microsecond run in the order they were scheduled. Every random draw (link jitter,
//! stack seeds) comes from the seed the caller passes.
//!
//! A frame's life: a stack writes it into the arena → the link carries it to its bridge
//! (latency) → the taps see it enter → the bridge learns and picks egress ports → the bridge's
//! rule chain (isolation, then the link's loss and delay) filters → each link carries it on →
//! a stack, the host node, or a VTEP receives it.
//!
//! - [`world`]: the [`World`], its clock and queue, bridges and the path of a frame, and the
//!   container NICs, whose smoltcp stacks are built on first need.
//! - [`budget`]: how much one command's world may do (events, frames in flight, virtual
//!   time) before it stops.
//! - [`overlay`]: VTEPs on overlay bridges and the underlay between hosts (RFC 7348).
//! - [`host`]: the Docker host as a node on each bridge (Linux's weak host model).
//! - [`loopback`]: a container's `lo`, where the embedded DNS answers.
//! - [`router`]: a container's IP layer across its NICs: forwarding (`ip_forward`), ICMP
//!   errors, and the ARP queue smoltcp lacks.
//! - [`rule`]: named rules on hops: ICC, partitions, loss, delay.
//! - [`taps`]: tcpdump-like tracing and pcapng capture, wrapping the ports (smoltcp's
//!   `phy::Tracer` and `phy::PcapWriter`); [`trace`] formats what they record.
//! - [`udp`]: a UDP stream between two NICs (busybox's applets, `ping` among them, run on the
//!   world from [`crate::busybox`]).

pub mod budget;
pub mod host;
pub mod loopback;
pub mod overlay;
pub mod router;
pub mod rule;
pub mod taps;
pub mod tcp;
pub mod trace;
pub mod udp;
pub mod world;

#[cfg(test)]
pub(crate) mod tests;

pub use crate::fabric::HostId;
pub use crate::fabric::vtep::Remote;
pub use world::World;

use crate::stack::Counters;
use crate::time::{Duration, Instant};
use smoltcp::wire::{Ipv4Address, Ipv6Address};

/// Link latency per traversal (veth + bridge): a bridge ping's round trip crosses four, about
/// 0.07–0.1 ms as on the seed's host.
pub const DEFAULT_LATENCY: Duration = Duration(18);
/// Seeded jitter added to each traversal, up to this much.
pub const DEFAULT_JITTER: Duration = Duration(6);
/// A frame's trip through a container's loopback (the embedded DNS answers from behind it).
pub const LO_LATENCY: Duration = Duration(25);

/// A container NIC of a world: the index [`World::add_nic`] gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct NicId(u32);

/// A bridge of a world: the index [`World::add_bridge`] gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct BridgeId(u32);

/// A container's loopback in a world: the index [`World::loopback`] gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct LoopbackId(u32);

/// What a NIC learned from ARP: `(address, MAC, when)`.
pub type Neighbor = (Ipv4Address, [u8; 6], Instant);

/// A neighbour-cache entry learned by neighbour discovery: (address, MAC, when).
pub type Neighbor6 = (Ipv6Address, [u8; 6], Instant);

macro_rules! index {
    ($t:ident) => {
        impl $t {
            /// Index `i`, if it fits (the event queue holds indices in 32 bits).
            #[inline]
            pub const fn new(i: usize) -> Option<$t> {
                if i <= u32::MAX as usize {
                    Some($t(i as u32))
                } else {
                    None
                }
            }

            /// The index.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}
index!(NicId);
index!(BridgeId);
index!(LoopbackId);

/// A network as the engine sees it.
#[derive(Clone, Debug)]
pub struct BridgeSpec {
    /// The network's name (for traces).
    pub name: String,
    /// The host's address on it (the gateway), if any.
    pub gateway: Option<Ipv4Address>,
    /// The host's IPv6 address on it (an `--ipv6` network's gateway), if any.
    pub gateway6: Option<Ipv6Address>,
    /// The host side's MAC on this bridge.
    pub host_mac: [u8; 6],
    /// `com.docker.network.bridge.enable_icc`: whether containers on it may talk.
    pub icc: bool,
    /// With `icc` off, what legacy links still let through (see [`rule::IccException`]).
    pub icc_allow: Vec<rule::IccException>,
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

/// An overlay network's VXLAN tunnel endpoint on one host (see [`crate::fabric::vtep`]).
#[derive(Clone, Debug)]
pub struct VtepSpec {
    /// The overlay bridge it is on.
    pub bridge: BridgeId,
    /// Its host, from [`World::add_underlay_host`].
    pub host: HostId,
    /// The network's VNIs (one per subnet): what it takes in from the underlay.
    pub vnis: Vec<u32>,
    /// The remote containers: address, MAC, their host, and their subnet's VNI.
    pub remote: Vec<Remote>,
}

/// A container NIC as the engine sees it.
#[derive(Clone, Debug)]
pub struct NicSpec {
    /// The container's name (for traces).
    pub container: String,
    /// `eth0`, `eth1`, ...
    pub ifname: String,
    /// Its bridge in the world.
    pub bridge: BridgeId,
    /// MAC address.
    pub mac: [u8; 6],
    /// Address and prefix length.
    pub ipv4: (Ipv4Address, u8),
    /// The addresses `ip addr add` gave it besides.
    pub extra: Vec<(Ipv4Address, u8)>,
    /// The default route's gateway, on the NIC that carries it.
    pub gateway: Option<Ipv4Address>,
    /// Its container's other routes through a gateway that leave by this NIC: network,
    /// prefix length, gateway.
    pub routes: Vec<(Ipv4Address, u8, Ipv4Address)>,
    /// Counters so far (they persist between commands).
    pub counters: Counters,
    /// The ARP cache it had at the end of the last command: (address, MAC).
    pub neighbors: Vec<(Ipv4Address, [u8; 6])>,
    /// Its IPv6 addresses (the global one, then the link-local one) on an `--ipv6`
    /// network; none where IPv6 is off.
    pub ipv6: Vec<(Ipv6Address, u8)>,
    /// The IPv6 default route's gateway, on the NIC that carries it.
    pub gateway6: Option<Ipv6Address>,
    /// The IPv6 neighbour cache it had at the end of the last command: (address, MAC).
    pub neighbors6: Vec<(Ipv6Address, [u8; 6])>,
    /// The interface MTU.
    pub mtu: usize,
}

impl NicSpec {
    /// Its addresses with their prefix lengths: Docker's, then `ip addr add`'s.
    pub fn addresses(&self) -> impl Iterator<Item = (Ipv4Address, u8)> + '_ {
        std::iter::once(self.ipv4).chain(self.extra.iter().copied())
    }

    /// Whether `ip` is one of its addresses.
    pub fn holds(&self, ip: Ipv4Address) -> bool {
        self.addresses().any(|(a, _)| a == ip)
    }

    /// Whether a frame to Ethernet multicast address `mac` is for it: an IPv6 NIC listens
    /// to the all-nodes group and to the solicited-node group of each of its addresses
    /// (RFC 4291 2.7.1; RFC 2464 7 maps a group to `33:33` and its low 32 bits).
    pub fn listens(&self, mac: &[u8; 6]) -> bool {
        // (See `hears` for the IPv6 destination.)
        if self.ipv6.is_empty() || mac[..2] != [0x33, 0x33] {
            return false;
        }
        mac[2..] == [0, 0, 0, 1]
            || self.ipv6.iter().any(|(a, _)| {
                let o = a.octets();
                mac[2] == 0xff && mac[3..] == o[13..]
            })
    }

    /// Whether an IPv6 packet to `dst` is for it: one of its addresses, the all-nodes group,
    /// or the solicited-node group of one of its addresses (`ff02::1:ffXX:XXXX`).
    pub fn hears(&self, dst: Ipv6Address) -> bool {
        let d = dst.octets();
        let solicited = d[..13] == [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
        dst == Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1)
            || self
                .ipv6
                .iter()
                .any(|(a, _)| *a == dst || (solicited && a.octets()[13..] == d[13..]))
    }
}

/// `HH:MM:SS.ffffff` of a virtual time, as tcpdump prints timestamps.
pub fn clock(t: Instant) -> String {
    let micros = t.as_micros();
    let secs = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        micros % 1_000_000
    )
}
