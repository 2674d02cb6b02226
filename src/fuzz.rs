//! Fuzzing entry points: each takes arbitrary bytes and drives one surface where input from
//! outside reaches vnet, the way vnet meets it, checking what must hold whatever the input
//! (no panic, bounded output, round trips that must agree).
//!
//! The targets under `fuzz/` (cargo-fuzz, libFuzzer) are one call each, and
//! `tests/fuzz_corpus.rs` replays the committed corpus through the same calls, so `cargo
//! test` checks every input a campaign kept or that once crashed. `docs/fuzzing.md` says how
//! to run them. Not an API: hidden from the docs.
//!
//! - [`frames`]: a frame as the fabric and the stacks meet it (Ethernet, ARP, IPv4, ICMP,
//!   UDP, VXLAN).
//! - [`dns`]: a message to the embedded DNS server, and an answer a client reads.
//! - [`template`]: a `--format` template over a container's and a network's inspect.
//! - [`scenario`]: a scenario file.
//! - [`state`]: a state document (`vnet state import`), and commands on what it holds.
//! - [`http`]: one connection's bytes to `vnet daemon`.
//! - [`cli`]: a command line, parsed and run.
//! - [`shell`]: a line for the shell in a container (`sh -c`), parsed and run.
//! - [`servers`]: a client's bytes to the servers images run (HTTP, RESP, PostgreSQL's
//!   startup), in pieces as TCP may deliver them.

use crate::cli::{self, Outcome, format, templates};
use crate::cluster::{Cluster, DEFAULT_HOST};
use crate::docker::Daemon;
use crate::engine::budget::Budget;
use crate::engine::{host, trace};
use crate::fabric::arena::{Arena, MAX_FRAME};
use crate::fabric::vtep::{self, Decision, Remote};
use crate::fabric::{Bridge, HostId};
use crate::golang::template::{MAX_BYTES, MAX_VALUE};
use crate::golang::{fmt as gofmt, template::Template};
use crate::stack::{MTU, Nic};
use crate::store::{Snapshot, document, rows};
use crate::time::{Duration, Instant};
use crate::wire::vxlan;
use hickory_proto::rr::RecordType;
use serde_json::{Value, json};
use smoltcp::wire::{Ipv4Address, Ipv6Address};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// What one input's simulations may spend: enough for a ping or two, little enough that an
/// input asking for more ends in milliseconds.
const BUDGET: Budget = Budget {
    events: 20_000,
    in_flight: 1_000,
    time: Duration::from_secs(120),
};

const NIC_MAC: [u8; 6] = [2, 0x42, 10, 0, 9, 2];
const NIC_IP: Ipv4Address = Ipv4Address::new(10, 0, 9, 2);
const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 9, 1);
const NIC_IP6: Ipv6Address = Ipv6Address::new(0xfd00, 9, 0, 0, 0, 0, 0, 2);
const GATEWAY6: Ipv6Address = Ipv6Address::new(0xfd00, 9, 0, 0, 0, 0, 0, 1);
const HOST_MAC: [u8; 6] = [2, 0x42, 0x5a, 0x1e, 0, 1];
const PEER_MAC: [u8; 6] = [2, 0x42, 10, 0, 9, 3];
const PEER_IP: Ipv4Address = Ipv4Address::new(10, 0, 9, 3);

/// A frame through everything that reads one: a bridge learning and forwarding, the VTEP's
/// decision and its encapsulation (which must decapsulate to the same frame), the underlay's
/// decapsulation, the host node's ARP and echo answers, the trace summary and the capture,
/// and a container's smoltcp stack receiving it.
pub fn frames(data: &[u8]) {
    let frame = data.get(..MAX_FRAME).unwrap_or(data);
    let mut bridge = Bridge::new();
    let (a, b) = (bridge.add_port(), bridge.add_port());
    bridge.forward(Instant(1), a, frame);
    bridge.forward(Instant(2), b, frame);
    let _ = trace::summary(frame);
    let mut pcap = trace::Pcapng::default();
    let iface = pcap.interface("eth0");
    pcap.record(iface, 1, frame);
    let _ = pcap.bytes();

    let Some(peer_host) = HostId::new(1) else {
        return;
    };
    let remote = [Remote {
        ip: PEER_IP,
        mac: PEER_MAC,
        host: peer_host,
        vni: 4097,
    }];
    match vtep::decide(&remote, frame) {
        Decision::Tunnel { vni, .. } => {
            let tunnel = vxlan::Tunnel {
                src_mac: HOST_MAC,
                dst_mac: PEER_MAC,
                src_ip: GATEWAY,
                dst_ip: PEER_IP,
                src_port: vtep::source_port(frame),
                vni,
            };
            let mut buf = vec![0; vxlan::OVERHEAD + frame.len()];
            buf[vxlan::OVERHEAD..].copy_from_slice(frame);
            vxlan::Encap::new(&tunnel).write(frame.len(), tunnel.src_port, &mut buf);
            assert_eq!(
                vtep::inbound(PEER_MAC, &buf),
                Some((vni, vxlan::OVERHEAD)),
                "an encapsulated frame decapsulates"
            );
        }
        Decision::ProxyArp {
            mac,
            ip,
            to_mac,
            to_ip,
        } => {
            let mut out = [0; 42];
            host::arp_reply(mac, ip, to_mac, to_ip, &mut out);
            let _ = trace::summary(&out);
        }
        Decision::Drop => {}
    }
    let decaps = [vtep::inbound(HOST_MAC, frame), vxlan::decapsulate(frame)];
    for (_, at) in decaps.into_iter().flatten() {
        let inner = frame
            .get(at..)
            .unwrap_or_else(|| panic!("inner frame at {at}"));
        let _ = trace::summary(inner);
        let _ = vtep::decide(&remote, inner);
    }
    let mut out = [0; 2048];
    if let Some(len) = host::respond(
        &[GATEWAY],
        host::Ipv6Host {
            all: &[GATEWAY6],
            own: Some(GATEWAY6),
        },
        HOST_MAC,
        frame,
        &mut out,
    ) {
        let _ = trace::summary(&out[..len]);
    }
    let _ = crate::dns::udp_payload(frame);

    let arena = RefCell::new(Arena::with_capacity(4));
    let mut nic = Nic::new(
        NIC_MAC,
        (NIC_IP, 24),
        &[],
        Some(GATEWAY),
        &[],
        &[(NIC_IP6, 64), (host::link_local(NIC_MAC), 64)],
        Some(GATEWAY6),
        MTU,
        7,
        &arena,
        Instant(0),
    );
    nic.icmp_socket(1);
    nic.udp_socket(53);
    let id = arena.borrow_mut().alloc(frame.len());
    arena.borrow_mut().get_mut(id).copy_from_slice(frame);
    nic.rx.push_back(id);
    nic.poll(Instant(10), &arena);
    nic.poll(Instant(1_000_000), &arena);
    for id in nic.tx.take() {
        let _ = trace::summary(arena.borrow().get(id));
        arena.borrow_mut().release(id);
    }
}

/// The lab the inputs meet: a user network `fz` with `web` (alias `www`), `c2`, `site`
/// (nginx) and `cache` (redis), and `old` on the default bridge; `router` (forwarding,
/// 10.0.9.254 and 10.0.10.254) joins `fz` to `far`, where `peer` (10.0.10.10) echoes on
/// TCP 9000, and `c2` (with `NET_ADMIN`) and `peer` route through it. Built once per thread.
struct Lab {
    cluster: Cluster,
    /// The default host's engine, checked out of a copy of the cluster.
    daemon: Daemon,
    /// `c2`'s ID: the container asking the embedded DNS.
    asker: String,
    /// `web`'s inspect and `fz`'s.
    container: Value,
    network: Value,
}

fn run(c: &mut Cluster, line: &str) -> Outcome {
    let argv: Vec<String> = std::iter::once("vnet")
        .chain(line.split(' '))
        .map(String::from)
        .collect();
    cli::run_line(&argv, c, &mut std::io::empty())
}

fn build_lab() -> Lab {
    let mut cluster = Cluster::new(1);
    for line in [
        "network create --subnet 10.0.9.0/24 fz",
        "run -itd --name web --network fz --network-alias www -p 8080:80 busybox",
        "run -itd --name c2 --network fz --cap-add NET_ADMIN nicolaka/netshoot",
        "run -itd --name old busybox",
        "run -d --name site --network fz nginx",
        "run -d --name cache --network fz redis",
        // Routing: `router` forwards between `fz` and `far`, where `peer` runs an echo
        // server in the background; `c2` and `peer` are told the way.
        "network create --subnet 10.0.10.0/24 far",
        "run -itd --name router --network fz --ip 10.0.9.254 --sysctl net.ipv4.ip_forward=1 busybox",
        "network connect --ip 10.0.10.254 far router",
        "run -itd --name peer --network far --ip 10.0.10.10 --cap-add NET_ADMIN busybox",
        "exec peer ip route add 10.0.9.0/24 via 10.0.10.254",
        "exec -d peer nc -lk -p 9000 -e cat",
        "exec c2 ip route add 10.0.10.0/24 via 10.0.9.254",
    ] {
        let o = run(&mut cluster, line);
        assert_eq!(o.code, 0, "{line}: {}", o.stderr);
    }
    let first = |o: Outcome| match serde_json::from_str::<Value>(&o.stdout) {
        Ok(Value::Array(mut a)) if !a.is_empty() => a.swap_remove(0),
        other => panic!("an inspect: {other:?}"),
    };
    let container = first(run(&mut cluster, "inspect web"));
    let network = first(run(&mut cluster, "network inspect fz"));
    let asker = run(&mut cluster, "inspect -f {{.Id}} c2")
        .stdout
        .trim()
        .to_string();
    cluster.budget = BUDGET;
    let daemon = cluster
        .clone()
        .checkout(DEFAULT_HOST)
        .unwrap_or_else(|e| panic!("{e}"));
    Lab {
        cluster,
        daemon,
        asker,
        container,
        network,
    }
}

thread_local! {
    static LAB: Lab = build_lab();
}

/// A message to the embedded DNS server from `c2` (names, aliases, reverse lookups), whose
/// answer a client must read; the message read as an answer; the name it spells asked and
/// answered.
pub fn dns(data: &[u8]) {
    LAB.with(|lab| {
        let ask = |q: &[u8]| crate::dns::answer(q, |n, t| lab.daemon.dns_answer(&lab.asker, n, t));
        let id = u16::from_be_bytes([
            data.first().copied().unwrap_or(0),
            data.get(1).copied().unwrap_or(0),
        ]);
        if let Some(reply) = ask(data) {
            assert!(
                crate::dns::read_reply(&reply, id).is_some(),
                "an answer reads back"
            );
        }
        let _ = crate::dns::read_reply(data, id);
        let name = String::from_utf8_lossy(data);
        let _ = crate::dns::reverse_address(&name);
        for rtype in [RecordType::A, RecordType::AAAA, RecordType::PTR] {
            if let Some(q) = crate::dns::query(id, &name, rtype) {
                let reply = ask(&q).unwrap_or_else(|| panic!("a query is answered"));
                assert!(crate::dns::read_reply(&reply, id).is_some());
            }
        }
    });
}

/// A `--format` template (docker/cli's functions) over a container's and a network's
/// inspect, lenient and strict, and as a table through the tab writer; and the text as a
/// printf format over values of every kind. Output stays within the template limits.
pub fn template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    LAB.with(|lab| {
        if let Ok(t) = templates::parse(&text) {
            for (v, strict) in [
                (&lab.container, false),
                (&lab.container, true),
                (&lab.network, false),
            ] {
                let out = if strict {
                    t.execute_strict(v)
                } else {
                    t.execute(v)
                };
                if let Ok(s) = out {
                    assert!(s.len() as u64 <= MAX_BYTES, "output within the limit");
                }
            }
        }
        // A row with a lookup method (`{{.Label "k"}}`), and the header's.
        let mut with_method = lab.container.clone();
        if let Some(m) = with_method.as_object_mut() {
            m.insert("Label()".into(), json!({"a": "b"}));
        }
        for v in [with_method.clone(), json!({"Label()": "key"})] {
            if let Ok(s) = t_exec(&text, &v) {
                assert!(s.len() as u64 <= MAX_BYTES, "output within the limit");
            }
        }
        let rows = [lab.container.clone(), lab.network.clone(), with_method];
        let row_type = format::RowType {
            name: "*formatter.ContainerContext",
            prefix: "failed to execute template: ",
            typed_columns: true,
        };
        for typed in [None, Some(row_type)] {
            let _ = format::render(
                &format::Format::parse(Some(&text), ""),
                &lab.container,
                &rows,
                typed,
                Some(&text),
            );
        }
        let _ = Template::parse(&text);
    });
    let args = [
        json!(1),
        json!(-2.5),
        json!("s"),
        json!(null),
        json!([1, "x"]),
        json!({"k": true}),
    ];
    if let Some(s) = gofmt::sprintf_max(&text, &args, 1 << 20) {
        assert!(s.len() <= 1 << 20);
    }
    let _ = MAX_VALUE;
}

/// Parses and runs a template over `v`.
fn t_exec(text: &str, v: &Value) -> Result<String, String> {
    let t = templates::parse(text).map_err(|e| e.to_string())?;
    t.execute(v).map_err(|e| e.to_string())
}

/// A scenario file: parsed and checked as `vnet scenario run` reads it, its command lines
/// split into words, its durations read, and its expectations checked against an outcome.
pub fn scenario(data: &[u8]) {
    use crate::scenario::schema::{Action, parse};
    let text = String::from_utf8_lossy(data);
    let Ok(sc) = parse(Path::new("fuzz.yaml"), &text) else {
        return;
    };
    let out = Outcome {
        stdout: r#"[{"Name": "web", "Id": "0123456789ab"}]"#.into(),
        stderr: "warning\n".into(),
        ..Outcome::default()
    };
    for step in &sc.steps {
        let step = &step.value;
        match &step.action {
            Action::Run(r) => drop(crate::scenario::run::split_words(&r.line)),
            Action::Exec(e) => drop(crate::scenario::run::split_words(&e.command)),
            Action::Advance(d) => drop(crate::time::parse_duration(d)),
            _ => {}
        }
        let mut failures = Vec::new();
        crate::scenario::expect::check(&step.expect, step.action.is_command(), &out, &mut failures);
    }
}

/// A state document as `vnet state import` reads it: refused, or accepted and then
/// re-encoded to the same bytes, and every read-only command on what it holds answers
/// (an error is an answer; a panic is not).
pub fn state(data: &[u8]) {
    let Ok(c) = document::decode(data) else {
        return;
    };
    if rows::check(&c, &Snapshot::whole_new()).is_err() {
        return;
    }
    let bytes = document::encode(&c);
    let again = document::decode(&bytes).unwrap_or_else(|_| panic!("an encoded state decodes"));
    assert_eq!(document::encode(&again), bytes, "encoding is canonical");
    let mut c = again;
    c.budget = BUDGET;
    let mut lines = vec!["ps -a".to_string(), "network ls".into(), "host ls".into()];
    for h in c.hosts.values() {
        for n in h.engine.networks.values() {
            lines.push(format!("network inspect {}", n.id));
        }
        for k in h.engine.containers.values() {
            lines.push(format!("inspect {}", k.id));
            lines.push(format!("port {}", k.id));
        }
    }
    for line in lines.iter().take(64) {
        run(&mut c, line);
    }
}

/// A reply of etcd's JSON gateway to a range read of libnetwork's keys, as a daemon with a
/// live cluster store reads it at every command: decoded, then its networks and endpoints
/// loaded into a host (as the embedded store holding the same keys), whose read-only
/// commands must answer.
pub fn cluster_store(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let read = crate::cluster::etcd::decode_range(&v);
    let url = "etcd://store:2379";
    let mut c = crate::cluster::Cluster::new(1);
    c.budget = BUDGET;
    c.stores.insert(
        url.to_string(),
        crate::cluster::kv::MemStore::from_entries(read.entries),
    );
    if let Some(h) = c.hosts.get_mut(crate::cluster::DEFAULT_HOST) {
        h.cluster_store = Some(url.to_string());
    }
    let Ok(d) = c.checkout(crate::cluster::DEFAULT_HOST) else {
        return;
    };
    let ids: Vec<String> = d.state.networks.keys().take(16).cloned().collect();
    c.checkin(d);
    run(&mut c, "network ls");
    run(&mut c, "cluster status");
    for id in ids {
        run(&mut c, &format!("network inspect {id}"));
    }
}

/// The state directory the daemon entry works on, and a copy of the lab's state to reset
/// it to before each input.
struct Served {
    rt: tokio::runtime::Runtime,
    /// SIGPIPE caught rather than fatal, as the `vnet` binary has it ignored (Rust's runtime
    /// does so before `main`; libFuzzer's `main` does not).
    _pipe: Option<tokio::signal::unix::Signal>,
    dir: PathBuf,
    pristine: Vec<u8>,
}

fn served() -> Served {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("vnet-fuzz-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let doc = LAB.with(|lab| document::encode(&lab.cluster));
    let mut store = crate::store::Store::open(&dir, Some(1)).unwrap_or_else(|e| panic!("{e}"));
    store
        .import(&doc, Path::new("lab"))
        .unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    let db = dir.join(crate::store::DB_FILE);
    let pristine = std::fs::read(&db).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let pipe = rt.block_on(async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::pipe()).ok()
    });
    Served {
        rt,
        _pipe: pipe,
        dir,
        pristine,
    }
}

thread_local! {
    static SERVED: Served = served();
}

/// One connection's bytes to `vnet daemon` (requests, their headers and bodies, exec and
/// attach streams) on the lab's state, reset before each input; the connection must end
/// once its client has gone.
pub fn http(data: &[u8]) {
    SERVED.with(|s| {
        for f in std::fs::read_dir(&s.dir).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(f.path());
        }
        std::fs::write(s.dir.join(crate::store::DB_FILE), &s.pristine)
            .unwrap_or_else(|e| panic!("{e}"));
        // A quarter second is far more than any bounded request takes; the client leaves
        // then, as one tired of an endless exec would, and the server has seconds to close.
        let wait = std::time::Duration::from_millis(250);
        let grace = std::time::Duration::from_secs(5);
        let answer = crate::daemon::fuzz::serve_bytes(&s.rt, &s.dir, BUDGET, data, wait, grace);
        assert!(
            answer.is_some(),
            "the connection ends once its client has gone"
        );
    });
}

/// A command line (arguments split at NUL bytes): parsed, and run on a copy of the lab
/// unless it reaches outside a state (the daemon, scenario files, the state database);
/// the same bytes are also read as a `--label-file`.
pub fn cli(data: &[u8]) {
    let argv: Vec<String> = std::iter::once("vnet".to_string())
        .chain(
            data.split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned()),
        )
        .collect();
    // The same bytes as a `--label-file`/`--env-file`, a `--since`/`--until` value (the
    // client's reading and the daemon's) and a `kill -s` signal.
    let _ = cli::parse_kv(data, "fuzz", |_| None);
    let text = String::from_utf8_lossy(data);
    if let Ok(ts) = crate::docker::timestamp::get_timestamp(&text, crate::time::EPOCH) {
        assert!(
            crate::docker::timestamp::parse_timestamps(&ts).is_ok(),
            "a timestamp the client makes is one the daemon reads: {ts:?}"
        );
    }
    let _ = crate::docker::timestamp::parse_timestamps(&text);
    let _ = crate::docker::container::parse_signal(&text);
    // An `images --filter reference=` pattern.
    let _ = crate::docker::images::familiar_match(&text, "nicolaka/netshoot:latest");
    // A `-u` user spec against busybox's files, and the bytes as a container's own
    // `/etc/passwd` and `/etc/group` (what a command may write there).
    use crate::docker::{container::user, passwd};
    if let Ok(u) = user::lookup(&text, passwd::BUSYBOX_PASSWD, passwd::BUSYBOX_GROUP) {
        assert!(!u.groups.is_empty(), "a user has its group");
    }
    let _ = user::lookup("bob", &text, &text);
    let _ = user::lookup("1000:staff", &text, &text);
    let Ok(parsed) = cli::parse(&argv) else {
        return;
    };
    use cli::Command as C;
    if matches!(
        parsed.command,
        Some(C::Daemon(_) | C::Scenario { .. } | C::State { .. } | C::System { .. })
    ) {
        return;
    }
    LAB.with(|lab| {
        let mut c = lab.cluster.clone();
        let _ = cli::execute(&parsed, "vnet", &mut c, &mut std::io::empty());
    });
}

/// A line for the shell of `c2` (`vnet exec c2 sh -c LINE`, the text read lossily as
/// UTF-8; as root, or as `nobody` when the input's length is odd): lexed, parsed and run on
/// a copy of the lab, its pipelines through the filters; what it prints stays within the
/// output bound.
pub fn shell(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    LAB.with(|lab| {
        let mut d = lab.daemon.clone();
        let argv = ["sh".to_string(), "-c".to_string(), line.into_owned()];
        let mut opts = crate::busybox::ExecOptions::default();
        if data.len() % 2 == 1 {
            opts.exec.user = Some("nobody".into());
        }
        if let Ok(r) = crate::busybox::exec(&mut d, &lab.asker, &argv, &opts) {
            let bound = crate::busybox::applet::MAX_GATHERED_OUTPUT + 4096;
            assert!(
                r.stdout.len() <= bound,
                "stdout of {} bytes",
                r.stdout.len()
            );
        }
    });
}

/// A client's bytes to one of the images' servers: the first byte picks nginx, httpd, redis,
/// postgres or busybox httpd (over a small site), the next splits the rest into the pieces TCP delivers (each `0xff` byte ends
/// one; the last comes with the client's FIN). Each answer stays within a bound the server
/// holds to (a page, a value it was given, an error).
pub fn servers(data: &[u8]) {
    use crate::engine::tcp::{Reply, Server};
    use crate::servers::{busybox_httpd, http, postgres, redis};
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut s: Box<dyn Server> = match pick % 5 {
        0 => Box::new(http::Http::new(http::Flavor::Nginx)),
        1 => Box::new(http::Http::new(http::Flavor::Httpd)),
        2 => Box::new(redis::Redis::new(redis::Keyspace::default())),
        3 => Box::<postgres::Postgres>::default(),
        _ => {
            let mut l = crate::docker::container::fs::Layer::default();
            let _ = l.mkdir("/www/sub", true, 0);
            let _ = l.write("/www/index.html", "hi\n", false, 0, 0);
            let _ = l.write("/www/sub/a.txt", "data\n", false, 0, 0);
            let _ = l.write("/www/index.html.gz", "gz", false, 0, 0);
            let site =
                std::rc::Rc::new(busybox_httpd::Site::new("/www".into(), std::rc::Rc::new(l)));
            Box::new(busybox_httpd::BusyboxHttpd::new(site))
        }
    };
    let pieces: Vec<&[u8]> = rest.split(|b| *b == 0xff).collect();
    let last = pieces.len().saturating_sub(1);
    let mut out = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        out.clear();
        let r = s.receive(crate::time::EPOCH, piece, i == last, &mut out);
        // An answer is at most a page per request, or what the input carried.
        assert!(
            out.len() <= 2048 * (piece.len() + 1) + 64 * 1024,
            "{} bytes",
            out.len()
        );
        if r == Reply::Close {
            break;
        }
    }
}
