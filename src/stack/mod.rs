//! A container's network interface: one smoltcp [`Interface`] per NIC, over the fabric's
//! frame arena.
//!
//! The device hands smoltcp arena slots to write into, so a frame a stack sends is the frame
//! the bridge forwards, with no copy. On receive the frame is copied once into the NIC's
//! receive buffer, because smoltcp answers (ARP, echo) while it still reads the request, and
//! the answer needs a new slot from the same arena. smoltcp drives one device per interface (its multi-interface
//! support is an open issue), so a container with eth0 and eth1 has two `Nic`s, each with its
//! own socket set; the container's routing table picks which one a packet leaves by, as Linux's
//! would. This is the only module where smoltcp's interface and socket types appear.

use crate::fabric::{Arena, FrameId};
use crate::time::Instant;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::{icmp, tcp, udp};
use smoltcp::time::Instant as SmolInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv6Address};
use std::cell::RefCell;
use std::collections::VecDeque;

/// Routes a NIC's stack holds besides its defaults (smoltcp's `iface-max-route-count-16`,
/// of which the IPv4 default takes one and the IPv6 default one).
pub const MAX_ROUTES: usize = 14;

/// Ethernet MTU of a bridge network's veth (`com.docker.network.driver.mtu` changes it).
pub const MTU: usize = 1500;

/// Packets and bytes through an interface, as `ifconfig` counts them (Ethernet frames).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

/// One container NIC: a smoltcp interface, its sockets, and its queues to the fabric.
pub struct Nic {
    /// The smoltcp interface.
    pub iface: Interface,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    /// Frames delivered by the fabric, not yet read by the stack.
    pub rx: VecDeque<FrameId>,
    /// Frames the stack wrote, not yet taken by the fabric.
    pub tx: RefCell<Vec<FrameId>>,
    /// The MAC address.
    pub mac: [u8; 6],
    /// The IPv4 address and prefix length.
    pub ipv4: (Ipv4Address, u8),
    /// The receive buffer (one frame).
    buf: RefCell<Vec<u8>>,
    /// The interface MTU.
    pub mtu: usize,
}

struct Dev<'a> {
    mtu: usize,
    rx: &'a mut VecDeque<FrameId>,
    tx: &'a RefCell<Vec<FrameId>>,
    arena: &'a RefCell<Arena>,
    buf: &'a RefCell<Vec<u8>>,
}

struct Rx<'a> {
    id: FrameId,
    arena: &'a RefCell<Arena>,
    buf: &'a RefCell<Vec<u8>>,
}

struct Tx<'a> {
    tx: &'a RefCell<Vec<FrameId>>,
    arena: &'a RefCell<Arena>,
}

impl phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let mut buf = self.buf.borrow_mut();
        buf.clear();
        buf.extend_from_slice(self.arena.borrow().get(self.id));
        self.arena.borrow_mut().release(self.id);
        f(&buf)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut arena = self.arena.borrow_mut();
        let id = arena.alloc(len);
        let r = f(arena.get_mut(id));
        self.tx.borrow_mut().push(id);
        r
    }
}

impl phy::Device for Dev<'_> {
    type RxToken<'b>
        = Rx<'b>
    where
        Self: 'b;
    type TxToken<'b>
        = Tx<'b>
    where
        Self: 'b;

    fn receive(&mut self, _t: SmolInstant) -> Option<(Rx<'_>, Tx<'_>)> {
        let id = self.rx.pop_front()?;
        Some((
            Rx {
                id,
                arena: self.arena,
                buf: self.buf,
            },
            Tx {
                tx: self.tx,
                arena: self.arena,
            },
        ))
    }

    fn transmit(&mut self, _t: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx {
            tx: self.tx,
            arena: self.arena,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = self.mtu + 14;
        c.max_burst_size = Some(64);
        c
    }
}

impl Nic {
    /// A NIC with `mac` and `ipv4/len`, a default route via `gateway` if it has one, and
    /// `routes` (network, prefix length, gateway) of its container's that leave by it (at
    /// most [`MAX_ROUTES`] are kept); on an IPv6 network its `ipv6` addresses and an IPv6
    /// default route via `gateway6`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        mac: [u8; 6],
        ipv4: (Ipv4Address, u8),
        extra: &[(Ipv4Address, u8)],
        gateway: Option<Ipv4Address>,
        routes: &[(Ipv4Address, u8, Ipv4Address)],
        ipv6: &[(Ipv6Address, u8)],
        gateway6: Option<Ipv6Address>,
        mtu: usize,
        seed: u64,
        arena: &RefCell<Arena>,
        now: Instant,
    ) -> Nic {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = seed;
        let mut rx = VecDeque::new();
        let tx = RefCell::new(Vec::new());
        let buf = RefCell::new(Vec::with_capacity(mtu + 14));
        let mut dev = Dev {
            mtu,
            rx: &mut rx,
            tx: &tx,
            arena,
            buf: &buf,
        };
        let mut iface = Interface::new(config, &mut dev, smol(now));
        // A fresh interface has room for smoltcp's IFACE_MAX_ADDR_COUNT addresses and
        // IFACE_MAX_ROUTE_COUNT routes; it gets one of each.
        #[allow(clippy::expect_used)]
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(ipv4.0.into(), ipv4.1))
                .expect("room for one address");
            // The IPv6 ones (two at most: global and link-local), then `ip addr add`'s, as
            // many as there is room for (an interface holds at most
            // `docker::container::max_added_addresses`, what the room leaves).
            for (ip, len) in ipv6 {
                let _ = a.push(IpCidr::new((*ip).into(), *len));
            }
            for (ip, len) in extra {
                let _ = a.push(IpCidr::new((*ip).into(), *len));
            }
        });
        if let Some(gw) = gateway {
            #[allow(clippy::expect_used)]
            iface
                .routes_mut()
                .add_default_ipv4_route(gw)
                .expect("room for a default route");
        }
        if let Some(gw) = gateway6 {
            // The table holds MAX_ROUTES + 2: room for both defaults.
            #[allow(clippy::expect_used)]
            iface
                .routes_mut()
                .add_default_ipv6_route(gw)
                .expect("room for the IPv6 default route");
        }
        iface.routes_mut().update(|table| {
            for (net, len, via) in routes {
                let route = smoltcp::iface::Route {
                    cidr: IpCidr::new((*net).into(), *len),
                    via_router: (*via).into(),
                    preferred_until: None,
                    expires_at: None,
                };
                // Full: the rest are not kept (the container's table holds at most
                // MAX_ROUTES, `ip route add` says so).
                let _ = table.push(route);
            }
        });
        Nic {
            iface,
            sockets: SocketSet::new(Vec::new()),
            rx,
            tx,
            mac,
            ipv4,
            buf,
            mtu,
        }
    }

    /// Lets the stack process what arrived and send what it has; returns when it next
    /// needs to run (a retransmission, an ARP retry), if ever.
    pub fn poll(&mut self, now: Instant, arena: &RefCell<Arena>) -> Option<Instant> {
        let mut dev = Dev {
            mtu: self.mtu,
            rx: &mut self.rx,
            tx: &self.tx,
            arena,
            buf: &self.buf,
        };
        let t = smol(now);
        self.iface.poll(t, &mut dev, &mut self.sockets);
        self.iface
            .poll_at(t, &self.sockets)
            .map(|at| Instant(at.total_micros().max(0) as u64))
    }

    /// Adds an ICMP socket bound to echo identifier `ident`.
    pub fn icmp_socket(&mut self, ident: u16) -> SocketHandle {
        let rx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 64], vec![0; 64 * 1024]);
        let tx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 64], vec![0; 64 * 1024]);
        let mut s = icmp::Socket::new(rx, tx);
        // A socket fails to bind only if already bound or given an unspecified endpoint.
        #[allow(clippy::expect_used)]
        s.bind(icmp::Endpoint::Ident(ident))
            .expect("a fresh socket binds");
        self.sockets.add(s)
    }

    /// Adds an ICMP socket that receives the errors (time exceeded, unreachable) about UDP
    /// datagrams sent from local `port`, as traceroute's raw socket reads them.
    pub fn icmp_errors_socket(&mut self, port: u16) -> SocketHandle {
        let rx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 16], vec![0; 16 * 1024]);
        let tx = icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 1], vec![0; 64]);
        let mut s = icmp::Socket::new(rx, tx);
        // A fresh socket binds to any non-zero port; port 0 is never asked for.
        #[allow(clippy::expect_used)]
        s.bind(icmp::Endpoint::Udp(port.max(1).into()))
            .expect("a fresh socket binds");
        self.sockets.add(s)
    }

    /// Adds a UDP socket bound to `port`, with room for 64 datagrams each way.
    pub fn udp_socket(&mut self, port: u16) -> SocketHandle {
        let rx = udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 64], vec![0; 96 * 1024]);
        let tx = udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 64], vec![0; 96 * 1024]);
        let mut s = udp::Socket::new(rx, tx);
        // Fails only if already bound, or for port 0: the programs that open UDP sockets bind
        // fixed, non-zero ports (no user input reaches it).
        #[allow(clippy::expect_used)]
        s.bind(port).expect("a fresh socket binds");
        self.sockets.add(s)
    }

    /// The UDP socket behind `h`.
    pub fn udp(&mut self, h: SocketHandle) -> &mut udp::Socket<'static> {
        self.sockets.get_mut::<udp::Socket>(h)
    }

    /// Adds a TCP socket with `buffer` bytes each way (Linux's default windows are of this
    /// order; a socket's buffers bound what one connection holds).
    pub fn tcp_socket(&mut self, buffer: usize) -> SocketHandle {
        let rx = tcp::SocketBuffer::new(vec![0; buffer]);
        let tx = tcp::SocketBuffer::new(vec![0; buffer]);
        self.sockets.add(tcp::Socket::new(rx, tx))
    }

    /// The TCP socket behind `h`.
    pub fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Opens TCP socket `h` to `remote` (IPv4 or IPv6) from local port `port` (a SYN leaves
    /// at the next poll).
    pub fn tcp_connect(
        &mut self,
        h: SocketHandle,
        remote: (smoltcp::wire::IpAddress, u16),
        port: u16,
    ) -> Result<(), tcp::ConnectError> {
        let cx = self.iface.context();
        self.sockets
            .get_mut::<tcp::Socket>(h)
            .connect(cx, (remote.0, remote.1), port)
    }

    /// Drops socket `h` (its connection is over).
    pub fn remove(&mut self, h: SocketHandle) {
        self.sockets.remove(h);
    }

    /// The ICMP socket behind `h`.
    pub fn icmp(&mut self, h: SocketHandle) -> &mut icmp::Socket<'static> {
        self.sockets.get_mut::<icmp::Socket>(h)
    }
}

/// A virtual instant as smoltcp's.
pub fn smol(t: Instant) -> SmolInstant {
    SmolInstant::from_micros(t.as_micros() as i64)
}
