//! The state database in process: one command's cost (load what it names, run it, save the
//! rows it changed) on a state of 100, 10k and 100k containers (`common/scale.rs`'s lab, N
//! running containers over N/100 networks), through [`Store::run`] as the `vnet` binary runs
//! a command. The same commands through the binary, beside the previous release, are
//! `benches/state-scale.sh`.
//!
//! `cargo bench --bench state`. Figures and the machine go in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use vnet::cli;
use vnet::cluster::Cluster;
use vnet::docker::Daemon;
use vnet::store::Store;

#[allow(dead_code)]
#[path = "common/scale.rs"]
mod scale;

/// A state directory holding the lab of `n` containers.
fn lab(n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vnet-bench-state-{n}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut d = Daemon::new(vnet::rng::DEFAULT_SEED);
    scale::build(&mut d, n);
    let doc = Store::encode(&Cluster::from_daemon(d));
    let mut store = Store::open(&dir, None).expect("open");
    store.import(&doc, Path::new("lab")).expect("import");
    dir
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("state");
    g.sample_size(20);
    for n in [100usize, 10_000, 100_000] {
        let dir = lab(n);
        let mut store = Store::open(&dir, None).expect("open");
        let commands: [(&str, &[&str]); 4] = [
            ("inspect", &["vnet", "inspect", "-f", "{{.Name}}", "c77"]),
            ("network_ls", &["vnet", "network", "ls"]),
            ("ps_filter_name", &["vnet", "ps", "--filter", "name=c99999"]),
            (
                "exec_ping",
                &["vnet", "exec", "c5", "ping", "-c", "1", "c6"],
            ),
        ];
        for (name, argv) in commands {
            let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            let parsed = cli::parse(&argv).expect("parses");
            g.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| {
                    let o = store
                        .run(&parsed.scope(), parsed.writes(), None, |cluster| {
                            cli::execute(&parsed, "vnet", cluster, &mut std::io::empty())
                        })
                        .expect("runs");
                    assert_eq!(o.code, 0, "{}", o.stderr);
                    black_box(o)
                })
            });
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
