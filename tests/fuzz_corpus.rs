//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`: the inputs a campaign
//! kept, and every input that once crashed) through the same entry points the fuzz targets
//! call, so `cargo test` holds every one of them without libFuzzer.

mod common;

use common::Vnet;
use serde_json::Value;
use std::path::Path;

/// Runs every file of `fuzz/corpus/<target>` through `f`; there must be some.
fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).expect("a corpus file reads");
        let run = std::panic::catch_unwind(|| f(&bytes));
        assert!(run.is_ok(), "{} panicked", path.display());
    }
}

#[test]
fn frames() {
    replay("frames", vnet::fuzz::frames);
}

#[test]
fn servers() {
    replay("servers", vnet::fuzz::servers);
}

#[test]
fn dns() {
    replay("dns", vnet::fuzz::dns);
}

#[test]
fn template() {
    replay("template", vnet::fuzz::template);
}

#[test]
fn scenario() {
    replay("scenario", vnet::fuzz::scenario);
}

#[test]
fn state() {
    replay("state", vnet::fuzz::state);
}

#[test]
fn http() {
    replay("http", vnet::fuzz::http);
}

#[test]
fn cli() {
    replay("cli", vnet::fuzz::cli);
}

#[test]
fn shell() {
    replay("shell", vnet::fuzz::shell);
}

/// Found by the `state` target: a network (or container) filed under a key that is not its
/// own ID made `network inspect NAME` index the map by the ID and panic (the state checks
/// refuse it since; this holds them to it).
#[test]
fn a_state_filing_an_object_under_another_id_is_refused() {
    let v = Vnet::new("fuzz-filed");
    v.ok(&["network", "create", "n1"]);
    v.ok(&["create", "--name", "c1", "busybox"]);
    let good: Value = serde_json::from_str(&v.ok(&["state", "export"])).unwrap();
    let before = v.state_bytes();
    let doc = v.dir.with_extension("json");
    for (what, name) in [("networks", "n1"), ("containers", "c1")] {
        let mut bad = good.clone();
        let map = bad["cluster"]["hosts"]["default"]["engine"][what]
            .as_object_mut()
            .unwrap();
        let key = map
            .iter()
            .find(|(_, o)| o["name"].as_str().map(|n| n.trim_start_matches('/')) == Some(name))
            .map(|(k, _)| k.clone())
            .unwrap();
        let obj = map.shift_remove(&key).unwrap();
        let other = format!("{}0", &key[..key.len() - 1]);
        map.insert(other.clone(), obj);
        std::fs::write(&doc, bad.to_string()).unwrap();
        let r = v.run(&["state", "import", doc.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{what}: {}", r.stderr);
        let kind = &what[..what.len() - 1];
        assert!(
            r.stderr.contains(&format!(
                "host default: {kind} \"{name}\" is kept under ID {other}, not its own ({key})"
            )),
            "{}",
            r.stderr
        );
        assert_eq!(v.state_bytes(), before, "nothing imported");
    }
    let _ = std::fs::remove_file(&doc);
}

#[test]
fn cluster_store() {
    replay("cluster_store", vnet::fuzz::cluster_store);
}
