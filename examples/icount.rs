//! Fixed workloads for the instruction-count guard (`benches/icount.sh`, run by CI under
//! callgrind): counts of instructions are stable on shared machines where wall time is not.
//!
//! `icount forward`: 100 passes of a 4096-frame, 64-byte trace through a learning bridge with
//! its 64 stations learned (the hot fast path). `icount overlay`: the same with VXLAN
//! encapsulation and decapsulation of every frame. `icount e2e`: a 1000-request flood ping
//! between two smoltcp stacks through the whole engine. Only the `measured_*` functions are
//! counted (callgrind's `--toggle-collect`); building the inputs is not.

#[path = "../benches/common/forward.rs"]
mod forward_trace;
#[path = "../tests/common/pair.rs"]
mod pair;

use forward_trace::{learned_bridge, run, run_vxlan, trace, tunnel};
use std::hint::black_box;
use vnet::busybox::ping::{PingOptions, PingResult, ping};
use vnet::engine::World;
use vnet::fabric::{Arena, Bridge, PortId};

#[inline(never)]
fn measured_forward(br: &mut Bridge, arena: &mut Arena, t: &[(PortId, Vec<u8>)]) -> u64 {
    (0..100).map(|_| run(br, arena, t)).sum()
}

#[inline(never)]
fn measured_overlay(br: &mut Bridge, arena: &mut Arena, t: &[(PortId, Vec<u8>)]) -> u64 {
    let encap = tunnel();
    (0..100).map(|_| run_vxlan(br, arena, &encap, t)).sum()
}

#[inline(never)]
fn measured_e2e(w: &mut World, o: &PingOptions) -> PingResult {
    ping(w, pair::C0, "10.0.0.3".parse().expect("an address"), "t", o)
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some(w @ ("forward" | "overlay")) => {
            let (ports, macs) = (4, 64);
            let t = trace(ports, macs, 4096, 64);
            let mut br = learned_bridge(ports, macs);
            let mut arena = Arena::with_capacity(16);
            if w == "forward" {
                black_box(measured_forward(&mut br, &mut arena, &t));
            } else {
                black_box(measured_overlay(&mut br, &mut arena, &t));
            }
        }
        Some("e2e") => {
            let o = PingOptions {
                count: Some(1000),
                flood: true,
                quiet: true,
                ..PingOptions::default()
            };
            let mut w = pair::pair(1);
            let r = measured_e2e(&mut w, &o);
            assert_eq!(r.code, 0);
            black_box(r);
        }
        _ => {
            eprintln!("usage: icount forward|overlay|e2e");
            std::process::exit(2);
        }
    }
}
