//! What the TCP clients (`nc`, `wget`) share: the world they run in (with the servers the
//! other containers' images run), and `connect()` as libc and the kernel answer it: the
//! name resolved as `getaddrinfo` does, a route picked, the handshake on the wire, and
//! Linux's errors (`ECONNREFUSED` on a RST, `ETIMEDOUT` after the SYN's six retries,
//! `EHOSTUNREACH` when the next hop never answers ARP, `ENETUNREACH` without a route).

use super::applet::{Errno, ExecOptions, strerror};
use crate::docker::sandbox::Sandbox;
use crate::engine::tcp::Connect;
use crate::engine::{NicId, World};
use crate::time::{Duration, Instant};
use smoltcp::iface::SocketHandle;
use std::net::{IpAddr, Ipv4Addr};

/// How long Linux tries a SYN before `connect()` fails (`tcp_syn_retries` = 6: 1 + 2 + 4 +
/// 8 + 16 + 32 + 64 seconds).
pub const SYN_TIMEOUT: Duration = Duration::from_secs(127);

/// How long Linux resolves a next hop before it gives up on it (`mcast_solicit` = 3 probes,
/// `retrans_time_ms` = 1000): `connect()` then fails with `EHOSTUNREACH`.
pub const ARP_TIMEOUT: Duration = Duration::from_secs(3);

/// An open connection.
pub struct Conn {
    /// The NIC it leaves by.
    pub nic: NicId,
    /// Its socket.
    pub socket: SocketHandle,
}

/// Why `connect()` failed, as `strerror` words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// `ECONNREFUSED`.
    Refused,
    /// `ETIMEDOUT`.
    TimedOut,
    /// `ENETUNREACH`.
    Unreachable,
    /// `EHOSTUNREACH`.
    HostUnreachable,
    /// The program's own timer (`nc -w`, `wget -T`) went off first.
    Alarm,
    /// The command ran out of its simulation budget (which the command's end reports).
    Stopped,
    /// A connection vnet does not simulate (to the container's own IPv6 address).
    NotSimulated,
}

impl ConnectError {
    /// `strerror(errno)` in `sb`'s container.
    pub fn text(self, sb: &Sandbox) -> &'static str {
        let e = match self {
            ConnectError::Refused => Errno::ConnRefused,
            ConnectError::TimedOut | ConnectError::Alarm => Errno::TimedOut,
            ConnectError::Unreachable => Errno::NetUnreach,
            ConnectError::Stopped => Errno::Intr,
            ConnectError::HostUnreachable => Errno::HostUnreach,
            ConnectError::NotSimulated => {
                return "vnet: TCP to the container's own IPv6 addresses is not simulated";
            }
        };
        strerror(sb, e)
    }
}

/// libbb's `xmalloc_sockaddr2dotted`: `ADDRESS:PORT`, an IPv6 address in brackets.
pub fn dotted(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// The world a TCP client runs in: the container's neighbours, and the servers their
/// images run.
pub fn world(sb: &mut Sandbox, opts: &ExecOptions) -> World {
    let mut world = sb.world(opts.trace, opts.capture);
    crate::servers::install(sb, &mut world);
    world
}

fn is_own(sb: &Sandbox, ip: Ipv4Addr) -> bool {
    ip.is_loopback() || sb.ifaces().iter().any(|i| i.holds(ip))
}

/// Whether `ip` is one of the container's own addresses (or a loopback one).
pub fn is_own_ip(sb: &Sandbox, ip: IpAddr) -> bool {
    ip.is_loopback() || sb.ifaces().iter().any(|i| i.holds_ip(ip))
}

/// The stack on the container's `lo` that carries its traffic to its own address `ip`,
/// with the container's servers on it (`None` on the host, or for another address).
pub fn own_nic(sb: &Sandbox, world: &mut World, ip: Ipv4Addr) -> Option<NicId> {
    if sb.on_host() || !is_own(sb, ip) {
        return None;
    }
    let (lo, new) = world.loopback_nic(sb.name(), ip);
    if new {
        crate::servers::install_nic(sb, world, lo);
    }
    Some(lo)
}

/// `connect()` to `ip:port` from `local` (`bind()` first, `nc -p`) or an ephemeral port,
/// giving up at `alarm` if the program set one before the kernel does.
pub fn connect(
    sb: &mut Sandbox,
    world: &mut World,
    ip: IpAddr,
    port: u16,
    alarm: Option<Instant>,
    local: Option<u16>,
) -> Result<Conn, ConnectError> {
    let (nic, hop, ip, port) = match ip {
        IpAddr::V4(ip) => {
            // On the host, a published port leads to its container.
            let (ip, port) = sb.published_target(ip, port);
            let (nic, hop) = if let Some(lo) = own_nic(sb, world, ip) {
                // One of the container's own addresses: over `lo`, to its own servers.
                (lo, ip)
            } else if is_own(sb, ip) {
                // The host's own ports that nothing publishes refuse.
                return Err(ConnectError::Refused);
            } else {
                match sb.next_hop(ip).and_then(|(k, hop)| Some((sb.nic(k)?, hop))) {
                    Some(x) => x,
                    None => return Err(ConnectError::Unreachable),
                }
            };
            (nic, hop.into(), ip.into(), port)
        }
        // The route `ip -6 route` shows, then the same handshake after neighbour discovery.
        IpAddr::V6(ip) if is_own_ip(sb, ip.into()) => return Err(ConnectError::NotSimulated),
        IpAddr::V6(ip) => match sb
            .next_hop6(ip)
            .and_then(|(k, hop)| Some((sb.nic(k)?, hop)))
        {
            Some((nic, hop)) => (nic, hop.into(), ip.into(), port),
            None => return Err(ConnectError::Unreachable),
        },
    };
    handshake(sb, world, (nic, hop), (ip, port), alarm, local)
}

/// The SYN from NIC `nic` (whose next hop is `hop`) to `remote`, and what answers it.
fn handshake(
    sb: &mut Sandbox,
    world: &mut World,
    (nic, hop): (NicId, IpAddr),
    (ip, port): (IpAddr, u16),
    alarm: Option<Instant>,
    local: Option<u16>,
) -> Result<Conn, ConnectError> {
    // Linux's ephemeral range, net.ipv4.ip_local_port_range = 32768 60999.
    let local = match local {
        Some(p) if p > 0 => p,
        _ => 32768 + sb.draw("tcp/port", 28232) as u16,
    };
    let socket = world.tcp_connect(nic, local, (ip, port));
    let kernel = world.now() + SYN_TIMEOUT;
    let deadline = alarm.map_or(kernel, |a| a.min(kernel));
    // The next hop first: without an answer to ARP the SYN never leaves.
    let resolve = world.now() + ARP_TIMEOUT;
    let syn_sent = |w: &mut World| w.tcp_state(nic, socket) == crate::engine::tcp::State::SynSent;
    if deadline > resolve && world.run_while(resolve, syn_sent) && !world.knows(nic, hop) {
        world.nic_mut(nic).tcp(socket).abort();
        return Err(ConnectError::HostUnreachable);
    }
    match world.tcp_wait_connected(nic, socket, deadline) {
        Connect::Established => Ok(Conn { nic, socket }),
        Connect::Refused => Err(ConnectError::Refused),
        Connect::TimedOut if alarm.is_some_and(|a| a < kernel) => Err(ConnectError::Alarm),
        Connect::TimedOut => Err(ConnectError::TimedOut),
    }
}

/// How long, at most, the kernel's closing of a connection is followed after the program
/// exits (the FINs and their ACKs; a server that never closes leaves it in FIN-WAIT-2).
const TEARDOWN: Duration = Duration::from_millis(200);

/// `close()` as the program exits: the FIN goes, and the exchange that ends the connection
/// runs on the wire (what a capture of the command shows), for at most [`TEARDOWN`].
pub fn close(world: &mut World, conn: &Conn) {
    world.tcp_release(conn.nic, conn.socket);
    let deadline = world.now() + TEARDOWN;
    world.run_while(deadline, |w| {
        !matches!(
            w.tcp_state(conn.nic, conn.socket),
            crate::engine::tcp::State::Closed | crate::engine::tcp::State::TimeWait
        ) && w.next_event_time().is_some()
    });
}
