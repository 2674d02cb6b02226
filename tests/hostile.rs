//! Hostile input against the real binary: each gets a clear error or a bounded result, never a
//! panic, with its peak memory (RSS) under 256 MiB, and the state unchanged when refused.

mod common;

use common::{Run, Vnet, bin};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak memory allowed to one command.
const RSS_LIMIT_KIB: u64 = 256 * 1024;
/// Wall time after which a command is taken to hang.
const HANG: Duration = Duration::from_secs(120);

/// Runs `cmd` to its end and returns what it printed and its peak resident memory in KiB:
/// `/usr/bin/time -f %M` (the kernel's figure for the reaped child) where it exists, else the
/// child's `VmHWM` read from /proc while it runs.
fn measured(mut cmd: Command) -> (Run, u64) {
    let report = std::env::temp_dir().join(format!(
        "vnet-hostile-rss-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let timed = std::path::Path::new("/usr/bin/time").exists();
    if timed {
        let inner = cmd;
        cmd = Command::new("/usr/bin/time");
        cmd.arg("-f").arg("%M").arg("-o").arg(&report);
        cmd.arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).unwrap();
        b
    });
    let e = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).unwrap();
        b
    });
    let start = Instant::now();
    let mut hwm = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            let kib = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            hwm = hwm.max(kib.unwrap_or(0));
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            panic!("{cmd:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if timed {
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let _ = std::fs::remove_file(&report);
        // The last line is the figure (a signal's note comes before it).
        hwm = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("/usr/bin/time reported");
    }
    let run = Run {
        stdout: String::from_utf8(o.join().unwrap()).expect("utf-8"),
        stderr: String::from_utf8(e.join().unwrap()).expect("utf-8"),
        code: status.code().unwrap_or(-1),
    };
    (run, hwm)
}

/// Runs `vnet ARGS` on `v`'s state, checks that it did not panic and stayed under the memory
/// limit, and returns what it printed.
fn hostile(v: &Vnet, args: &[&str]) -> Run {
    let (run, kib) = measured(v.cmd(args));
    assert_bounded(&args, &run, kib);
    run
}

fn assert_bounded(what: &dyn std::fmt::Debug, run: &Run, kib: u64) {
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "{what:?} panicked: {}",
        run.stderr
    );
    assert!(kib < RSS_LIMIT_KIB, "{what:?} peaked at {kib} KiB");
}

#[test]
fn a_non_utf8_argument_is_refused_by_position() {
    let v = Vnet::new("hostile-utf8");
    let mut cmd = Command::new(bin());
    cmd.arg("--state-dir")
        .arg(&v.dir)
        .arg("exec")
        .arg(OsStr::from_bytes(b"c\xff\xfe1"))
        .arg("ping");
    let (run, kib) = measured(cmd);
    assert_bounded(&"exec c\\xff\\xfe1", &run, kib);
    assert_eq!(
        (run.stderr.as_str(), run.code),
        (
            "vnet: argument 4 is not valid UTF-8: \"c\\xff\\xfe1\"\n",
            125
        )
    );
    assert!(!v.dir.exists(), "nothing was created");
}

#[test]
fn a_stop_timeout_past_gos_duration_kills_at_once() {
    let v = Vnet::new("hostile-stop");
    v.ok(&["run", "-itd", "--name", "c1", "busybox"]);
    let before = v.ok(&["inspect", "-f", "{{.Created}}", "c1"]);
    // moby multiplies the seconds into Go's int64 nanoseconds, which wrap to -1 s: the
    // deadline has passed, SIGKILL at once.
    let r = hostile(&v, &["stop", "-t", "9223372036854775807", "c1"]);
    assert_eq!((r.stdout.as_str(), r.code), ("c1\n", 0));
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{.State.ExitCode}} {{.State.FinishedAt}}",
            "c1"
        ]),
        format!("137 {before}")
    );
    let ps = v.ok(&["ps", "-a", "--format", "{{.RunningFor}}|{{.Status}}"]);
    assert_eq!(
        ps,
        "Less than a second ago|Exited (137) Less than a second ago\n"
    );
    // The longest wait that fits: 292 years of virtual time, and the clock still reads.
    v.ok(&["start", "c1"]);
    hostile(&v, &["stop", "-t", "9223372036", "c1"]);
    let ps = v.ok(&["ps", "-a", "--format", "{{.RunningFor}}"]);
    assert_eq!(ps, "292 years ago\n");
    // Past int64, docker/cli's flag parser refuses it, as before.
    let r = hostile(&v, &["stop", "-t", "9223372036854775808", "c1"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.starts_with(
            "invalid argument \"9223372036854775808\" for \"-t, --timeout\" flag: strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_link_delay_near_two_to_the_64_is_refused_or_queued_within_the_limit() {
    let v = Vnet::new("hostile-netem");
    v.ok(&["network", "create", "n1"]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "n1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c3", "--net", "n1", "busybox"]);
    let before = v.state_bytes();
    for (args, err) in [
        (
            &["link", "set", "--delay", "5124095576030431s", "n1"][..],
            "invalid duration \"5124095576030431s\": netem takes at most 2562047h47m16.854775807s (64-bit nanoseconds)\n",
        ),
        (
            &["link", "set", "--jitter", "2562048h", "n1"][..],
            "invalid duration \"2562048h\": netem takes at most 2562047h47m16.854775807s (64-bit nanoseconds)\n",
        ),
        (
            &["link", "set", "--limit", "4294967296", "n1"][..],
            "invalid limit \"4294967296\": give a number of packets from 0 to 4294967295\n",
        ),
    ] {
        let r = hostile(&v, args);
        assert_eq!((r.stderr.as_str(), r.code), (err, 1), "{args:?}");
        assert_eq!(v.state_bytes(), before, "{args:?} changed nothing");
    }
    // The longest delay netem takes: every request waits in the queue of the ports it goes
    // out of, up to netem's 1000 frames; the rest are dropped.
    v.ok(&["link", "set", "--delay", "2562047h", "n1"]);
    let r = hostile(&v, &["exec", "c2", "ping", "-f", "-c", "20000", "c3"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .ends_with("20000 packets transmitted, 0 packets received, 100% packet loss\n"),
        "{}",
        r.stdout
    );
    // tc netem's `limit`, as small as one frame: with the neighbours known, the second
    // request in flight is dropped, and the trace says so.
    v.ok(&["link", "clear", "n1"]);
    v.ok(&["exec", "c2", "ping", "-c", "1", "c3"]);
    v.ok(&["link", "set", "--delay", "1s", "--limit", "1", "n1"]);
    let r = hostile(
        &v,
        &[
            "--trace", "exec", "c2", "ping", "-c", "2", "-i", "0.1", "c3",
        ],
    );
    let dropped: Vec<&str> = r.stderr.lines().filter(|l| l.contains("dropped")).collect();
    assert!(
        dropped.iter().any(|l| l
            .contains(" n1 c3.eth0 > IP 172.18.0.2 > 172.18.0.3: ICMP echo request, id ")
            && l.ends_with(", seq 1, length 64, dropped: queue full (limit 1)")),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("2 packets transmitted, 1 packets received"),
        "{}",
        r.stdout
    );
}

/// A lab of two containers on one user network.
fn two_on_n1(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    v.ok(&["network", "create", "n1"]);
    v.ok(&["run", "-itd", "--name", "c2", "--net", "n1", "busybox"]);
    v.ok(&["run", "-itd", "--name", "c3", "--net", "n1", "busybox"]);
    v
}

/// Runs `vnet ARGS` with `env` set, bounded as [`hostile`] checks.
fn hostile_env(v: &Vnet, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = v.cmd(args);
    for (k, val) in env {
        cmd.env(k, val);
    }
    let (run, kib) = measured(cmd);
    assert_bounded(&(env, args), &run, kib);
    run
}

#[test]
fn a_ping_of_99999999_stops_at_a_day_of_virtual_time() {
    let v = two_on_n1("hostile-ping-count");
    let r = hostile(&v, &["exec", "c2", "ping", "-q", "-c", "99999999", "c3"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "vnet: the simulation stopped: more than 24h0m0s of virtual time in one command (VNET_MAX_VIRTUAL_TIME)\n"
    );
    assert!(
        r.stdout.contains(
            "\n--- c3 ping statistics ---\n86401 packets transmitted, 86400 packets received, 0% packet loss\n"
        ),
        "{}",
        r.stdout
    );
    // The clock moved the day the command ran, no more.
    assert_eq!(
        v.ok(&["ps", "--format", "{{.RunningFor}}", "-f", "name=c2"]),
        "24 hours ago\n"
    );
    // Its own address (never on the wire) is bounded the same way.
    let r = hostile_env(
        &v,
        &[("VNET_MAX_VIRTUAL_TIME", "90m")],
        &["exec", "c2", "ping", "-q", "-c", "99999999", "127.0.0.1"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("5401 packets transmitted, 5401 packets received"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.ends_with(
            "more than 1h30m0s of virtual time in one command (VNET_MAX_VIRTUAL_TIME)\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_flood_stops_at_its_event_budget() {
    let v = two_on_n1("hostile-ping-flood");
    let env = [("VNET_MAX_EVENTS", "200000")];
    let r = hostile_env(
        &v,
        &env,
        &["exec", "c2", "ping", "-f", "-c", "99999999", "c3"],
    );
    assert_eq!(
        (r.stderr.as_str(), r.code),
        (
            "vnet: the simulation stopped: more than 200000 events in one command (VNET_MAX_EVENTS)\n",
            1
        )
    );
    assert!(r.stdout.contains(" packets transmitted, "), "{}", r.stdout);
    // Through a loopback exchange that counts its own events too.
    let r = hostile_env(
        &v,
        &env,
        &[
            "exec",
            "c2",
            "ping",
            "-f",
            "-i",
            "0",
            "-c",
            "99999999",
            "127.0.0.1",
        ],
    );
    assert!(r.stderr.ends_with("(VNET_MAX_EVENTS)\n"), "{}", r.stderr);
    // Frames held on a slow link fill the world's queue.
    v.ok(&["link", "set", "--delay", "1s", "n1"]);
    let r = hostile_env(
        &v,
        &[("VNET_MAX_IN_FLIGHT", "100")],
        &["exec", "c2", "ping", "-f", "-c", "5000", "c3"],
    );
    assert_eq!(
        (r.stderr.as_str(), r.code),
        (
            "vnet: the simulation stopped: more than 100 frames in flight at once (VNET_MAX_IN_FLIGHT)\n",
            1
        )
    );
    // A budget that is not a number is refused before anything runs.
    let before = v.state_bytes();
    let r = hostile_env(
        &v,
        &[("VNET_MAX_EVENTS", "lots")],
        &["exec", "c2", "ping", "-c", "1", "c3"],
    );
    assert_eq!(
        (r.stderr.as_str(), r.code),
        (
            "vnet: VNET_MAX_EVENTS must be a whole number above 0, not \"lots\"\n",
            1
        )
    );
    assert_eq!(v.state_bytes(), before);
}

/// Runs `line` (words split on spaces) on `c` in this process, insisting on success.
fn lab(c: &mut vnet::cluster::Cluster, line: &str) {
    let argv: Vec<String> = std::iter::once("vnet")
        .chain(line.split(' '))
        .map(String::from)
        .collect();
    let o = vnet::cli::run_line(&argv, c, &mut std::io::empty());
    assert_eq!(o.code, 0, "{line}: {}", o.stderr);
}

#[test]
fn a_bridge_refuses_its_1024th_port_as_linux_does() {
    // 1023 running containers on one bridge network, built in this process and imported.
    let mut c = vnet::cluster::Cluster::new(1);
    lab(&mut c, "network create --subnet 10.9.0.0/16 n1");
    for i in 0..1023 {
        lab(&mut c, &format!("run -itd --name c{i} --net n1 busybox"));
    }
    let v = Vnet::new("hostile-ports");
    let doc = v.dir.with_extension("json");
    std::fs::write(&doc, vnet::store::Store::encode(&c)).unwrap();
    v.ok(&["state", "import", doc.to_str().unwrap()]);
    let _ = std::fs::remove_file(&doc);
    let bridge = format!("br-{}", &v.id("n1")[..12]);
    // The 1024th: run creates the container, and its start fails in the driver.
    let r = hostile(
        &v,
        &["run", "-itd", "--name", "c1023", "--net", "n1", "busybox"],
    );
    let want =
        |c: &str| format!("failed to create endpoint {c} on network n1: adding interface veth");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "vnet: Error response from daemon: failed to set up container networking: {}",
            want("c1023")
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!(" to bridge {bridge} failed: exchange full")),
        "{}",
        r.stderr
    );
    assert_eq!(
        v.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{len .NetworkSettings.Networks}}",
            "c1023"
        ]),
        "created 1\n"
    );
    // Connecting a running container: the same from the driver, nothing changed.
    v.ok(&["run", "-itd", "--name", "other", "busybox"]);
    let before = v.state_bytes();
    let r = hostile(&v, &["network", "connect", "n1", "other"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("Error response from daemon: {}", want("other"))),
        "{}",
        r.stderr
    );
    assert_eq!(v.state_bytes(), before, "nothing was connected");
    // One port freed, one taken.
    v.ok(&["stop", "-t", "0", "c0"]);
    v.ok(&["network", "connect", "n1", "other"]);
}

#[test]
fn an_overlay_bridge_refuses_its_1024th_port_too() {
    // On each host, an overlay network's bridge holds the VXLAN device and the containers'
    // veths there: 1022 containers fill it.
    let mut c = vnet::cluster::Cluster::new(1);
    lab(
        &mut c,
        "host create --cluster-store consul://10.0.0.5:8500 host1",
    );
    lab(
        &mut c,
        "-H host1 network create -d overlay --subnet 10.8.0.0/16 ov",
    );
    for i in 0..1022 {
        lab(
            &mut c,
            &format!("-H host1 run -itd --name c{i} --net ov busybox"),
        );
    }
    let v = Vnet::new("hostile-overlay-ports");
    let doc = v.dir.with_extension("json");
    std::fs::write(&doc, vnet::store::Store::encode(&c)).unwrap();
    v.ok(&["state", "import", doc.to_str().unwrap()]);
    let _ = std::fs::remove_file(&doc);
    let id = v.ok(&["-H", "host1", "network", "inspect", "-f", "{{.Id}}", "ov"]);
    let r = hostile(
        &v,
        &[
            "-H", "host1", "run", "-itd", "--name", "late", "--net", "ov", "busybox",
        ],
    );
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "vnet: Error response from daemon: failed to set up container networking: could not add veth pair inside the network sandbox: error setting interface \"veth"
        ) && r.stderr.contains(&format!(
            "\" master to \"ov-000100-{}\": exchange full\n",
            &id[..5]
        )),
        "{}",
        r.stderr
    );
}
