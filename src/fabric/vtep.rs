//! A VXLAN tunnel endpoint's forwarding decision (RFC 7348 §4), as Linux's vxlan device
//! makes it for Docker's overlay driver.
//!
//! Docker puts a vxlan device with `proxy` on each overlay network's bridge and fills its
//! neighbour and forwarding tables from the cluster store (libnetwork's `peerAdd`): the VTEP
//! answers ARP for remote containers itself (`proxy`, so no ARP crosses the underlay), sends a
//! frame for a remote container's MAC to that container's host with the container's VNI, and
//! floods nothing and learns nothing (`learning` off, no default destination): anything else
//! is dropped. On the way in, VXLAN addressed to the host's underlay MAC is unwrapped.
//!
//! These are pure functions of a frame and the VTEP's table: no clock, no frame storage. The
//! engine applies the decision (writes the ARP reply, the outer headers, schedules the frame).

use smoltcp::wire::Ipv4Address;
use smoltcp::wire::{ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol};

/// A host on the underlay: the far end of a tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct HostId(u32);

impl HostId {
    /// Host `i`, if it fits an index.
    #[inline]
    pub const fn new(i: usize) -> Option<HostId> {
        if i <= u32::MAX as usize {
            Some(HostId(i as u32))
        } else {
            None
        }
    }

    /// The host's index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A remote container in a VTEP's tables: its address (neighbour table), its MAC and the
/// host and VNI frames for it go to (forwarding table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remote {
    /// The container's address.
    pub ip: Ipv4Address,
    /// The container's MAC.
    pub mac: [u8; 6],
    /// The host it runs on.
    pub host: HostId,
    /// Its subnet's VNI.
    pub vni: u32,
}

/// What a VTEP does with a frame from its overlay bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An ARP request for a remote container: answer it on the spot, from `(mac, ip)` to
    /// `(to_mac, to_ip)`.
    ProxyArp {
        /// The remote container's MAC (the answer).
        mac: [u8; 6],
        /// The remote container's address.
        ip: Ipv4Address,
        /// Who asked: its MAC.
        to_mac: [u8; 6],
        /// Who asked: its address.
        to_ip: Ipv4Address,
    },
    /// A frame for a remote container: into VXLAN, to `host`, with `vni`.
    Tunnel {
        /// The container's host.
        host: HostId,
        /// The container's VNI.
        vni: u32,
    },
    /// Anything else: not flooded, not learned.
    Drop,
}

/// Decides what the VTEP whose remote containers are `remote` does with `frame`, arriving
/// from its overlay bridge.
pub fn decide(remote: &[Remote], frame: &[u8]) -> Decision {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return Decision::Drop;
    };
    if eth.ethertype() == EthernetProtocol::Arp {
        return match ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p)) {
            Ok(ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr,
                source_protocol_addr,
                target_protocol_addr,
                ..
            }) => {
                remote
                    .iter()
                    .find(|r| r.ip == target_protocol_addr)
                    .map_or(Decision::Drop, |r| Decision::ProxyArp {
                        mac: r.mac,
                        ip: r.ip,
                        to_mac: source_hardware_addr.0,
                        to_ip: source_protocol_addr,
                    })
            }
            _ => Decision::Drop,
        };
    }
    let dst = eth.dst_addr().0;
    remote
        .iter()
        .find(|r| r.mac == dst)
        .map_or(Decision::Drop, |r| Decision::Tunnel {
            host: r.host,
            vni: r.vni,
        })
}

/// The outer UDP source port for an inner frame: Linux picks it from a hash of the inner flow
/// (here its Ethernet addresses), in the ephemeral range 32768–60999, so one flow keeps one
/// port.
#[inline]
pub fn source_port(inner: &[u8]) -> u16 {
    let addresses = inner.first_chunk::<12>().copied().unwrap_or_default();
    let h = addresses
        .iter()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(*b)));
    32768 + (h % 28232) as u16
}

/// A frame reaching a host's underlay NIC whose MAC is `host_mac`: if it is VXLAN for this
/// host, its VNI and where the inner frame starts.
pub fn inbound(host_mac: [u8; 6], frame: &[u8]) -> Option<(u32, usize)> {
    if frame.get(0..6) != Some(&host_mac[..]) {
        return None;
    }
    crate::wire::vxlan::decapsulate(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::vxlan;

    const ME: [u8; 6] = [2, 0x42, 10, 0, 0, 2];
    const PEER: [u8; 6] = [2, 0x42, 10, 0, 0, 3];

    fn ip(s: &str) -> Ipv4Address {
        s.parse().unwrap()
    }

    fn table() -> Vec<Remote> {
        vec![Remote {
            ip: ip("10.0.0.3"),
            mac: PEER,
            host: HostId::new(1).unwrap(),
            vni: 256,
        }]
    }

    fn arp(operation: ArpOperation, target: &str) -> Vec<u8> {
        let repr = ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr: smoltcp::wire::EthernetAddress(ME),
            source_protocol_addr: ip("10.0.0.2"),
            target_hardware_addr: smoltcp::wire::EthernetAddress([0; 6]),
            target_protocol_addr: ip(target),
        };
        let mut f = vec![0u8; 42];
        f[0..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&ME);
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        repr.emit(&mut ArpPacket::new_unchecked(&mut f[14..]));
        f
    }

    fn ipv4_to(dst: [u8; 6]) -> Vec<u8> {
        let mut f = vec![0u8; 60];
        f[0..6].copy_from_slice(&dst);
        f[6..12].copy_from_slice(&ME);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f
    }

    #[test]
    fn answers_arp_for_remote_containers_only() {
        assert_eq!(
            decide(&table(), &arp(ArpOperation::Request, "10.0.0.3")),
            Decision::ProxyArp {
                mac: PEER,
                ip: ip("10.0.0.3"),
                to_mac: ME,
                to_ip: ip("10.0.0.2"),
            }
        );
        assert_eq!(
            decide(&table(), &arp(ArpOperation::Request, "10.0.0.9")),
            Decision::Drop
        );
        assert_eq!(
            decide(&table(), &arp(ArpOperation::Reply, "10.0.0.3")),
            Decision::Drop
        );
    }

    #[test]
    fn tunnels_to_the_remote_host_and_floods_nothing() {
        assert_eq!(
            decide(&table(), &ipv4_to(PEER)),
            Decision::Tunnel {
                host: HostId::new(1).unwrap(),
                vni: 256
            }
        );
        assert_eq!(decide(&table(), &ipv4_to([0xff; 6])), Decision::Drop);
        assert_eq!(decide(&[], &ipv4_to(PEER)), Decision::Drop);
        assert_eq!(decide(&table(), &[0u8; 10]), Decision::Drop);
    }

    #[test]
    fn unwraps_only_vxlan_for_this_host() {
        let host_b = [2, 0, 198, 18, 0, 3];
        let tunnel = vxlan::Tunnel {
            src_mac: [2, 0, 198, 18, 0, 2],
            dst_mac: host_b,
            src_ip: ip("198.18.0.2"),
            dst_ip: ip("198.18.0.3"),
            src_port: 49152,
            vni: 256,
        };
        let inner = ipv4_to(PEER);
        let mut f = vec![0u8; vxlan::OVERHEAD + inner.len()];
        f[vxlan::OVERHEAD..].copy_from_slice(&inner);
        vxlan::encapsulate(&tunnel, inner.len(), &mut f);
        assert_eq!(inbound(host_b, &f), Some((256, vxlan::OVERHEAD)));
        assert_eq!(inbound([2, 0, 198, 18, 0, 9], &f), None);
        assert_eq!(inbound(host_b, &inner), None);
    }

    #[test]
    fn source_ports_follow_the_flow() {
        let (a, b) = (ipv4_to(PEER), ipv4_to([0xff; 6]));
        assert_eq!(source_port(&a), source_port(&a.clone()));
        assert_ne!(source_port(&a), source_port(&b));
        assert!((32768..61000).contains(&source_port(&a)));
    }

    #[test]
    fn host_ids_are_checked() {
        assert_eq!(HostId::new(3).map(HostId::index), Some(3));
        if usize::BITS > 32 {
            assert_eq!(HostId::new(u32::MAX as usize + 1), None);
        }
    }
}
