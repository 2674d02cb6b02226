//! UDP between the containers of a world (RFC 768, as smoltcp runs it): the servers a
//! container runs on UDP ports (an echo, or a sink that takes what comes: `nc -lu`), and a
//! stream between two NICs: datagrams of a fixed size from one smoltcp UDP socket to
//! another across the simulated wire, as a sender like `iperf -u` produces them, which the
//! end-to-end bench measures.
//!
//! The sender keeps at most [`WINDOW`] datagrams in flight; when the wire falls silent with
//! datagrams still out (a link rule dropped them), they count as lost and sending goes on.

use super::{NicId, World};
use smoltcp::iface::SocketHandle;
use smoltcp::wire::{IpEndpoint, Ipv4Address};

/// A UDP port a NIC's programs serve on.
pub(super) struct UdpServer {
    port: u16,
    /// Sends each datagram back to its sender (else takes it and answers nothing).
    echo: bool,
    /// Its socket, once the NIC's stack is built.
    socket: Option<SocketHandle>,
}

// NIC indices come from the world that handed them out (see world.rs).
#[allow(clippy::indexing_slicing)]
impl World {
    /// Programs of NIC `n`'s container serve UDP `port` (all of its addresses): an echo, or
    /// a sink.
    pub fn listen_udp(&mut self, n: NicId, port: u16, echo: bool) {
        let Some(node) = self.nics.get_mut(n.index()) else {
            return;
        };
        node.udp_servers.push(UdpServer {
            port,
            echo,
            socket: None,
        });
        if node.nic.is_some() {
            self.open_udp_servers(n);
        }
    }

    /// Binds a socket for each UDP server that has none (the stack is built).
    pub(super) fn open_udp_servers(&mut self, n: NicId) {
        let node = &mut self.nics[n.index()];
        let Some(nic) = node.nic.as_mut() else {
            return;
        };
        for s in node.udp_servers.iter_mut().filter(|s| s.socket.is_none()) {
            if s.port != 0 {
                s.socket = Some(nic.udp_socket(s.port));
            }
        }
    }

    /// Runs NIC `n`'s UDP servers after its stack ran: each datagram read, and an echo's
    /// sent back. Returns whether anything waits for the stack to send.
    pub(super) fn serve_udp(&mut self, n: NicId) -> bool {
        let node = &mut self.nics[n.index()];
        let Some(nic) = node.nic.as_mut() else {
            return false;
        };
        let mut buf = [0u8; 2048];
        let mut sent = false;
        for s in &node.udp_servers {
            let Some(h) = s.socket else {
                continue;
            };
            while let Ok((len, meta)) = nic.udp(h).recv_slice(&mut buf) {
                if s.echo {
                    let data = buf.get(..len).unwrap_or_default();
                    sent |= nic.udp(h).send_slice(data, meta.endpoint).is_ok();
                }
            }
        }
        sent
    }
}

/// Datagrams in flight at most (below the sockets' 64-datagram buffers).
pub const WINDOW: u64 = 32;

/// What a stream delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpResult {
    /// Datagrams the sender's socket accepted.
    pub sent: u64,
    /// Datagrams that reached the receiver's socket intact.
    pub received: u64,
    /// Payload bytes received.
    pub bytes: u64,
}

/// Sends `count` datagrams of `size` payload bytes from NIC `from` (port 40000) to
/// `to_ip:port` on NIC `to`, and receives them there.
pub fn stream(
    world: &mut World,
    from: NicId,
    to: NicId,
    to_ip: Ipv4Address,
    port: u16,
    size: usize,
    count: u64,
) -> UdpResult {
    let tx = world.nic_mut(from).udp_socket(40000);
    let rx = world.nic_mut(to).udp_socket(port);
    let payload = vec![0x5a; size];
    let dst = IpEndpoint::new(to_ip.into(), port);
    let mut r = UdpResult::default();
    let mut lost = 0;
    while r.received + lost < count {
        let mut queued = false;
        while r.sent < count && r.sent - r.received - lost < WINDOW {
            if world
                .nic_mut(from)
                .udp(tx)
                .send_slice(&payload, dst)
                .is_err()
            {
                break;
            }
            r.sent += 1;
            queued = true;
        }
        if queued {
            world.poll(from);
        }
        if !world.step() {
            // Nothing left on the wire: whatever is still out was dropped.
            lost = r.sent - r.received;
            if r.sent == count {
                break;
            }
        }
        let sock = world.nic_mut(to).udp(rx);
        while let Ok((data, _)) = sock.recv() {
            r.received += 1;
            r.bytes += data.len() as u64;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rule::LinkConfig;
    use crate::engine::tests::{NIC0, NIC1, two_on_a_link};

    fn c3() -> Ipv4Address {
        Ipv4Address::new(172, 25, 3, 3)
    }

    #[test]
    fn every_datagram_arrives_on_a_clean_link() {
        let mut w = two_on_a_link(true, LinkConfig::default());
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 1472, 1000);
        assert_eq!(
            r,
            UdpResult {
                sent: 1000,
                received: 1000,
                bytes: 1_472_000
            }
        );
        // 1000 datagrams of 14 + 20 + 8 + 1472 bytes, plus one ARP request and its reply.
        let c = w.counters(NIC1);
        assert_eq!(c.rx_packets, 1001);
        assert_eq!(c.rx_bytes, 1000 * 1514 + 42);
    }

    #[test]
    fn a_lossy_link_loses_some_and_the_stream_ends() {
        let link = LinkConfig {
            loss: 0.1,
            ..LinkConfig::default()
        };
        let mut w = two_on_a_link(true, link);
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 2000);
        assert_eq!(r.sent, 2000);
        assert!((1500..2000).contains(&r.received), "{r:?}");
        assert_eq!(r.bytes, r.received * 64);
    }

    #[test]
    fn a_full_queue_drops_what_the_limit_does_not_hold() {
        // A burst of 32 datagrams onto a slow link that queues 10 frames a port.
        let link = LinkConfig {
            delay: crate::time::Duration::from_secs(1),
            limit: 10,
            ..LinkConfig::default()
        };
        let mut w = two_on_a_link(true, link);
        w.enable_trace();
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 100);
        assert_eq!(r.sent, 100);
        assert!(r.received < 100 && r.received > 0, "{r:?}");
        assert!(w.queue_drops() > 0);
        let dropped = w
            .trace_lines()
            .iter()
            .filter(|l| l.ends_with(", dropped: queue full (limit 10)"))
            .count() as u64;
        assert_eq!(dropped, w.queue_drops());
        // Netem's default holds a whole window.
        let mut w = two_on_a_link(
            true,
            LinkConfig {
                delay: crate::time::Duration::from_secs(1),
                ..LinkConfig::default()
            },
        );
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 100);
        assert_eq!((r.received, w.queue_drops()), (100, 0));
    }

    #[test]
    fn icc_off_drops_the_stream() {
        let mut w = two_on_a_link(false, LinkConfig::default());
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 100);
        assert_eq!((r.sent, r.received), (100, 0));
    }
}
