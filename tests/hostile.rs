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
