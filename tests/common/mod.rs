//! Helpers for tests that run the real `vnet` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_vnet")
}

/// Starts `vnet --state-dir DIR GLOBAL... daemon DAEMON_ARGS...` on `state` (created first),
/// its stdout piped and stderr as given, and waits for its `API listen on SOCKET` line;
/// the child and the socket.
pub fn spawn_daemon(
    state: &Vnet,
    global: &[&str],
    daemon_args: &[&str],
    stderr: Stdio,
) -> (std::process::Child, PathBuf) {
    use std::io::BufRead;
    std::fs::create_dir_all(&state.dir).unwrap();
    let socket = state.dir.join("vnet.sock");
    let mut child = Command::new(bin())
        .arg("--state-dir")
        .arg(&state.dir)
        .args(global)
        .arg("daemon")
        .args(daemon_args)
        .env_remove("VNET_SEED")
        .env_remove("VNET_STATE_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("vnet daemon starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, format!("API listen on {}\n", socket.display()));
    (child, socket)
}

/// An HTTP/1.1 chunked body's bytes.
pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(p) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..p]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[p + 2..p + 2 + n]);
        b = &b[p + 2 + n + 2..];
    }
}

/// A fresh state directory, removed on drop.
pub struct Vnet {
    pub dir: PathBuf,
}

/// What one invocation printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Vnet {
    pub fn new(tag: &str) -> Vnet {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("vnet-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Vnet { dir }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--state-dir").arg(&self.dir).args(args);
        c.env_remove("VNET_SEED")
            .env_remove("VNET_STATE_DIR")
            .env_remove("VNET_HOST");
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("vnet runs");
        Run {
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "vnet {args:?} failed: {}", r.stderr);
        r.stdout
    }

    /// Runs and insists on failure with exactly this stderr and code.
    pub fn fails(&self, args: &[&str], stderr: &str, code: i32) {
        let r = self.run(args);
        assert_eq!(
            (r.stderr.as_str(), r.code),
            (stderr, code),
            "vnet {args:?} (stdout: {:?})",
            r.stdout
        );
    }

    /// The state database.
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.db")
    }

    /// The whole state as one document (`vnet state export`), or nothing when the state
    /// cannot be read.
    pub fn state_bytes(&self) -> Vec<u8> {
        let out = self.cmd(&["state", "export"]).output().expect("vnet runs");
        if out.status.success() {
            out.stdout
        } else {
            Vec::new()
        }
    }

    /// `{{.Id}}` of a network or container.
    pub fn id(&self, name: &str) -> String {
        self.ok(&["inspect", "-f", "{{.Id}}", name])
            .trim()
            .to_string()
    }
}

impl Drop for Vnet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// The seed walkthrough's first topology: container1 and container2 on the default bridge,
/// container2 and container3 (172.25.3.3) on isolated_nw (172.25.0.0/16).
pub fn seed_topology(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    v.ok(&["run", "-itd", "--name=container1", "busybox"]);
    v.ok(&["run", "-itd", "--name=container2", "busybox"]);
    v.ok(&[
        "network",
        "create",
        "-d",
        "bridge",
        "--subnet",
        "172.25.0.0/16",
        "isolated_nw",
    ]);
    v.ok(&["network", "connect", "isolated_nw", "container2"]);
    v.ok(&[
        "run",
        "--net=isolated_nw",
        "--ip=172.25.3.3",
        "-itd",
        "--name=container3",
        "busybox",
    ]);
    v
}

/// Two hosts, `host1` and `host2`, on one cluster store, the overlay network `multihost`
/// made on host1, and container `c1` on it there. `global` goes before each command
/// (`--seed N`, say).
pub fn two_hosts_on_an_overlay(v: &Vnet, global: &[&str]) {
    let run = |args: &[&str]| {
        let all: Vec<&str> = global.iter().chain(args).copied().collect();
        v.ok(&all);
    };
    for h in ["host1", "host2"] {
        run(&[
            "host",
            "create",
            "--cluster-store",
            "consul://10.0.0.5:8500",
            h,
        ]);
    }
    run(&[
        "-H",
        "host1",
        "network",
        "create",
        "-d",
        "overlay",
        "multihost",
    ]);
    run(&[
        "-H",
        "host1",
        "run",
        "-itd",
        "--name",
        "c1",
        "--net",
        "multihost",
        "busybox",
    ]);
}
