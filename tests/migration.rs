//! A `state.json` of the release before the state database, migrated into `state.db` on first
//! use: the files that release wrote (`tests/fixtures/legacy/`) read back byte for byte and
//! answer every command as that release did, and a migration killed at any moment loses
//! nothing.

mod common;

use common::Vnet;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/legacy")
        .join(name)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One command the previous release ran on a fixture, and what it printed.
#[derive(Deserialize)]
struct Recorded {
    args: Vec<String>,
    stdout: String,
    stderr: String,
    code: i32,
}

#[derive(Deserialize)]
struct Expected {
    commands: Vec<Recorded>,
}

/// Puts `doc` in a fresh state directory as an earlier vnet left it.
fn legacy_dir(tag: &str, doc: &[u8]) -> Vnet {
    let v = Vnet::new(tag);
    std::fs::create_dir_all(&v.dir).unwrap();
    std::fs::write(v.dir.join("state.json"), doc).unwrap();
    v
}

/// Replays the previous release's commands on its own file: the same answers, the same
/// document before and after.
fn replays_as_before(state: &str, expected: &str, export: &str, after: &str) {
    let doc = read(&fixture(state));
    let want: Expected = serde_json::from_slice(&read(&fixture(expected))).unwrap();
    let v = legacy_dir("legacy", &doc);
    for (i, c) in want.commands.iter().enumerate() {
        let args: Vec<&str> = c.args.iter().map(|s| s.as_str()).collect();
        let r = v.run(&args);
        assert_eq!(
            (r.stdout.as_str(), r.stderr.as_str(), r.code),
            (c.stdout.as_str(), c.stderr.as_str(), c.code),
            "{state}: vnet {}",
            c.args.join(" ")
        );
        if i == 0 {
            // Migrated by the first command, a read: the old file kept aside as it was, the
            // state exported as that release wrote it.
            assert!(!v.dir.join("state.json").exists(), "{state}");
            assert!(!v.dir.join("state.db.migrating").exists(), "{state}");
            assert_eq!(read(&v.dir.join("state.json.bak")), doc, "{state}");
            assert!(
                v.state_bytes() == read(&fixture(export)),
                "{state}: the export differs from {export}"
            );
        }
    }
    assert!(
        v.state_bytes() == read(&fixture(after)),
        "{state}: the state after the commands differs from {after}"
    );
    assert_eq!(v.ok(&["state", "check"]), "ok\n");
    assert_eq!(read(&v.dir.join("state.json.bak")), doc, "{state}");
}

#[test]
fn the_seed_walkthrough_of_the_previous_release_migrates() {
    replays_as_before(
        "walkthrough.state.json",
        "walkthrough.expected.json",
        "walkthrough.state.json",
        "walkthrough.after.json",
    );
}

/// A version-1 document (one engine, before hosts) becomes the default host: the same state
/// as the version-2 file of that engine.
#[test]
fn a_version_1_document_of_the_previous_release_migrates() {
    replays_as_before(
        "walkthrough-v1.state.json",
        "walkthrough.expected.json",
        "walkthrough.state.json",
        "walkthrough.after.json",
    );
}

#[test]
fn two_hosts_on_an_overlay_of_the_previous_release_migrate() {
    replays_as_before(
        "overlay.state.json",
        "overlay.expected.json",
        "overlay.state.json",
        "overlay.after.json",
    );
}

/// A state.json big enough that its migration takes a while: 240 running containers on four
/// networks, built in process.
fn big_document() -> Vec<u8> {
    let mut c = vnet::cluster::Cluster::new(21);
    let mut run = |line: String| {
        let argv: Vec<String> = line.split(' ').map(str::to_string).collect();
        let o = vnet::cli::run_line(&argv, &mut c, &mut std::io::empty());
        assert_eq!(o.code, 0, "{line}: {}", o.stderr);
    };
    for n in 0..4 {
        run(format!("vnet network create net{n}"));
    }
    for i in 0..240 {
        run(format!(
            "vnet run -itd --name c{i} --network net{} busybox",
            i % 4
        ));
    }
    vnet::store::Store::encode(&c)
}

/// A tiny deterministic generator for kill delays (as in tests/state.rs).
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// The migration killed with SIGKILL at varied moments: the next command migrates (or
/// finishes) it, and the state is the document, byte for byte, with the old file kept.
#[test]
fn a_migration_killed_at_any_moment_loses_nothing() {
    let doc = big_document();
    // How long one whole migrating command takes here: the kills fall within it.
    let v = legacy_dir("mig-time", &doc);
    let t = Instant::now();
    v.ok(&["network", "ls", "-q"]);
    let whole = t.elapsed().as_micros() as u64;
    assert_eq!(v.state_bytes(), doc);
    drop(v);
    let mut seed = 7u64;
    let (mut mid_build, mut before_rename, mut done, mut runs) = (0, 0, 0, 0);
    // The window the kills fall in: up to half again as long as a whole command, so that
    // some come after the migration or between its renames. It follows the machine: a kill
    // that came after everything narrows it, one that came before the migration began
    // widens it (a loaded machine runs the command slower than the timing above).
    let mut window = (whole * 3 / 2).max(1);
    // At least 30 kills, and on until 10 of them caught the migration half built.
    for i in 0..300 {
        if i >= 30 && mid_build >= 10 {
            break;
        }
        let v = legacy_dir("mig-kill", &doc);
        let mut child = v.cmd(&["network", "ls", "-q"]).spawn().expect("spawn");
        std::thread::sleep(Duration::from_micros(lcg(&mut seed) % window));
        let _ = child.kill(); // SIGKILL; it may have finished already
        let _ = child.wait();
        let migrating = v.dir.join("state.db.migrating").exists();
        let legacy = v.dir.join("state.json").exists();
        let finished = v.dir.join("state.json.bak").exists();
        if migrating {
            mid_build += 1;
        } else if finished {
            window = (window * 4 / 5).max(1);
        } else if legacy {
            window = window * 5 / 4 + 1;
        }
        before_rename += usize::from(legacy);
        done += usize::from(finished);
        runs += 1;
        let r = v.run(&["network", "ls", "-q"]);
        assert_eq!(r.code, 0, "after kill {i}: {}", r.stderr);
        assert_eq!(r.stdout.lines().count(), 7, "after kill {i}");
        assert!(v.state_bytes() == doc, "after kill {i}: the state differs");
        assert_eq!(read(&v.dir.join("state.json.bak")), doc, "after kill {i}");
        assert!(!v.dir.join("state.json").exists(), "after kill {i}");
        assert!(!v.dir.join("state.db.migrating").exists(), "after kill {i}");
    }
    eprintln!(
        "{runs} kills (window {window} µs at the end): {mid_build} left state.db.migrating, {before_rename} left state.json, {done} came after the migration"
    );
    // The kills must land in the migration, or the test proves nothing.
    assert!(
        mid_build >= 10,
        "only {mid_build} of {runs} kills left a migration half built"
    );
}
