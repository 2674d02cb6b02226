//! vnet: Docker's networking, simulated in userspace.
//!
//! # Module map
//!
//! Layers depend only downward:
//!
//! - [`time`], [`rng`]: the virtual clock and seeded, per-object randomness.
//! - [`golang`]: Go compatibility, a leaf: `text/template`, `fmt` verbs, `encoding/json`'s
//!   formatting, `text/tabwriter`, as Docker's output shows them.
//! - [`wire`]: frame views beyond smoltcp's (VXLAN).
//! - [`fabric`]: the switch: a frame arena, learning bridges and the VTEP's forwarding
//!   decision (no clock, no Docker).
//! - [`stack`]: one smoltcp interface per container NIC, over the arena.
//! - [`dns`]: DNS messages for the embedded resolver (hickory-proto), carried on loopback.
//! - [`engine`]: the discrete-event world: virtual time, the event queue, link latency,
//!   the host node (gateways), rule chains (isolation, partitions, loss, delay), VTEPs and
//!   the underlay between hosts, TCP connections and the servers that answer them, UDP
//!   streams, the IP layer of containers that route (forwarding, ICMP errors, the ARP
//!   queue), with taps for tracing and packet capture.
//! - [`docker`]: Docker's object model and rules (networks, IPAM, containers, endpoints) in
//!   Docker's words; requests and answers shaped like the Engine API; a container's network
//!   namespace (its sandbox) as a world to run commands in.
//! - [`busybox`]: the shell inside a container (ash's lists, pipes, quoting and variables)
//!   and its applets (`ping`, `ifconfig`, `ip`, `traceroute`, `nslookup`, `grep`, ...), one file
//!   each, run in a container's sandbox; what `docker exec` and `docker attach` reach; and
//!   the programs lab images add (`tcpdump`, in `busybox/tcpdump/`).
//! - [`servers`]: what images run on their ports (nginx's and httpd's pages, redis,
//!   postgres' first answer) and what commands leave running (`nc -l`, busybox `httpd`
//!   serving the container's files), beside the applets that reach them (`nc`, `wget`).
//! - [`cluster`]: several hosts in one state, and the cluster stores (key-value) their
//!   global-scope (overlay) networks live in: embedded in the state, or a real etcd shared
//!   by daemons of other processes (`cluster/etcd.rs`, over etcd's JSON gateway).
//! - [`store`]: the state database (SQLite): one row per object, each command one
//!   transaction that reads what it touches and writes the rows it changed.
//! - [`cli`]: Docker's command-line syntax and output (tables, JSON, Go templates with
//!   docker/cli's template functions, over [`golang`]) over [`cluster`] and [`docker`];
//!   used by the `vnet` binary and, in-process, by anything that replays commands.
//! - [`scenario`]: YAML scenarios replayed through [`cli`], with reports (text, JUnit, JSON).
//! - [`daemon`]: the Docker Engine API on a unix socket over [`cluster`], [`docker`] and
//!   [`store`], for the docker CLI and docker-py (`vnet daemon`), serving one host.

#![warn(missing_docs)]
// No panics on any input: `unwrap`, `expect`, `panic!` and indexing are denied outside
// tests (clippy.toml allows them there); each site that keeps one says why it cannot fail,
// in a comment beside its `#[allow]`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// The container inspect JSON literal is deep.
#![recursion_limit = "256"]

pub mod busybox;
pub mod cli;
pub mod cluster;
pub mod daemon;
pub mod dns;
pub mod docker;
pub mod engine;
pub mod fabric;
// The fuzz harness asserts what must hold for every input: its panics are how libFuzzer
// learns of a fault.
#[doc(hidden)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
pub mod fuzz;
pub mod golang;
pub mod rng;
pub mod scenario;
pub mod servers;
pub mod stack;
pub mod store;
pub mod time;
pub mod wire;
