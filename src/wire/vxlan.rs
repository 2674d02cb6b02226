//! VXLAN (RFC 7348): an Ethernet frame carried in UDP, 8 bytes of header in front of it.
//!
//! ```text
//!  0                   1                   2                   3
//! |R|R|R|R|I|R|R|R|            Reserved                           |
//! |                VXLAN Network Identifier (VNI) |   Reserved    |
//! ```
//!
//! [`Packet`] reads and writes the header in place; [`Repr`] is its meaning (the VNI).
//! [`encapsulate`] writes the whole outer stack (Ethernet, IPv4, UDP to port 4789, VXLAN) in
//! front of an inner frame, the way a VTEP does: the inner bytes are not moved.

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpProtocol, Ipv4Address,
    Ipv4Packet, Ipv4Repr, UdpPacket,
};

/// The VXLAN header's length.
pub const HEADER_LEN: usize = 8;
/// IANA's VXLAN port (Linux and Docker's `defaultVXLANUDPPort`).
pub const PORT: u16 = 4789;
/// Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8): what encapsulation adds, and
/// why an overlay interface's MTU is 1450 (`vxlanEncap` in Docker's overlay driver).
pub const OVERHEAD: usize = 14 + 20 + 8 + HEADER_LEN;
/// The "I" flag: the VNI is valid.
const FLAG_I: u8 = 0x08;

/// What went wrong reading a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error;

/// A VXLAN header over a buffer.
#[derive(Debug)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view without checks.
    pub fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view of a buffer long enough for the header.
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error);
        }
        Ok(Packet { buffer })
    }

    /// The header: a view made by [`Packet::new_checked`] has one; an unchecked view of a
    /// shorter buffer reads as zeros.
    fn header(&self) -> [u8; HEADER_LEN] {
        self.buffer
            .as_ref()
            .first_chunk::<HEADER_LEN>()
            .copied()
            .unwrap_or_default()
    }

    /// The flags byte.
    pub fn flags(&self) -> u8 {
        self.header()[0]
    }

    /// The 24-bit VNI.
    pub fn vni(&self) -> u32 {
        let b = self.header();
        u32::from_be_bytes([0, b[4], b[5], b[6]])
    }

    /// The inner frame.
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes the flags byte (into a buffer with room for the header; else nothing).
    pub fn set_flags(&mut self, flags: u8) {
        if let Some(b) = self.buffer.as_mut().first_chunk_mut::<HEADER_LEN>() {
            b[0] = flags;
        }
    }

    /// Writes the VNI and clears the reserved bytes (into a buffer with room for the header;
    /// else nothing).
    pub fn set_vni(&mut self, vni: u32) {
        if let Some(b) = self.buffer.as_mut().first_chunk_mut::<HEADER_LEN>() {
            let [_, v1, v2, v3] = vni.to_be_bytes();
            b[1..4].fill(0);
            b[4..7].copy_from_slice(&[v1, v2, v3]);
            b[7] = 0;
        }
    }
}

/// A VXLAN header's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// The VXLAN Network Identifier.
    pub vni: u32,
}

impl Repr {
    /// Reads a header; one without the I flag carries no VNI and is refused (RFC 7348 §5).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr, Error> {
        if p.flags() & FLAG_I == 0 {
            return Err(Error);
        }
        Ok(Repr { vni: p.vni() })
    }

    /// Writes the header.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_flags(FLAG_I);
        p.set_vni(self.vni);
    }
}

/// The outer addresses of an encapsulated frame: from one VTEP to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// The sending host's underlay MAC.
    pub src_mac: [u8; 6],
    /// The receiving host's underlay MAC.
    pub dst_mac: [u8; 6],
    /// The sending VTEP's address.
    pub src_ip: Ipv4Address,
    /// The receiving VTEP's address.
    pub dst_ip: Ipv4Address,
    /// The UDP source port (Linux derives it from a hash of the inner flow).
    pub src_port: u16,
    /// The network's VNI.
    pub vni: u32,
}

/// Writes the outer headers into `buf[..OVERHEAD]`, in front of an inner frame of
/// `inner_len` bytes at `buf[OVERHEAD..]`. The outer UDP checksum is zero, as Linux sends
/// VXLAN over IPv4 by default (RFC 7348 §5 allows it).
pub fn encapsulate(t: &Tunnel, inner_len: usize, buf: &mut [u8]) {
    let udp_len = 8 + HEADER_LEN + inner_len;
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: EthernetAddress(t.src_mac),
        dst_addr: EthernetAddress(t.dst_mac),
        ethertype: EthernetProtocol::Ipv4,
    }
    .emit(&mut eth);
    let mut ip = Ipv4Packet::new_unchecked(eth.payload_mut());
    Ipv4Repr {
        src_addr: t.src_ip,
        dst_addr: t.dst_ip,
        next_header: IpProtocol::Udp,
        payload_len: udp_len,
        hop_limit: 64,
    }
    .emit(&mut ip, &ChecksumCapabilities::default());
    let mut udp = UdpPacket::new_unchecked(ip.payload_mut());
    udp.set_src_port(t.src_port);
    udp.set_dst_port(PORT);
    udp.set_len(udp_len as u16);
    udp.set_checksum(0);
    Repr { vni: t.vni }.emit(&mut Packet::new_unchecked(udp.payload_mut()));
}

/// A tunnel's outer headers, built once. Per frame only the IPv4 total length and checksum,
/// the UDP source port and the UDP length change: [`Encap::write`] copies the 50 bytes and
/// patches those, which is what a VTEP's fast path does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encap {
    hdr: [u8; OVERHEAD],
    /// The one's-complement sum of the IPv4 header's words with the total length and the
    /// checksum taken as zero (RFC 1071): a frame's checksum adds its length to it.
    base: u32,
}

impl Encap {
    /// The headers of `t` (its source port is replaced per frame).
    pub fn new(t: &Tunnel) -> Encap {
        let mut hdr = [0u8; OVERHEAD];
        encapsulate(t, 0, &mut hdr);
        let (words, _) = hdr[14..34].as_chunks::<2>();
        let base = words
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != 1 && *k != 5)
            .map(|(_, w)| u32::from(u16::from_be_bytes(*w)))
            .sum();
        Encap { hdr, base }
    }

    /// Writes the outer headers into `buf[..OVERHEAD]` for an inner frame of `inner_len`
    /// bytes sent from UDP port `src_port`; the same bytes as [`encapsulate`].
    #[inline]
    pub fn write(&self, inner_len: usize, src_port: u16, buf: &mut [u8]) {
        // The fabric gives every frame room for the headers in front (its arena's slots).
        let Some(h) = buf.first_chunk_mut::<OVERHEAD>() else {
            debug_assert!(false, "no room for the outer headers");
            return;
        };
        *h = self.hdr;
        let total = (20 + 8 + HEADER_LEN + inner_len) as u16;
        h[16..18].copy_from_slice(&total.to_be_bytes());
        let mut sum = self.base + u32::from(total);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        h[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        h[34..36].copy_from_slice(&src_port.to_be_bytes());
        h[38..40].copy_from_slice(&(total - 20).to_be_bytes());
    }
}

/// If `frame` is a VXLAN datagram (IPv4, UDP to port 4789, I flag set): its VNI, and where the
/// inner frame starts.
#[inline]
pub fn decapsulate(frame: &[u8]) -> Option<(u32, usize)> {
    // The common case, an outer IPv4 header without options, read in place.
    if let Some(h) = frame.first_chunk::<OVERHEAD>()
        && h[12..14] == [0x08, 0x00]
        && h[14] == 0x45
    {
        let ok = h[23] == 17 && h[36..38] == PORT.to_be_bytes() && h[42] & FLAG_I != 0;
        return ok.then(|| (u32::from_be_bytes([0, h[46], h[47], h[48]]), OVERHEAD));
    }
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    if ip.next_header() != IpProtocol::Udp {
        return None;
    }
    let ihl = usize::from(ip.header_len());
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    if udp.dst_port() != PORT {
        return None;
    }
    let repr = Repr::parse(&Packet::new_checked(udp.payload()).ok()?).ok()?;
    Some((repr.vni, 14 + ihl + 8 + HEADER_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut b = [0xffu8; 8];
        Repr { vni: 0x00_01_02 }.emit(&mut Packet::new_unchecked(&mut b[..]));
        assert_eq!(b, [0x08, 0, 0, 0, 0x00, 0x01, 0x02, 0]);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(Repr::parse(&p), Ok(Repr { vni: 258 }));
        assert!(Packet::new_checked(&b[..7]).is_err());
        let no_i = [0u8; 8];
        assert!(Repr::parse(&Packet::new_unchecked(&no_i[..])).is_err());
    }

    #[test]
    fn encapsulate_then_decapsulate() {
        let inner = [0xabu8; 60];
        let mut buf = vec![0u8; OVERHEAD + inner.len()];
        buf[OVERHEAD..].copy_from_slice(&inner);
        let t = Tunnel {
            src_mac: [2, 0x42, 1, 1, 1, 1],
            dst_mac: [2, 0x42, 2, 2, 2, 2],
            src_ip: Ipv4Address::new(192, 168, 56, 11),
            dst_ip: Ipv4Address::new(192, 168, 56, 12),
            src_port: 40000,
            vni: 256,
        };
        encapsulate(&t, inner.len(), &mut buf);
        assert_eq!(decapsulate(&buf), Some((256, OVERHEAD)));
        // The prepared headers give the same bytes.
        let mut again = buf.clone();
        again[..OVERHEAD].fill(0);
        Encap::new(&t).write(inner.len(), t.src_port, &mut again);
        assert_eq!(again, buf);
        assert_eq!(&buf[OVERHEAD..], &inner[..]);
        // The outer IPv4 header's checksum is right.
        let ip = Ipv4Packet::new_checked(&buf[14..]).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!(ip.total_len() as usize, 20 + 8 + 8 + 60);
    }
}
