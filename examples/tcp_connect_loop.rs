//! The Linux peer of `e2e/tcp_connections` (benches/kernel-bridge.sh): TCP connections
//! opened and closed one after another between two network namespaces, each a handshake
//! and a FIN each way, as `vnet::engine::tcp::connections` does between two containers.
//!
//!   tcp_connect_loop serve ADDR:PORT        # accepts, reads to the end, closes
//!   tcp_connect_loop connect ADDR:PORT N    # prints connections per second

use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let l = TcpListener::bind(&args[2]).expect("bind");
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                let mut buf = [0u8; 64];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            }
        }
        Some("connect") => {
            let n: u32 = args[3].parse().expect("a count");
            let start = Instant::now();
            for _ in 0..n {
                let mut s = TcpStream::connect(&args[2]).expect("connect");
                s.shutdown(Shutdown::Write).expect("shutdown");
                let mut buf = [0u8; 64];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            }
            let secs = start.elapsed().as_secs_f64();
            println!("{:.0}", f64::from(n) / secs);
        }
        _ => eprintln!("usage: tcp_connect_loop serve ADDR:PORT | connect ADDR:PORT N"),
    }
}
