//! The forwarding fast path and the whole engine, in process.
//!
//! `cargo bench --bench dataplane`. `forward/*`: the learning bridge deciding where each frame
//! of a prepared trace goes, with the arena slot taken and released around it (what the engine
//! does per frame), throughput in frames. `e2e/ping`: ICMP echo round trips between two smoltcp
//! stacks through a bridge, with every event, link delay and ARP, in round trips; `e2e/udp_*`:
//! a UDP stream between the same two stacks, in datagrams.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vnet::engine::ping::{PingOptions, ping};
use vnet::engine::udp;

#[path = "common/forward.rs"]
mod forward_trace;
#[path = "../tests/common/pair.rs"]
mod pair;
use forward_trace::{bridge_with, mac, run, trace};
use vnet::fabric::{Arena, PortId};

fn forward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    for (name, ports, macs, size) in [
        ("64B_4ports_64macs", 4, 64, 64),
        ("1500B_4ports_64macs", 4, 64, 1500),
        ("64B_1024ports_100k_macs", 1024, 100_000, 64),
        ("64B_1024ports_1M_macs", 1024, 1_000_000, 64),
    ] {
        let t = trace(ports, macs, 4096, size);
        g.throughput(Throughput::Elements(t.len() as u64));
        // Steady state: every station already learned.
        let mut br = bridge_with(ports);
        for i in 0..macs {
            let mut f = vec![0u8; 64];
            f[0..6].copy_from_slice(&[0xff; 6]);
            f[6..12].copy_from_slice(&mac(i));
            br.forward(0, (i % ports) as PortId, &f);
        }
        let mut arena = Arena::with_capacity(16);
        g.bench_function(format!("{name}/learned"), |b| {
            b.iter(|| black_box(run(&mut br, &mut arena, &t)))
        });
        g.bench_function(format!("{name}/learning_from_empty"), |b| {
            b.iter_batched(
                || bridge_with(ports),
                |mut br| black_box(run(&mut br, &mut arena, &t)),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn e2e(c: &mut Criterion) {
    let mut g = c.benchmark_group("e2e");
    let n = 10_000;
    g.throughput(Throughput::Elements(n));
    let o = PingOptions {
        count: Some(n),
        flood: true,
        quiet: true,
        ..Default::default()
    };
    let target = "10.0.0.3".parse().unwrap();
    g.bench_function("ping_round_trips", |b| {
        b.iter_batched(
            || pair::pair(1),
            |mut w| black_box(ping(&mut w, 0, target, "t", &o)),
            BatchSize::LargeInput,
        )
    });
    for size in [64usize, 1472] {
        let n = 10_000;
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("udp_{size}B_datagrams"), |b| {
            b.iter_batched(
                || pair::pair(1),
                |mut w| {
                    let r = udp::stream(&mut w, 0, 1, target, 5001, size, n);
                    assert_eq!(r.received, n);
                    black_box(r)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, forward, e2e);
criterion_main!(benches);
