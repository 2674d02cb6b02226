//! vnet against the Linux kernel: the same random topologies built from network namespaces
//! and Linux bridges (a namespace standing for the Docker host, `ip_forward=0`, each bridge
//! holding its gateway address) and in vnet; every container pings every address; the two
//! reachability matrices must be identical. Needs root and iproute2; says why it skips
//! otherwise.

mod common;

use common::Vnet;
use std::process::{Command, Stdio};

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ip(args: &str) {
    let words: Vec<&str> = args.split(' ').collect();
    let ok = Command::new("ip")
        .args(&words)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "ip {args} failed");
}

/// Deletes the test's namespaces, even when an assertion fails.
struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = sh(&["ip", "netns", "del", n]);
        }
    }
}

struct Topology {
    /// Per network: internal?
    nets: Vec<bool>,
    /// Per container: its networks, in attach order.
    attach: Vec<Vec<usize>>,
}

fn lcg(s: &mut u64) -> u64 {
    *s = s
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *s >> 33
}

fn random_topology(seed: u64) -> Topology {
    let mut s = seed;
    let nets: Vec<bool> = (0..2 + lcg(&mut s) % 2)
        .map(|_| lcg(&mut s).is_multiple_of(4))
        .collect();
    let attach = (0..3 + lcg(&mut s) % 3)
        .map(|_| {
            let first = (lcg(&mut s) % nets.len() as u64) as usize;
            let mut a = vec![first];
            if lcg(&mut s).is_multiple_of(2) {
                let second = (lcg(&mut s) % nets.len() as u64) as usize;
                if second != first {
                    a.push(second);
                }
            }
            a
        })
        .collect();
    Topology { nets, attach }
}

/// Every container's address on each network, assigned in attach order from .2 up.
fn addresses(t: &Topology) -> Vec<Vec<String>> {
    let mut next = vec![2; t.nets.len()];
    t.attach
        .iter()
        .map(|nets| {
            nets.iter()
                .map(|&n| {
                    let a = format!("10.{}.0.{}", n + 1, next[n]);
                    next[n] += 1;
                    a
                })
                .collect()
        })
        .collect()
}

fn targets(t: &Topology, addrs: &[Vec<String>]) -> Vec<String> {
    let mut v: Vec<String> = (0..t.nets.len())
        .map(|n| format!("10.{}.0.1", n + 1))
        .collect();
    v.extend(addrs.iter().flatten().cloned());
    v
}

/// The namespace standing for the Docker host (`{tag}h`, `ip_forward=0`) with bridges `br0`,
/// `br1`, ... holding gateways 10.1.0.1/24, 10.2.0.1/24, ...; its name, and the guard that
/// deletes the test's namespaces.
fn docker_host(tag: &str, bridges: usize) -> (String, Namespaces) {
    let host = format!("{tag}h");
    let guard = Namespaces(vec![host.clone()]);
    ip(&format!("netns add {host}"));
    ip(&format!("-n {host} link set lo up"));
    assert!(sh(&[
        "ip",
        "netns",
        "exec",
        &host,
        "sysctl",
        "-qw",
        "net.ipv4.ip_forward=0"
    ]));
    for n in 0..bridges {
        ip(&format!("-n {host} link add br{n} type bridge"));
        ip(&format!("-n {host} addr add 10.{}.0.1/24 dev br{n}", n + 1));
        ip(&format!("-n {host} link set br{n} up"));
    }
    (host, guard)
}

fn linux_matrix(t: &Topology, tag: &str) -> Vec<Vec<bool>> {
    let (host, mut guard) = docker_host(tag, t.nets.len());
    let addrs = addresses(t);
    for (c, nets) in t.attach.iter().enumerate() {
        let ns = format!("{tag}c{c}");
        guard.0.push(ns.clone());
        ip(&format!("netns add {ns}"));
        ip(&format!("-n {ns} link set lo up"));
        for (j, &n) in nets.iter().enumerate() {
            ip(&format!(
                "-n {host} link add v{c}x{j} type veth peer name eth{j} netns {ns}"
            ));
            ip(&format!("-n {host} link set v{c}x{j} master br{n} up"));
            ip(&format!("-n {ns} addr add {}/24 dev eth{j}", addrs[c][j]));
            ip(&format!("-n {ns} link set eth{j} up"));
        }
        // The default route: Docker's endpoint order puts internal networks last and sorts
        // the rest by name (net0 < net1 < ...).
        if let Some((j, &n)) = nets
            .iter()
            .enumerate()
            .filter(|(_, n)| !t.nets[**n])
            .min_by_key(|(_, n)| **n)
        {
            ip(&format!(
                "-n {ns} route add default via 10.{}.0.1 dev eth{j}",
                n + 1
            ));
        }
    }
    let all = targets(t, &addrs);
    // All pings at once: the unreachable ones each wait out their one second together.
    let children: Vec<Vec<_>> = (0..t.attach.len())
        .map(|c| {
            all.iter()
                .map(|a| {
                    Command::new("ip")
                        .args([
                            "netns",
                            "exec",
                            &format!("{tag}c{c}"),
                            "ping",
                            "-c",
                            "1",
                            "-W",
                            "1",
                            a,
                        ])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .expect("ping runs")
                })
                .collect()
        })
        .collect();
    let m = children
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|mut ch| ch.wait().is_ok_and(|s| s.success()))
                .collect()
        })
        .collect();
    drop(guard);
    m
}

fn vnet_matrix(t: &Topology) -> Vec<Vec<bool>> {
    let v = Vnet::new("parity");
    for (n, internal) in t.nets.iter().enumerate() {
        let subnet = format!("10.{}.0.0/24", n + 1);
        let gw = format!("10.{}.0.1", n + 1);
        let name = format!("net{n}");
        let mut args = vec!["network", "create", "--subnet", &subnet, "--gateway", &gw];
        if *internal {
            args.push("--internal");
        }
        args.push(&name);
        v.ok(&args);
    }
    let addrs = addresses(t);
    for (c, nets) in t.attach.iter().enumerate() {
        let name = format!("c{c}x");
        let first = format!("net{}", nets[0]);
        v.ok(&[
            "run",
            "-itd",
            "--name",
            &name,
            "--net",
            &first,
            "--ip",
            &addrs[c][0],
            "busybox",
        ]);
        for (j, &n) in nets.iter().enumerate().skip(1) {
            v.ok(&[
                "network",
                "connect",
                "--ip",
                &addrs[c][j],
                &format!("net{n}"),
                &name,
            ]);
        }
    }
    let all = targets(t, &addrs);
    (0..t.attach.len())
        .map(|c| {
            all.iter()
                .map(|a| {
                    v.run(&["exec", &format!("c{c}x"), "ping", "-c", "1", "-W", "1", a])
                        .code
                        == 0
                })
                .collect()
        })
        .collect()
}

#[test]
fn reachability_matches_linux() {
    let tag = format!("vp{}", std::process::id() % 100_000);
    if !namespaces_usable(&tag) {
        return;
    }
    if !sh(&["ping", "-V"]) {
        eprintln!("skipped: needs ping (iputils-ping); .ci/run installs it");
        return;
    }
    for seed in 1..=4 {
        let t = random_topology(seed);
        let linux = linux_matrix(&t, &tag);
        let sim = vnet_matrix(&t);
        assert_eq!(
            sim,
            linux,
            "topology {seed}: networks (internal?) {:?}, attachments {:?}, targets {:?}",
            t.nets,
            t.attach,
            targets(&t, &addresses(&t))
        );
        let reachable = linux.iter().flatten().filter(|r| **r).count();
        let total = linux.iter().flatten().count();
        eprintln!("topology {seed}: {reachable}/{total} pairs reachable, same in vnet and Linux");
    }
}

/// How a TCP connect ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Connect {
    Open,
    Refused,
    TimedOut,
    NoRoute,
}

/// Whether the test can build namespaces here (root, iproute2, bash); says why not.
fn namespaces_usable(tag: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root != Some(true) {
        eprintln!("skipped: comparing with Linux needs root");
        return false;
    }
    if !sh(&["ip", "-V"]) || !sh(&["busybox", "true"]) {
        eprintln!("skipped: needs ip (iproute2) and busybox; .ci/run installs them");
        return false;
    }
    if !sh(&["ip", "netns", "add", &format!("{tag}probe")]) {
        eprintln!("skipped: cannot create network namespaces here (ip netns add failed)");
        return false;
    }
    let _ = sh(&["ip", "netns", "del", &format!("{tag}probe")]);
    true
}

/// TCP connects in Linux and in vnet, on the same topology: a web server (busybox httpd on
/// Linux, the nginx image in vnet) on `net0`, clients on `net0`, on `net1` and on both, the
/// Docker host between the bridges with `ip_forward=0`. Every client connects to an open
/// port, a closed one, each gateway, a container on the other network and an address
/// nobody holds; open, refused, timed out and no route must agree.
#[test]
fn tcp_connects_match_linux() {
    let tag = format!("vt{}", std::process::id() % 100_000);
    if !namespaces_usable(&tag) {
        return;
    }
    // Clients: (name, [(net, address)]); the first network holds the default route.
    let clients: [(&str, &[(usize, &str)]); 3] = [
        ("ca", &[(0, "10.1.0.3")]),
        ("cb", &[(1, "10.2.0.2")]),
        ("cc", &[(0, "10.1.0.4"), (1, "10.2.0.3")]),
    ];
    let targets = [
        ("10.1.0.2", 80),
        ("10.1.0.2", 81),
        ("10.1.0.1", 80),
        ("10.2.0.1", 80),
        ("10.2.0.2", 80),
        ("10.1.0.99", 80),
    ];
    // Linux.
    let (host, mut guard) = docker_host(&tag, 2);
    let mut attach = |name: &str, ifs: &[(usize, &str)]| {
        // In the guard first: a failed step still leaves it to be deleted.
        guard.0.push(format!("{tag}{name}"));
        namespace(&tag, &host, name, ifs);
    };
    attach("web", &[(0, "10.1.0.2")]);
    for (name, ifs) in &clients {
        attach(name, ifs);
    }
    let www = std::env::temp_dir().join(format!("{tag}www"));
    std::fs::create_dir_all(&www).unwrap();
    let mut server = Command::new("ip")
        .args([
            "netns",
            "exec",
            &format!("{tag}web"),
            "busybox",
            "httpd",
            "-f",
            "-p",
            "80",
            "-h",
        ])
        .arg(&www)
        .spawn()
        .expect("busybox httpd runs");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let linux: Vec<Vec<Connect>> = clients
        .iter()
        .map(|(name, _)| {
            let children: Vec<_> = targets
                .iter()
                .map(|(addr, port)| {
                    Command::new("ip")
                        .args([
                            "netns",
                            "exec",
                            &format!("{tag}{name}"),
                            "timeout",
                            "6",
                            "bash",
                            "-c",
                        ])
                        .arg(format!("exec 3<>/dev/tcp/{addr}/{port}"))
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped())
                        .spawn()
                        .expect("bash runs")
                })
                .collect();
            children
                .into_iter()
                .map(|ch| {
                    let out = ch.wait_with_output().expect("bash ends");
                    let err = String::from_utf8_lossy(&out.stderr);
                    match out.status.code() {
                        Some(0) => Connect::Open,
                        Some(124) => Connect::TimedOut,
                        _ if err.contains("Connection refused") => Connect::Refused,
                        _ if err.contains("No route to host") => Connect::NoRoute,
                        c => panic!("bash /dev/tcp ended with {c:?}: {err}"),
                    }
                })
                .collect()
        })
        .collect();
    let _ = server.kill();
    let _ = server.wait();
    drop(guard);
    let _ = std::fs::remove_dir_all(&www);
    // vnet.
    let v = Vnet::new("tcpparity");
    vnet_networks(&v, 2);
    v.ok(&[
        "run", "-d", "--name", "web", "--net", "net0", "--ip", "10.1.0.2", "nginx",
    ]);
    for (name, ifs) in &clients {
        let (n, addr) = ifs[0];
        v.ok(&[
            "run",
            "-itd",
            "--name",
            name,
            "--net",
            &format!("net{n}"),
            "--ip",
            addr,
            "busybox",
        ]);
        for (n, addr) in &ifs[1..] {
            v.ok(&["network", "connect", "--ip", addr, &format!("net{n}"), name]);
        }
    }
    let sim: Vec<Vec<Connect>> = clients
        .iter()
        .map(|(name, _)| {
            targets
                .iter()
                .map(|(addr, port)| {
                    let r = v.run(&[
                        "exec",
                        name,
                        "nc",
                        "-zvv",
                        "-w",
                        "6",
                        addr,
                        &port.to_string(),
                    ]);
                    match r.code {
                        0 => Connect::Open,
                        _ if r.stderr.contains("Connection refused") => Connect::Refused,
                        _ if r.stderr.contains("Connection timed out") => Connect::TimedOut,
                        _ if r.stderr.contains("No route to host") => Connect::NoRoute,
                        _ => panic!("nc: {}", r.stderr),
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(
        sim, linux,
        "targets {targets:?}, clients ca (net0), cb (net1), cc (both)"
    );
    eprintln!("tcp: {:?}", linux);
}

/// A namespace `{tag}{name}` standing for a container on the Docker host `host` of
/// [`docker_host`]: a veth into bridge `brN` for each (N, address), the default route through
/// the first network's gateway. Returns its name.
fn namespace(tag: &str, host: &str, name: &str, ifs: &[(usize, &str)]) -> String {
    let ns = format!("{tag}{name}");
    ip(&format!("netns add {ns}"));
    ip(&format!("-n {ns} link set lo up"));
    for (j, (n, addr)) in ifs.iter().enumerate() {
        ip(&format!(
            "-n {host} link add {name}{j} type veth peer name eth{j} netns {ns}"
        ));
        ip(&format!("-n {host} link set {name}{j} master br{n} up"));
        ip(&format!("-n {ns} addr add {addr}/24 dev eth{j}"));
        ip(&format!("-n {ns} link set eth{j} up"));
    }
    let (n, _) = ifs[0];
    ip(&format!(
        "-n {ns} route add default via 10.{}.0.1 dev eth0",
        n + 1
    ));
    ns
}

/// Networks `net0`, `net1`, ... in vnet, as `docker_host` makes the bridges: 10.N.0.0/24
/// with the gateway 10.N.0.1 (N from 1).
fn vnet_networks(v: &Vnet, count: usize) {
    for n in 0..count {
        v.ok(&[
            "network",
            "create",
            "--subnet",
            &format!("10.{}.0.0/24", n + 1),
            "--gateway",
            &format!("10.{}.0.1", n + 1),
            &format!("net{n}"),
        ]);
    }
}

/// The hops a busybox traceroute printed, without the times: per TTL, the addresses, `*`
/// and marks (`!H`) in order.
fn hops(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip(1)
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter(|w| *w != "ms" && w.parse::<f64>().is_err())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// A routed topology in Linux and in vnet: `alice` on br0 and `bob` on br1, a router on
/// both with `ip_forward=1`, each end told the way to the other's network through it; the
/// Docker host between the bridges forwards nothing. busybox traceroute's hop lists (to
/// the far end, back, to the router's far address, to an address nobody holds beyond the
/// router) must be equal; so must ten probes a hop (`-q 10`), where ICMP's rate limit lets
/// six errors through and then one a second, at the router and at the far end; with the
/// router's forwarding off, the far end is unreachable in both.
#[test]
fn routed_traceroute_matches_linux() {
    let tag = format!("vr{}", std::process::id() % 100_000);
    if !namespaces_usable(&tag) {
        return;
    }
    // (name, [(bridge, address)], the route to add)
    type Node<'a> = (&'a str, &'a [(usize, &'a str)], &'a str);
    let nodes: [Node; 3] = [
        ("alice", &[(0, "10.1.0.10")], "10.2.0.0/24 via 10.1.0.254"),
        ("bob", &[(1, "10.2.0.10")], "10.1.0.0/24 via 10.2.0.254"),
        ("router", &[(0, "10.1.0.254"), (1, "10.2.0.254")], ""),
    ];
    let probes: [(&str, &str); 4] = [
        ("alice", "10.2.0.10"),
        ("bob", "10.1.0.10"),
        ("alice", "10.2.0.254"),
        ("alice", "10.2.0.99"),
    ];
    let args =
        |to: &str| ["traceroute", "-n", "-q", "1", "-w", "4", "-m", "4", to].map(str::to_string);
    // Linux.
    let (host, mut guard) = docker_host(&tag, 2);
    for (name, ifs, route) in &nodes {
        guard.0.push(format!("{tag}{name}"));
        let ns = namespace(&tag, &host, name, ifs);
        if !route.is_empty() {
            ip(&format!("-n {ns} route add {route}"));
        }
        let forward = if *name == "router" { "1" } else { "0" };
        assert!(sh(&[
            "ip",
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-qw",
            &format!("net.ipv4.ip_forward={forward}")
        ]));
    }
    let linux: Vec<Vec<Vec<String>>> = probes
        .iter()
        .map(|(from, to)| {
            let out = Command::new("ip")
                .args(["netns", "exec", &format!("{tag}{from}"), "busybox"])
                .args(args(to))
                .output()
                .expect("busybox traceroute runs");
            hops(&String::from_utf8_lossy(&out.stdout))
        })
        .collect();
    // Ten probes a hop, once the buckets the probes above drew on are full again (six
    // seconds; vnet's start full in every command).
    let many = [
        "traceroute",
        "-n",
        "-q",
        "10",
        "-w",
        "1",
        "-m",
        "2",
        "10.2.0.10",
    ];
    std::thread::sleep(std::time::Duration::from_secs(7));
    let linux_many = {
        let out = Command::new("ip")
            .args(["netns", "exec", &format!("{tag}alice"), "busybox"])
            .args(many)
            .output()
            .expect("busybox traceroute runs");
        hops(&String::from_utf8_lossy(&out.stdout))
    };
    assert!(
        linux_many.iter().all(|h| h.contains(&"*".to_string())),
        "Linux limits ICMP errors: {linux_many:?}"
    );
    assert!(sh(&[
        "ip",
        "netns",
        "exec",
        &format!("{tag}router"),
        "sysctl",
        "-qw",
        "net.ipv4.ip_forward=0"
    ]));
    let linux_off = sh(&[
        "ip",
        "netns",
        "exec",
        &format!("{tag}alice"),
        "ping",
        "-c",
        "1",
        "-W",
        "1",
        "10.2.0.10",
    ]);
    drop(guard);
    // vnet.
    let v = Vnet::new("routeparity");
    vnet_networks(&v, 2);
    let start = |forward: bool| {
        for (name, ifs, route) in &nodes {
            if *name == "router" {
                let _ = v.run(&["rm", "-f", name]);
            } else if !forward {
                continue;
            }
            let (n, addr) = ifs[0];
            let net = format!("net{n}");
            let mut run = vec!["run", "-itd", "--name", name, "--net", &net, "--ip", addr];
            run.extend(["--cap-add", "NET_ADMIN"]);
            if *name == "router" && forward {
                run.extend(["--sysctl", "net.ipv4.ip_forward=1"]);
            }
            run.push("busybox");
            v.ok(&run);
            for (n, addr) in &ifs[1..] {
                v.ok(&["network", "connect", "--ip", addr, &format!("net{n}"), name]);
            }
            if !route.is_empty() {
                let mut add = vec!["exec", name, "ip", "route", "add"];
                add.extend(route.split(' '));
                v.ok(&add);
            }
        }
    };
    start(true);
    let sim: Vec<Vec<Vec<String>>> = probes
        .iter()
        .map(|(from, to)| {
            let mut a = vec!["exec", from];
            let rest = args(to);
            a.extend(rest.iter().map(String::as_str));
            hops(&v.run(&a).stdout)
        })
        .collect();
    assert_eq!(sim, linux, "traceroute hops for {probes:?}");
    let mut a = vec!["exec", "alice"];
    a.extend(many);
    assert_eq!(hops(&v.run(&a).stdout), linux_many, "traceroute -q 10");
    start(false);
    let sim_off = v
        .run(&["exec", "alice", "ping", "-c", "1", "-W", "1", "10.2.0.10"])
        .code
        == 0;
    assert_eq!(
        sim_off, linux_off,
        "a ping through the router with forwarding off"
    );
    assert!(!linux_off);
    eprintln!("traceroute hops: {linux:?}");
}

/// What arping printed, without what differs by machine: MAC addresses and times.
fn arping_words(s: &str) -> String {
    let mut out = String::new();
    for w in s.split_inclusive([' ', '\n']) {
        let core = w.trim_end();
        let end = &w[core.len()..];
        if core.starts_with('[') && core.ends_with(']') && core.matches(':').count() == 5 {
            out.push_str("[MAC]");
        } else if core.ends_with("ms") && core.trim_end_matches("ms").parse::<f64>().is_ok() {
            out.push_str("Tms");
        } else {
            out.push_str(core);
        }
        out.push_str(end);
    }
    out
}

/// busybox arping in vnet and between network namespaces on a Linux bridge: the same
/// probes (to a neighbour, to an address nobody holds, duplicate address detection, an
/// announcement, broadcast only, errors) print the same lines and end with the same status,
/// MAC addresses and times aside.
#[test]
fn arping_matches_linux() {
    let tag = format!("va{}", std::process::id() % 100_000);
    if !namespaces_usable(&tag) {
        return;
    }
    let lines = [
        "-c 2 10.1.0.3",
        "-f 10.1.0.3",
        "-w 1 10.1.0.3",
        "-c 1 10.1.0.99",
        "-q -c 1 10.1.0.3",
        "-D -c 1 10.1.0.3",
        "-D -c 1 10.1.0.77",
        "-U -c 1 10.1.0.2",
        "-b -c 2 10.1.0.3",
        "-A -c 1 10.1.0.2",
        "-I eth9 -c 1 10.1.0.3",
        "-c 1 -s 10.1.0.50 10.1.0.3",
        "-c 1 -I lo 127.0.0.1",
        "-c x 10.1.0.3",
    ];
    let (host, mut guard) = docker_host(&tag, 1);
    for (name, addr) in [("aa", "10.1.0.2"), ("bb", "10.1.0.3")] {
        guard.0.push(format!("{tag}{name}"));
        namespace(&tag, &host, name, &[(0, addr)]);
    }
    let linux: Vec<(String, String, i32)> = lines
        .iter()
        .map(|l| {
            let out = Command::new("ip")
                .args(["netns", "exec", &format!("{tag}aa"), "busybox", "arping"])
                .args(l.split(' '))
                .output()
                .expect("busybox arping runs");
            (
                arping_words(&String::from_utf8_lossy(&out.stdout)),
                String::from_utf8_lossy(&out.stderr)
                    .split("BusyBox v")
                    .next()
                    .unwrap_or("")
                    .to_string(),
                out.status.code().unwrap_or(-1),
            )
        })
        .collect();
    drop(guard);
    let v = Vnet::new("arpingparity");
    vnet_networks(&v, 1);
    for (name, addr) in [("aa", "10.1.0.2"), ("bb", "10.1.0.3")] {
        v.ok(&[
            "run", "-itd", "--name", name, "--net", "net0", "--ip", addr, "busybox",
        ]);
    }
    let mut diffs = Vec::new();
    for (l, theirs) in lines.iter().zip(&linux) {
        let mut argv = vec!["exec", "aa", "arping"];
        argv.extend(l.split(' '));
        let r = v.run(&argv);
        let ours = (
            arping_words(&r.stdout),
            r.stderr.split("BusyBox v").next().unwrap_or("").to_string(),
            r.code,
        );
        if &ours != theirs {
            diffs.push(format!(
                "arping {l}\n  Linux: {theirs:?}\n  vnet:  {ours:?}"
            ));
        }
    }
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}
