//! Replaying scenarios in process: the seed walkthrough, and the whole `scenarios/` folder.
//!
//! `cargo bench --bench scenario`. Files are read and parsed once; each iteration replays them
//! on fresh simulated hosts (what `vnet scenario run` does per file, without process start).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use vnet::scenario::{self, Scenario};

fn load(paths: &[PathBuf]) -> Vec<(PathBuf, Scenario)> {
    scenario::collect(paths)
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let sc = scenario::parse(&p, &text).ok()?;
            sc.pending.is_none().then_some((p, sc))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut g = c.benchmark_group("scenario");
    let walk = load(&[root.join("seed-walkthrough.yaml")]);
    g.throughput(Throughput::Elements(1));
    g.bench_function("seed_walkthrough", |b| {
        b.iter(|| {
            for (p, sc) in &walk {
                let r = scenario::replay(p, sc);
                assert!(r.passed());
                black_box(r);
            }
        })
    });
    let all = load(&[root]);
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("whole_folder", |b| {
        b.iter(|| {
            for (p, sc) in &all {
                black_box(scenario::replay(p, sc));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
