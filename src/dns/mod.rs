//! DNS messages for the embedded resolver at 127.0.0.11 and the containers that ask it.
//!
//! Sans-IO: builds queries, answers them from a view of names the caller supplies, and reads
//! answers, all as real RFC 1035 messages (hickory-proto), carried in real IPv4/UDP packets on
//! the container's loopback (Docker's resolver listens behind 127.0.0.11:53 inside the
//! container's namespace; design-notes.md). IDs are explicit, so replays stay deterministic.
//! Answers follow libnetwork's `resolver.go`: TTL 600, every address of a shared name in one
//! answer, NOERROR with no answer for a name without that record type.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpProtocol, Ipv4Address,
    Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};
use std::net::{IpAddr, Ipv4Addr};

/// The embedded resolver's address inside every container on a user-defined network.
pub const RESOLVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);
/// libnetwork's `respTTL`.
pub const TTL: u32 = 600;

/// What the resolver knows about a name, from the querier's point of view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// These addresses, A records for IPv4 and AAAA for IPv6 (possibly none: the name
    /// exists without that record type).
    Addresses(Vec<IpAddr>),
    /// A reverse lookup's name (`container3.isolated_nw.`).
    Pointer(String),
    /// Unknown here and upstream.
    NxDomain,
    /// Unknown here, and no upstream to ask (a container only on `--internal` networks).
    ServFail,
}

/// A query for `name`, of `rtype` (`A`, `AAAA`, `PTR`); `None` for a name no DNS message can
/// carry (a label over 63 bytes, an empty label, non-ASCII): a resolver refuses to send it.
pub fn query(id: u16, name: &str, rtype: RecordType) -> Option<Vec<u8>> {
    if !name.is_ascii() {
        return None;
    }
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    let n = Name::from_ascii(fqdn(name)).ok()?;
    m.add_query(Query::query(n, rtype));
    m.to_vec().ok()
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// Answers a query with `resolve(name, type)`; `None` if the bytes are not a query.
pub fn answer(request: &[u8], resolve: impl FnOnce(&str, RecordType) -> Answer) -> Option<Vec<u8>> {
    let req = Message::from_vec(request).ok()?;
    if req.metadata.message_type != MessageType::Query {
        return None;
    }
    let q = req.queries.first()?.clone();
    let mut m = Message::new(req.metadata.id, MessageType::Response, OpCode::Query);
    m.metadata.recursion_desired = req.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.add_query(q.clone());
    let name = q.name().to_ascii();
    match resolve(name.trim_end_matches('.'), q.query_type()) {
        Answer::Addresses(ips) => {
            for ip in ips {
                let data = match ip {
                    IpAddr::V4(a) => RData::A(A(a)),
                    IpAddr::V6(a) => RData::AAAA(AAAA(a)),
                };
                m.add_answer(Record::from_rdata(q.name().clone(), TTL, data));
            }
        }
        Answer::Pointer(target) => {
            let t = Name::from_ascii(&target).unwrap_or_else(|_| Name::root());
            m.add_answer(Record::from_rdata(
                q.name().clone(),
                TTL,
                RData::PTR(PTR(t)),
            ));
        }
        Answer::NxDomain => m.metadata.response_code = ResponseCode::NXDomain,
        Answer::ServFail => m.metadata.response_code = ResponseCode::ServFail,
    }
    m.to_vec().ok()
}

/// What a client reads from an answer: the code, the A addresses, the PTR names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The response code.
    pub code: ResponseCode,
    /// A and AAAA records, in order.
    pub addresses: Vec<IpAddr>,
    /// PTR targets.
    pub names: Vec<String>,
}

/// Reads an answer to the query with `id`.
pub fn read_reply(bytes: &[u8], id: u16) -> Option<Reply> {
    let m = Message::from_vec(bytes).ok()?;
    if m.metadata.id != id || m.metadata.message_type != MessageType::Response {
        return None;
    }
    let mut r = Reply {
        code: m.metadata.response_code,
        addresses: Vec::new(),
        names: Vec::new(),
    };
    for rec in &m.answers {
        match &rec.data {
            RData::A(a) => r.addresses.push(a.0.into()),
            RData::AAAA(a) => r.addresses.push(a.0.into()),
            RData::PTR(p) => r.names.push(p.0.to_ascii()),
            _ => {}
        }
    }
    Some(r)
}

/// `4.3.3.25.172.in-addr.arpa` → 172.25.3.4, and an `ip6.arpa` name (32 nibbles, least
/// significant first, RFC 3596 2.5) → its IPv6 address: the address a reverse name asks
/// about.
pub fn reverse_address(name: &str) -> Option<IpAddr> {
    let name = name.trim_end_matches('.');
    if let Some(rest) = name.strip_suffix(".ip6.arpa") {
        let mut bits: u128 = 0;
        let mut n = 0;
        for (k, p) in rest.split('.').enumerate() {
            let nibble = match p.as_bytes() {
                [c] => (*c as char).to_digit(16)?,
                _ => return None,
            };
            bits |= u128::from(nibble) << (4 * k.min(31));
            n = k + 1;
        }
        return (n == 32).then(|| IpAddr::V6(bits.into()));
    }
    let rest = name.strip_suffix(".in-addr.arpa")?;
    let parts: Vec<u8> = rest
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [d, c, b, a] => Some(IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d))),
        _ => None,
    }
}

/// The reverse name of an address.
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// The `ip6.arpa` name of an IPv6 address.
pub fn reverse_name6(ip: std::net::Ipv6Addr) -> String {
    let bits = u128::from(ip);
    let mut out = String::with_capacity(72);
    for k in 0..32 {
        let nibble = (bits >> (4 * k)) & 0xf;
        out.push_str(&format!("{nibble:x}."));
    }
    out.push_str("ip6.arpa");
    out
}

/// A UDP datagram on the loopback interface, as an Ethernet frame (Linux shows `lo` frames
/// with zero MAC addresses).
pub fn udp_frame(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
    let udp = UdpRepr {
        src_port: src.1,
        dst_port: dst.1,
    };
    let ip = Ipv4Repr {
        src_addr: src.0,
        dst_addr: dst.0,
        next_header: IpProtocol::Udp,
        payload_len: udp.header_len() + payload.len(),
        hop_limit: 64,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress([0; 6]),
        dst_addr: EthernetAddress([0; 6]),
        ethertype: EthernetProtocol::Ipv4,
    };
    let len = eth.buffer_len() + ip.buffer_len() + udp.header_len() + payload.len();
    let mut buf = vec![0u8; len];
    let caps = ChecksumCapabilities::default();
    let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
    eth.emit(&mut f);
    let mut p = Ipv4Packet::new_unchecked(f.payload_mut());
    ip.emit(&mut p, &caps);
    let (s, d): (Ipv4Address, Ipv4Address) = (src.0, dst.0);
    udp.emit(
        &mut UdpPacket::new_unchecked(p.payload_mut()),
        &s.into(),
        &d.into(),
        payload.len(),
        |b| b.copy_from_slice(payload),
        &caps,
    );
    buf
}

/// The UDP payload of a frame built by [`udp_frame`] (checked, as a receiver would).
pub fn udp_payload(frame: &[u8]) -> Option<&[u8]> {
    let caps = ChecksumCapabilities::default();
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let repr = Ipv4Repr::parse(&ip, &caps).ok()?;
    if repr.next_header != IpProtocol::Udp {
        return None;
    }
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    Some(udp.payload())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_answer_round_trip() {
        let q = query(7, "container3", RecordType::A).unwrap();
        let a = answer(&q, |name, t| {
            assert_eq!((name, t), ("container3", RecordType::A));
            Answer::Addresses(vec![
                Ipv4Addr::new(172, 25, 3, 3).into(),
                Ipv4Addr::new(172, 25, 0, 7).into(),
            ])
        })
        .unwrap();
        let r = read_reply(&a, 7).unwrap();
        assert_eq!(r.code, ResponseCode::NoError);
        assert_eq!(
            r.addresses,
            vec![
                IpAddr::from(Ipv4Addr::new(172, 25, 3, 3)),
                Ipv4Addr::new(172, 25, 0, 7).into()
            ]
        );
        assert!(read_reply(&a, 8).is_none(), "another query's answer");
        let q = query(10, "web", RecordType::AAAA).unwrap();
        let six: std::net::Ipv6Addr = "fd00:1::10".parse().unwrap();
        let aaaa = answer(&q, |_, _| Answer::Addresses(vec![six.into()])).unwrap();
        assert_eq!(
            read_reply(&aaaa, 10).unwrap().addresses,
            vec![IpAddr::from(six)]
        );
        let nx = answer(&query(9, "nope", RecordType::A).unwrap(), |_, _| {
            Answer::NxDomain
        })
        .unwrap();
        assert!(query(1, &"x".repeat(64), RecordType::A).is_none());
        assert!(query(1, "a..b", RecordType::A).is_none());
        assert!(query(1, "é", RecordType::A).is_none());
        assert_eq!(read_reply(&nx, 9).unwrap().code, ResponseCode::NXDomain);
    }

    #[test]
    fn reverse_names() {
        let ip = Ipv4Addr::new(172, 25, 3, 3);
        assert_eq!(reverse_name(ip), "3.3.25.172.in-addr.arpa");
        assert_eq!(reverse_address("3.3.25.172.in-addr.arpa."), Some(ip.into()));
        let six: std::net::Ipv6Addr = "fd00:1::20".parse().unwrap();
        let name = reverse_name6(six);
        assert_eq!(
            name,
            "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa"
        );
        assert_eq!(reverse_address(&name), Some(six.into()));
        assert_eq!(reverse_address("1.ip6.arpa"), None);
        assert_eq!(reverse_address("example.com"), None);
        let q = query(1, &reverse_name(ip), RecordType::PTR).unwrap();
        let a = answer(&q, |_, _| Answer::Pointer("container3.isolated_nw.".into())).unwrap();
        assert_eq!(
            read_reply(&a, 1).unwrap().names,
            vec!["container3.isolated_nw."]
        );
    }

    #[test]
    fn frames_carry_the_message() {
        let q = query(3, "app", RecordType::A).unwrap();
        let f = udp_frame((Ipv4Addr::LOCALHOST, 40000), (RESOLVER, 53), &q);
        assert_eq!(udp_payload(&f), Some(&q[..]));
        assert!(crate::engine::trace::summary(&f).contains("127.0.0.1.40000 > 127.0.0.11.53: UDP"));
    }
}
