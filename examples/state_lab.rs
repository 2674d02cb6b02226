//! Writes a large lab as a state directory the `vnet` binary reads: N running busybox
//! containers `c0`..`c{N-1}` over N/100 user-defined bridge networks `net0`.. (`10.H.L.0/24`),
//! the workload of the `scale` bench (its build step, without the pings), saved as one
//! version-2 `state.json` document.
//!
//! `cargo run --release --example state_lab -- 10000 /tmp/lab [--seed 7]`, then
//! `VNET_STATE_DIR=/tmp/lab vnet ps`. `benches/state-scale.sh` uses it to time each command
//! on a large state.

use std::path::PathBuf;
use std::time::Instant;
use vnet::cluster::Cluster;
use vnet::docker::Daemon;
use vnet::store::Store;

// Only `build` is used here; the pings and `run` are the bench's.
#[allow(dead_code)]
#[path = "../benches/common/scale.rs"]
mod scale;

const USAGE: &str = "usage: state_lab N DIR [--seed SEED]";

fn main() {
    let mut positional = Vec::new();
    let mut seed = vnet::rng::DEFAULT_SEED;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            let v = args.next().expect(USAGE);
            seed = v.parse().expect("--seed takes a whole number");
        } else if let Some(v) = a.strip_prefix("--seed=") {
            seed = v.parse().expect("--seed takes a whole number");
        } else {
            positional.push(a);
        }
    }
    let [n, dir] = <[String; 2]>::try_from(positional).expect(USAGE);
    let n: usize = n.parse().expect("N, the container count, a whole number");
    let dir = PathBuf::from(dir);

    let t0 = Instant::now();
    let mut d = Daemon::new(seed);
    scale::build(&mut d, n);
    let built = t0.elapsed();
    let bytes = Store::encode(&Cluster::from_daemon(d));
    std::fs::create_dir_all(&dir).expect("create the state directory");
    let path = dir.join("state.json");
    std::fs::write(&path, &bytes).expect("write state.json");
    println!(
        "{n} containers on {} networks built in {:.2} s; {} written ({} bytes) in {:.2} s total",
        n.div_ceil(scale::PER_NETWORK),
        built.as_secs_f64(),
        path.display(),
        bytes.len(),
        t0.elapsed().as_secs_f64()
    );
}
