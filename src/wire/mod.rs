//! Frame views beyond smoltcp's: VXLAN (RFC 7348), in smoltcp's `Packet`/`Repr` style.
//!
//! smoltcp's own views (`EthernetFrame`, `ArpPacket`, `Ipv4Packet`, `UdpPacket`) cover the
//! rest of what the fabric reads and writes; [`netmask`] is the prefix arithmetic every
//! layer above shares.

pub mod vxlan;

/// The netmask of an IPv4 prefix length, as a number (`/24` → `0xffffff00`, `/0` → 0);
/// lengths past 32 count as 32.
pub fn netmask(len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0)
}

/// The netmask of an IPv6 prefix length (`/64` → the upper 64 bits set); lengths past 128
/// count as 128.
pub fn netmask6(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn netmasks6() {
        assert_eq!(super::netmask6(0), 0);
        assert_eq!(super::netmask6(64), u128::MAX << 64);
        assert_eq!(super::netmask6(200), u128::MAX);
    }

    #[test]
    fn netmasks() {
        assert_eq!(super::netmask(0), 0);
        assert_eq!(super::netmask(24), 0xffff_ff00);
        assert_eq!(super::netmask(32), u32::MAX);
        assert_eq!(super::netmask(40), u32::MAX);
    }
}
