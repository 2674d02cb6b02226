//! Three `vnet daemon` processes sharing a real etcd (`--cluster-store etcd://…`), as three
//! Docker 20.10 hosts in classic multi-host mode did: global networks, addresses, DNS names
//! and node registrations live in etcd, written by transactions that only one of two racing
//! daemons wins. Driven over each daemon's Engine API socket, as the docker CLI drives it.
//!
//! Needs Debian's `etcd-server` (`.ci/run` installs it); skipped, saying so, without it.
//! etcd listens on loopback ports the test picks; the daemons advertise 127.0.0.2–4.

mod common;

use common::Vnet;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An etcd on a data directory of its own.
struct Etcd {
    child: Option<Child>,
    data: PathBuf,
    client: u16,
    peer: u16,
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Etcd {
    fn start(data: PathBuf) -> Etcd {
        let mut e = Etcd {
            child: None,
            data,
            client: free_port(),
            peer: free_port(),
        };
        e.spawn();
        e
    }

    fn url(&self) -> String {
        format!("etcd://127.0.0.1:{}", self.client)
    }

    /// Starts etcd (again, on the same data) and waits until it answers.
    fn spawn(&mut self) {
        let client = format!("http://127.0.0.1:{}", self.client);
        let peer = format!("http://127.0.0.1:{}", self.peer);
        let child = Command::new("etcd")
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--name", "vnet-test"])
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("vnet-test={peer}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.client)) {
                let body = r#"{"key":"AA=="}"#;
                let req = format!(
                    "POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut out = String::new();
                if s.write_all(req.as_bytes()).is_ok()
                    && s.read_to_string(&mut out).is_ok()
                    && out.starts_with("HTTP/1.1 200")
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("etcd did not come up on port {}", self.client);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A `vnet daemon` joined to the etcd.
struct Daemon {
    child: Option<Child>,
    state: Vnet,
    socket: PathBuf,
}

impl Daemon {
    fn start(tag: &str, seed: u64, url: &str, advertise: &str) -> Daemon {
        let state = Vnet::new(tag);
        let seed = seed.to_string();
        let (child, socket) = common::spawn_daemon(
            &state,
            &["--seed", &seed],
            &[
                "--cluster-store",
                url,
                "--cluster-advertise",
                advertise,
                "--cluster-store-opt",
                "discovery.heartbeat=1",
                "--cluster-store-opt",
                "discovery.ttl=3",
            ],
            Stdio::null(),
        );
        Daemon {
            child: Some(child),
            state,
            socket,
        }
    }

    /// SIGKILL: no clean stop, as a host that dies.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// One request on a new connection: status and body.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Vec<u8>) {
        request(&self.socket, method, path, body)
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let (status, b) = self.request(method, path, body);
        let v = serde_json::from_slice(&b).unwrap_or(Value::Null);
        (status, v)
    }

    /// `docker network create` as the CLI sends it.
    fn network_create(&self, name: &str, subnet: Option<&str>) -> (u16, Value) {
        let mut body = json!({ "Name": name, "Driver": "overlay", "CheckDuplicate": true });
        if let Some(s) = subnet {
            body["IPAM"] = json!({ "Driver": "default", "Config": [{ "Subnet": s }] });
        }
        self.json("POST", "/networks/create", Some(&body))
    }

    /// `docker run -d --name NAME --network NET alpine sleep 1000`: the container's address.
    fn run(&self, name: &str, net: &str) -> String {
        let body = json!({
            "Image": "alpine",
            "Cmd": ["sleep", "1000"],
            "HostConfig": { "NetworkMode": net },
            "NetworkingConfig": { "EndpointsConfig": { net: {} } },
        });
        let (s, v) = self.json(
            "POST",
            &format!("/containers/create?name={name}"),
            Some(&body),
        );
        assert_eq!(s, 201, "create {name}: {v}");
        let (s, _) = self.request("POST", &format!("/containers/{name}/start"), None);
        assert_eq!(s, 204, "start {name}");
        let (_, v) = self.json("GET", &format!("/containers/{name}/json"), None);
        v["NetworkSettings"]["Networks"][net]["IPAddress"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `docker exec NAME CMD...`: what it printed.
    fn exec(&self, name: &str, cmd: &[&str]) -> String {
        let (s, v) = self.json(
            "POST",
            &format!("/containers/{name}/exec"),
            Some(&json!({ "AttachStdout": true, "AttachStderr": true, "Cmd": cmd })),
        );
        assert_eq!(s, 201, "{v}");
        let eid = v["Id"].as_str().unwrap().to_string();
        let (s, body) = self.request(
            "POST",
            &format!("/exec/{eid}/start"),
            Some(&json!({ "Detach": false, "Tty": false })),
        );
        assert_eq!(s, 200);
        // stdcopy frames: 8-byte headers, then the bytes.
        let mut out = String::new();
        let mut b = body.as_slice();
        while b.len() >= 8 {
            let len = u32::from_be_bytes(b[4..8].try_into().unwrap()) as usize;
            out.push_str(&String::from_utf8_lossy(&b[8..8 + len.min(b.len() - 8)]));
            b = &b[(8 + len).min(b.len())..];
        }
        out
    }

    /// The names of the containers `network inspect NET` lists.
    fn members(&self, net: &str) -> Vec<String> {
        let (s, v) = self.json("GET", &format!("/networks/{net}"), None);
        assert_eq!(s, 200, "{v}");
        let mut names: Vec<String> = v["Containers"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["Name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// `vnet cluster status` on the daemon's state directory.
    fn status(&self) -> String {
        let out = self.state.run(&["cluster", "status"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn request(socket: &Path, method: &str, path: &str, body: Option<&Value>) -> (u16, Vec<u8>) {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    match body {
        Some(b) => {
            let b = b.to_string();
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        }
        None => req.push_str("\r\n"),
    }
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = common::dechunk(&body);
    }
    (status, body)
}

/// Polls `f` until it holds or `secs` pass.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("not within {secs} s: {what}");
}

/// Whether etcd is installed; says the test is skipped when not.
fn have_etcd() -> bool {
    let there = Command::new("etcd")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !there {
        eprintln!("skipped: etcd is not installed (Debian's etcd-server; .ci/run installs it)");
    }
    there
}

#[test]
fn three_daemons_share_global_networks_through_etcd() {
    if !have_etcd() {
        return;
    }
    let data = Vnet::new("cluster-etcd-data");
    let mut etcd = Etcd::start(data.dir.join("etcd"));
    let url = etcd.url();
    let d1 = Daemon::start("cluster-etcd-1", 1, &url, "127.0.0.2:2376");
    let d2 = Daemon::start("cluster-etcd-2", 2, &url, "127.0.0.3:2376");
    let mut d3 = Daemon::start("cluster-etcd-3", 3, &url, "127.0.0.4:2376");

    // Every daemon registers.
    eventually(10, "three nodes registered", || {
        let s = d1.status();
        ["127.0.0.2:2376", "127.0.0.3:2376", "127.0.0.4:2376"]
            .iter()
            .all(|n| s.lines().any(|l| l.starts_with(n) && l.contains("s ago")))
    });

    // One daemon creates the overlay; the others list it, with the same ID.
    let (s, v) = d1.network_create("ov", Some("10.77.0.0/24"));
    assert_eq!(s, 201, "{v}");
    let id = v["Id"].as_str().unwrap().to_string();
    for d in [&d2, &d3] {
        let (s, v) = d.json("GET", "/networks/ov", None);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["Id"], id.as_str());
        assert_eq!(v["Scope"], "global");
        assert_eq!(v["IPAM"]["Config"][0]["Subnet"], "10.77.0.0/24");
    }

    // A container on each host: three different addresses from the one pool.
    let ip1 = d1.run("c1", "ov");
    let ip2 = d2.run("c2", "ov");
    let ip3 = d3.run("c3", "ov");
    let mut ips = vec![ip1.clone(), ip2.clone(), ip3.clone()];
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 3, "{ip1} {ip2} {ip3}");
    assert!(ips.iter().all(|ip| ip.starts_with("10.77.0.")), "{ips:?}");
    for d in [&d1, &d2, &d3] {
        assert_eq!(d.members("ov"), ["c1", "c2", "c3"]);
    }
    // Each has docker_gwbridge for the way out, on its own host.
    let (s, v) = d2.json("GET", "/networks/docker_gwbridge", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["IPAM"]["Config"][0]["Subnet"], "172.18.0.0/16");

    // The embedded DNS of one host answers for the other hosts' containers.
    let out = d1.exec("c1", &["nslookup", "c2"]);
    assert!(out.contains(&format!("Address: {ip2}")), "{out}");
    let out = d3.exec("c3", &["nslookup", "c1"]);
    assert!(out.contains(&format!("Address: {ip1}")), "{out}");

    // Disconnect and reconnect on one host show on another.
    let (s, v) = d2.json(
        "POST",
        "/networks/ov/disconnect",
        Some(&json!({ "Container": "c2" })),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(d1.members("ov"), ["c1", "c3"]);
    let out = d1.exec("c1", &["nslookup", "c2"]);
    assert!(!out.contains(&format!("Address: {ip2}")), "{out}");
    let (s, v) = d2.json(
        "POST",
        "/networks/ov/connect",
        Some(&json!({ "Container": "c2" })),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(d3.members("ov"), ["c1", "c2", "c3"]);

    // Two daemons racing to create the same network: exactly one wins, every time.
    for k in 0..4 {
        let name = format!("race{k}");
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| d1.network_create(&name, None));
            let b = s.spawn(|| d2.network_create(&name, None));
            (a.join().unwrap(), b.join().unwrap())
        });
        let mut codes = [a.0, b.0];
        codes.sort();
        assert_eq!(codes, [201, 409], "{name}: {a:?} {b:?}");
        let lost = if a.0 == 409 { &a.1 } else { &b.1 };
        assert_eq!(
            lost["message"],
            format!("network with name {name} already exists"),
            "{lost}"
        );
        let (_, all) = d3.json("GET", "/networks", None);
        let n = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["Name"] == name.as_str())
            .count();
        assert_eq!(n, 1, "{name}");
    }

    // A host that dies: its registration runs out, its endpoints stay in the store as
    // stale ones, and another host's force-disconnect cleans them up.
    d3.kill();
    eventually(15, "127.0.0.4 gone from the store's nodes", || {
        d1.status()
            .lines()
            .any(|l| l.starts_with("127.0.0.4:2376") && l.contains("gone"))
    });
    assert_eq!(d1.members("ov"), ["c1", "c2", "c3"]);
    let (s, v) = d1.json(
        "POST",
        "/networks/ov/disconnect",
        Some(&json!({ "Container": "c3", "Force": true })),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(d2.members("ov"), ["c1", "c2"]);

    // etcd down: requests fail naming the store, and change nothing.
    etcd.stop();
    let (s, v) = d1.json("GET", "/networks", None);
    assert_eq!(s, 500, "{v}");
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains(&format!("cluster store {url} is unreachable")),
        "{msg}"
    );
    // A daemon that found it down fails at once meanwhile, without waiting out timeouts.
    let t = Instant::now();
    let (s, _) = d1.json("GET", "/networks", None);
    assert_eq!(s, 500);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // etcd back, on the same data: nothing was lost (a daemon tries it again within 5 s).
    etcd.spawn();
    eventually(10, "d1 and d2 reach etcd again", || {
        [&d1, &d2]
            .iter()
            .all(|d| d.json("GET", "/networks/ov", None).0 == 200)
    });
    let (s, v) = d2.json("GET", "/networks/ov", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["Id"], id.as_str());
    assert_eq!(d2.members("ov"), ["c1", "c2"]);
    let ip4 = d2.run("c4", "ov");
    assert!(![&ip1, &ip2].contains(&&ip4), "{ip4}");
    assert_eq!(d1.members("ov"), ["c1", "c2", "c4"]);
    // The daemons register again.
    eventually(10, "127.0.0.2 registered again", || {
        d2.status()
            .lines()
            .any(|l| l.starts_with("127.0.0.2:2376") && l.contains("s ago"))
    });
}

#[test]
fn transactions_count_once_and_stay_under_their_prefix() {
    use vnet::cluster::etcd::{Etcd as Client, EtcdError, MAX_TXN_OPS};
    if !have_etcd() {
        return;
    }
    let data = Vnet::new("cluster-etcd-txn");
    let etcd = Etcd::start(data.dir.join("etcd"));
    let lab1 = Client::new(&format!("{}/lab1", etcd.url())).unwrap();
    let lab2 = Client::new(&format!("{}/lab2", etcd.url())).unwrap();
    let root = "docker/network/v1.0/";
    let r = lab1.read(root).unwrap();
    let put = vec![(format!("{root}network/n1"), "{}".to_string())];
    assert!(lab1.commit(root, r.revision, &put, &[], "t1").unwrap());
    // The same transaction again (its reply lost): already applied, so done.
    assert!(lab1.commit(root, r.revision, &put, &[], "t1").unwrap());
    // Another on what was read before it: refused.
    assert!(!lab1.commit(root, r.revision, &put, &[], "t2").unwrap());
    let now = lab1.read(root).unwrap();
    assert_eq!(
        now.entries.keys().collect::<Vec<_>>(),
        [&format!("{root}network/n1")]
    );
    // Another cluster's prefix sees none of it.
    assert!(lab2.read(root).unwrap().entries.is_empty());
    // A prefix delete takes what is under it.
    let two = vec![
        (format!("{root}endpoint/n1/e1"), "{}".to_string()),
        (format!("{root}endpoint/n1/e2"), "{}".to_string()),
    ];
    assert!(lab1.commit(root, now.revision, &two, &[], "t3").unwrap());
    let now = lab1.read(root).unwrap();
    assert_eq!(now.entries.len(), 3);
    let gone = vec![format!("{root}endpoint/n1/")];
    assert!(lab1.commit(root, now.revision, &[], &gone, "t4").unwrap());
    assert_eq!(lab1.read(root).unwrap().entries.len(), 1);
    // More than etcd takes in one transaction: refused before it is sent.
    let many: Vec<(String, String)> = (0..MAX_TXN_OPS)
        .map(|i| (format!("{root}network/m{i}"), "{}".to_string()))
        .collect();
    let r = lab1.read(root).unwrap();
    match lab1.commit(root, r.revision, &many, &[], "t5") {
        Err(EtcdError::TooBig { ops, .. }) => assert_eq!(ops, MAX_TXN_OPS + 1),
        other => panic!("{other:?}"),
    }
}
