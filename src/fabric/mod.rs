//! The switch fabric: frame storage, learning bridges, and the VTEP's forwarding decision.
//! A pure switch: it keeps no clock (time is passed in) and knows nothing of containers or
//! Docker.
//!
//! - [`arena`]: the frames, in fixed-size slots shared by reference count.
//! - [`bridge`] and its [`fdb`]: Linux's learning bridge (IEEE 802.1D data plane).
//! - [`vtep`]: what Linux's vxlan device with `proxy` on does with a frame from its bridge
//!   (RFC 7348), as a function of the frame and the VTEP's table.

pub mod arena;
pub mod bridge;
pub mod fdb;
pub mod vtep;

pub use arena::{Arena, FrameId};
pub use bridge::{Bridge, Forward};
pub use vtep::HostId;

use std::fmt;

/// A port of one bridge: its index among the bridge's ports.
///
/// At most [`PortId::MAX`] + 1 ports: the forwarding table packs a port into 15 bits of a
/// slot, so construction is checked ([`PortId::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct PortId(u16);

impl PortId {
    /// The highest port index.
    pub const MAX: usize = 0x7fff;

    /// Port `i`, if a bridge can have that many ports.
    #[inline]
    pub const fn new(i: usize) -> Option<PortId> {
        if i <= PortId::MAX {
            Some(PortId(i as u16))
        } else {
            None
        }
    }

    /// The port's index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<PortId> for u64 {
    #[inline]
    fn from(p: PortId) -> u64 {
        u64::from(p.0)
    }
}

impl fmt::Display for PortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ids_are_checked() {
        assert_eq!(PortId::new(0).map(PortId::index), Some(0));
        assert_eq!(
            PortId::new(PortId::MAX).map(PortId::index),
            Some(PortId::MAX)
        );
        assert_eq!(PortId::new(PortId::MAX + 1), None);
        assert_eq!(PortId::new(7).unwrap().to_string(), "7");
    }
}
