//! `netstat [-tulanxW]` (networking/netstat.c): the container's sockets as busybox reads
//! them from `/proc/net/{tcp,tcp6,udp,udp6,unix}`.
//!
//! What a container holds between commands is what listens: its image's servers (on the
//! families each binds: nginx, redis and postgres on `0.0.0.0` and `::`, httpd on `::`
//! only), the servers `exec -d` left running (`nc -l` binds `0.0.0.0`), and, on a
//! user-defined network, the embedded DNS's two sockets on 127.0.0.11 (dockerd opens them
//! in the container's namespace, on ports the kernel picks; vnet derives them from the
//! container's ID). Connections last only as long as the command that makes them, so none
//! is established when netstat runs. Addresses print as numbers (no `/etc/services` in the
//! image, and reverse lookups of these addresses find nothing).

use super::applet::ExecResult;
use crate::docker::image::Service;
use crate::docker::sandbox::Sandbox;

const TCP: u8 = 1;
const UDP: u8 = 2;
const RAW: u8 = 4;
const UNIX: u8 = 8;

/// One line: (tcp or udp, local address:port, remote, state).
struct Line {
    proto: &'static str,
    local: String,
    remote: &'static str,
    state: &'static str,
}

impl Line {
    /// A socket bound to every address of one family (`0.0.0.0` or `::`) on `port`.
    fn wildcard(proto: &'static str, v6: bool, port: u16, state: &'static str) -> Line {
        let (any, remote) = if v6 {
            ("::", ":::*")
        } else {
            ("0.0.0.0", "0.0.0.0:*")
        };
        Line {
            proto,
            local: format!("{any}:{port}"),
            remote,
            state,
        }
    }
}

/// The addresses a server binds: (IPv4 any, IPv6 any).
fn families(s: Service) -> (bool, bool) {
    match s {
        Service::Nginx | Service::Redis | Service::Postgres => (true, true),
        Service::Httpd => (false, true),
        // busybox nc binds `::`, dual-stack, as `vnet-serve` does.
        // So does busybox httpd given a port alone (`create_and_bind_stream_or_die(NULL,
        // port)`); with an address it binds that family's (`ipv4_only_ports`).
        Service::Echo | Service::Sink | Service::BusyboxHttpd => (false, true),
    }
}

/// Runs `netstat ARGS`.
pub fn run(sb: &Sandbox, args: &[&str]) -> ExecResult {
    let (mut listen_only, mut all, mut wide) = (false, false, false);
    let mut protos = 0u8;
    for a in args {
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            return super::applet::not_simulated("netstat", None, args);
        };
        for f in flags.chars() {
            match f {
                'l' => listen_only = true,
                'a' => all = true,
                'n' | 'e' => {}
                'W' => wide = true,
                't' => protos |= TCP,
                'u' => protos |= UDP,
                'w' => protos |= RAW,
                'x' => protos |= UNIX,
                _ => {
                    return super::applet::not_simulated("netstat", Some(&format!("-{f}")), args);
                }
            }
        }
    }
    if protos == 0 {
        protos = TCP | UDP | RAW | UNIX;
    }
    // busybox applies -l, then -a, whatever their order.
    let (listening, connected) = if all {
        (true, true)
    } else {
        (listen_only, !listen_only)
    };
    let width = if wide { 51 } else { 23 };
    let mut tcp4 = Vec::new();
    let mut tcp6 = Vec::new();
    let mut udp4 = Vec::new();
    let name = sb.name().to_string();
    let mut services = sb.services(&name);
    services.sort_by_key(|(p, _)| *p);
    if sb.uses_embedded_dns() {
        let (t, u) = resolver_ports(sb);
        tcp4.push(Line {
            proto: "tcp",
            local: format!("127.0.0.11:{t}"),
            remote: "0.0.0.0:*",
            state: "LISTEN",
        });
        udp4.push(Line {
            proto: "udp",
            local: format!("127.0.0.11:{u}"),
            remote: "0.0.0.0:*",
            state: "",
        });
    }
    let mut udp = sb.udp_services(&name);
    udp.sort_by_key(|(p, _)| *p);
    let mut udp6 = Vec::new();
    for (port, _) in udp {
        udp6.push(Line::wildcard("udp", true, port, ""));
    }
    let ipv4_only = sb.ipv4_only_ports(&name);
    for (port, s) in services {
        let (v4, v6) = if ipv4_only.contains(&port) {
            (true, false)
        } else {
            families(s)
        };
        if v4 {
            tcp4.push(Line::wildcard("tcp", false, port, "LISTEN"));
        }
        if v6 {
            tcp6.push(Line::wildcard("tcp", true, port, "LISTEN"));
        }
    }
    let mut out = String::new();
    if protos & (TCP | UDP | RAW) != 0 {
        out.push_str("Active Internet connections ");
        out.push_str(match (listening, connected) {
            (true, true) => "(servers and established)",
            (true, false) => "(only servers)",
            _ => "(w/o servers)",
        });
        out.push_str(&format!(
            "\nProto Recv-Q Send-Q {:<width$} {:<width$} State       \n",
            "Local Address", "Foreign Address"
        ));
    }
    // Every socket here is a listener (or an unconnected UDP socket): shown with -l or -a.
    if listening {
        let mut lines: Vec<&Line> = Vec::new();
        if protos & TCP != 0 {
            lines.extend(tcp4.iter().chain(&tcp6));
        }
        if protos & UDP != 0 {
            lines.extend(udp4.iter().chain(&udp6));
        }
        for l in lines {
            out.push_str(&format!(
                "{}   {:>6} {:>6} {:<width$} {:<width$} {:<12}\n",
                l.proto, 0, 0, l.local, l.remote, l.state
            ));
        }
    }
    if protos & UNIX != 0 {
        out.push_str("Active UNIX domain sockets ");
        out.push_str(match (listening, connected) {
            (true, true) => "(servers and established)",
            (true, false) => "(only servers)",
            _ => "(w/o servers)",
        });
        out.push_str("\nProto RefCnt Flags       Type       State         I-Node Path\n");
    }
    ExecResult::out(out)
}

/// The embedded DNS's TCP and UDP ports in the container: ephemeral ports (32768–60999),
/// derived from its ID so that they stay the same while it runs.
fn resolver_ports(sb: &Sandbox) -> (u16, u16) {
    let id = sb.id();
    let part = |k: usize| {
        id.get(k..k + 4)
            .and_then(|h| u16::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    (32768 + part(4) % 28232, 32768 + part(8) % 28232)
}
