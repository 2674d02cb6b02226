//! The state directory under concurrency, crashes and replays: parallel writers, SIGKILL,
//! readers beside a writer that holds the lock, `state export`/`import`, broken files.

mod common;

use common::Vnet;
use std::collections::BTreeSet;
use std::process::Child;
use std::time::{Duration, Instant};

/// 50 `network create` processes at once: every one lands, no subnet is handed out twice.
#[test]
fn parallel_creates_lose_nothing() {
    let v = Vnet::new("parallel");
    v.ok(&["network", "ls"]); // create the state first
    // The default pools hold 30 networks besides `bridge`: half take automatic subnets,
    // half name their own.
    let children: Vec<(String, Child)> = (0..50)
        .map(|i| {
            let name = format!("net{i}");
            let mut args = vec!["network".to_string(), "create".to_string()];
            if i % 2 == 1 {
                args.push("--subnet".into());
                args.push(format!("10.{i}.0.0/16"));
            }
            args.push(name.clone());
            let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
            let child = v.cmd(&args).spawn().expect("spawn");
            (name, child)
        })
        .collect();
    for (name, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names = v.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(names.lines().count(), 53, "{names}");
    let subnets = v.ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
        "bridge",
        "net0",
        "net1",
        "net2",
        "net3",
        "net4",
        "net5",
        "net6",
        "net7",
        "net8",
        "net9",
        "net10",
        "net11",
        "net12",
        "net13",
        "net14",
        "net15",
        "net16",
        "net17",
        "net18",
        "net19",
        "net20",
        "net21",
        "net22",
        "net23",
        "net24",
        "net25",
        "net26",
        "net27",
        "net28",
        "net29",
        "net30",
        "net31",
        "net32",
        "net33",
        "net34",
        "net35",
        "net36",
        "net37",
        "net38",
        "net39",
        "net40",
        "net41",
        "net42",
        "net43",
        "net44",
        "net45",
        "net46",
        "net47",
        "net48",
        "net49",
    ]);
    let distinct: BTreeSet<&str> = subnets.lines().collect();
    assert_eq!(distinct.len(), 51, "{subnets}");
}

/// A tiny deterministic generator for kill delays.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// 100 creates killed with SIGKILL at arbitrary moments: the state always loads.
#[test]
fn sigkill_never_corrupts() {
    let v = Vnet::new("kill");
    v.ok(&["network", "ls"]);
    let mut seed = 42u64;
    let mut killed = 0;
    for i in 0..100 {
        let name = format!("k{i}");
        let subnet = format!("10.{}.{}.0/24", i / 250, i % 250);
        let mut child = v
            .cmd(&["network", "create", "--subnet", &subnet, &name])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(lcg(&mut seed) % 4000));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        let _ = child.wait();
        let r = v.run(&["network", "ls", "-q"]);
        assert_eq!(r.code, 0, "after kill {i}: {}", r.stderr);
    }
    // The delays must really catch processes at work, or the test proves nothing.
    assert!(
        killed >= 20,
        "only {killed} of 100 were still running when killed"
    );
}

/// Same commands, same seed: the same bytes, twice.
#[test]
fn same_seed_same_output() {
    let script: &[&[&str]] = &[
        &["network", "create", "simple-network"],
        &[
            "network",
            "create",
            "--subnet",
            "172.25.0.0/16",
            "isolated_nw",
        ],
        &["run", "-itd", "--name=container1", "busybox"],
        &["run", "-itd", "busybox"],
        &[
            "run",
            "--net=isolated_nw",
            "--ip=172.25.3.3",
            "-itd",
            "--name=container3",
            "busybox",
        ],
        &["network", "connect", "isolated_nw", "container1"],
        &["stop", "container1"],
        &["ps", "-a", "--no-trunc"],
        &["network", "ls", "--no-trunc"],
        &["network", "inspect", "isolated_nw", "bridge"],
        &["inspect", "container3"],
    ];
    let replay = |seed: &str| {
        let v = Vnet::new("det");
        let mut out = String::new();
        for args in script {
            let mut a = vec!["--seed", seed];
            a.extend_from_slice(args);
            let r = v.run(&a);
            out.push_str(&format!("{}{}{}\n", r.stdout, r.stderr, r.code));
        }
        out
    };
    let a = replay("7");
    assert_eq!(a, replay("7"));
    assert_ne!(a, replay("8"));
}

#[test]
fn corrupt_truncated_or_newer_state_is_refused_and_kept() {
    let v = Vnet::new("corrupt");
    v.ok(&["network", "create", "n1"]);
    let good = std::fs::read(v.state_file()).unwrap();
    // Not a database at all.
    std::fs::write(
        v.state_file(),
        b"this is not a database, but it is long enough to read",
    )
    .unwrap();
    let r = v.run(&["network", "create", "n2"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("vnet: state "), "{}", r.stderr);
    assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    assert!(r.stderr.contains("state.db"), "{}", r.stderr);
    assert!(
        std::fs::read(v.state_file())
            .unwrap()
            .starts_with(b"this is not a database")
    );
    // Truncated.
    std::fs::write(v.state_file(), &good[..good.len() / 2]).unwrap();
    let r = v.run(&["network", "ls"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(v.state_file()).unwrap(),
        &good[..good.len() / 2]
    );
    // Written by a newer vnet (a later schema).
    std::fs::write(v.state_file(), &good).unwrap();
    let db = rusqlite::Connection::open(v.state_file()).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let r = v.run(&["network", "ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("has format version 99, newer than this vnet reads (1)"),
        "{}",
        r.stderr
    );
    // Inconsistent: an endpoint naming a container that does not exist.
    std::fs::write(v.state_file(), &good).unwrap();
    let db = rusqlite::Connection::open(v.state_file()).unwrap();
    db.execute(
        "INSERT INTO endpoints (host, network_id, id, seq, container_id, json)
         SELECT host, id, 'e0', 0, 'c0', '{\"id\":\"e0\",\"container_id\":\"c0\",\"mac\":null,\"ipv4\":null,\"ipv6\":null}'
         FROM networks WHERE name = 'n1'",
        [],
    )
    .unwrap();
    drop(db);
    let r = v.run(&["network", "inspect", "n1"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    let r = v.run(&["state", "check"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("names container c0"), "{}", r.stderr);

    // system reset starts over, whatever the file holds.
    std::fs::write(v.state_file(), b"garbage").unwrap();
    assert_eq!(v.run(&["system", "reset", "-f"]).code, 0);
    assert_eq!(v.ok(&["network", "ls", "-q"]).lines().count(), 3);
    assert_eq!(v.ok(&["state", "check"]), "ok\n");
}

#[test]
fn seed_is_fixed_at_creation() {
    let v = Vnet::new("seed");
    v.ok(&["--seed", "5", "network", "ls"]);
    let r = v.run(&["--seed", "6", "network", "ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("was created with seed 5, not 6"),
        "{}",
        r.stderr
    );
    v.ok(&["network", "ls"]);
}

/// While another transaction holds the write lock (with an uncommitted change): a reader
/// answers at once from the last committed state; a writer waits for the lock, then lands.
#[test]
fn readers_never_wait_for_a_writer_and_writers_wait_for_each_other() {
    let v = common::seed_topology("locks");
    let reads: [&[&str]; 5] = [
        &["ps"],
        &["ps", "--filter", "name=container3"],
        &["network", "ls"],
        &["inspect", "container3"],
        &["network", "inspect", "isolated_nw"],
    ];
    let before: Vec<String> = reads.iter().map(|a| v.ok(a)).collect();
    let db = rusqlite::Connection::open(v.state_file()).unwrap();
    db.execute_batch("BEGIN IMMEDIATE; DELETE FROM containers WHERE name = 'container3';")
        .unwrap();
    for (args, want) in reads.iter().zip(&before) {
        // A reader that waited would wait for the busy timeout (a minute).
        let mut reader = v.cmd(args).spawn().unwrap();
        let t = Instant::now();
        while reader.try_wait().unwrap().is_none() {
            if t.elapsed() > Duration::from_secs(10) {
                let _ = reader.kill();
                panic!("vnet {args:?} waited beside a writer");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = reader.wait_with_output().unwrap();
        assert!(out.status.success(), "vnet {args:?}");
        assert_eq!(
            &String::from_utf8(out.stdout).unwrap(),
            want,
            "vnet {args:?}"
        );
    }
    // Past the busy timeout a writer gives up with the path and what to do, changing nothing.
    let mut impatient = v.cmd(&["network", "create", "y"]);
    impatient.env("VNET_BUSY_TIMEOUT", "1");
    let out = impatient.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("vnet: state database ")
            && err.contains("state.db is busy: another vnet command has held it for 1s"),
        "{err}"
    );
    let mut writer = v.cmd(&["network", "create", "x"]).spawn().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        writer.try_wait().unwrap().is_none(),
        "network create did not wait for the write lock"
    );
    assert!(!v.ok(&["network", "ls"]).contains(" x "));
    db.execute_batch("ROLLBACK").unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = writer.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "network create still waits after the lock was released"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = writer.wait_with_output().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(v.ok(&["network", "ls"]).contains(" x "));
    assert!(!v.ok(&["network", "ls"]).contains(" y "));
    assert_eq!(v.ok(&["inspect", "container3"]), before[3]);
}

/// `state export` then `state import` after a reset gives the same state back; a truncated
/// or inconsistent document is refused, naming the file, and leaves the state as it was.
#[test]
fn state_import_round_trips_and_refuses_a_broken_document() {
    let v = common::seed_topology("import");
    v.ok(&["exec", "container2", "ping", "-c", "1", "container3"]);
    let doc = v.state_bytes();
    assert!(!doc.is_empty());
    let file = |name: &str| {
        std::env::temp_dir().join(format!("vnet-import-{}-{name}", std::process::id()))
    };
    let good = file("good.json");
    std::fs::write(&good, &doc).unwrap();
    let good_s = good.to_str().unwrap();
    v.ok(&["system", "reset", "-f"]);
    assert_ne!(v.state_bytes(), doc);
    assert_eq!(v.ok(&["state", "import", good_s]), "");
    assert!(v.state_bytes() == doc, "the imported state differs");
    assert_eq!(v.ok(&["state", "check"]), "ok\n");
    let r = v.run(&["exec", "container2", "ping", "-c", "1", "container3"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let now = v.state_bytes();

    // Truncated.
    let cut = file("cut.json");
    std::fs::write(&cut, &doc[..doc.len() / 2]).unwrap();
    let r = v.run(&["state", "import", cut.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .starts_with(&format!("vnet: state {} is corrupt (", cut.display())),
        "{}",
        r.stderr
    );
    assert!(v.state_bytes() == now, "a refused import changed the state");

    // An endpoint naming a container that is not there.
    let mut j: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let nets = j["cluster"]["hosts"]["default"]["engine"]["networks"]
        .as_object_mut()
        .unwrap();
    let net = nets
        .values_mut()
        .find(|n| n["name"] == "isolated_nw")
        .unwrap();
    let ep = net["endpoints"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    ep["container_id"] = serde_json::Value::String("f".repeat(64));
    let bad = file("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&j).unwrap()).unwrap();
    let r = v.run(&["state", "import", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .starts_with(&format!("vnet: state {} is corrupt (", bad.display())),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("names container {}", "f".repeat(64))),
        "{}",
        r.stderr
    );
    assert!(v.state_bytes() == now, "a refused import changed the state");

    // A file that is not there.
    let r = v.run(&["state", "import", file("missing.json").to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("missing.json"), "{}", r.stderr);
    assert!(v.state_bytes() == now);
    for f in [good, cut, bad] {
        let _ = std::fs::remove_file(f);
    }
}
