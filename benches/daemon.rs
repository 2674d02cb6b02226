//! `vnet daemon` over its socket: `GET /networks` requests per second on 8 keep-alive
//! connections (and on one), and the wall time of `docker network ls` against it.
//!
//! `cargo bench --bench daemon`. Figures and the machine go in BENCHMARKS.md. The daemon is
//! the release binary, on a fresh state directory holding the seed walkthrough's first
//! topology (6 networks, 4 running containers), so every request takes the lock, reads
//! `state.json` and answers the full list.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start() -> Daemon {
    let dir = std::env::temp_dir().join(format!("vnet-bench-daemon-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let vnet = env!("CARGO_BIN_EXE_vnet");
    for line in [
        "network create simple-network",
        "network create -o com.docker.network.bridge.host_binding_ipv4=172.23.0.1 my-network",
        "network create --subnet 172.25.0.0/16 isolated_nw",
        "run -d -P --name redis --net my-network redis",
        "run -itd --name container1 busybox",
        "run -itd --name container2 busybox",
        "network connect isolated_nw container2",
        "run --net=isolated_nw --ip=172.25.3.3 -itd --name=container3 busybox",
    ] {
        let st = Command::new(vnet)
            .arg("--state-dir")
            .arg(&dir)
            .arg("--seed")
            .arg("1")
            .args(line.split(' '))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{line}");
    }
    let mut child = Command::new(vnet)
        .arg("--state-dir")
        .arg(&dir)
        .arg("daemon")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let socket = dir.join("vnet.sock");
    assert_eq!(line, format!("API listen on {}\n", socket.display()));
    Daemon { child, dir, socket }
}

/// A keep-alive connection that sends `GET /v1.50/networks` and reads the whole answer.
struct Conn {
    w: UnixStream,
    r: BufReader<UnixStream>,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    fn new(socket: &Path) -> Conn {
        let s = UnixStream::connect(socket).unwrap();
        Conn {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
            line: String::new(),
            body: Vec::new(),
        }
    }

    fn get_networks(&mut self) {
        self.w
            .write_all(b"GET /v1.50/networks HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n")
            .unwrap();
        let mut len = None;
        loop {
            self.line.clear();
            self.r.read_line(&mut self.line).unwrap();
            if self.line == "\r\n" {
                break;
            }
            if self.line.starts_with("HTTP/1.1 ") {
                assert!(self.line.starts_with("HTTP/1.1 200"), "{}", self.line);
            }
            if let Some(v) = self
                .line
                .to_ascii_lowercase()
                .strip_prefix("content-length: ")
            {
                len = Some(v.trim().parse::<usize>().unwrap());
            }
        }
        self.body.resize(len.expect("a Content-Length"), 0);
        self.r.read_exact(&mut self.body).unwrap();
        assert_eq!(self.body[0], b'[');
    }
}

/// `iters` requests spread over the connections, one thread each.
fn run(conns: &mut [Conn], iters: u64) -> Duration {
    let n = conns.len() as u64;
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for (k, c) in conns.iter_mut().enumerate() {
            let share = iters / n + u64::from((k as u64) < iters % n);
            s.spawn(move || {
                for _ in 0..share {
                    c.get_networks();
                }
            });
        }
    });
    t0.elapsed()
}

fn docker_cli() -> Option<&'static str> {
    ["/usr/local/bin/docker", "/usr/bin/docker"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

fn bench(c: &mut Criterion) {
    let d = start();
    let mut g = c.benchmark_group("daemon");
    g.throughput(Throughput::Elements(1));
    let mut eight: Vec<Conn> = (0..8).map(|_| Conn::new(&d.socket)).collect();
    g.bench_function("get_networks_8_connections", |b| {
        b.iter_custom(|iters| run(&mut eight, iters))
    });
    let mut one = vec![Conn::new(&d.socket)];
    g.bench_function("get_networks_1_connection", |b| {
        b.iter_custom(|iters| run(&mut one, iters))
    });
    match docker_cli() {
        Some(cli) => {
            let config = d.dir.join("docker-config");
            std::fs::create_dir_all(&config).unwrap();
            g.bench_function("docker_network_ls", |b| {
                b.iter(|| {
                    let out = Command::new(cli)
                        .args(["network", "ls"])
                        .env("DOCKER_HOST", format!("unix://{}", d.socket.display()))
                        .env("DOCKER_CONFIG", &config)
                        .output()
                        .unwrap();
                    assert!(out.status.success());
                })
            });
        }
        None => eprintln!("daemon/docker_network_ls skipped: no docker CLI"),
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
