//! The forwarding fast path and the whole engine, in process.
//!
//! `cargo bench --bench dataplane`. `forward/*`: the learning bridge deciding where each frame
//! of a prepared trace goes, with the arena slot taken and released around it (what the engine
//! does per frame), throughput in frames. `e2e/ping`: ICMP echo round trips between two smoltcp
//! stacks through a bridge, with every event, link delay and ARP, in round trips; `e2e/udp_*`:
//! a UDP stream between the same two stacks, in datagrams; `e2e/tcp_bulk_16MiB`: one TCP
//! connection moving 16 MiB to a discard server, in payload bytes; `e2e/tcp_connections`:
//! connects and closes one after another, in connections.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vnet::busybox::ping::{PingOptions, ping};
use vnet::engine::{tcp, udp};

#[path = "common/forward.rs"]
mod forward_trace;
#[path = "../tests/common/pair.rs"]
mod pair;
use forward_trace::{NOW, bridge_with, learned_bridge, port, run, run_vxlan, trace, tunnel};
use vnet::fabric::{Arena, Forward};
use vnet::wire::vxlan;

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
        let mut br = learned_bridge(ports, macs);
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

/// What VXLAN adds per frame: the plain hot trace again, each frame also encapsulated into its
/// slot's headroom and decapsulated; then the whole two-host path (overlay bridge, VTEP,
/// underlay bridge, VTEP, overlay bridge).
fn forward_overlay(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward");
    let (ports, macs) = (4, 64);
    let t = trace(ports, macs, 4096, 64);
    g.throughput(Throughput::Elements(t.len() as u64));
    let learned = || learned_bridge(ports, macs);
    let encap = tunnel();
    let mut arena = Arena::with_capacity(16);
    let mut a = learned();
    g.bench_function("64B_4ports_64macs/vxlan_encap_decap", |b| {
        b.iter(|| black_box(run_vxlan(&mut a, &mut arena, &encap, &t)))
    });
    let mut a = learned();
    let mut under = bridge_with(2);
    let under_in = port(0);
    let mut bb = learned();
    g.bench_function("64B_4ports_64macs/overlay_two_hosts", |b| {
        b.iter(|| {
            let mut out = 0u64;
            for (p, f) in &t {
                let id = arena.alloc(f.len());
                arena.get_mut(id).copy_from_slice(f);
                if let Forward::One(q) = a.forward(NOW, *p, arena.get(id)) {
                    out += u64::from(q);
                }
                encap.write(f.len(), 49152, arena.push_head(id, vxlan::OVERHEAD));
                if let Forward::One(q) = under.forward(NOW, under_in, arena.get(id)) {
                    out += u64::from(q);
                }
                let (_, off) = vxlan::decapsulate(arena.get(id)).expect("VXLAN");
                arena.pull_head(id, off);
                if let Forward::One(q) = bb.forward(NOW, *p, arena.get(id)) {
                    out += u64::from(q);
                }
                arena.release(id);
            }
            black_box(out)
        })
    });
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
            |mut w| black_box(ping(&mut w, pair::C0, target, "t", &o)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("routed_ping_round_trips", |b| {
        let far = "10.0.1.3".parse().unwrap();
        b.iter_batched(
            || pair::routed(1),
            |mut w| {
                let r = ping(&mut w, pair::C0, far, "t", &o);
                assert!(r.stdout.contains(&format!("{n} packets received")));
                black_box(r)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("overlay_ping_round_trips", |b| {
        b.iter_batched(
            || pair::overlay_pair(1),
            |mut w| {
                let r = ping(&mut w, pair::C0, target, "t", &o);
                assert!(r.stdout.contains(&format!("{n} packets received")));
                black_box(r)
            },
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
                    let r = udp::stream(&mut w, pair::C0, pair::C1, target, 5001, size, n);
                    assert_eq!(r.received, n);
                    black_box(r)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

/// TCP between the two stacks: a bulk transfer to a discard server (payload bytes, at the
/// bridge's MTU of 1500), and connection setups and teardowns, one after another.
fn tcp(c: &mut Criterion) {
    let mut g = c.benchmark_group("e2e");
    let target = "10.0.0.3".parse().unwrap();
    let total = 16u64 << 20;
    g.throughput(Throughput::Bytes(total));
    g.bench_function("tcp_bulk_16MiB", |b| {
        b.iter_batched(
            || pair::pair(1),
            |mut w| {
                let got = tcp::bulk(&mut w, pair::C0, pair::C1, target, 5201, total);
                assert_eq!(got, total);
                black_box(got)
            },
            BatchSize::LargeInput,
        )
    });
    let n = 1000u64;
    g.throughput(Throughput::Elements(n));
    g.bench_function("tcp_connections", |b| {
        b.iter_batched(
            || pair::pair(1),
            |mut w| black_box(tcp::connections(&mut w, pair::C0, pair::C1, target, 7, n)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, forward, forward_overlay, e2e, tcp);
criterion_main!(benches);
