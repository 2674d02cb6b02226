//! Long commands stream and stop: an endless `ping` writes each reply as the simulation
//! produces it, paced to the wall clock, holds no lock while it runs (other commands go on),
//! ends on SIGINT or when its client goes away with busybox's statistics, and saves what it
//! changed merged with what the others saved, or, if they changed the same thing, nothing.

mod common;

use common::Vnet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn lab(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    v.ok(&["network", "create", "n1"]);
    for c in ["c1", "c2", "c3", "c4"] {
        v.ok(&["run", "-itd", "--name", c, "--net", "n1", "busybox"]);
    }
    v.ok(&["run", "-itd", "--name", "c5", "busybox"]);
    v
}

/// Starts `vnet exec c1 ping c2` and waits for its first reply line, which it prints long
/// before it ends (it has no end).
fn endless_ping(v: &Vnet) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = v
        .cmd(&["exec", "c1", "ping", "c2"])
        .spawn()
        .expect("vnet runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line).expect("reads");
    assert_eq!(line, "PING c2 (172.18.0.3): 56 data bytes\n");
    line.clear();
    out.read_line(&mut line).expect("reads");
    assert!(
        line.starts_with("64 bytes from 172.18.0.3: seq=0 ttl=64"),
        "{line}"
    );
    (child, out)
}

fn interrupt(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok);
}

fn rx_packets(v: &Vnet, c: &str) -> u64 {
    let out = v.ok(&["exec", c, "ifconfig", "eth0"]);
    let at = out.find("RX packets:").expect("counters") + "RX packets:".len();
    out[at..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

#[test]
fn an_endless_ping_streams_others_proceed_and_sigint_ends_it() {
    let v = lab("endless");
    let before = rx_packets(&v, "c1");
    let (mut child, mut out) = endless_ping(&v);
    // Meanwhile, commands on the same network and state.
    for args in [
        &["exec", "c3", "ping", "-c", "1", "c4"][..],
        &["network", "connect", "n1", "c5"],
        &["network", "ls"],
    ] {
        let t = Instant::now();
        v.ok(args);
        let took = t.elapsed();
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?}");
    }
    // Paced: one request a second.
    let t = Instant::now();
    let mut line = String::new();
    out.read_line(&mut line).expect("reads");
    assert!(line.contains("seq=1 "), "{line}");
    assert!(
        t.elapsed() > Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    interrupt(&child);
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("reads");
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(rest.contains("--- c2 ping statistics ---\n"), "{rest}");
    let sent: u64 = rest
        .lines()
        .find_map(|l| l.strip_suffix(" packets received, 0% packet loss"))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the statistics block");
    assert!(sent >= 2, "{rest}");
    // Its counters were saved, merged with the other commands' changes.
    assert!(rx_packets(&v, "c1") >= before + sent, "{rest}");
    assert!(v.ok(&["exec", "c3", "arp", "-n"]).contains("172.18.0.5"));
    let ip = v.ok(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.Networks.n1.IPAddress}}",
        "c5",
    ]);
    assert_eq!(ip, "172.18.0.6\n");
}

#[test]
fn a_write_back_that_conflicts_is_refused_whole() {
    let v = lab("conflict");
    let before = rx_packets(&v, "c1");
    let (mut child, out) = endless_ping(&v);
    // c2 goes while c1 pings it: the ping's changes to c2 cannot be merged.
    v.ok(&["rm", "-f", "c2"]);
    interrupt(&child);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut err)
        .expect("reads");
    drop(out);
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("container c2 changed in ") && err.contains("was not saved"),
        "{err}"
    );
    // Nothing of the ping's was saved: c1's counters are as they were.
    assert_eq!(rx_packets(&v, "c1"), before);
}

/// `vnet daemon` on the lab's state.
struct Daemon {
    child: Child,
    socket: PathBuf,
}

impl Daemon {
    fn start(v: &Vnet) -> Daemon {
        let socket = v.dir.join("api.sock");
        let mut child = v
            .cmd(&["daemon", "--socket", socket.to_str().expect("utf-8")])
            .env("VNET_MAX_VIRTUAL_TIME", HUGE_BUDGET)
            .spawn()
            .expect("vnet daemon runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("reads");
        assert!(line.starts_with("API listen on "), "{line}");
        Daemon { child, socket }
    }

    fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.socket).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(30))).ok();
        s
    }

    /// One request on its own connection; the response's status and body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = self.connect();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("writes");
        let mut raw = String::new();
        s.read_to_string(&mut raw).expect("reads");
        let status = raw[9..12].parse().expect("a status");
        let body = raw.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
        (status, body)
    }
}

impl Daemon {
    /// Creates an exec in container `c` with `create` as its body and starts it on a
    /// hijacked connection, as the docker CLI does: its ID and the connection.
    fn exec_upgraded(&self, c: &str, create: &str) -> (String, UnixStream) {
        let (code, body) = self.request("POST", &format!("/containers/{c}/exec"), create);
        assert_eq!(code, 201, "{body}");
        let id = exec_id(&body);
        let mut s = self.connect();
        let start = r#"{"Detach":false,"Tty":false}"#;
        write!(
            s,
            "POST /exec/{id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{start}",
            start.len()
        )
        .expect("writes");
        (id, s)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn exec_id(body: &str) -> String {
    let at = body.find("\"Id\":\"").expect("an ID") + 6;
    body[at..at + 64].to_string()
}

/// Waits until the daemon says the exec has ended; its exit code.
fn exit_code(d: &Daemon, id: &str) -> String {
    let t = Instant::now();
    loop {
        let (_, body) = d.request("GET", &format!("/exec/{id}/json"), "");
        if body.contains("\"Running\":false") {
            let at = body.find("\"ExitCode\":").expect("an exit code") + 11;
            return body[at..]
                .split([',', '}'])
                .next()
                .unwrap_or("")
                .to_string();
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_daemon_streams_an_exec_and_ends_it_when_the_client_goes() {
    let v = lab("daemon-stream");
    let before = rx_packets(&v, "c1");
    let d = Daemon::start(&v);
    let (id, mut s) = d.exec_upgraded(
        "c1",
        r#"{"Cmd":["ping","c2"],"AttachStdout":true,"AttachStderr":true}"#,
    );
    // The 101, then stdcopy frames as the replies come.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("seq=0") {
        let n = s.read(&mut buf).expect("reads");
        assert!(n > 0, "{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 101"));
    // Others go on meanwhile.
    let t = Instant::now();
    let (code, _) = d.request("GET", "/networks", "");
    assert_eq!(code, 200);
    let (code, body) = d.request(
        "POST",
        "/containers/c3/exec",
        r#"{"Cmd":["ping","-c","1","c4"],"AttachStdout":true}"#,
    );
    assert_eq!(code, 201, "{body}");
    let (code, out) = d.request(
        "POST",
        &format!("/exec/{}/start", exec_id(&body)),
        r#"{"Detach":false,"Tty":true}"#,
    );
    assert_eq!(code, 200, "{out}");
    assert!(out.contains("1 packets received"), "{out}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // The client goes: the ping ends as Ctrl-C ends it, and what it did is saved.
    drop(s);
    assert_eq!(exit_code(&d, &id), "0");
    assert!(rx_packets(&v, "c1") > before);
    // Through the docker CLI, when there is one: SIGINT ends the client, and so the ping.
    let Some(docker) = docker_cli() else {
        eprintln!(
            "the docker CLI part needs the docker CLI (28.2) at /usr/local/bin/docker or /usr/bin/docker"
        );
        return;
    };
    let saved = rx_packets(&v, "c1");
    let config = v.dir.join("docker-config");
    let mut child = Command::new(docker)
        .args(["exec", "c1", "ping", "c2"])
        .env("DOCKER_HOST", format!("unix://{}", d.socket.display()))
        .env("DOCKER_CONFIG", &config)
        .env_remove("DOCKER_CONTEXT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    while !line.contains("seq=0") {
        line.clear();
        assert!(out.read_line(&mut line).expect("reads") > 0);
    }
    interrupt(&child);
    child.wait().expect("ends");
    // The daemon notices at the next reply it cannot deliver, and saves.
    let t = Instant::now();
    while rx_packets(&v, "c1") <= saved {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the exec never ended"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn docker_cli() -> Option<&'static Path> {
    ["/usr/local/bin/docker", "/usr/bin/docker"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
}

/// Virtual time enough for a ping at virtual speed to outlast the tests that read it.
const HUGE_BUDGET: &str = "100000h";

/// The peak resident memory of process `pid`, in KiB (Linux's VmHWM).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmHWM")
}

#[test]
fn a_huge_count_streams_in_bounded_memory_until_interrupted() {
    let v = lab("huge-count");
    let mut child = v
        .cmd(&["exec", "c1", "ping", "-c", "99999999", "c2"])
        // A day of virtual time (the default budget) can pass in under 3 s.
        .env("VNET_MAX_VIRTUAL_TIME", HUGE_BUDGET)
        .spawn()
        .expect("vnet runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    // Virtual time: the replies come as fast as the simulation makes them.
    let t = Instant::now();
    let mut lines = 0u64;
    let mut line = String::new();
    while t.elapsed() < Duration::from_secs(3) {
        line.clear();
        assert!(out.read_line(&mut line).expect("reads") > 0);
        lines += 1;
    }
    assert!(lines > 1000, "{lines} lines in 3 s");
    let kib = peak_rss_kib(child.id());
    assert!(kib < 256 * 1024, "{kib} KiB");
    interrupt(&child);
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("reads");
    assert_eq!(child.wait().expect("ends").code(), Some(0));
    assert!(rest.contains("packets transmitted"), "{rest}");
}

#[test]
fn the_daemon_ends_a_huge_count_when_the_client_goes() {
    let v = lab("daemon-huge");
    let d = Daemon::start(&v);
    let (id, mut s) = d.exec_upgraded(
        "c1",
        r#"{"Cmd":["ping","-c","99999999","c2"],"AttachStdout":true}"#,
    );
    let mut buf = vec![0u8; 64 * 1024];
    let t = Instant::now();
    let mut read = 0usize;
    while t.elapsed() < Duration::from_secs(2) {
        let n = s.read(&mut buf).expect("reads");
        assert!(n > 0);
        read += n;
    }
    assert!(read > 64 * 1024, "{read} bytes in 2 s");
    drop(s);
    assert_eq!(exit_code(&d, &id), "0");
    let kib = peak_rss_kib(d.child.id());
    assert!(kib < 256 * 1024, "{kib} KiB");
}
