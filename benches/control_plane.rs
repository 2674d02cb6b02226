//! The control plane in process: the cost of a command once the state is loaded.
//!
//! `cargo bench --bench control_plane`. Figures and the machine go in BENCHMARKS.md.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vnet::cli;
use vnet::cluster::Cluster;

fn argv(line: &str) -> Vec<String> {
    std::iter::once("vnet")
        .chain(line.split(' '))
        .map(String::from)
        .collect()
}

fn run(d: &mut Cluster, line: &str) -> cli::Outcome {
    let o = cli::run_line(&argv(line), d, &mut std::io::empty());
    assert_eq!(o.code, 0, "{line}: {}", o.stderr);
    o
}

/// A host with 20 networks and 1000 running containers.
fn busy_host() -> Cluster {
    let mut d = Cluster::new(1);
    for n in 0..20 {
        run(&mut d, &format!("network create net{n}"));
    }
    for c in 0..1000 {
        run(
            &mut d,
            &format!("run -itd --name c{c} --net net{} busybox", c % 20),
        );
    }
    d
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("control_plane");
    g.throughput(Throughput::Elements(1));
    g.bench_function("network_create_on_fresh_host", |b| {
        b.iter_batched(
            || Cluster::new(1),
            |mut d| black_box(run(&mut d, "network create --subnet 10.1.0.0/16 n")),
            BatchSize::SmallInput,
        )
    });
    let host = busy_host();
    g.bench_function("run_on_1000_container_host", |b| {
        b.iter_batched(
            || host.clone(),
            |mut d| black_box(run(&mut d, "run -itd --name fresh --net net3 busybox")),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("network_inspect_50_endpoints", |b| {
        let mut d = host.clone();
        b.iter(|| black_box(run(&mut d, "network inspect net3")))
    });
    g.bench_function("ps_1000", |b| {
        let mut d = host.clone();
        b.iter(|| black_box(run(&mut d, "ps")))
    });
    g.bench_function("state_encode_1000", |b| {
        b.iter(|| black_box(vnet::store::Store::encode(&host)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
