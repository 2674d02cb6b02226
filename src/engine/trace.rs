//! Seeing the wire: tcpdump-like one-line summaries, and pcapng capture files.
//!
//! The summaries follow tcpdump's wording (`ARP, Request who-has A tell B`, `ICMP echo
//! request, id N, seq N`). The capture is pcapng (the pcapng IETF draft), one interface per
//! bridge port, each frame recorded once, where it enters its bridge; Wireshark and tshark
//! open it as is.

use crate::wire::vxlan;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, Icmpv4Packet, Icmpv4Repr,
    Icmpv6Packet, Icmpv6Repr, IpProtocol, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, NdiscRepr,
    TcpPacket, UdpPacket,
};
use std::net::IpAddr;

/// `02:42:ac:19:03:03`, as tcpdump writes MACs.
pub fn colon_mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// One line describing a frame, as tcpdump would (without the timestamp).
pub fn summary(frame: &[u8]) -> String {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return format!("malformed frame, length {}", frame.len());
    };
    match eth.ethertype() {
        EthernetProtocol::Arp => {
            match ArpPacket::new_checked(eth.payload()).and_then(|p| ArpRepr::parse(&p)) {
                Ok(ArpRepr::EthernetIpv4 {
                    operation,
                    source_hardware_addr,
                    source_protocol_addr,
                    target_protocol_addr,
                    ..
                }) => match operation {
                    ArpOperation::Request => format!(
                        "ARP, Request who-has {target_protocol_addr} tell {source_protocol_addr}, length 28"
                    ),
                    ArpOperation::Reply => format!(
                        "ARP, Reply {source_protocol_addr} is-at {}, length 28",
                        colon_mac(&source_hardware_addr.0)
                    ),
                    _ => "ARP, unknown operation, length 28".to_string(),
                },
                _ => "ARP, malformed".to_string(),
            }
        }
        EthernetProtocol::Ipv4 => {
            let caps = ChecksumCapabilities::ignored();
            let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
                return "IP, malformed".to_string();
            };
            let Ok(repr) = Ipv4Repr::parse(&ip, &caps) else {
                return "IP, malformed".to_string();
            };
            let (src, dst) = (repr.src_addr, repr.dst_addr);
            match repr.next_header {
                IpProtocol::Icmp => {
                    let what = match Icmpv4Packet::new_checked(ip.payload())
                        .and_then(|p| Icmpv4Repr::parse(&p, &caps))
                    {
                        Ok(Icmpv4Repr::EchoRequest { ident, seq_no, .. }) => {
                            format!("ICMP echo request, id {ident}, seq {seq_no}")
                        }
                        Ok(Icmpv4Repr::EchoReply { ident, seq_no, .. }) => {
                            format!("ICMP echo reply, id {ident}, seq {seq_no}")
                        }
                        _ => icmp_error(ip.payload()).unwrap_or_else(|| "ICMP".to_string()),
                    };
                    format!("IP {src} > {dst}: {what}, length {}", repr.payload_len)
                }
                IpProtocol::Udp => match UdpPacket::new_checked(ip.payload()) {
                    // tcpdump decodes port 4789 as VXLAN, then the frame inside.
                    Ok(u) if u.dst_port() == vxlan::PORT && vxlan::decapsulate(frame).is_some() => {
                        let (vni, off) = vxlan::decapsulate(frame).unwrap_or_default();
                        format!(
                            "IP {src}.{} > {dst}.{}: VXLAN, flags [I] (0x08), vni {vni}: {}",
                            u.src_port(),
                            u.dst_port(),
                            summary(frame.get(off..).unwrap_or_default())
                        )
                    }
                    Ok(u) => format!(
                        "IP {src}.{} > {dst}.{}: UDP, length {}",
                        u.src_port(),
                        u.dst_port(),
                        u.len().saturating_sub(8)
                    ),
                    Err(_) => format!("IP {src} > {dst}: UDP, malformed"),
                },
                IpProtocol::Tcp => match TcpPacket::new_checked(ip.payload()) {
                    Ok(t) => tcp(src.into(), dst.into(), &t),
                    Err(_) => format!("IP {src} > {dst}: TCP, malformed"),
                },
                p => format!("IP {src} > {dst}: {p}, length {}", repr.payload_len),
            }
        }
        EthernetProtocol::Ipv6 => summary6(eth.payload()),
        other => format!("ethertype {other}, length {}", frame.len()),
    }
}

/// An IPv6 packet's line: ICMPv6 echo and neighbour discovery as tcpdump words them, TCP
/// and UDP as over IPv4.
fn summary6(packet: &[u8]) -> String {
    let Ok(ip) = Ipv6Packet::new_checked(packet) else {
        return "IP6, malformed".to_string();
    };
    let Ok(repr) = Ipv6Repr::parse(&ip) else {
        return "IP6, malformed".to_string();
    };
    let (src, dst) = (repr.src_addr, repr.dst_addr);
    let len = repr.payload_len;
    match repr.next_header {
        IpProtocol::Icmpv6 => {
            let caps = ChecksumCapabilities::ignored();
            let parsed = Icmpv6Packet::new_checked(ip.payload())
                .and_then(|p| Icmpv6Repr::parse(&src, &dst, &p, &caps));
            let what = match parsed {
                Ok(Icmpv6Repr::EchoRequest { ident, seq_no, .. }) => {
                    format!("echo request, id {ident}, seq {seq_no}")
                }
                Ok(Icmpv6Repr::EchoReply { ident, seq_no, .. }) => {
                    format!("echo reply, id {ident}, seq {seq_no}")
                }
                Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit { target_addr, .. })) => {
                    format!("neighbor solicitation, who has {target_addr}")
                }
                Ok(Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { target_addr, .. })) => {
                    format!("neighbor advertisement, tgt is {target_addr}")
                }
                Ok(Icmpv6Repr::DstUnreachable { .. }) => "destination unreachable".to_string(),
                _ => "type unknown".to_string(),
            };
            format!("IP6 {src} > {dst}: ICMP6, {what}, length {len}")
        }
        IpProtocol::Udp => match UdpPacket::new_checked(ip.payload()) {
            Ok(u) => format!(
                "IP6 {src}.{} > {dst}.{}: UDP, length {}",
                u.src_port(),
                u.dst_port(),
                u.len().saturating_sub(8)
            ),
            Err(_) => format!("IP6 {src} > {dst}: UDP, malformed"),
        },
        IpProtocol::Tcp => match TcpPacket::new_checked(ip.payload()) {
            Ok(t) => tcp(src.into(), dst.into(), &t),
            Err(_) => format!("IP6 {src} > {dst}: TCP, malformed"),
        },
        p => format!("IP6 {src} > {dst}: {p}, length {len}"),
    }
}

/// A TCP segment as `tcpdump -S` prints it (absolute sequence numbers, without options):
/// `IP A.port > B.port: Flags [S.], seq 1, ack 2, win 64240, length 0` (`IP6` over IPv6).
fn tcp(src: IpAddr, dst: IpAddr, t: &TcpPacket<&[u8]>) -> String {
    let mut flags = String::new();
    for (on, c) in [
        (t.fin(), 'F'),
        (t.syn(), 'S'),
        (t.rst(), 'R'),
        (t.psh(), 'P'),
        (t.urg(), 'U'),
        (t.ack(), '.'),
    ] {
        if on {
            flags.push(c);
        }
    }
    let len = t.payload().len();
    let seq = t.seq_number().0 as u32;
    let ip = if src.is_ipv6() { "IP6" } else { "IP" };
    let mut s = format!(
        "{ip} {src}.{} > {dst}.{}: Flags [{flags}], seq {seq}",
        t.src_port(),
        t.dst_port()
    );
    if len > 0 {
        s.push_str(&format!(":{}", seq.wrapping_add(len as u32)));
    }
    if t.ack() {
        s.push_str(&format!(", ack {}", t.ack_number().0 as u32));
    }
    s.push_str(&format!(", win {}, length {len}", t.window_len()));
    s
}

/// A pcapng file being built in memory.
#[derive(Debug, Default)]
pub struct Pcapng {
    interfaces: Vec<String>,
    packets: Vec<u8>,
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = Vec::with_capacity(len as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

impl Pcapng {
    /// The interface index for a port name, added on first use.
    pub fn interface(&mut self, name: &str) -> u32 {
        if let Some(i) = self.interfaces.iter().position(|n| n == name) {
            return i as u32;
        }
        self.interfaces.push(name.to_string());
        (self.interfaces.len() - 1) as u32
    }

    /// Records a frame seen on interface `iface` at `micros` since the Unix epoch.
    pub fn record(&mut self, iface: u32, micros: u64, frame: &[u8]) {
        let mut body = Vec::with_capacity(20 + frame.len() + 3);
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(micros as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        body.extend_from_slice(frame);
        pad4(&mut body);
        self.packets.extend_from_slice(&block(6, &body));
    }

    /// The whole file: section header, interface descriptions, packets.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Section Header Block: byte-order magic, version 1.0, unknown section length.
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        out.extend_from_slice(&block(0x0a0d_0d0a, &shb));
        for name in &self.interfaces {
            // Interface Description Block: Ethernet, no snap limit, if_name option.
            let mut idb = Vec::new();
            idb.extend_from_slice(&1u16.to_le_bytes());
            idb.extend_from_slice(&0u16.to_le_bytes());
            idb.extend_from_slice(&0u32.to_le_bytes());
            idb.extend_from_slice(&2u16.to_le_bytes());
            idb.extend_from_slice(&(name.len() as u16).to_le_bytes());
            idb.extend_from_slice(name.as_bytes());
            pad4(&mut idb);
            idb.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
            out.extend_from_slice(&block(1, &idb));
        }
        out.extend_from_slice(&self.packets);
        out
    }
}

/// tcpdump's words for an ICMP error (print-icmp.c): the quoted packet's destination and,
/// for a port, its protocol and port.
fn icmp_error(icmp: &[u8]) -> Option<String> {
    let (&typ, &code) = (icmp.first()?, icmp.get(1)?);
    let quoted = icmp.get(8..)?;
    let hlen = usize::from(quoted.first()? & 0x0f) * 4;
    let dst = smoltcp::wire::Ipv4Address::from_octets(quoted.get(16..20)?.try_into().ok()?);
    let proto = *quoted.get(9)?;
    Some(match (typ, code) {
        (11, 0) => "ICMP time exceeded in-transit".to_string(),
        (3, 0) => format!("ICMP net {dst} unreachable"),
        (3, 1) => format!("ICMP host {dst} unreachable"),
        (3, 2) => format!("ICMP {dst} protocol {proto} unreachable"),
        (3, 3) => {
            let port = quoted.get(hlen + 2..hlen + 4)?;
            let port = u16::from_be_bytes([*port.first()?, *port.get(1)?]);
            let name = match proto {
                6 => "tcp",
                17 => "udp",
                _ => {
                    return Some(format!(
                        "ICMP {dst} protocol {proto} port {port} unreachable"
                    ));
                }
            };
            format!("ICMP {dst} {name} port {port} unreachable")
        }
        (3, 4) => {
            let mtu = u16::from_be_bytes([*icmp.get(6)?, *icmp.get(7)?]);
            format!("ICMP {dst} unreachable - need to frag (mtu {mtu})")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_lines_as_tcpdump_words_them() {
        let ip: smoltcp::wire::Ipv6Address = "fd00:9::3".parse().unwrap();
        let mut na = [0u8; 86];
        crate::engine::host::neighbor_advert([2, 0x42, 10, 0, 9, 3], ip, [2; 6], &mut na);
        assert_eq!(
            summary(&na),
            "IP6 fd00:9::3 > ff02::1: ICMP6, neighbor advertisement, tgt is fd00:9::3, length 32"
        );
        assert_eq!(summary(&na[..60]), "IP6, malformed");
    }

    #[test]
    fn pcapng_layout() {
        let mut p = Pcapng::default();
        let i = p.interface("isolated_nw/container2.eth1");
        assert_eq!(i, 0);
        assert_eq!(p.interface("isolated_nw/container2.eth1"), 0);
        p.record(i, 1_767_225_600_000_070, &[0xff; 42]);
        let b = p.bytes();
        assert_eq!(&b[0..4], &0x0a0d_0d0au32.to_le_bytes());
        // Every block's length is a multiple of four and repeated at its end.
        let mut at = 0;
        let mut kinds = vec![];
        while at < b.len() {
            let kind = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            assert_eq!(&b[at + 4..at + 8], &b[at + len - 4..at + len]);
            kinds.push(kind);
            at += len;
        }
        assert_eq!(kinds, vec![0x0a0d_0d0a, 1, 6]);
    }
}
