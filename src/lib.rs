//! vnet: Docker's networking, simulated in userspace.
//!
//! # Module map
//!
//! Layers depend only downward:
//!
//! - [`time`], [`rng`]: the virtual clock and seeded, per-object randomness.
//! - [`docker`]: Docker's object model and rules (networks, IPAM, containers, endpoints) in
//!   Docker's words; requests and answers shaped like the Engine API.
//! - [`store`]: the state directory: versioned, locked, written atomically.
//! - [`cli`]: Docker's command-line syntax and output (tables, JSON, Go templates) over
//!   [`docker`]; used by the `vnet` binary and, in-process, by anything that replays commands.
//!
//! Frames, stacks and the event engine come with the data plane.

#![warn(missing_docs)]
// The container inspect JSON literal is deep.
#![recursion_limit = "256"]

pub mod cli;
pub mod docker;
pub mod rng;
pub mod store;
pub mod time;
