//! `nc [-nvz] [-w SEC] [-p PORT] HOST PORT` as a client (networking/nc_bloaty.c, the netcat
//! 1.10 compatible nc that busybox's default configuration builds): connect, send what
//! standard input holds, close the sending side at its end (`shutdown(SHUT_WR)`), and
//! print what comes back until the server closes. `-z` only connects; `-v` says `HOST
//! (IP:PORT) open`, and the error of a failed connect (a refusal only with `-vv`); `-w SEC`
//! bounds the connect and, once input is done, each wait for the server (given up, not an
//! error, after two). A failed connect is status 1. `-u` is UDP (see [`udp`]). Listening
//! (`-l`, with `-u` too) is for `docker exec -d` ([`listen`]): the container keeps serving;
//! in the foreground, and `-e` other than `cat`, it is not simulated and says so.

use super::applet::{Errno, ExecOptions, ExecResult, Getopt, Output, finish, strerror};
use super::socket::{self, ConnectError};
use crate::docker::sandbox::Sandbox;
use crate::time::Duration;

const USAGE: &str =
    "[OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen";

/// The most of the server's answer kept when output is gathered rather than streamed
/// (the same bound as any command's gathered output applies on top).
const MAX_ANSWER: usize = 64 << 20;

/// `bb_lookup_port`: a number up to 65535 (no `/etc/services` in the image).
fn port(s: &str) -> Result<u16, Box<ExecResult>> {
    s.parse::<u16>()
        .map_err(|_| Box::new(ExecResult::err(format!("nc: bad port '{s}'\n"), 1)))
}

fn usage() -> ExecResult {
    ExecResult::err(
        format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: nc {USAGE}\n"),
        1,
    )
}

/// `nc -l [-k] [-v] -p PORT [-e cat]` started by `docker exec -d`: the container listens on
/// PORT from now on, on all its addresses (nc binds INADDR_ANY). With `-e cat` each client
/// gets back what it sends; without, what arrives goes to nc's output, which a detached
/// exec discards. It serves one client and ends, unless `-k` with `-e` makes it
/// persistent; a UDP listener (`-u`) reads on.
/// Returns the process to leave running, or busybox's error.
pub fn listen(
    sb: &Sandbox,
    args: &[&str],
) -> Result<crate::docker::container::Process, Box<ExecResult>> {
    let g = Getopt::parse("nc", args, "nvzulkb", "pswieo", false, USAGE)?;
    if let Some(f) = ['z', 'b', 's', 'i', 'o', 'w']
        .into_iter()
        .find(|f| g.has(*f) || g.value(*f).is_some())
    {
        return Err(Box::new(super::applet::not_simulated(
            "nc",
            Some(&format!("-{f}")),
            args,
        )));
    }
    // The port is -p's; operands name the one peer allowed to connect.
    if !g.operands.is_empty() {
        return Err(Box::new(super::applet::not_simulated(
            "nc",
            Some("-l with a peer to accept"),
            args,
        )));
    }
    let port = match g.value('p') {
        Some(p) => port(p)?,
        None => {
            return Err(Box::new(super::applet::not_simulated(
                "nc",
                Some("-l without -p (a port the kernel picks)"),
                args,
            )));
        }
    };
    let service = match g.value('e') {
        None => crate::docker::image::Service::Sink,
        Some("cat" | "/bin/cat") => crate::docker::image::Service::Echo,
        Some(_) => {
            return Err(Box::new(super::applet::not_simulated(
                "nc",
                Some("-e"),
                args,
            )));
        }
    };
    let udp = g.has('u');
    let taken = if udp {
        sb.udp_services(sb.name())
    } else {
        sb.services(sb.name())
    };
    if taken.iter().any(|(p, _)| *p == port) {
        return Err(Box::new(ExecResult::err(
            format!("nc: bind: {}\n", strerror(sb, Errno::AddrInUse)),
            1,
        )));
    }
    let (listens, udp) = if udp {
        (Vec::new(), vec![(port, service)])
    } else {
        (vec![(port, service)], Vec::new())
    };
    // nc_bloaty: "-lk With -e, provides persistent server"; a UDP listener reads on.
    let persistent = !udp.is_empty() || (g.has('k') && g.value('e').is_some());
    Ok(crate::docker::container::Process {
        argv: std::iter::once("nc")
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect(),
        listens,
        udp,
        persistent,
        home: None,
        ipv4_only: false,
        // start_process numbers it.
        pid: 0,
        started: None,
        uid: 0,
    })
}

/// Runs `nc ARGS` with `stdin` as its standard input.
pub fn run(sb: &mut Sandbox, args: &[&str], stdin: &str, opts: &ExecOptions) -> ExecResult {
    let g = match Getopt::parse("nc", args, "nvzulkb", "pswieo", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if g.has('l') {
        // A listener waits for a client that no other command can be while this one runs.
        return ExecResult::err(
            "nc: -l in the foreground is not simulated (no other command runs while it waits): start it with `exec -d`, the container keeps listening\n".into(),
            1,
        );
    }
    if let Some(f) = ['k', 'b', 'e', 's', 'i', 'o']
        .into_iter()
        .find(|f| g.has(*f) || g.value(*f).is_some())
    {
        return super::applet::not_simulated("nc", Some(&format!("-{f}")), args);
    }
    if g.has('u') && g.has('z') {
        return super::applet::not_simulated("nc", Some("-uz"), args);
    }
    let verbose = g.flags.iter().filter(|f| **f == 'v').count();
    let wait = match g.value('w').map(|w| w.parse::<u32>()) {
        None => None,
        Some(Ok(w)) if w > 0 => Some(Duration::from_secs(u64::from(w))),
        Some(Ok(_)) => None,
        Some(Err(_)) => {
            let w = g.value('w').unwrap_or_default();
            return ExecResult::err(format!("nc: invalid number '{w}'\n"), 1);
        }
    };
    if g.operands.len() > 2 {
        return usage();
    }
    let local = match g.value('p').map(port) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return *e,
    };
    // The port is read before the host (both are arguments of one call).
    let remote_port = match g.operands.get(1).map(|p| port(p)) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(e)) => return *e,
    };
    let Some(host) = g.operands.first().copied() else {
        return usage();
    };
    if sb.host_network() {
        return super::applet::host_network();
    }
    let mut world = socket::world(sb, opts);
    let ip = if g.has('n') {
        host.parse().ok()
    } else {
        super::nslookup::resolve_host_any(sb, &mut world, host)
    };
    let Some(ip) = ip else {
        return finish(
            sb,
            &world,
            ExecResult::err(format!("nc: bad address '{host}'\n"), 1),
        );
    };
    if g.has('u') {
        let r = udp(
            sb,
            &mut world,
            (host, ip, remote_port),
            local,
            wait,
            verbose,
            stdin,
            opts,
        );
        return finish(sb, &world, r);
    }
    let alarm = wait.map(|w| world.now() + w);
    let conn = socket::connect(sb, &mut world, ip, remote_port, alarm, local);
    let mut stderr = String::new();
    let conn = match conn {
        Ok(c) => c,
        Err(ConnectError::Stopped) => return finish(sb, &world, ExecResult::err(stderr, 1)),
        Err(e) => {
            if verbose > 1 || (verbose == 1 && e != ConnectError::Refused) {
                stderr.push_str(&format!(
                    "nc: {host} ({}): {}\n",
                    socket::dotted(ip, remote_port),
                    e.text(sb)
                ));
            }
            if verbose > 1 {
                stderr.push_str("sent 0, rcvd 0\n");
            }
            return finish(sb, &world, ExecResult::err(stderr, 1));
        }
    };
    if verbose > 0 {
        let at = socket::dotted(ip, remote_port);
        stderr.push_str(&format!("{host} ({at}) open\n"));
    }
    let mut out = Output::new(opts);
    let (mut code, mut sent, mut rcvd) = (0, 0, 0);
    if !g.has('z') {
        (code, sent, rcvd) = readwrite(
            &mut world,
            &conn,
            stdin.as_bytes(),
            wait,
            &mut out,
            &mut stderr,
            verbose,
        );
    }
    out.flush_bytes();
    socket::close(&mut world, &conn);
    if verbose > 1 {
        stderr.push_str(&format!("sent {sent}, rcvd {rcvd}\n"));
    }
    let (stdout, stopped) = out.finish();
    if let Some(why) = stopped {
        stderr.push_str(&why);
        code = 1;
    }
    let r = ExecResult {
        stdout,
        stderr,
        code,
        ..Default::default()
    };
    finish(sb, &world, r)
}

/// nc's shoveling loop: standard input to the connection (then its end as a FIN), the
/// connection to standard output, until the server closes; with `-w`, two silent waits in a
/// row end it too.
fn readwrite(
    world: &mut crate::engine::World,
    conn: &socket::Conn,
    input: &[u8],
    wait: Option<Duration>,
    out: &mut Output,
    stderr: &mut String,
    verbose: usize,
) -> (i32, usize, usize) {
    let (n, h) = (conn.nic, conn.socket);
    let (mut sent, mut rcvd) = (0usize, 0usize);
    let code = shovel(
        world, n, h, input, wait, out, stderr, verbose, &mut sent, &mut rcvd,
    );
    (code, sent, rcvd)
}

/// The loop itself; `sent` and `rcvd` count what crossed.
#[allow(clippy::too_many_arguments)]
fn shovel(
    world: &mut crate::engine::World,
    n: crate::engine::NicId,
    h: smoltcp::iface::SocketHandle,
    mut input: &[u8],
    wait: Option<Duration>,
    out: &mut Output,
    stderr: &mut String,
    verbose: usize,
    sent: &mut usize,
    rcvd: &mut usize,
) -> i32 {
    let mut shut = false;
    let mut got = Vec::new();
    // nc 1.10's netretry: two silent -w waits in all end it.
    let mut retries = 2;
    loop {
        if !input.is_empty() {
            let k = world.tcp_send(n, h, input);
            *sent += k;
            input = input.get(k..).unwrap_or_default();
        }
        if input.is_empty() && !shut {
            world.tcp_shutdown(n, h);
            shut = true;
        }
        got.clear();
        world.tcp_recv(n, h, &mut got, MAX_ANSWER.saturating_sub(*rcvd).max(1));
        if out.stopped() || world.budget_exceeded().is_some() {
            return 0;
        }
        if !got.is_empty() {
            *rcvd += got.len();
            out.push_bytes(&got);
            continue;
        }
        if world.tcp_eof(n, h) {
            return 0;
        }
        // Wait for the next thing to happen on the wire (something to read, the peer's
        // close, room to write the rest of the input), or the -w timer.
        let writing = !input.is_empty();
        let busy = |w: &mut crate::engine::World| {
            let s = w.nic_mut(n).tcp(h);
            !s.can_recv() && s.may_recv() && !(writing && s.can_send())
        };
        match wait {
            Some(w) => {
                let deadline = world.now() + w;
                if world.run_while(deadline, busy) && world.budget_exceeded().is_none() {
                    // Silent for -w seconds.
                    retries -= 1;
                    if retries == 0 {
                        if verbose > 1 {
                            stderr.push_str("net timeout\n");
                        }
                        return 0;
                    }
                }
            }
            None => {
                while busy(world) {
                    if !world.step() {
                        if world.budget_exceeded().is_none() {
                            stderr.push_str(
                                "vnet: nc waits for a server that will never send again; stopped\n",
                            );
                        }
                        return 1;
                    }
                }
            }
        }
    }
}

/// Waits a UDP `nc` makes after its input ends, when nothing comes (`netretry`).
const UDP_RETRIES: u32 = 2;

/// `nc -u HOST PORT`: a connected UDP socket (no packet until there is data); standard input
/// goes out as datagrams of up to 8 KiB (nc's reads of `BIGSIZ`), each datagram that comes
/// back is printed. A port nobody serves answers ICMP port unreachable, which ends the
/// reading (`net read: Connection refused` with `-vv`); otherwise nc gives up after two
/// `-w` waits with nothing heard, status 0 either way. Without `-w` it would wait until
/// interrupted.
#[allow(clippy::too_many_arguments)]
fn udp(
    sb: &mut Sandbox,
    world: &mut crate::engine::World,
    (host, ip, port): (&str, std::net::IpAddr, u16),
    local: Option<u16>,
    wait: Option<Duration>,
    verbose: usize,
    stdin: &str,
    opts: &ExecOptions,
) -> ExecResult {
    let Some(wait) = wait else {
        return ExecResult::err(
            "nc: -u without -w waits until interrupted, which vnet does not simulate: give -w SECONDS\n".into(),
            1,
        );
    };
    // Its own address goes over `lo`, anything else by the route to it.
    let route = match ip {
        std::net::IpAddr::V4(ip) => match socket::own_nic(sb, world, ip) {
            Some(lo) => Some((None, lo)),
            None => sb.route(ip).and_then(|k| Some((Some(k), sb.nic(k)?))),
        },
        std::net::IpAddr::V6(_) if socket::is_own_ip(sb, ip) => {
            let e = "nc: -u to the container's own IPv6 address: not simulated\n";
            return ExecResult::err(e.into(), 1);
        }
        std::net::IpAddr::V6(ip6) => sb.route6(ip6).and_then(|k| Some((Some(k), sb.nic(k)?))),
    };
    let at = socket::dotted(ip, port);
    let Some((k, nic)) = route else {
        let mut r = ExecResult::err(String::new(), 1);
        if verbose > 0 {
            r.stderr = format!("nc: {host} ({at}): {}\n", strerror(sb, Errno::NetUnreach));
        }
        return r;
    };
    // nc sends what one read of its input gives (up to 8 KiB) as one datagram; past one
    // frame Linux fragments it, which vnet's stacks do not: it would count as sent and
    // never leave, so vnet says so instead.
    let mtu = match k {
        Some(k) => sb.ifaces().get(k).map_or(crate::stack::MTU, |i| i.mtu),
        None => world.nic_mut(nic).mtu,
    };
    let headers = if ip.is_ipv4() { 28 } else { 48 };
    let most = mtu.saturating_sub(headers);
    if stdin.len().min(8192) > most {
        return ExecResult::err(
            format!(
                "nc: -u: a datagram past {most} bytes needs IP fragmentation, which vnet does not simulate\n"
            ),
            1,
        );
    }
    let local = local.unwrap_or_else(|| 32768 + sb.draw("udp/port", 28232) as u16);
    let (sock, errors) = {
        let n = world.nic_mut(nic);
        (n.udp_socket(local), n.icmp_errors_socket(local))
    };
    let mut stderr = String::new();
    if verbose > 0 {
        stderr.push_str(&format!("{host} ({at}) open\n"));
    }
    let (mut sent, mut rcvd) = (0usize, 0usize);
    for chunk in stdin.as_bytes().chunks(8192) {
        // The socket holds 64 datagrams; a full one drops the rest, as a full send buffer
        // would block nc until the first ones left.
        if world
            .nic_mut(nic)
            .udp(sock)
            .send_slice(chunk, (smoltcp::wire::IpAddress::from(ip), port))
            .is_ok()
        {
            sent += chunk.len();
        }
    }
    world.poll(nic);
    let mut out = Output::new(opts);
    let mut tries = UDP_RETRIES;
    let mut buf = vec![0u8; 65536];
    loop {
        let deadline = world.now() + wait;
        world.run_while(deadline, |w| {
            let n = w.nic_mut(nic);
            !n.udp(sock).can_recv() && !n.icmp(errors).can_recv()
        });
        if out.stopped() {
            break;
        }
        if world.nic_mut(nic).icmp(errors).can_recv() {
            let refused = matches!(
                world.nic_mut(nic).icmp(errors).recv(),
                // Port unreachable: ICMP 3/3, ICMPv6 1/4.
                Ok((m, _)) if matches!((m.first(), m.get(1)), (Some(3), Some(3)) | (Some(1), Some(4)))
            );
            if refused {
                if verbose > 1 {
                    stderr.push_str("nc: net read: Connection refused\n");
                }
                break;
            }
            continue;
        }
        let mut got = false;
        while let Ok((len, _)) = world.nic_mut(nic).udp(sock).recv_slice(&mut buf) {
            out.push_bytes(buf.get(..len).unwrap_or_default());
            rcvd += len;
            got = true;
        }
        if got {
            tries = UDP_RETRIES;
            continue;
        }
        tries -= 1;
        if tries == 0 {
            if verbose > 1 {
                stderr.push_str("net timeout\n");
            }
            break;
        }
    }
    out.flush_bytes();
    if verbose > 1 {
        stderr.push_str(&format!("sent {sent}, rcvd {rcvd}\n"));
    }
    let (stdout, full) = out.finish();
    if let Some(why) = full {
        stderr.push_str(&why);
    }
    ExecResult {
        stdout,
        stderr,
        ..Default::default()
    }
}
