//! Frame views beyond smoltcp's: VXLAN (RFC 7348), in smoltcp's `Packet`/`Repr` style.
//!
//! smoltcp's own views (`EthernetFrame`, `ArpPacket`, `Ipv4Packet`, `UdpPacket`) cover the
//! rest of what the fabric reads and writes.

pub mod vxlan;
