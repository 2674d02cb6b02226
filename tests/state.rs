//! The state directory under concurrency, crashes and replays.

mod common;

use common::Vnet;
use std::collections::BTreeSet;
use std::process::Child;
use std::time::Duration;

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
