//! The scale workload at any size, for a long run: N containers over N/100 networks, each
//! pinging its gateway once. Prints wall time per phase and the peak resident memory.
//!
//! `cargo run --release --example scale -- 100000`

use std::time::Instant;
use vnet::docker::Daemon;

// The two phases are timed apart here; `run` and its `Report` are the bench's.
#[allow(dead_code)]
#[path = "../benches/common/scale.rs"]
mod scale;

/// The process's peak resident set (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("the container count, a whole number"))
        .unwrap_or(100_000);
    let mut d = Daemon::new(1);
    let t0 = Instant::now();
    let ids = scale::build(&mut d, n);
    let built = t0.elapsed();
    let t1 = Instant::now();
    let answered = scale::ping_gateways(&mut d, &ids);
    let pinged = t1.elapsed();
    println!(
        "{n} containers on {} networks: built in {:.2} s, {answered}/{n} gateway pings answered in {:.2} s; total {:.2} s wall",
        n.div_ceil(scale::PER_NETWORK),
        built.as_secs_f64(),
        pinged.as_secs_f64(),
        (built + pinged).as_secs_f64()
    );
    match peak_rss_kib() {
        Some(k) => println!("peak memory (VmHWM): {:.0} MiB", k as f64 / 1024.0),
        None => println!("peak memory: unknown (no /proc/self/status)"),
    }
    assert_eq!(answered, n, "every gateway answers");
}
