//! The Docker host as a node on each bridge: it owns every network's gateway address.
//!
//! Linux's weak host model (design-notes.md): the host accepts a packet for any of its
//! addresses whatever bridge it arrives on, and with `arp_ignore=0` answers ARP for any of its
//! addresses on any bridge. So a container can ping its own gateway and the gateway of a
//! bridge it is not on (its default route sends the packet to its own gateway, and the host
//! owns the target). The host does not forward between bridges (Docker's isolation chains) and
//! has no outside world here, so anything else addressed through it is dropped.
//! Mirrors RFC 826 (ARP) and RFC 792 (echo) as Linux answers them: replies carry TTL 64.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr,
};

/// Linux's default TTL (`net.ipv4.ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;

/// Writes an ARP reply from `(mac, ip)` to `(to_mac, to_ip)` into `out` (42 bytes).
pub fn arp_reply(
    mac: [u8; 6],
    ip: Ipv4Address,
    to_mac: [u8; 6],
    to_ip: Ipv4Address,
    out: &mut [u8; 42],
) {
    let reply = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Reply,
        source_hardware_addr: EthernetAddress(mac),
        source_protocol_addr: ip,
        target_hardware_addr: EthernetAddress(to_mac),
        target_protocol_addr: to_ip,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress(mac),
        dst_addr: EthernetAddress(to_mac),
        ethertype: EthernetProtocol::Arp,
    };
    let mut f = EthernetFrame::new_unchecked(&mut out[..]);
    eth.emit(&mut f);
    reply.emit(&mut ArpPacket::new_unchecked(f.payload_mut()));
}

/// The destination of an IPv4 packet in `frame` sent to the host's MAC `port_mac` for an
/// address that is not the host's: what the host would have to route. (`None` for anything
/// else, including packets for the host itself.)
pub fn routed_destination(port_mac: [u8; 6], frame: &[u8]) -> Option<Ipv4Address> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 || eth.dst_addr() != EthernetAddress(port_mac) {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    Some(ip.dst_addr())
}

/// Builds the host's answer to `frame`, arriving on a bridge port whose MAC is `port_mac`,
/// into `out`; returns the answer's length, or `None` when the host stays silent.
pub fn respond(
    host_ips: &[Ipv4Address],
    port_mac: [u8; 6],
    frame: &[u8],
    out: &mut [u8],
) -> Option<usize> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let me = EthernetAddress(port_mac);
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            let arp = ArpRepr::parse(&ArpPacket::new_checked(eth.payload()).ok()?).ok()?;
            let ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr,
                source_protocol_addr,
                target_protocol_addr,
                ..
            } = arp
            else {
                return None;
            };
            if !host_ips.contains(&target_protocol_addr) {
                return None;
            }
            let reply = ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: me,
                source_protocol_addr: target_protocol_addr,
                target_hardware_addr: source_hardware_addr,
                target_protocol_addr: source_protocol_addr,
            };
            let eth_repr = EthernetRepr {
                src_addr: me,
                dst_addr: source_hardware_addr,
                ethertype: EthernetProtocol::Arp,
            };
            let len = eth_repr.buffer_len() + reply.buffer_len();
            let mut f = EthernetFrame::new_unchecked(out.get_mut(..len)?);
            eth_repr.emit(&mut f);
            reply.emit(&mut ArpPacket::new_unchecked(f.payload_mut()));
            Some(len)
        }
        EthernetProtocol::Ipv4 => {
            if eth.dst_addr() != me {
                return None;
            }
            let caps = ChecksumCapabilities::default();
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
            if ip_repr.next_header != IpProtocol::Icmp || !host_ips.contains(&ip_repr.dst_addr) {
                return None;
            }
            let icmp = Icmpv4Packet::new_checked(ip.payload()).ok()?;
            let Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } = Icmpv4Repr::parse(&icmp, &caps).ok()?
            else {
                return None;
            };
            let icmp_reply = Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            };
            let ip_reply = Ipv4Repr {
                src_addr: ip_repr.dst_addr,
                dst_addr: ip_repr.src_addr,
                next_header: IpProtocol::Icmp,
                payload_len: icmp_reply.buffer_len(),
                hop_limit: DEFAULT_TTL,
            };
            let eth_repr = EthernetRepr {
                src_addr: me,
                dst_addr: eth.src_addr(),
                ethertype: EthernetProtocol::Ipv4,
            };
            let len = eth_repr.buffer_len() + ip_reply.buffer_len() + icmp_reply.buffer_len();
            let mut f = EthernetFrame::new_unchecked(out.get_mut(..len)?);
            eth_repr.emit(&mut f);
            let mut ipp = Ipv4Packet::new_unchecked(f.payload_mut());
            ip_reply.emit(&mut ipp, &caps);
            icmp_reply.emit(&mut Icmpv4Packet::new_unchecked(ipp.payload_mut()), &caps);
            Some(len)
        }
        _ => None,
    }
}
