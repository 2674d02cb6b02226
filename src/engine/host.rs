//! The Docker host as a node on each bridge: it owns every network's gateway address.
//!
//! Linux's weak host model (design-notes.md): the host accepts a packet for any of its
//! addresses whatever bridge it arrives on, and with `arp_ignore=0` answers ARP for any of its
//! addresses on any bridge. So a container can ping its own gateway and the gateway of a
//! bridge it is not on (its default route sends the packet to its own gateway, and the host
//! owns the target). The host does not forward between bridges (Docker's isolation chains) and
//! has no outside world here, so anything else addressed through it is dropped.
//! Mirrors RFC 826 (ARP) and RFC 792 (echo) as Linux answers them: replies carry TTL 64.
//! On an `--ipv6` network the bridge also holds the network's IPv6 gateway and its own
//! link-local address (EUI-64 from its MAC): the host answers neighbour solicitations for
//! those on that bridge only (RFC 4861 7.2.4; IPv6 has no weak-host ARP), as a router (the
//! host forwards), and ICMPv6 echo requests to any of its IPv6 addresses (RFC 4443 4.2).
//! Nothing listens on the host's own TCP ports here, so a segment to one gets the RST a
//! closed port gives (RFC 9293 3.10.7.1, as Linux's `tcp_v4_send_reset`): vnet does not run
//! `docker-proxy`, so a published port answers the same.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpAddress, IpProtocol,
    Ipv4Address, Ipv4Packet, Ipv4Repr, Ipv6Address, Ipv6Packet, Ipv6Repr, NdiscNeighborFlags,
    NdiscRepr, RawHardwareAddress, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
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

/// The host's IPv6 addresses, as one bridge port sees them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ipv6Host<'a> {
    /// All of them (every IPv6 network's gateway): echo requests to any are answered.
    pub all: &'a [Ipv6Address],
    /// This bridge's own (its network's IPv6 gateway), if IPv6 is on for it: neighbour
    /// solicitations are answered for it and for the bridge's link-local address.
    pub own: Option<Ipv6Address>,
}

/// The EUI-64 link-local address of an interface with MAC `mac` (RFC 4291 appendix A; the
/// kernel's default `addr_gen_mode`).
pub fn link_local(mac: [u8; 6]) -> Ipv6Address {
    let m = mac;
    Ipv6Address::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 2, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// Builds the host's answer to `frame`, arriving on a bridge port whose MAC is `port_mac`,
/// into `out`; returns the answer's length, or `None` when the host stays silent.
pub fn respond(
    host_ips: &[Ipv4Address],
    v6: Ipv6Host<'_>,
    port_mac: [u8; 6],
    frame: &[u8],
    out: &mut [u8],
) -> Option<usize> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let me = EthernetAddress(port_mac);
    match eth.ethertype() {
        EthernetProtocol::Ipv6 => respond6(v6, me, &eth, out),
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
                let addrs = (ip_repr.src_addr.into(), ip_repr.dst_addr.into());
                return tcp_reset(me, eth.src_addr(), addrs, ip.payload(), out);
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

/// The host's answer to an IPv6 packet: a neighbour advertisement for a solicitation of one
/// of the bridge's addresses, an echo reply to an echo request for any of the host's.
fn respond6(
    v6: Ipv6Host<'_>,
    me: EthernetAddress,
    eth: &EthernetFrame<&[u8]>,
    out: &mut [u8],
) -> Option<usize> {
    let own = v6.own?;
    let caps = ChecksumCapabilities::default();
    let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
    let ip_repr = Ipv6Repr::parse(&ip).ok()?;
    let (src, dst) = (ip_repr.src_addr, ip_repr.dst_addr);
    if ip_repr.next_header == IpProtocol::Tcp && v6.all.contains(&dst) && eth.dst_addr() == me {
        return tcp_reset(
            me,
            eth.src_addr(),
            (src.into(), dst.into()),
            ip.payload(),
            out,
        );
    }
    if ip_repr.next_header != IpProtocol::Icmpv6 {
        return None;
    }
    let icmp = Icmpv6Packet::new_checked(ip.payload()).ok()?;
    let (reply, to, hop_limit) = match Icmpv6Repr::parse(&src, &dst, &icmp, &caps).ok()? {
        Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target_addr, .. })
            if target_addr == own || target_addr == link_local(me.0) =>
        {
            // To the solicitor, or to all nodes when it has no address yet (DAD).
            let (to, mut flags) = if src.is_unspecified() {
                (
                    Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
                    NdiscNeighborFlags::ROUTER,
                )
            } else {
                (
                    src,
                    NdiscNeighborFlags::ROUTER | NdiscNeighborFlags::SOLICITED,
                )
            };
            flags |= NdiscNeighborFlags::OVERRIDE;
            let repr = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                flags,
                target_addr,
                lladdr: Some(RawHardwareAddress::from(me)),
            });
            (repr, (to, target_addr), 255)
        }
        Icmpv6Repr::EchoRequest {
            ident,
            seq_no,
            data,
        } if v6.all.contains(&dst) && eth.dst_addr() == me => {
            let repr = Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            };
            (repr, (src, dst), DEFAULT_TTL)
        }
        _ => return None,
    };
    let (to, from) = to;
    let dst_mac = if to.is_multicast() {
        let o = to.octets();
        EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]])
    } else {
        eth.src_addr()
    };
    icmp6_frame((me, dst_mac), (from, to), hop_limit, &reply, out)
}

/// Writes an ICMPv6 message from `(src MAC, src address)` to `(dst MAC, dst address)` with
/// `hop_limit` into `out`; returns its length (`None` if `out` is too short).
fn icmp6_frame(
    (src_mac, dst_mac): (EthernetAddress, EthernetAddress),
    (from, to): (Ipv6Address, Ipv6Address),
    hop_limit: u8,
    repr: &Icmpv6Repr,
    out: &mut [u8],
) -> Option<usize> {
    let ip = Ipv6Repr {
        src_addr: from,
        dst_addr: to,
        next_header: IpProtocol::Icmpv6,
        payload_len: repr.buffer_len(),
        hop_limit,
    };
    let eth = EthernetRepr {
        src_addr: src_mac,
        dst_addr: dst_mac,
        ethertype: EthernetProtocol::Ipv6,
    };
    let len = eth.buffer_len() + ip.buffer_len() + repr.buffer_len();
    let mut f = EthernetFrame::new_unchecked(out.get_mut(..len)?);
    eth.emit(&mut f);
    let mut p = Ipv6Packet::new_unchecked(f.payload_mut());
    ip.emit(&mut p);
    let caps = ChecksumCapabilities::default();
    repr.emit(
        &from,
        &to,
        &mut Icmpv6Packet::new_unchecked(p.payload_mut()),
        &caps,
    );
    Some(len)
}

/// Writes the neighbour advertisement `(mac, ip)` would send to `to_mac` about itself
/// (solicited, override, with its link-layer address) into `out` (86 bytes): how a NIC's
/// restored IPv6 neighbour cache is handed to its stack.
pub fn neighbor_advert(mac: [u8; 6], ip: Ipv6Address, to_mac: [u8; 6], out: &mut [u8; 86]) {
    let repr = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
        target_addr: ip,
        lladdr: Some(RawHardwareAddress::from(EthernetAddress(mac))),
    });
    let all_nodes = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    let macs = (EthernetAddress(mac), EthernetAddress(to_mac));
    // 14 + 40 + 32 bytes: `out` holds it.
    let _ = icmp6_frame(macs, (ip, all_nodes), 255, &repr, out);
}

/// The RST a closed port answers a TCP segment with (none to a RST): `seq` from the
/// segment's ACK if it has one, else sequence 0 acknowledging all the segment occupied.
/// `(src, dst)` are the segment's addresses, both IPv4 or both IPv6.
fn tcp_reset(
    me: EthernetAddress,
    to: EthernetAddress,
    (src, dst): (IpAddress, IpAddress),
    segment: &[u8],
    out: &mut [u8],
) -> Option<usize> {
    let caps = ChecksumCapabilities::default();
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
    let ip_reply =
        smoltcp::wire::IpRepr::new(dst, src, IpProtocol::Tcp, rst.buffer_len(), DEFAULT_TTL);
    let ethertype = match ip_reply {
        smoltcp::wire::IpRepr::Ipv4(_) => EthernetProtocol::Ipv4,
        smoltcp::wire::IpRepr::Ipv6(_) => EthernetProtocol::Ipv6,
    };
    let eth_repr = EthernetRepr {
        src_addr: me,
        dst_addr: to,
        ethertype,
    };
    // (An IpRepr's length counts its payload.)
    let len = eth_repr.buffer_len() + ip_reply.buffer_len();
    let mut f = EthernetFrame::new_unchecked(out.get_mut(..len)?);
    eth_repr.emit(&mut f);
    let header = ip_reply.header_len();
    let payload = f.payload_mut();
    ip_reply.emit(&mut *payload, &caps);
    rst.emit(
        &mut TcpPacket::new_unchecked(payload.get_mut(header..)?),
        &dst,
        &src,
        &caps,
    );
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: [u8; 6] = [2, 0x42, 0x5a, 0x1e, 0, 1];
    const PEER: [u8; 6] = [2, 0x42, 10, 0, 9, 3];

    fn frame6(dst_mac: [u8; 6], src: Ipv6Address, dst: Ipv6Address, icmp: Icmpv6Repr) -> Vec<u8> {
        let caps = ChecksumCapabilities::default();
        let ip = Ipv6Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: IpProtocol::Icmpv6,
            payload_len: icmp.buffer_len(),
            hop_limit: 255,
        };
        let mut buf = vec![0; 14 + ip.buffer_len() + icmp.buffer_len()];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        EthernetRepr {
            src_addr: EthernetAddress(PEER),
            dst_addr: EthernetAddress(dst_mac),
            ethertype: EthernetProtocol::Ipv6,
        }
        .emit(&mut f);
        let mut p = Ipv6Packet::new_unchecked(f.payload_mut());
        ip.emit(&mut p);
        icmp.emit(
            &src,
            &dst,
            &mut Icmpv6Packet::new_unchecked(p.payload_mut()),
            &caps,
        );
        buf
    }

    fn answer(v6: Ipv6Host<'_>, frame: &[u8]) -> Option<(Ipv6Repr, Vec<u8>)> {
        let mut out = [0u8; 2048];
        let len = respond(&[], v6, HOST, frame, &mut out)?;
        let eth = EthernetFrame::new_checked(&out[..len]).unwrap();
        let ip = Ipv6Packet::new_checked(eth.payload()).unwrap();
        Some((Ipv6Repr::parse(&ip).unwrap(), ip.payload().to_vec()))
    }

    #[test]
    fn the_host_answers_neighbour_discovery_and_echo_for_its_ipv6_gateway() {
        let gw: Ipv6Address = "fd00:9::1".parse().unwrap();
        let other: Ipv6Address = "fd00:8::1".parse().unwrap();
        let peer: Ipv6Address = "fd00:9::3".parse().unwrap();
        let v6 = Ipv6Host {
            all: &[gw, other],
            own: Some(gw),
        };
        let ns = |target| {
            Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr: target,
                lladdr: Some(EthernetAddress(PEER).into()),
            })
        };
        let group = Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 1);
        let (ip, body) = answer(
            v6,
            &frame6([0x33, 0x33, 0xff, 0, 0, 1], peer, group, ns(gw)),
        )
        .unwrap();
        assert_eq!((ip.src_addr, ip.dst_addr, ip.hop_limit), (gw, peer, 255));
        let caps = ChecksumCapabilities::default();
        let na = Icmpv6Repr::parse(
            &gw,
            &peer,
            &Icmpv6Packet::new_checked(&body[..]).unwrap(),
            &caps,
        );
        let Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
            flags,
            target_addr,
            lladdr,
        })) = na
        else {
            panic!("{na:?}");
        };
        assert_eq!(target_addr, gw);
        assert_eq!(lladdr, Some(EthernetAddress(HOST).into()));
        assert!(flags.contains(NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::ROUTER));
        // Another bridge's address: not solicited here; its echo is answered (the host's).
        assert!(
            answer(
                v6,
                &frame6([0x33, 0x33, 0xff, 0, 0, 1], peer, group, ns(other))
            )
            .is_none()
        );
        let echo = Icmpv6Repr::EchoRequest {
            ident: 7,
            seq_no: 1,
            data: b"abc",
        };
        let (ip, body) = answer(v6, &frame6(HOST, peer, other, echo)).unwrap();
        assert_eq!((ip.src_addr, ip.dst_addr, ip.hop_limit), (other, peer, 64));
        let reply = Icmpv6Repr::parse(
            &other,
            &peer,
            &Icmpv6Packet::new_checked(&body[..]).unwrap(),
            &caps,
        );
        assert!(
            matches!(
                reply,
                Ok(Icmpv6Repr::EchoReply {
                    ident: 7,
                    seq_no: 1,
                    ..
                })
            ),
            "{reply:?}"
        );
        // Not the host's address, or IPv6 off on the bridge: silence.
        assert!(answer(v6, &frame6(HOST, peer, peer, echo)).is_none());
        assert!(answer(Ipv6Host::default(), &frame6(HOST, peer, gw, echo)).is_none());
    }
}

#[cfg(test)]
mod rst_tests {
    use super::*;

    #[test]
    fn a_closed_port_of_the_host_resets_over_either_family() {
        let caps = ChecksumCapabilities::default();
        let me = [2, 0x42, 0x5a, 0x1e, 0, 1];
        let peer = [2, 0x42, 10, 0, 9, 3];
        let syn = |src: IpAddress, dst: IpAddress| {
            let tcp = TcpRepr {
                src_port: 40000,
                dst_port: 80,
                control: TcpControl::Syn,
                seq_number: TcpSeqNumber(100),
                ack_number: None,
                window_len: 1000,
                window_scale: None,
                max_seg_size: None,
                sack_permitted: false,
                sack_ranges: [None; 3],
                timestamp: None,
                payload: &[],
            };
            let ip = smoltcp::wire::IpRepr::new(src, dst, IpProtocol::Tcp, tcp.buffer_len(), 64);
            let ethertype = match ip {
                smoltcp::wire::IpRepr::Ipv4(_) => EthernetProtocol::Ipv4,
                smoltcp::wire::IpRepr::Ipv6(_) => EthernetProtocol::Ipv6,
            };
            let mut buf = vec![0; 14 + ip.buffer_len()];
            let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
            EthernetRepr {
                src_addr: EthernetAddress(peer),
                dst_addr: EthernetAddress(me),
                ethertype,
            }
            .emit(&mut f);
            let h = ip.header_len();
            let p = f.payload_mut();
            ip.emit(&mut *p, &caps);
            tcp.emit(
                &mut TcpPacket::new_unchecked(&mut p[h..]),
                &src,
                &dst,
                &caps,
            );
            buf
        };
        let gw4: Ipv4Address = "10.0.9.1".parse().unwrap();
        let gw6: Ipv6Address = "fd00:9::1".parse().unwrap();
        let v6 = Ipv6Host {
            all: &[gw6],
            own: Some(gw6),
        };
        let mut out = [0u8; 256];
        let peer4: Ipv4Address = "10.0.9.3".parse().unwrap();
        let f = syn(peer4.into(), gw4.into());
        let len = respond(&[gw4], v6, me, &f, &mut out).expect("a reset over IPv4");
        assert_eq!(len, 54);
        let peer6: Ipv6Address = "fd00:9::3".parse().unwrap();
        let f = syn(peer6.into(), gw6.into());
        let len = respond(&[gw4], v6, me, &f, &mut out).expect("a reset over IPv6");
        assert_eq!(len, 74);
        let eth = EthernetFrame::new_checked(&out[..len]).unwrap();
        let ip = Ipv6Packet::new_checked(eth.payload()).unwrap();
        let tcp = TcpRepr::parse(
            &TcpPacket::new_checked(ip.payload()).unwrap(),
            &gw6.into(),
            &peer6.into(),
            &caps,
        )
        .unwrap();
        assert_eq!(
            (tcp.control, tcp.ack_number),
            (TcpControl::Rst, Some(TcpSeqNumber(101)))
        );
    }
}
