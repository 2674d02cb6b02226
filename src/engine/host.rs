//! The Docker host as a node on each bridge: it owns every network's gateway address.
//!
//! Linux's weak host model (design-notes.md): the host accepts a packet for any of its
//! addresses whatever bridge it arrives on, and with `arp_ignore=0` answers ARP for any of its
//! addresses on any bridge. So a container can ping its own gateway and the gateway of a
//! bridge it is not on (its default route sends the packet to its own gateway, and the host
//! owns the target). The host does not forward between bridges (Docker's isolation chains) and
//! has no outside world here, so anything else addressed through it is dropped.
//! Mirrors RFC 826 (ARP) and RFC 792 (echo) as Linux answers them: replies carry TTL 64.
//! Nothing listens on the host's own TCP ports here, so a segment to one gets the RST a
//! closed port gives (RFC 9293 3.10.7.1, as Linux's `tcp_v4_send_reset`): vnet does not run
//! `docker-proxy`, so a published port answers the same.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv4Packet, Icmpv4Repr, IpAddress, IpProtocol, Ipv4Address, Ipv4Packet,
    Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
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
    arp(ArpOperation::Reply, (mac, ip), to_mac, (to_mac, to_ip), out);
}

/// Writes a broadcast ARP request from `(mac, ip)` for `to_ip` into `out` (42 bytes), its
/// target hardware address zero, as Linux sends one.
pub fn arp_request(mac: [u8; 6], ip: Ipv4Address, to_ip: Ipv4Address, out: &mut [u8; 42]) {
    let broadcast = EthernetAddress::BROADCAST.0;
    arp(
        ArpOperation::Request,
        (mac, ip),
        broadcast,
        ([0; 6], to_ip),
        out,
    );
}

/// An ARP frame: `op` from `from`, to Ethernet address `eth_dst`, about `target`.
pub fn arp(
    op: ArpOperation,
    from: ([u8; 6], Ipv4Address),
    eth_dst: [u8; 6],
    target: ([u8; 6], Ipv4Address),
    out: &mut [u8; 42],
) {
    let repr = ArpRepr::EthernetIpv4 {
        operation: op,
        source_hardware_addr: EthernetAddress(from.0),
        source_protocol_addr: from.1,
        target_hardware_addr: EthernetAddress(target.0),
        target_protocol_addr: target.1,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress(from.0),
        dst_addr: EthernetAddress(eth_dst),
        ethertype: EthernetProtocol::Arp,
    };
    let mut f = EthernetFrame::new_unchecked(&mut out[..]);
    eth.emit(&mut f);
    repr.emit(&mut ArpPacket::new_unchecked(f.payload_mut()));
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
            if !host_ips.contains(&ip_repr.dst_addr) {
                return None;
            }
            if ip_repr.next_header == IpProtocol::Tcp {
                return tcp_reset(me, eth.src_addr(), &ip_repr, ip.payload(), out);
            }
            if ip_repr.next_header != IpProtocol::Icmp {
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

/// The RST a closed port answers a TCP segment with (none to a RST): `seq` from the
/// segment's ACK if it has one, else sequence 0 acknowledging all the segment occupied.
fn tcp_reset(
    me: EthernetAddress,
    to: EthernetAddress,
    ip: &Ipv4Repr,
    segment: &[u8],
    out: &mut [u8],
) -> Option<usize> {
    let caps = ChecksumCapabilities::default();
    let (src, dst) = (IpAddress::Ipv4(ip.src_addr), IpAddress::Ipv4(ip.dst_addr));
    let tcp = TcpRepr::parse(&TcpPacket::new_checked(segment).ok()?, &src, &dst, &caps).ok()?;
    if tcp.control == TcpControl::Rst {
        return None;
    }
    let (seq_number, ack_number) = match tcp.ack_number {
        Some(ack) => (ack, None),
        None => (TcpSeqNumber(0), Some(tcp.seq_number + tcp.segment_len())),
    };
    let rst = TcpRepr {
        src_port: tcp.dst_port,
        dst_port: tcp.src_port,
        control: TcpControl::Rst,
        seq_number,
        ack_number,
        window_len: 0,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    };
    let ip_reply = Ipv4Repr {
        src_addr: ip.dst_addr,
        dst_addr: ip.src_addr,
        next_header: IpProtocol::Tcp,
        payload_len: rst.buffer_len(),
        hop_limit: DEFAULT_TTL,
    };
    let eth_repr = EthernetRepr {
        src_addr: me,
        dst_addr: to,
        ethertype: EthernetProtocol::Ipv4,
    };
    let len = eth_repr.buffer_len() + ip_reply.buffer_len() + rst.buffer_len();
    let mut f = EthernetFrame::new_unchecked(out.get_mut(..len)?);
    eth_repr.emit(&mut f);
    let mut ipp = Ipv4Packet::new_unchecked(f.payload_mut());
    ip_reply.emit(&mut ipp, &caps);
    rst.emit(
        &mut TcpPacket::new_unchecked(ipp.payload_mut()),
        &dst,
        &src,
        &caps,
    );
    Some(len)
}
