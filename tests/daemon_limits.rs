//! `vnet daemon` against clients that would stop it serving: a thousand idle connections, a
//! client sending its headers byte by byte, a 100 MB body, more connections than the limit,
//! clients that go away in the middle of a hijacked stream, requests that wait for the state;
//! and the socket's path when a stale socket, a symlink or another user's file is there.
//! Timeouts are shortened through the daemon's environment (`VNET_DAEMON_*`).

mod common;

use common::{Vnet, bin};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `vnet daemon` with its own state directory; killed on drop.
struct Daemon {
    child: Child,
    state: Vnet,
    socket: PathBuf,
}

impl Daemon {
    fn start(tag: &str, env: &[(&str, &str)]) -> Daemon {
        let state = Vnet::new(tag);
        std::fs::create_dir_all(&state.dir).unwrap();
        let socket = state.dir.join("vnet.sock");
        let mut cmd = Command::new(bin());
        cmd.arg("--state-dir")
            .arg(&state.dir)
            .args(["--seed", "1", "daemon"])
            .env_remove("VNET_SEED")
            .env_remove("VNET_STATE_DIR")
            .env_remove("VNET_DAEMON_HEADER_TIMEOUT")
            .env_remove("VNET_DAEMON_IDLE_TIMEOUT")
            .env_remove("VNET_DAEMON_MAX_CONNECTIONS")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("vnet daemon starts");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line, format!("API listen on {}\n", socket.display()));
        Daemon {
            child,
            state,
            socket,
        }
    }

    fn connect(&self) -> UnixStream {
        let s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    }

    /// One request on a new connection (closed after it): status and body.
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut s = self.connect();
        s.write_all(head(method, path, body).as_bytes()).unwrap();
        read_answer(&mut s)
    }

    /// `GET /_ping` on a new connection: it must answer `OK`; returns how long it took.
    fn ping(&self) -> Duration {
        let t = Instant::now();
        let (status, body) = self.request("GET", "/_ping", None);
        assert_eq!((status, body.as_str()), (200, "OK"));
        t.elapsed()
    }

    /// The daemon's resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// A running container `name` (busybox `sh`, no TTY).
    fn container(&self, name: &str) {
        let (s, b) = self.request(
            "POST",
            &format!("/containers/create?name={name}"),
            Some(r#"{"Image":"busybox","Cmd":["sh"],"OpenStdin":true}"#),
        );
        assert_eq!(s, 201, "{b}");
        let (s, b) = self.request("POST", &format!("/containers/{name}/start"), None);
        assert_eq!(s, 204, "{b}");
    }

    /// Starts a hijacked stream (`POST path` with `Upgrade: tcp`) and reads the 101.
    fn hijack(&self, path: &str, body: &str) -> UnixStream {
        let mut s = self.connect();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let head = read_head(&mut s);
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        s
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request's head (and body), closing the connection after the answer.
fn head(method: &str, path: &str, body: Option<&str>) -> String {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
    match body {
        Some(b) => req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => req.push_str("\r\n"),
    }
    req
}

/// Reads up to the end of an answer's head.
fn read_head(s: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("answer cut short ({other:?}): {head:?}"),
        }
    }
    String::from_utf8(head).unwrap()
}

/// Reads a whole answer (the server closes after it): status and body.
fn read_answer(s: &mut impl Read) -> (u16, String) {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        panic!("no answer: {text:?}");
    };
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut b: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = b.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        b = &rest[n + 2..];
    }
    out
}

/// Whether the server has closed `s` (reads the end of the stream within `within`).
fn closed_within(s: &mut UnixStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn a_thousand_idle_connections_leave_ping_answering() {
    let limit = vnet::daemon::raise_fd_limit();
    if limit.is_some_and(|l| l < 1100) {
        eprintln!("SKIPPED: a thousand connections need an open-file limit above 1100");
        return;
    }
    let d = Daemon::start("idle-1000", &[]);
    d.ping();
    let idle: Vec<UnixStream> = (0..1000).map(|_| d.connect()).collect();
    // Half of them finished a request first: kept-alive connections idle between requests.
    for s in idle.iter().take(500) {
        let mut s = s;
        s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
            .unwrap();
    }
    for s in idle.iter().take(500) {
        let mut s = s;
        let head = read_head(&mut s);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        let mut ok = [0u8; 2];
        s.read_exact(&mut ok).unwrap();
    }
    let times: Vec<Duration> = (0..5).map(|_| d.ping()).collect();
    eprintln!("/_ping with 1000 idle connections open: {times:?}");
    let best = times.iter().min().unwrap();
    assert!(*best < Duration::from_millis(100), "{times:?}");
    assert!(
        times.iter().all(|t| *t < Duration::from_secs(5)),
        "{times:?}"
    );
    // The idle connections are still served (under the limit, nothing was closed).
    let mut last = &idle[999];
    last.write_all(head("GET", "/version", None).as_bytes())
        .unwrap();
    let (s, v) = read_answer(&mut last);
    assert_eq!(s, 200, "{v}");
    assert!(d.rss_kib() < 256 * 1024);
}

#[test]
fn slow_headers_bodies_and_idle_connections_are_dropped_after_their_timeouts() {
    let d = Daemon::start(
        "timeouts",
        &[
            ("VNET_DAEMON_HEADER_TIMEOUT", "1"),
            ("VNET_DAEMON_IDLE_TIMEOUT", "1"),
        ],
    );
    // Slowloris: a header line every 200 ms, never the blank line that ends them.
    let mut slow = d.connect();
    let t = Instant::now();
    slow.write_all(b"GET /_ping HTTP/1.1\r\n").unwrap();
    let mut cut = None;
    for i in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        if slow
            .write_all(format!("X-Slow-{i}: {i}\r\n").as_bytes())
            .is_err()
        {
            cut = Some(t.elapsed());
            break;
        }
        if !closed_within(&mut slow, Duration::from_millis(1)) {
            continue;
        }
        cut = Some(t.elapsed());
        break;
    }
    let cut = cut.expect("the slow client is cut off");
    assert!(
        cut >= Duration::from_millis(900) && cut < Duration::from_secs(5),
        "{cut:?}"
    );
    // A connection that sends nothing at all.
    let mut silent = d.connect();
    assert!(closed_within(&mut silent, Duration::from_secs(5)));
    // A body that never arrives: 408 after the header timeout.
    let mut s = d.connect();
    s.write_all(
        b"POST /networks/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Na",
    )
    .unwrap();
    let t = Instant::now();
    let (status, body) = read_answer(&mut s);
    assert_eq!(
        (status, body.as_str()),
        (
            408,
            "{\"message\":\"vnet: request body timeout: the body did not arrive within 1s\"}\n"
        )
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // Kept alive after an answer, then idle: closed.
    let mut kept = d.connect();
    kept.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
        .unwrap();
    assert!(read_head(&mut kept).starts_with("HTTP/1.1 200 OK"));
    let t = Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(5)));
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    // A request waiting for its answer is not idle: `wait` and a hijacked stream outlive
    // both timeouts.
    d.container("c1");
    let mut wait = d.connect();
    wait.write_all(head("POST", "/containers/c1/wait", None).as_bytes())
        .unwrap();
    let mut attach = d.hijack("/containers/c1/attach?stream=1&stdout=1&stderr=1", "");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !closed_within(&mut attach, Duration::from_millis(10)),
        "the attach stream is kept"
    );
    let (s, b) = d.request("POST", "/containers/c1/kill", None);
    assert_eq!(s, 204, "{b}");
    let (s, b) = read_answer(&mut wait);
    assert_eq!(
        (s, b.as_str()),
        (200, "{\"StatusCode\":137,\"Error\":null}\n")
    );
    assert!(
        closed_within(&mut attach, Duration::from_secs(5)),
        "the attach stream ends with the container"
    );
    d.ping();
}

#[test]
fn a_100_mb_body_is_refused_with_413_in_bounded_memory() {
    let d = Daemon::start("body", &[]);
    let before = d.rss_kib();
    let chunk = vec![b'x'; 1 << 20];
    let refused =
        "{\"message\":\"vnet: request body too large: the limit is 1048576 bytes\"}\n".to_string();
    // Announced: refused from its Content-Length, before any of it is read.
    let mut s = d.connect();
    s.write_all(b"POST /networks/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        .unwrap();
    let mut w = s.try_clone().unwrap();
    let chunk2 = chunk.clone();
    let writer = std::thread::spawn(move || {
        let mut sent = 0usize;
        while sent < 100 << 20 && w.write_all(&chunk2).is_ok() {
            sent += chunk2.len();
        }
        sent
    });
    assert_eq!(read_answer(&mut s), (413, refused.clone()));
    drop(s);
    let sent = writer.join().unwrap();
    assert!(
        sent < 100 << 20,
        "the daemon stopped reading ({sent} bytes sent)"
    );
    // Chunked, with no length announced: refused once the limit is passed.
    let mut s = d.connect();
    s.write_all(b"POST /networks/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let mut sent = 0usize;
        while sent < 100 << 20 {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if w.write_all(&framed).is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    assert_eq!(read_answer(&mut s), (413, refused));
    drop(s);
    let sent = writer.join().unwrap();
    assert!(
        sent < 100 << 20,
        "the daemon stopped reading ({sent} bytes sent)"
    );
    let after = d.rss_kib();
    eprintln!("daemon RSS: {before} KiB before, {after} KiB after two 100 MB bodies");
    assert!(after < 256 * 1024, "{after} KiB");
    // Nothing was created, and the daemon answers.
    let (s, b) = d.request("GET", "/networks", None);
    assert_eq!(s, 200);
    assert_eq!(b.matches("\"Name\"").count(), 3, "{b}");
    d.ping();
}

#[test]
fn past_the_connection_limit_idle_connections_make_room_and_busy_ones_refuse() {
    let d = Daemon::start("limit", &[("VNET_DAEMON_MAX_CONNECTIONS", "3")]);
    // Three connections in the middle of a request (their bodies have not all come).
    let partial = "POST /networks/create HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"Name\":";
    let mut busy: Vec<UnixStream> = (0..3)
        .map(|_| {
            let mut s = d.connect();
            s.write_all(partial.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A fourth is refused at once, in moby's error shape, and closed.
    let t = Instant::now();
    let (s, b) = d.request("GET", "/_ping", None);
    assert_eq!(
        (s, b.as_str()),
        (
            503,
            "{\"message\":\"vnet: too many connections: the daemon serves at most 3 at once, all busy\"}\n"
        )
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // One request ends: there is room again.
    busy[0].write_all(b"\"limit-1\"}  ").unwrap();
    let (s, b) = read_answer(&mut busy[0]);
    assert_eq!(s, 201, "{b}");
    d.ping();
    drop(busy);
    std::thread::sleep(Duration::from_millis(300));
    // Idle connections make room for new ones, the one idle longest first.
    let mut idle: Vec<UnixStream> = (0..3).map(|_| d.connect()).collect();
    std::thread::sleep(Duration::from_millis(100));
    d.ping();
    assert!(closed_within(&mut idle[0], Duration::from_secs(5)));
    assert!(!closed_within(&mut idle[2], Duration::from_millis(50)));
}

#[test]
fn a_hijacked_stream_ends_when_its_client_goes() {
    let d = Daemon::start("gone", &[("VNET_DAEMON_MAX_CONNECTIONS", "3")]);
    d.container("c1");
    // A connection in the middle of a request, busy until it is dropped.
    let busy = || {
        let mut s = d.connect();
        s.write_all(
            b"POST /networks/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 20\r\n\r\n{",
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        s
    };
    // An attach stream holds its connection while the client is there…
    let attach = d.hijack("/containers/c1/attach?stream=1&stdout=1&stderr=1", "");
    let other = busy();
    let third = busy();
    let (s, _) = d.request("GET", "/_ping", None);
    assert_eq!(s, 503, "three busy connections fill the limit of 3");
    // …and ends as soon as it goes.
    drop(attach);
    let freed = |d: &Daemon| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(3) {
            if d.request("GET", "/_ping", None).0 == 200 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    assert!(freed(&d), "the attach stream ended with its client");
    drop(third);
    // An exec that prints nothing for a while (a ping nothing answers, without an end) is
    // interrupted when its client leaves, not at its next line, and frees its connection.
    let (s, b) = d.request(
        "POST",
        "/containers/c1/exec",
        Some(r#"{"AttachStdout":true,"AttachStderr":true,"Cmd":["ping","192.0.2.1"]}"#),
    );
    assert_eq!(s, 201, "{b}");
    let id = b.split('"').nth(3).unwrap().to_string();
    let mut exec = d.hijack(
        &format!("/exec/{id}/start"),
        r#"{"Detach":false,"Tty":false}"#,
    );
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("56 data bytes") {
        let n = exec.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let (_, b) = d.request("GET", &format!("/exec/{id}/json"), None);
    assert!(b.contains("\"Running\":true"), "{b}");
    drop(exec);
    let t = Instant::now();
    loop {
        let (_, b) = d.request("GET", &format!("/exec/{id}/json"), None);
        if b.contains("\"Running\":false") {
            assert!(b.contains("\"ExitCode\":1"), "{b}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(3), "still running: {b}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let third = busy();
    assert!(freed(&d), "the exec stream ended with its client");
    drop((other, third));
    // The container is still there, running.
    let (s, b) = d.request("GET", "/containers/c1/json", None);
    assert_eq!(s, 200);
    assert!(b.contains("\"Running\":true"), "{b}");
}

#[test]
fn ping_and_version_answer_while_a_request_waits_for_the_state() {
    let d = Daemon::start("locked", &[]);
    d.ping();
    // Another writer holds the database: the daemon's writes wait for it (holding the
    // daemon's turn on the state, so reads of the state queue behind them).
    let db = rusqlite::Connection::open(d.state.state_file()).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let socket = d.socket.clone();
    let waiting = std::thread::spawn(move || {
        let mut s = UnixStream::connect(&socket).unwrap();
        s.write_all(head("POST", "/networks/create", Some(r#"{"Name":"later"}"#)).as_bytes())
            .unwrap();
        read_answer(&mut s)
    });
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        let t = Instant::now();
        d.ping();
        let (s, b) = d.request("GET", "/version", None);
        assert_eq!(s, 200, "{b}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
    assert!(!waiting.is_finished());
    db.execute_batch("COMMIT").unwrap();
    let (s, b) = waiting.join().unwrap();
    assert_eq!(s, 201, "{b}");
}

/// The first line `vnet daemon --socket path` prints on stderr, and its exit status.
fn daemon_fails(v: &Vnet, socket: &std::path::Path, user: Option<u32>) -> (i32, String) {
    let mut cmd = match user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".to_string(),
                bin().to_string(),
            ]);
            c
        }
        None => Command::new(bin()),
    };
    let out = cmd
        .arg("--state-dir")
        .arg(&v.dir)
        .arg("daemon")
        .arg("--socket")
        .arg(socket)
        .env_remove("VNET_SEED")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_socket_path_is_never_followed_and_its_errors_name_it() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let v = Vnet::new("socket-paths");
    std::fs::create_dir_all(&v.dir).unwrap();
    // A symlink at the socket's path, to a stale socket elsewhere: refused, nothing removed.
    let elsewhere = v.dir.join("elsewhere.sock");
    drop(std::os::unix::net::UnixListener::bind(&elsewhere).unwrap());
    let link = v.dir.join("link.sock");
    symlink(&elsewhere, &link).unwrap();
    let (code, err) = daemon_fails(&v, &link, None);
    assert_eq!(
        (code, err),
        (
            1,
            format!(
                "vnet: {} exists and is not a socket; remove it or choose another --socket\n",
                link.display()
            )
        )
    );
    assert!(elsewhere.exists() && link.symlink_metadata().is_ok());
    // A dangling symlink: the same.
    let dangling = v.dir.join("dangling.sock");
    symlink(v.dir.join("nothing"), &dangling).unwrap();
    assert_eq!(daemon_fails(&v, &dangling, None).0, 1);
    assert!(dangling.symlink_metadata().is_ok());

    // A stale socket the daemon may not remove: the error names it and the reason, once.
    let shared = v.dir.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let stale = shared.join("vnet.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let root = is_root();
    let (code, err) = if root {
        // Root's stale socket, open to all, in a sticky directory like /tmp: another user
        // may connect to it (refused: nobody listens) but not remove it.
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let state = Vnet::new("socket-nobody");
        std::fs::create_dir_all(&state.dir).unwrap();
        chown_nobody(&state.dir);
        daemon_fails(&state, &stale, Some(65534))
    } else {
        // A directory this user may not write in.
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o555)).unwrap();
        let r = daemon_fails(&v, &stale, None);
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        r
    };
    let reason = if root {
        "Operation not permitted (os error 1)"
    } else {
        "Permission denied (os error 13)"
    };
    assert_eq!(
        (code, err),
        (
            1,
            format!(
                "vnet: cannot remove the stale socket {}: {reason}\n",
                stale.display()
            )
        )
    );
    assert!(stale.exists());
}

/// Whether the tests run as root (from `/proc/self/status`, `Uid:` real, effective, …).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|ids| ids.split_whitespace().nth(1) == Some("0"))
}

fn chown_nobody(path: &std::path::Path) {
    let st = Command::new("chown")
        .arg("65534:65534")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}
