//! `telnet HOST [PORT]` (networking/telnet.c) as a lab uses it, a quick probe of a TCP port:
//! connect (port 23 when none is given), `Connected to HOST`, then what standard input holds
//! is sent (a line's end as CR LF, RFC 1123 3.3.1; `0xff` doubled as Telnet's IAC), and the
//! end of the input ends telnet at once, status 0, before any answer is read: busybox exits
//! on EOF from its input. A failed connect is libbb's `can't connect to remote host`, status
//! 1. Its escape character, option negotiation on a terminal and `-a`/`-l` are not simulated.

use super::applet::{ExecOptions, ExecResult, finish};
use super::socket::{self, ConnectError};
use crate::docker::sandbox::Sandbox;

const USAGE: &str = "BusyBox v1.36.1 multi-call binary.\n\nUsage: telnet [-a] [-l USER] HOST [PORT]\n\nConnect to telnet server\n\n\t-a\tAutomatic login with $USER variable\n\t-l USER\tAutomatic login as USER\n";

/// Runs `telnet ARGS` with `stdin` as its input.
pub fn run(sb: &mut Sandbox, args: &[&str], stdin: &str, opts: &ExecOptions) -> ExecResult {
    if let Some(a) = args.iter().find(|a| a.starts_with('-')) {
        return super::applet::not_simulated("telnet", Some(a), args);
    }
    let (host, port) = match args {
        [host] => (*host, 23),
        [host, port] => match port.parse::<u16>() {
            Ok(p) => (*host, p),
            Err(_) => return ExecResult::err(format!("telnet: bad port '{port}'\n"), 1),
        },
        _ => return ExecResult::err(USAGE.into(), 1),
    };
    if sb.host_network() {
        return super::applet::host_network();
    }
    let mut world = socket::world(sb, opts);
    let Some(ip) = super::nslookup::resolve_host_any(sb, &mut world, host) else {
        let r = ExecResult::err(format!("telnet: bad address '{host}'\n"), 1);
        return finish(sb, &world, r);
    };
    let conn = match socket::connect(sb, &mut world, ip, port, None, None) {
        Ok(c) => c,
        Err(ConnectError::Stopped) => {
            return finish(sb, &world, ExecResult::err(String::new(), 1));
        }
        Err(e) => {
            // xconnect names the address for IPv4 only.
            let at = if ip.is_ipv4() {
                format!(" ({ip})")
            } else {
                String::new()
            };
            let r = ExecResult::err(
                format!("telnet: can't connect to remote host{at}: {}\n", e.text(sb)),
                1,
            );
            return finish(sb, &world, r);
        }
    };
    let mut data = Vec::with_capacity(stdin.len());
    for &b in stdin.as_bytes() {
        match b {
            0xff => data.extend_from_slice(&[0xff, 0xff]),
            b'\r' | b'\n' => data.extend_from_slice(b"\r\n"),
            b => data.push(b),
        }
    }
    let mut off = 0;
    while off < data.len() {
        let k = world.tcp_send(conn.nic, conn.socket, data.get(off..).unwrap_or_default());
        if k == 0 {
            break;
        }
        off += k;
        world.poll(conn.nic);
    }
    socket::close(&mut world, &conn);
    let r = ExecResult::out(format!("Connected to {host}\n"));
    finish(sb, &world, r)
}
