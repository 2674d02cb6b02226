//! Large hosts: N containers over N/100 networks, each pinging its gateway once
//! (`common/scale.rs`), N = 1k and 10k. The 100k run is `cargo run --release --example scale`.
//!
//! `cargo bench --bench scale`. Figures and the machine go in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "common/scale.rs"]
mod scale;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10);
    for n in [1_000usize, 10_000] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("build_and_ping_gateways/{n}"), |b| {
            b.iter(|| {
                let r = scale::run(1, n);
                assert_eq!(r.answered, n);
                black_box(r)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
