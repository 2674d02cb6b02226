//! The switch fabric: frame storage and learning bridges. A pure switch: it keeps no clock
//! (time is passed in) and knows nothing of containers or Docker.

pub mod arena;
pub mod bridge;
pub mod fdb;

pub use arena::{Arena, FrameId};
pub use bridge::{Bridge, Forward, PortId};
