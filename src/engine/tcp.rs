//! TCP between the containers of a world (RFC 9293, as smoltcp runs it): servers that listen
//! in a container and answer each connection, and the connections a program opens.
//!
//! A server is sans-IO: it is handed what a connection brought and writes its answer into a
//! buffer ([`Server::receive`]); the world moves bytes between that buffer and the smoltcp
//! socket each time the NIC's stack runs. A listener keeps one socket in `LISTEN`; when a
//! client's SYN moves it on, that socket becomes the connection and a fresh one listens
//! (Linux's accept queue, one deep per step). Past [`MAX_CONNECTIONS`] open connections a NIC
//! stops listening, so a SYN gets the RST Linux sends to a port nobody listens on.
//!
//! smoltcp sends nothing while it waits for an ARP reply, but retries as soon as the reply
//! is in its cache, so a first SYN costs one ARP round trip, as on Linux; the client side
//! needs no workaround.

use super::{NicId, World};
use crate::time::Instant;
use smoltcp::iface::SocketHandle;
use smoltcp::wire::Ipv4Address;
use std::rc::Rc;

pub use smoltcp::socket::tcp::State;

/// Bytes each way a socket buffers (a connection's window).
pub const BUFFER: usize = 64 * 1024;

/// Connections a NIC's servers hold open at most.
pub const MAX_CONNECTIONS: usize = 1024;

/// Closed sockets a NIC keeps for reuse at most.
const SPARE_SOCKETS: usize = 16;

/// What a server does after answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Keeps the connection open for more.
    Open,
    /// Closes it (a FIN) once the answer is sent.
    Close,
}

/// One connection's server side.
pub trait Server {
    /// `data` arrived from the client (empty, with `eof`, when the client closed its side);
    /// the answer goes into `out`.
    fn receive(&mut self, now: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply;
}

/// Makes the server for each connection a listener accepts.
pub type Factory = Rc<dyn Fn() -> Box<dyn Server>>;

/// A port a NIC's programs listen on.
pub(super) struct Listener {
    port: u16,
    factory: Factory,
    /// The socket in `LISTEN`, if the NIC's stack is built and has room.
    socket: Option<SocketHandle>,
    /// Connections it accepted during this run.
    accepted: u32,
}

/// An accepted connection.
pub(super) struct Conn {
    socket: SocketHandle,
    server: Box<dyn Server>,
    /// The server's answer; the socket has taken the first `sent` bytes.
    out: Vec<u8>,
    sent: usize,
    eof: bool,
    closing: bool,
    closed: bool,
}

/// How an attempt to connect ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connect {
    /// The three-way handshake completed.
    Established,
    /// The peer answered with a RST (`ECONNREFUSED`).
    Refused,
    /// Nothing answered before the deadline (`ETIMEDOUT`).
    TimedOut,
}

impl World {
    /// The TCP ports of NIC `n` whose listeners accepted a connection during this run.
    pub fn accepted_ports(&self, n: NicId) -> Vec<u16> {
        self.nics.get(n.index()).map_or_else(Vec::new, |node| {
            node.listeners
                .iter()
                .filter(|l| l.accepted > 0)
                .map(|l| l.port)
                .collect()
        })
    }

    /// Programs of NIC `n`'s container listen on TCP `port` (all of its addresses); each
    /// connection gets a server from `factory`.
    pub fn listen(&mut self, n: NicId, port: u16, factory: Factory) {
        let Some(node) = self.nics.get_mut(n.index()) else {
            return;
        };
        node.listeners.push(Listener {
            port,
            factory,
            socket: None,
            accepted: 0,
        });
        if node.nic.is_some() {
            self.open_listeners(n);
        }
    }

    /// Puts a socket in `LISTEN` for each listener that has none (the stack is built).
    pub(super) fn open_listeners(&mut self, n: NicId) {
        let Some(node) = self.nics.get_mut(n.index()) else {
            return;
        };
        let Some(nic) = node.nic.as_mut() else {
            return;
        };
        if node.conns.len() >= MAX_CONNECTIONS {
            return;
        }
        for l in node.listeners.iter_mut().filter(|l| l.socket.is_none()) {
            let h = node
                .spare_tcp
                .pop()
                .unwrap_or_else(|| nic.tcp_socket(BUFFER));
            // Fails only for port 0, which no listener is given.
            if nic.tcp(h).listen(l.port).is_ok() {
                l.socket = Some(h);
            } else {
                nic.remove(h);
            }
        }
    }

    /// Runs NIC `n`'s servers after its stack ran: accepts, hands each connection what
    /// arrived, queues answers, closes. Returns whether anything is left for the stack to
    /// send.
    pub(super) fn serve(&mut self, n: NicId) -> bool {
        let now = self.now;
        let Some(node) = self.nics.get_mut(n.index()) else {
            return false;
        };
        let Some(nic) = node.nic.as_mut() else {
            return false;
        };
        let mut again = false;
        for l in &mut node.listeners {
            if let Some(h) = l.socket
                && nic.tcp(h).state() != State::Listen
            {
                l.socket = None;
                l.accepted = l.accepted.saturating_add(1);
                node.conns.push(Conn {
                    socket: h,
                    server: (l.factory)(),
                    out: Vec::new(),
                    sent: 0,
                    eof: false,
                    closing: false,
                    closed: false,
                });
            }
        }
        let mut buf = [0u8; 2048];
        for c in &mut node.conns {
            let s = nic.tcp(c.socket);
            let mut data = Vec::new();
            // A server with a window's worth of answer still unsent reads no more: the
            // client's data waits in the socket, whose window closes (flow control).
            while s.can_recv() && data.len() < BUFFER && c.out.len() - c.sent < BUFFER {
                match s.recv_slice(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => data.extend_from_slice(buf.get(..k).unwrap_or_default()),
                }
            }
            let eof = !c.eof
                && !s.can_recv()
                && matches!(
                    s.state(),
                    State::CloseWait | State::LastAck | State::Closing | State::TimeWait
                );
            // Reading opened the window: the stack may have an update to send.
            again |= !data.is_empty();
            if (!data.is_empty() || eof) && !c.closing {
                c.eof |= eof;
                if c.server.receive(now, &data, eof, &mut c.out) == Reply::Close {
                    c.closing = true;
                }
            }
            // What the socket takes moves the offset (a large answer is not shifted down
            // a window at a time); once all is taken the buffer starts over.
            if c.sent < c.out.len()
                && s.can_send()
                && let Ok(k) = s.send_slice(c.out.get(c.sent..).unwrap_or_default())
            {
                c.sent += k;
                again |= k > 0;
            }
            if c.sent == c.out.len() {
                c.out.clear();
                c.sent = 0;
            }
            if c.closing && c.out.is_empty() && !c.closed {
                s.close();
                c.closed = true;
                again = true;
            }
        }
        // A connection is over once both sides closed (TIME-WAIT is the stack's business
        // no longer: a late segment gets a RST) or the peer reset it.
        let spare = &mut node.spare_tcp;
        // (A handshake reset in SYN-RECEIVED puts smoltcp's socket back in LISTEN: that
        // connection is over too.)
        node.conns.retain(|c| {
            let over = matches!(
                nic.tcp(c.socket).state(),
                State::Closed | State::TimeWait | State::Listen
            );
            if over {
                recycle(nic, spare, c.socket);
            }
            !over
        });
        if node.listeners.iter().any(|l| l.socket.is_none()) {
            self.open_listeners(n);
        }
        again
    }

    /// Opens a connection from NIC `n`, local `port`, to `remote`; the SYN leaves now.
    pub fn tcp_connect<A: Into<smoltcp::wire::IpAddress>>(
        &mut self,
        n: NicId,
        port: u16,
        remote: (A, u16),
    ) -> SocketHandle {
        let remote = (remote.0.into(), remote.1);
        self.materialize(n);
        let spare = self
            .nics
            .get_mut(n.index())
            .and_then(|node| node.spare_tcp.pop());
        let nic = self.nic_mut(n);
        let h = spare.unwrap_or_else(|| nic.tcp_socket(BUFFER));
        // A fresh socket connects unless the remote's port is 0 or the local port is 0;
        // then it stays closed, which the caller reads as refused (Linux: ECONNREFUSED for
        // port 0 too).
        let _ = nic.tcp_connect(h, remote, port);
        self.poll(n);
        h
    }

    /// Whether NIC `n`'s ARP or neighbour cache has `ip` (from the last command, or learned
    /// in this one).
    pub fn knows(&self, n: NicId, ip: impl Into<std::net::IpAddr>) -> bool {
        let Some(node) = self.nics.get(n.index()) else {
            return false;
        };
        match ip.into() {
            std::net::IpAddr::V4(ip) => self.neighbor_mac(n, ip).is_some(),
            std::net::IpAddr::V6(ip) => {
                node.neighbors6.iter().any(|(a, _, _)| *a == ip)
                    || node.spec.neighbors6.iter().any(|(a, _)| *a == ip)
            }
        }
    }

    /// The state of connection `h` of NIC `n`.
    pub fn tcp_state(&mut self, n: NicId, h: SocketHandle) -> State {
        self.nic_mut(n).tcp(h).state()
    }

    /// Runs the world until connection `h` leaves `SYN-SENT` or `deadline` passes.
    pub fn tcp_wait_connected(&mut self, n: NicId, h: SocketHandle, deadline: Instant) -> Connect {
        self.run_while(deadline, |w| w.tcp_state(n, h) == State::SynSent);
        match self.tcp_state(n, h) {
            State::SynSent => {
                self.nic_mut(n).tcp(h).abort();
                self.poll(n);
                Connect::TimedOut
            }
            State::Closed => Connect::Refused,
            _ => Connect::Established,
        }
    }

    /// Queues `data` on connection `h` as far as its buffer takes it, and lets it go out.
    pub fn tcp_send(&mut self, n: NicId, h: SocketHandle, data: &[u8]) -> usize {
        let s = self.nic_mut(n).tcp(h);
        let k = if s.can_send() {
            s.send_slice(data).unwrap_or(0)
        } else {
            0
        };
        self.poll(n);
        k
    }

    /// Reads what connection `h` received into `out`, at most `limit` bytes in all.
    pub fn tcp_recv(&mut self, n: NicId, h: SocketHandle, out: &mut Vec<u8>, limit: usize) {
        let s = self.nic_mut(n).tcp(h);
        let mut buf = [0u8; 2048];
        while s.can_recv() && out.len() < limit {
            let want = buf.len().min(limit - out.len());
            match s.recv_slice(buf.get_mut(..want).unwrap_or_default()) {
                Ok(0) | Err(_) => break,
                Ok(k) => out.extend_from_slice(buf.get(..k).unwrap_or_default()),
            }
        }
        // Reading opened the window: the stack may have an update to send.
        self.poll(n);
    }

    /// Whether the peer has closed its side and everything it sent was read (`read()`
    /// returns 0), or the connection is gone.
    pub fn tcp_eof(&mut self, n: NicId, h: SocketHandle) -> bool {
        let s = self.nic_mut(n).tcp(h);
        !s.may_recv() && !s.can_recv() && s.state() != State::SynSent
    }

    /// Sends a FIN on `h` once what is queued has gone (`shutdown(SHUT_WR)`).
    pub fn tcp_shutdown(&mut self, n: NicId, h: SocketHandle) {
        self.nic_mut(n).tcp(h).close();
        self.poll(n);
    }

    /// The program is done with connection `h` (it exits): the kernel closes what is still
    /// open, with a FIN, or with a RST when data it received was never read (RFC 2525 2.17,
    /// as Linux's `tcp_close` does).
    pub fn tcp_release(&mut self, n: NicId, h: SocketHandle) {
        let s = self.nic_mut(n).tcp(h);
        if s.can_recv() && s.state() != State::Closed {
            s.abort();
        } else if !matches!(
            s.state(),
            State::Closed | State::TimeWait | State::FinWait2 | State::LastAck
        ) {
            s.close();
        }
        self.poll(n);
    }

    /// The program is done with connection `h`: a closed one's socket is kept for the next
    /// connection, any other is dropped.
    pub fn tcp_free(&mut self, n: NicId, h: SocketHandle) {
        self.materialize(n);
        if let Some(node) = self.nics.get_mut(n.index())
            && let Some(nic) = node.nic.as_mut()
        {
            recycle(nic, &mut node.spare_tcp, h);
        }
    }

    /// Runs events while `busy` holds and the next event is due by `deadline`; then moves the
    /// clock to the deadline if still busy. Returns whether `busy` still holds.
    pub fn run_while(
        &mut self,
        deadline: Instant,
        mut busy: impl FnMut(&mut World) -> bool,
    ) -> bool {
        while busy(self) {
            match self.next_event_time() {
                Some(t) if t <= deadline => {
                    if !self.step() {
                        return busy(self);
                    }
                }
                _ => {
                    self.advance_to(deadline);
                    return busy(self);
                }
            }
        }
        false
    }
}

/// Keeps socket `h`, done with, among the spares if it is closed or in TIME-WAIT (where it
/// still acknowledges a late FIN until `listen` or `connect` resets it), else drops it.
fn recycle(nic: &mut crate::stack::Nic, spare: &mut Vec<SocketHandle>, h: SocketHandle) {
    let done = matches!(nic.tcp(h).state(), State::Closed | State::TimeWait);
    if done && spare.len() < SPARE_SOCKETS {
        spare.push(h);
    } else {
        nic.remove(h);
    }
}

/// A server that reads and discards everything (RFC 863's discard service), counting it.
pub struct Discard(pub Rc<std::cell::Cell<u64>>);

impl Server for Discard {
    fn receive(&mut self, _: Instant, data: &[u8], eof: bool, _: &mut Vec<u8>) -> Reply {
        self.0.set(self.0.get() + data.len() as u64);
        if eof { Reply::Close } else { Reply::Open }
    }
}

/// Sends `total` bytes over one connection from NIC `from` (port 40000) to a discard server
/// on `to_ip:port` of NIC `to`, as `iperf3` or `nc HOST PORT < file` would, then closes it;
/// returns the bytes the server read (all of them, unless the path drops everything).
pub fn bulk(
    world: &mut World,
    from: NicId,
    to: NicId,
    to_ip: Ipv4Address,
    port: u16,
    total: u64,
) -> u64 {
    let got = Rc::new(std::cell::Cell::new(0));
    let sink = got.clone();
    world.listen(
        to,
        port,
        Rc::new(move || Box::new(Discard(sink.clone())) as Box<dyn Server>),
    );
    let h = world.tcp_connect(from, 40000, (to_ip, port));
    let patience = crate::time::Duration::from_secs(127);
    if world.tcp_wait_connected(from, h, world.now() + patience) != Connect::Established {
        return 0;
    }
    let chunk = [0x5au8; 16 * 1024];
    let mut sent = 0u64;
    while sent < total {
        let want = (total - sent).min(chunk.len() as u64) as usize;
        // Write when a whole chunk fits, as a program blocked in write() wakes when the
        // buffer has room (SO_SNDLOWAT), not at every byte an ACK frees.
        let s = world.nic_mut(from).tcp(h);
        if s.send_capacity() - s.send_queue() < want {
            if !world.step() {
                break;
            }
            continue;
        }
        let k = world.tcp_send(from, h, chunk.get(..want).unwrap_or_default());
        sent += k as u64;
        if k == 0 && !world.step() {
            break;
        }
    }
    world.tcp_shutdown(from, h);
    let deadline = world.now() + patience;
    world.run_while(deadline, |w| {
        got.get() < sent && w.next_event_time().is_some()
    });
    got.get()
}

/// Opens and closes `n` connections one after another from NIC `from` to a discard server on
/// `to_ip:port` of NIC `to` (each a handshake, a FIN each way); returns how many were
/// established.
pub fn connections(
    world: &mut World,
    from: NicId,
    to: NicId,
    to_ip: Ipv4Address,
    port: u16,
    n: u64,
) -> u64 {
    let got = Rc::new(std::cell::Cell::new(0));
    world.listen(
        to,
        port,
        Rc::new(move || Box::new(Discard(got.clone())) as Box<dyn Server>),
    );
    let patience = crate::time::Duration::from_secs(127);
    let mut ok = 0;
    for i in 0..n {
        let local = 32768 + (i % 28232) as u16;
        let h = world.tcp_connect(from, local, (to_ip, port));
        if world.tcp_wait_connected(from, h, world.now() + patience) == Connect::Established {
            ok += 1;
        }
        world.tcp_shutdown(from, h);
        let deadline = world.now() + patience;
        world.run_while(deadline, |w| {
            !matches!(w.tcp_state(from, h), State::Closed | State::TimeWait)
                && w.next_event_time().is_some()
        });
        world.tcp_free(from, h);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{NIC0, NIC1, two_on_a_bridge};
    use crate::time::Duration;

    /// Answers everything it is sent, upper-cased, and closes when the client does.
    struct Shout;

    impl Server for Shout {
        fn receive(&mut self, _: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
            out.extend(data.iter().map(u8::to_ascii_uppercase));
            if eof { Reply::Close } else { Reply::Open }
        }
    }

    fn c3() -> Ipv4Address {
        Ipv4Address::new(172, 25, 3, 3)
    }

    fn shout() -> Factory {
        Rc::new(|| Box::new(Shout) as Box<dyn Server>)
    }

    #[test]
    fn a_client_talks_to_a_server_and_both_close() {
        let mut w = two_on_a_bridge(true);
        w.listen(NIC1, 7, shout());
        let start = w.now();
        let h = w.tcp_connect(NIC0, 40000, (c3(), 7));
        let deadline = start + Duration::from_secs(127);
        assert_eq!(
            w.tcp_wait_connected(NIC0, h, deadline),
            Connect::Established
        );
        // One ARP round trip and one SYN round trip: no retransmission behind ARP.
        assert!(
            w.now() - start < Duration::from_millis(10),
            "{:?}",
            w.now() - start
        );
        assert_eq!(w.tcp_send(NIC0, h, b"hello"), 5);
        w.tcp_shutdown(NIC0, h);
        let mut got = Vec::new();
        w.run_while(deadline, |w| {
            w.tcp_recv(NIC0, h, &mut got, 1 << 20);
            !w.tcp_eof(NIC0, h)
        });
        assert_eq!(got, b"HELLO");
        // Both FINs went at once (no retransmission: the veth keeps the segments in order).
        assert!(
            w.now() - start < Duration::from_millis(50),
            "{:?}",
            w.now() - start
        );
        w.run_while(deadline, |w| w.next_event_time().is_some());
        assert!(w.nics[1].conns.is_empty(), "the server's side is gone");
        // A second connection finds a listener again.
        let h = w.tcp_connect(NIC0, 40001, (c3(), 7));
        assert_eq!(
            w.tcp_wait_connected(NIC0, h, deadline),
            Connect::Established
        );
    }

    #[test]
    fn bulk_moves_every_byte() {
        let mut w = two_on_a_bridge(true);
        assert_eq!(bulk(&mut w, NIC0, NIC1, c3(), 5201, 1 << 20), 1 << 20);
        // Segments of the MSS, and nothing resent on a clean link.
        let c = w.counters(NIC1);
        assert!(
            c.rx_bytes > 1 << 20 && c.rx_packets >= (1 << 20) / 1460,
            "{c:?}"
        );
    }

    #[test]
    fn connections_open_and_close_in_turn() {
        let mut w = two_on_a_bridge(true);
        assert_eq!(connections(&mut w, NIC0, NIC1, c3(), 7, 50), 50);
        // The last one's final ACK is still on its way.
        let later = w.now() + Duration::from_secs(1);
        w.run_while(later, |w| w.next_event_time().is_some());
        assert!(w.nics[1].conns.is_empty());
    }

    #[test]
    fn closing_with_unread_data_resets() {
        let mut w = two_on_a_bridge(true);
        w.enable_trace();
        w.listen(NIC1, 7, shout());
        let deadline = w.now() + Duration::from_secs(10);
        let h = w.tcp_connect(NIC0, 40000, (c3(), 7));
        assert_eq!(
            w.tcp_wait_connected(NIC0, h, deadline),
            Connect::Established
        );
        w.tcp_send(NIC0, h, b"hi");
        w.run_while(deadline, |w| !w.nic_mut(NIC0).tcp(h).can_recv());
        w.tcp_release(NIC0, h);
        w.run_while(deadline, |w| w.next_event_time().is_some());
        assert!(
            w.trace_lines()
                .iter()
                .any(|l| l.contains("> 172.25.3.3.7: Flags [R"))
        );
        assert!(w.nics[1].conns.is_empty());
    }

    #[test]
    fn a_closed_port_refuses_and_a_silent_path_times_out() {
        let mut w = two_on_a_bridge(true);
        let deadline = w.now() + Duration::from_secs(127);
        let h = w.tcp_connect(NIC0, 40000, (c3(), 8));
        assert_eq!(w.tcp_wait_connected(NIC0, h, deadline), Connect::Refused);
        let mut w = two_on_a_bridge(false);
        let deadline = w.now() + Duration::from_secs(127);
        let h = w.tcp_connect(NIC0, 40000, (c3(), 7));
        assert_eq!(w.tcp_wait_connected(NIC0, h, deadline), Connect::TimedOut);
        assert_eq!(w.now(), deadline);
    }
}
