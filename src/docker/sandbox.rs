//! A container's sandbox, as libnetwork keeps it (sandbox.go, osl/namespace_linux.go): its
//! network namespace (interfaces, routes, neighbour caches, the loopback), the files Docker
//! writes into it (`/etc/hosts`, `/etc/resolv.conf`: sandbox_dns_unix.go) and the
//! environment a process starts with. [`Sandbox`] is what a command inside the container sees
//! ([`crate::busybox`] runs there): it builds the simulated [`World`] a command runs in and
//! writes back what the command changed.
//!
//! The world a command runs in holds every bridge on the host (the host owns all their
//! gateways) and a stack for every running container that shares a network with the one the
//! command runs in: no frame can reach anyone else, since the host forwards nothing between
//! bridges. Counters and ARP caches are written back, and the clock moves by the time the
//! command took.

use super::container::StaticRoute;
use super::container::fs::{self, FsError};
use super::container::user::{self, ExecUser};
use super::error::{Error, Result};
use super::network::{Driver, Endpoint, InterfaceCounters, Network};
use super::passwd::{HOST_GROUP, HOST_PASSWD};
use super::{Daemon, NetworkMode, Status};
use crate::dns;
use crate::engine::router::{Route as RouterRoute, RouterSpec};
use crate::engine::taps::{SNIFF_BYTES, Sniffed};
use crate::engine::{
    BridgeId, BridgeNode, BridgeSpec, HostId, NicId, NicSpec, Remote, UnderlayHostSpec, VtepSpec,
    World,
};
use crate::time::{Duration, Instant};
use crate::wire::netmask as mask;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How the host's own stack is named in traces (`bridge (host).docker0`): not a name a
/// container can have.
pub const HOST_NODE: &str = "(host)";

/// An overlay interface's MTU: 1500 less VXLAN's 50 bytes (Docker's overlay driver).
pub const OVERLAY_MTU: usize = crate::stack::MTU - crate::wire::vxlan::OVERHEAD;

/// A running container as one command inside it sees it. It holds the engine for as long as
/// the command runs; nothing else can change meanwhile.
pub struct Sandbox<'d> {
    daemon: &'d mut Daemon,
    cid: String,
    ifaces: Vec<Iface>,
    /// Which endpoint each NIC of the command's world stands for (empty until it has one).
    nics: Vec<NicRef>,
    /// The simulated host itself (`vnet host exec`), not a container.
    on_host: bool,
    /// Packet captures open in the command (`tcpdump ... &`), which every world it builds
    /// feeds.
    captures: Vec<Capture>,
    /// An exec's own settings (`exec -e/-w/-u/--privileged`), over the container's.
    exec: ExecConfig,
    /// Who the command runs as: the exec's `-u`, else the container's `User`, looked up
    /// in its image's files when the command starts.
    user: Option<ExecUser>,
    /// The sniffers the running world has for captures left running in containers:
    /// (container ID, capture, sniffer).
    background: Vec<(String, usize, usize)>,
    /// It runs the container's main command: the first program that stays running is the
    /// container's PID 1 process (sh execs a command line's last program).
    main: bool,
}

/// What `docker exec` sets for its process beyond the command (moby's `ExecConfig`):
/// `-e`, `-w`, `-u`, `--privileged`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecConfig {
    /// `-e`: variables over the container's (`KEY` alone unsets one).
    pub env: Vec<String>,
    /// `-w`: where the command runs.
    pub workdir: Option<String>,
    /// `-u`: who it runs as (`NAME|UID[:GROUP|GID]`), else the container's `User`.
    pub user: Option<String>,
    /// `--privileged`: every capability for this process.
    pub privileged: bool,
    /// The exec instance's ID ([`Daemon::exec_create`]), which its events carry; empty for
    /// a command that is not an exec (the container's own).
    pub id: String,
}

/// A packet capture on one interface for the rest of a command: what the worlds the
/// command ran saw on it.
struct Capture {
    iface: usize,
    open: bool,
    /// The world's sniffer, while a world runs.
    sniffer: Option<usize>,
    frames: Vec<Sniffed>,
    /// The bytes of `frames`, at most [`SNIFF_BYTES`] between two reads.
    bytes: usize,
    dropped: u64,
}

/// A container interface as the shell sees it.
pub struct Iface {
    /// `eth0`, `eth1`, ...
    pub name: String,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Its IPv4 address.
    pub ip: Ipv4Addr,
    /// The prefix length of its subnet.
    pub len: u8,
    /// Whether IPv6 is on for it: its network was created with `--ipv6`. On an IPv4-only
    /// network Engine 26.1+ sets `disable_ipv6` on the interface, so it has no IPv6 address at
    /// all, not even a link-local one (libnetwork osl/interface_linux.go `setIPv6`).
    pub ipv6_enabled: bool,
    /// Its global IPv6 address and prefix length, on an IPv6 network.
    pub ipv6: Option<(Ipv6Addr, u8)>,
    /// Its interface index in the container's namespace (`ip addr`'s `N: eth0@ifM`), and
    /// `M`, the index of the veth's other end on the host: see [`link_index`].
    pub index: u32,
    /// The index of its peer (the host-side veth).
    pub peer_index: u32,
    /// The default route's gateway, on the interface that holds it.
    pub gateway: Option<Ipv4Addr>,
    /// The IPv6 default route's gateway, on the interface that holds it.
    pub gateway6: Option<Ipv6Addr>,
    /// What crossed it so far.
    pub counters: InterfaceCounters,
    /// Its MTU.
    pub mtu: usize,
    /// Up (`ip link set DEV down` takes it down: no frame in or out, no route through it).
    pub up: bool,
    /// The addresses `ip addr add` gave it besides Docker's, in the order added (the
    /// endpoint's IPv4 link-local addresses first).
    pub added: Vec<(Ipv4Addr, u8)>,
    /// Which of `added` libnetwork gave (`--link-local-ip`): netlink's `AddrAdd` sets
    /// their broadcast address, where busybox `ip addr add` sets none.
    pub link_local: Vec<Ipv4Addr>,
    /// Which endpoint it is.
    at: NicRef,
}

impl Iface {
    /// Its subnet's mask.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask(self.len))
    }

    /// Its subnet's address.
    pub fn subnet(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ip) & mask(self.len))
    }

    /// Its subnet's broadcast address. vishvananda/netlink's `AddrAdd` (which libnetwork
    /// uses) sets one only for prefixes shorter than /31 (`addrHandle`, nl/addr_linux.go).
    pub fn broadcast(&self) -> Option<Ipv4Addr> {
        (self.len < 31).then(|| Ipv4Addr::from(u32::from(self.ip) | !mask(self.len)))
    }

    /// Its IPv6 link-local address, from its MAC (EUI-64, RFC 4291 appendix A; the kernel's
    /// default `addr_gen_mode`), when IPv6 is on.
    pub fn link_local(&self) -> Option<Ipv6Addr> {
        self.ipv6_enabled
            .then(|| crate::engine::host::link_local(self.mac))
    }

    /// Whether IPv6 address `ip` is on its link: in its IPv6 prefix, or link-local where
    /// IPv6 is on.
    pub fn on_link6(&self, ip: Ipv6Addr) -> bool {
        let m = crate::wire::netmask6;
        (ip.is_unicast_link_local() && self.ipv6_enabled)
            || self
                .ipv6
                .is_some_and(|(a, len)| u128::from(a) & m(len) == u128::from(ip) & m(len))
    }

    /// Whether `ip` is one of its addresses (IPv4, its global IPv6 or its link-local one).
    pub fn holds_ip(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.holds(a),
            IpAddr::V6(a) => self.ipv6.is_some_and(|(x, _)| x == a) || self.link_local() == Some(a),
        }
    }

    /// Whether `ip` is on its subnet, or on one of an added address.
    pub fn on_link(&self, ip: Ipv4Addr) -> bool {
        self.all()
            .any(|(a, len)| u32::from(ip) & mask(len) == u32::from(a) & mask(len))
    }

    /// Whether `ip` is one of its addresses.
    pub fn holds(&self, ip: Ipv4Addr) -> bool {
        self.all().any(|(a, _)| a == ip)
    }

    /// Its addresses: Docker's, then those `ip addr add` gave it.
    pub fn all(&self) -> impl Iterator<Item = (Ipv4Addr, u8)> + '_ {
        std::iter::once((self.ip, self.len)).chain(self.added.iter().copied())
    }

    /// Which of its added addresses are primary (the first of their subnet on it, with a
    /// prefix route of their own); the others are secondary.
    pub fn added_primary(&self, k: usize) -> bool {
        let Some(&(ip, len)) = self.added.get(k) else {
            return false;
        };
        let same = |(a, l): (Ipv4Addr, u8)| {
            l == len && u32::from(a) & mask(len) == u32::from(ip) & mask(len)
        };
        !std::iter::once((self.ip, self.len))
            .chain(self.added.iter().take(k).copied())
            .any(same)
    }
}

/// A route of a container's main table (see [`Sandbox::routes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination network.
    pub dst: Ipv4Addr,
    /// Its prefix length (0: default).
    pub len: u8,
    /// The gateway, if not on the link.
    pub via: Option<Ipv4Addr>,
    /// The interface it leaves by, an index into [`Sandbox::ifaces`].
    pub dev: usize,
    /// The preferred source of a connected subnet's route (`proto kernel scope link src`).
    pub src: Option<Ipv4Addr>,
}

impl Route {
    /// Whether `ip` is in the route's destination.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.len) == u32::from(self.dst) & mask(self.len)
    }
}

/// A live entry of a neighbour (ARP) cache.
pub struct Neighbor {
    /// The interface it was learned on.
    pub dev: String,
    /// The neighbour's address.
    pub ip: IpAddr,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Confirmed recently (Linux's `REACHABLE`), else `STALE`.
    pub reachable: bool,
    /// When it was learned.
    pub learned: Instant,
    /// Learned from an advertisement with the router flag (the host, for its IPv6 gateway).
    pub router: bool,
}

/// Which endpoint a NIC of a world, or an interface, stands for, by its indices in the
/// state's maps (which do not change while a command runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NicRef {
    network: usize,
    endpoint: usize,
}

impl Daemon {
    /// The running container `term` names, where `docker exec` runs a command (moby's
    /// `getActiveContainer`, daemon/exec.go).
    pub fn exec_target(&self, term: &str) -> Result<String> {
        let cid = self.find_container(term)?;
        if !self.state.container(&cid)?.is_running() {
            return Err(Error::container_not_running(&cid));
        }
        Ok(cid)
    }

    /// The running container `term` names, whose shell `attach` joins. One created and never
    /// started would need `docker start -a`, which vnet does not run.
    pub fn attach_target(&self, term: &str) -> Result<String> {
        let cid = self.find_container(term)?;
        match self.state.container(&cid)?.state.status {
            Status::Running => Ok(cid),
            // The daemon's attach waits for a created container's start (see the route).
            Status::Created | Status::Exited => Err(Error::attach_stopped()),
        }
    }

    /// The sandbox of container `cid` (which exists; [`Daemon::exec_target`] checks that it
    /// runs), for one command.
    pub fn sandbox(&mut self, cid: &str) -> Sandbox<'_> {
        let ifaces = self.ifaces(cid);
        Sandbox {
            daemon: self,
            cid: cid.to_string(),
            ifaces,
            nics: Vec::new(),
            on_host: false,
            captures: Vec::new(),
            background: Vec::new(),
            exec: ExecConfig::default(),
            user: None,
            main: false,
        }
    }

    /// The simulated host's own namespace, for one command (`vnet host exec`): an
    /// interface on each bridge network holding its gateway (`docker0`, `br-…`), the
    /// connected routes, no default route (the host has no world outside here).
    pub fn host_sandbox(&mut self) -> Sandbox<'_> {
        let ifaces = self.host_ifaces();
        Sandbox {
            daemon: self,
            cid: String::new(),
            ifaces,
            nics: Vec::new(),
            on_host: true,
            captures: Vec::new(),
            background: Vec::new(),
            exec: ExecConfig::default(),
            user: None,
            main: false,
        }
    }
}

impl Sandbox<'_> {
    /// The container. A sandbox is made for a container a lookup just found, and holds the
    /// daemon while it lives, so it is there; were it not, the sandbox acts as an empty
    /// namespace (no name, no interfaces) rather than panic.
    fn container(&self) -> Option<&super::Container> {
        self.daemon.state.containers.get(&self.cid)
    }

    /// How many programs run on in the container beside its commands: the servers and the
    /// captures left running.
    pub fn left_running(&self) -> usize {
        self.container()
            .map_or(0, |c| c.processes.len() + c.captures.len())
    }

    /// The endpoint an interface stands for.
    fn endpoint(&self, at: NicRef) -> Option<&Endpoint> {
        self.daemon.endpoint(at)
    }

    /// Where the container's commands run: the exec's `-w`, else its image's `WORKDIR`,
    /// else `/`.
    pub fn cwd(&self) -> String {
        if let Some(w) = &self.exec.workdir {
            return w.clone();
        }
        self.container()
            .and_then(|c| self.daemon.image(&c.config.image))
            .map(|i| i.workdir)
            .filter(|w| !w.is_empty())
            .unwrap_or("/")
            .to_string()
    }

    /// Whether the container's C library is musl (Alpine's); the host's is glibc.
    pub fn musl(&self) -> bool {
        !self.on_host
            && self
                .container()
                .and_then(|c| self.daemon.image(&c.config.image))
                .is_some_and(|i| i.musl)
    }

    /// The programs the container's image has besides busybox's applets (none on the host).
    pub fn image_programs(&self) -> &'static [&'static str] {
        self.container()
            .and_then(|c| self.daemon.image(&c.config.image))
            .map_or(&[], |i| i.programs)
    }

    /// The container's name (`host` for the host's own namespace).
    pub fn name(&self) -> &str {
        if self.on_host {
            return HOST_NODE;
        }
        self.container().map_or("", |c| &c.name)
    }

    /// Its hostname.
    pub fn hostname(&self) -> &str {
        if self.on_host {
            return &self.daemon.host.name;
        }
        self.container().map_or("", |c| &c.config.hostname)
    }

    /// The container's ID (empty for the host's own namespace).
    pub fn id(&self) -> &str {
        &self.cid
    }

    /// Whether this is the simulated host's own namespace (`vnet host exec`).
    pub fn on_host(&self) -> bool {
        self.on_host
    }

    /// Where a TCP connection the host opens to `ip:port` goes: a port a running
    /// container publishes on that address (or on every address) is Docker's DNAT
    /// (`-t nat -A DOCKER ... -j DNAT`, or docker-proxy for the loopback) to the container's
    /// address on its gateway network and its own port; anything else stays as it is.
    pub fn published_target(&self, ip: Ipv4Addr, port: u16) -> (Ipv4Addr, u16) {
        if !self.on_host || !(ip.is_loopback() || self.ifaces.iter().any(|i| i.ip == ip)) {
            return (ip, port);
        }
        for c in self
            .daemon
            .state
            .containers
            .values()
            .filter(|c| c.is_running())
        {
            for (key, bindings) in &c.ports {
                let (cport, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
                let Ok(cport) = cport.parse::<u16>() else {
                    continue;
                };
                if proto != "tcp" {
                    continue;
                }
                let hit = bindings.iter().any(|b| {
                    b.host_port.parse::<u16>().ok() == Some(port)
                        && match b.host_ip.as_str() {
                            "" | "0.0.0.0" => true,
                            h => h.parse::<Ipv4Addr>().ok() == Some(ip),
                        }
                });
                if !hit {
                    continue;
                }
                let target = self
                    .daemon
                    .ifaces(&c.id)
                    .into_iter()
                    .find(|i| i.gateway.is_some())
                    .map(|i| i.ip);
                if let Some(t) = target {
                    return (t, cport);
                }
            }
        }
        (ip, port)
    }

    /// Whether it shares the host's network namespace (`--network host`).
    pub fn host_network(&self) -> bool {
        self.container()
            .is_some_and(|c| c.host_config.network_mode == NetworkMode::Host)
    }

    /// Its interfaces besides `lo`, in attach order (eth0, eth1, ...).
    pub fn ifaces(&self) -> &[Iface] {
        &self.ifaces
    }

    /// What crossed its loopback so far.
    pub fn lo(&self) -> InterfaceCounters {
        self.container().map(|c| c.lo).unwrap_or_default()
    }

    /// Counts a frame that went out on the loopback and so came back in.
    pub fn count_lo(&mut self, len: usize) {
        if let Some(c) = self.daemon.state.containers.get_mut(&self.cid) {
            let lo = &mut c.lo;
            lo.tx_packets += 1;
            lo.rx_packets += 1;
            lo.tx_bytes += len as u64;
            lo.rx_bytes += len as u64;
        }
    }

    /// The container's main routing table, as the kernel holds it: Docker's default route
    /// (unless `ip route del default` took it), each interface's subnet (`proto kernel scope
    /// link`), and the routes `ip route add` put there, in the order `ip route` lists them
    /// (by destination, as the kernel's FIB dump walks its trie). A route whose device is
    /// gone, or whose gateway is no longer on that device's link, went with it.
    pub fn routes(&self) -> Vec<Route> {
        routes_of(self.container(), &self.ifaces)
    }

    /// The route to `ip`, as the index of the interface it leaves by: the most specific
    /// route of [`Sandbox::routes`] (the first of equals).
    pub fn route(&self, ip: Ipv4Addr) -> Option<usize> {
        self.next_hop(ip).map(|(k, _)| k)
    }

    /// The IPv6 route to `ip`, as the index of the interface it leaves by: the interface
    /// whose IPv6 prefix holds it, else the one with the IPv6 default route. (A link-local
    /// address needs a scope: `None`.)
    pub fn route6(&self, ip: Ipv6Addr) -> Option<usize> {
        let up = || self.ifaces.iter().enumerate().filter(|(_, i)| i.up);
        if ip.is_unicast_link_local() {
            // fe80::/64 is on every IPv6 interface; without a scope the first one's route.
            return up().find(|(_, i)| i.ipv6_enabled).map(|(k, _)| k);
        }
        up().find(|(_, i)| i.ipv6.is_some() && i.on_link6(ip))
            .or_else(|| up().find(|(_, i)| i.gateway6.is_some()))
            .map(|(k, _)| k)
    }

    /// Where an IPv6 packet to `ip` goes: the interface it leaves by and the address whose
    /// MAC neighbour discovery finds (the IPv6 gateway, or `ip` itself on the link).
    pub fn next_hop6(&self, ip: Ipv6Addr) -> Option<(usize, Ipv6Addr)> {
        let k = self.route6(ip)?;
        let i = self.ifaces.get(k)?;
        let hop = if i.on_link6(ip) { Some(ip) } else { i.gateway6 };
        Some((k, hop?))
    }

    /// Where a packet to `ip` goes: the interface it leaves by and the address whose MAC it
    /// is sent to (the route's gateway, or `ip` itself on the link).
    pub fn next_hop(&self, ip: Ipv4Addr) -> Option<(usize, Ipv4Addr)> {
        let mut best: Option<Route> = None;
        for r in self.routes() {
            if r.contains(ip) && best.as_ref().is_none_or(|b| r.len > b.len) {
                best = Some(r);
            }
        }
        best.map(|r| (r.dev, r.via.unwrap_or(ip)))
    }

    /// Whether the command holds `CAP_NET_ADMIN` (`--cap-add NET_ADMIN`, as root).
    pub fn net_admin(&self) -> bool {
        self.capable("CAP_NET_ADMIN")
    }

    /// `net.ipv4.ip_forward` in its namespace.
    pub fn ip_forward(&self) -> bool {
        self.container().is_some_and(|c| c.ip_forward())
    }

    /// The value `net.ipv4.ip_forward` holds in the container's namespace.
    pub fn ip_forward_value(&self) -> i32 {
        self.container().map_or(0, |c| c.ip_forward_value())
    }

    /// Sets `net.ipv4.ip_forward` (`sysctl -w` where `/proc/sys` is writable): non-zero
    /// forwards, from the next world on.
    pub fn set_ip_forward(&mut self, v: i32) {
        if let Some(c) = self.daemon.state.containers.get_mut(&self.cid) {
            c.ip_forward_set = Some(v);
        }
    }

    /// Whether the container is privileged (`run --privileged`).
    pub fn privileged(&self) -> bool {
        self.container().is_some_and(|c| c.host_config.privileged)
    }

    /// The routes `ip route add` added, to change (`ip route add|del`), and whether Docker's
    /// default route was deleted.
    pub fn static_routes_mut(&mut self) -> Option<(&mut Vec<StaticRoute>, &mut bool)> {
        let c = self.daemon.state.containers.get_mut(&self.cid)?;
        Some((&mut c.routes, &mut c.no_default_route))
    }

    /// ARP entries still alive (smoltcp keeps a neighbour 60 s; shown REACHABLE for the
    /// first 30 s as Linux's base_reachable_time, STALE after).
    pub fn neighbors(&self) -> Vec<Neighbor> {
        let now = self.daemon.now();
        let mut out = Vec::new();
        for i in &self.ifaces {
            let Some(ep) = self.endpoint(i.at) else {
                continue;
            };
            let gateway6 = self
                .daemon
                .state
                .networks
                .get_index(i.at.network)
                .and_then(|(_, n)| n.pool_v6()?.gateway);
            let v4 = ep.neighbors.iter().map(|(a, m, t)| (IpAddr::V4(*a), m, t));
            let v6 = ep.neighbors6.iter().map(|(a, m, t)| (IpAddr::V6(*a), m, t));
            for (ip, mac, at) in v4.chain(v6) {
                let age = now - *at;
                if age <= Duration::from_secs(60) {
                    out.push(Neighbor {
                        dev: i.name.clone(),
                        ip,
                        mac: *mac,
                        reachable: age <= Duration::from_secs(30),
                        learned: *at,
                        router: ip.is_ipv6() && Some(ip) == gateway6,
                    });
                }
            }
        }
        out
    }

    /// The files Docker writes into the container: `/etc/hosts`, `/etc/resolv.conf`,
    /// `/etc/hostname`.
    pub fn file(&self, path: &str) -> Option<String> {
        if self.on_host {
            return match path {
                "/etc/hosts" => {
                    Some("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n".into())
                }
                "/etc/resolv.conf" => Some("nameserver 127.0.0.53\n".into()),
                "/etc/hostname" => Some(format!("{}\n", self.hostname())),
                _ => None,
            };
        }
        let path = fs::normalize(&self.cwd(), path);
        match path.as_str() {
            "/etc/hosts" => Some(self.hosts()),
            "/etc/resolv.conf" => Some(self.resolv_conf()),
            "/etc/hostname" => Some(format!("{}\n", self.hostname())),
            p => {
                let c = self.container()?;
                c.layer
                    .file(p)
                    .map(str::to_string)
                    .or_else(|| self.image_file(p))
            }
        }
    }

    /// Whether `path` is one of the image's files vnet has (`/etc/passwd`, `/etc/group`).
    pub fn is_image_file(&self, path: &str) -> bool {
        let path = fs::normalize(&self.cwd(), path);
        !self.on_host && matches!(path.as_str(), "/etc/passwd" | "/etc/group")
    }

    /// A file of the container's image that vnet has (`/etc/passwd`, `/etc/group`).
    fn image_file(&self, path: &str) -> Option<String> {
        let img = self.daemon.image(&self.container()?.config.image)?;
        match path {
            "/etc/passwd" => Some(img.users.passwd()),
            "/etc/group" => Some(img.users.group()),
            _ => None,
        }
    }

    /// Whether `path` is a directory of the container.
    pub fn is_dir(&self, path: &str) -> bool {
        let path = fs::normalize(&self.cwd(), path);
        match self.container() {
            Some(c) if !self.on_host => c.layer.is_dir(&path),
            _ => path == "/",
        }
    }

    /// Writes `text` to file `path` in the container's layer (`>`), or after what it holds
    /// (`>>`).
    pub fn write_file(
        &mut self,
        path: &str,
        text: &str,
        append: bool,
    ) -> std::result::Result<(), FsError> {
        let path = fs::normalize(&self.cwd(), path);
        let now = self.daemon.state.clock.unix_secs();
        let uid = self.uid();
        // A file of the image is copied up into the layer as it is first written.
        let image = self.image_file(&path);
        match self.layer_mut() {
            Some(l) => {
                if let Some(text) = image.filter(|_| append && l.file(&path).is_none()) {
                    l.write(&path, &text, false, now, uid)?;
                }
                l.write(&path, text, append, now, uid)
            }
            None => Err(FsError::NoLayer),
        }
    }

    /// Appends `text` to file `path` through the descriptor a redirection opened (the
    /// permission was checked as it opened, by whoever opened it): a job's or a capture's
    /// output, written while later commands, of any user, run.
    pub fn append_opened(&mut self, path: &str, text: &str) -> std::result::Result<(), FsError> {
        let path = fs::normalize(&self.cwd(), path);
        let now = self.daemon.state.clock.unix_secs();
        match self.layer_mut() {
            Some(l) => {
                let owner = l.owner(&path);
                l.write(&path, text, true, now, owner)
            }
            None => Err(FsError::NoLayer),
        }
    }

    /// `mkdir [-p] PATH` in the container's layer.
    pub fn make_dir(&mut self, path: &str, parents: bool) -> std::result::Result<(), FsError> {
        let path = fs::normalize(&self.cwd(), path);
        let uid = self.uid();
        match self.layer_mut() {
            Some(l) => l.mkdir(&path, parents, uid),
            None => Err(FsError::NoLayer),
        }
    }

    /// `rm FILE`: whether the container's layer had it, or why it stays.
    pub fn remove_file(&mut self, path: &str) -> std::result::Result<bool, FsError> {
        let path = fs::normalize(&self.cwd(), path);
        let uid = self.uid();
        match self.layer_mut() {
            Some(l) => l.remove(&path, uid),
            None => Ok(false),
        }
    }

    fn layer_mut(&mut self) -> Option<&mut fs::Layer> {
        if self.on_host {
            return None;
        }
        self.daemon
            .state
            .containers
            .get_mut(&self.cid)
            .map(|c| &mut c.layer)
    }

    /// `/etc/hosts` (libnetwork's etchosts): the defaults, the legacy links, then the
    /// container's own addresses under its hostname.
    fn hosts(&self) -> String {
        let mut out = String::from(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
        );
        let Some(c) = self.container() else {
            return out;
        };
        for (_, ip, names) in &c.link_hosts {
            out.push_str(&format!("{ip}\t{names}\n"));
        }
        // libnetwork's getEtcHostsAddrs: each endpoint's IPv4 address, then its IPv6 one;
        // none on docker_gwbridge (`doUpdateHostsFile`).
        let on_gw_network = |i: &&Iface| {
            self.daemon
                .state
                .networks
                .get_index(i.at.network)
                .is_some_and(|(_, n)| n.name == super::network::GW_NETWORK)
        };
        for i in self.ifaces.iter().filter(|i| !on_gw_network(i)) {
            out.push_str(&format!("{}\t{}\n", i.ip, c.config.hostname));
            if let Some((a, _)) = i.ipv6 {
                out.push_str(&format!("{a}\t{}\n", c.config.hostname));
            }
        }
        out
    }

    /// `/etc/resolv.conf` as Docker 25+ writes it (libnetwork `resolvconf`, goldens
    /// `TestRCTransformForIntNS`/`ForLegacyNw`). The simulated host's own resolv.conf points at
    /// a local stub resolver (`nameserver 127.0.0.53`): the embedded DNS forwards to it; the
    /// default bridge cannot use it and falls back to Google's servers.
    fn resolv_conf(&self) -> String {
        const HEADER: &str = "# Generated by Docker Engine.\n# This file can be edited; Docker Engine will not make further changes once it\n# has been modified.\n\n";
        if self.uses_embedded_dns() {
            format!(
                "{HEADER}nameserver 127.0.0.11\noptions ndots:0\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [host(127.0.0.53)]\n# Overrides: []\n# Option ndots from: internal\n"
            )
        } else {
            format!(
                "{HEADER}nameserver 8.8.8.8\nnameserver 8.8.4.4\n\n# Based on host file: '/etc/resolv.conf' (legacy)\n# Used default nameservers.\n# Overrides: []\n"
            )
        }
    }

    /// The environment a command starts with (moby's `CreateDaemonEnvironment`): the image's
    /// `PATH`, `HOSTNAME`, `TERM` on a terminal, the legacy links' variables, the container's
    /// own, the exec's over them, and `HOME` last.
    pub fn env(&self, tty: bool) -> Vec<String> {
        let mut vars: Vec<String> = Vec::new();
        if self.on_host {
            vars.push(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            );
            vars.push(format!("HOSTNAME={}", self.hostname()));
            vars.push("HOME=/root".to_string());
            return vars;
        }
        let Some(c) = self.container() else {
            return vars;
        };
        let path = c.config.env.iter().find(|e| e.starts_with("PATH="));
        if let Some(p) = path {
            vars.push(p.clone());
        }
        vars.push(format!("HOSTNAME={}", c.config.hostname));
        if tty {
            vars.push("TERM=xterm".to_string());
        }
        vars.extend(c.link_env.iter().cloned());
        vars.extend(
            c.config
                .env
                .iter()
                .filter(|e| !e.starts_with("PATH="))
                .cloned(),
        );
        // moby's `ReplaceOrAppendEnvValues`: an exec's `KEY=V` replaces the container's
        // KEY, a bare `KEY` unsets it.
        for e in &self.exec.env {
            let key = e.split('=').next().unwrap_or(e);
            let at = vars.iter().position(|v| v.split('=').next() == Some(key));
            match (at, e.contains('=')) {
                (Some(i), true) => {
                    if let Some(v) = vars.get_mut(i) {
                        v.clone_from(e);
                    }
                }
                (Some(i), false) => {
                    vars.remove(i);
                }
                (None, true) => vars.push(e.clone()),
                (None, false) => {}
            }
        }
        // runc's prepareEnv appends HOME, the user's from its passwd entry (`/` without
        // one), when the environment sets none or an empty one.
        vars.retain(|v| v != "HOME=");
        if !vars.iter().any(|v| v.starts_with("HOME=")) {
            vars.push(format!("HOME={}", self.user().home));
        }
        vars
    }

    /// An exec's settings (`docker exec -e K=V -w DIR -u USER --privileged`); the user
    /// is looked up in the image's `/etc/passwd` as moby's `getUser` does, and its error
    /// (`unable to find user ...`) is the exec's start error.
    pub fn set_exec_config(&mut self, config: &ExecConfig) -> std::result::Result<(), String> {
        self.exec = config.clone();
        self.exec.workdir = config.workdir.clone().filter(|w| !w.is_empty());
        // moby's exec takes the container's `User` when it names none, looked up again.
        self.user = match self.container() {
            Some(c) if !self.on_host => self.daemon.process_user(c, config.user.as_deref())?,
            _ => None,
        };
        Ok(())
    }

    /// The container's `/etc/passwd` and `/etc/group`: as a command last wrote them, else
    /// its image's (the simulated host's own, root alone, on the host).
    pub fn user_files(&self) -> (String, String) {
        match self.container() {
            Some(c) if !self.on_host => self.daemon.user_files(c),
            _ => (HOST_PASSWD.to_string(), HOST_GROUP.to_string()),
        }
    }

    /// Who the command runs as: the exec's user, else the container's command's (its
    /// `User` as its start found it), else root.
    pub fn user(&self) -> ExecUser {
        if let Some(u) = &self.user {
            return u.clone();
        }
        if let Some(u) = self.container().and_then(|c| c.main_user.clone()) {
            return u;
        }
        let (passwd, group) = self.user_files();
        ExecUser::root(&passwd, &group)
    }

    /// The command's user ID, without reading the user databases (see [`Sandbox::user`]).
    pub fn uid(&self) -> u32 {
        match &self.user {
            Some(u) => u.uid,
            None => self
                .container()
                .and_then(|c| c.main_user.as_ref())
                .map_or(0, |u| u.uid),
        }
    }

    /// Whether the command holds capability `cap` (`CAP_NET_ADMIN`): root has the
    /// container's, every one with `exec --privileged`; another user none (moby sets no
    /// ambient capabilities, so none survive its `execve`).
    pub fn capable(&self, cap: &str) -> bool {
        if self.on_host {
            // The host's root holds every capability, but vnet does not let `host exec`
            // change the host's addresses and routes (ip answers EPERM, as before).
            return cap != "CAP_NET_ADMIN";
        }
        self.uid() == 0
            && (self.exec.privileged || self.container().is_some_and(|c| c.has_capability(cap)))
    }

    /// Whether the container asks Docker's embedded DNS (127.0.0.11): it is on a
    /// user-defined network.
    pub fn uses_embedded_dns(&self) -> bool {
        self.daemon.uses_embedded_dns(&self.cid)
    }

    /// The embedded DNS server's answer to a DNS message from this container.
    pub fn embedded_dns(&self, request: &[u8]) -> Option<Vec<u8>> {
        dns::answer(request, |n, t| self.daemon.dns_answer(&self.cid, n, t))
    }

    /// A derived number below `n` for the object named by `label` (see [`crate::rng`]).
    pub fn draw(&mut self, label: &str, n: u64) -> u64 {
        self.daemon.draw(label, n)
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.daemon.now()
    }

    /// What a command's simulation may spend.
    pub fn budget(&self) -> crate::engine::budget::Budget {
        self.daemon.host.budget
    }

    /// Moves the virtual clock to `t`, unless it is past it already.
    pub fn advance_to(&mut self, t: Instant) {
        let clock = &mut self.daemon.state.clock;
        *clock = t.max(*clock);
    }

    /// A world with no stacks, for commands that only talk over the loopback (to the
    /// resolver). `trace` and `capture` record the frames.
    pub fn bare_world(&mut self, trace: bool, capture: bool) -> World {
        self.nics.clear();
        self.background.clear();
        self.daemon.bare_world(trace, capture)
    }

    /// The world a command in this container runs in, with its neighbours on the wire (see
    /// the module's doc).
    pub fn world(&mut self, trace: bool, capture: bool) -> World {
        let (mut world, nics) = self.daemon.world(&self.cid, self.on_host, trace, capture);
        self.nics = nics;
        let sniffed: Vec<Option<NicId>> = self
            .captures
            .iter()
            .map(|c| c.open.then(|| self.nic(c.iface)).flatten())
            .collect();
        for (c, nic) in self.captures.iter_mut().zip(sniffed) {
            c.sniffer = nic.map(|n| world.sniff(n));
        }
        // Captures left running, in this container or any other of the world.
        self.background.clear();
        for (k, at) in self.nics.iter().enumerate() {
            let Some((_, net)) = self.daemon.state.networks.get_index(at.network) else {
                continue;
            };
            let Some((_, e)) = net.endpoints.get_index(at.endpoint) else {
                continue;
            };
            let (Some(c), Some(nic)) = (
                self.daemon.state.containers.get(&e.container_id),
                NicId::new(k),
            ) else {
                continue;
            };
            for (x, cap) in c.captures.iter().enumerate() {
                if cap.network == net.id && cap.ended.is_none() {
                    self.background.push((c.id.clone(), x, world.sniff(nic)));
                }
            }
        }
        world
    }

    /// Leaves a capture on interface `iface` running in the container after the command
    /// ends: `program` is the applet's state, which [`Sandbox::take_captures`] gives back
    /// with the frames seen since. Returns false when the container holds
    /// [`MAX_CAPTURES`](super::container::MAX_CAPTURES) already.
    pub fn leave_capture(&mut self, iface: usize, program: String, command: String) -> bool {
        let Some(net) = self
            .ifaces
            .get(iface)
            .and_then(|i| self.daemon.state.networks.get_index(i.at.network))
            .map(|(_, n)| n.id.clone())
        else {
            return false;
        };
        let now = self.now();
        let uid = self.uid();
        let Some(c) = self.daemon.state.containers.get_mut(&self.cid) else {
            return false;
        };
        if c.captures.len() >= super::container::MAX_CAPTURES {
            return false;
        }
        let pid = if self.main { c.main_pid_free() } else { None };
        let pid = pid.unwrap_or_else(|| c.next_pid());
        c.captures.push(super::container::Capture {
            program,
            network: net,
            frames: Vec::new(),
            bytes: 0,
            dropped: 0,
            ended: None,
            command,
            pid,
            started: Some(now),
            uid,
        });
        true
    }

    /// Takes the captures left running in the container, with what they saw; those
    /// [`Sandbox::leave_capture`] gets back go on.
    pub fn take_captures(&mut self) -> Vec<super::container::Capture> {
        self.daemon
            .state
            .containers
            .get_mut(&self.cid)
            .map(|c| std::mem::take(&mut c.captures))
            .unwrap_or_default()
    }

    /// Puts back a capture [`Sandbox::take_captures`] took, with the applet's new state.
    pub fn keep_capture(&mut self, mut cap: super::container::Capture, program: String) {
        cap.program = program;
        cap.frames = Vec::new();
        cap.bytes = 0;
        cap.dropped = 0;
        if let Some(c) = self.daemon.state.containers.get_mut(&self.cid) {
            c.captures.push(cap);
        }
    }

    /// Opens a capture on interface `iface` (one of [`Sandbox::ifaces`]) for the rest of
    /// the command: every world built from now on copies that interface's frames to it.
    /// Returns its number for [`Sandbox::captured`].
    pub fn open_capture(&mut self, iface: usize) -> usize {
        self.captures.push(Capture {
            iface,
            open: true,
            sniffer: None,
            frames: Vec::new(),
            bytes: 0,
            dropped: 0,
        });
        self.captures.len() - 1
    }

    /// What capture `k` saw since it was last asked, and how many frames its buffer could
    /// not take.
    pub fn captured(&mut self, k: usize) -> (Vec<Sniffed>, u64) {
        self.captures.get_mut(k).map_or((Vec::new(), 0), |c| {
            c.bytes = 0;
            (
                std::mem::take(&mut c.frames),
                std::mem::take(&mut c.dropped),
            )
        })
    }

    /// Closes capture `k`: later worlds do not feed it.
    pub fn close_capture(&mut self, k: usize) {
        if let Some(c) = self.captures.get_mut(k) {
            c.open = false;
            c.frames = Vec::new();
            c.bytes = 0;
        }
    }

    /// The NIC of the world that stands for interface `iface` (one of [`Sandbox::ifaces`];
    /// [`Sandbox::world`] puts each in the world).
    pub fn nic(&self, iface: usize) -> Option<NicId> {
        let at = self.ifaces.get(iface)?.at;
        self.nics.iter().position(|n| *n == at).and_then(NicId::new)
    }

    /// Container `name` of this host (the host's own node, [`HOST_NODE`], is none).
    fn named(&self, name: &str) -> Option<&super::Container> {
        let state = &self.daemon.state;
        if name == HOST_NODE {
            return None;
        }
        state
            .names
            .get(name)
            .and_then(|id| state.containers.get(id))
    }

    /// What container `name` of this host serves (nothing when it does not run).
    fn served_by(&self, name: &str) -> super::container::Served {
        self.named(name)
            .map(|c| c.served(self.daemon.image(&c.config.image).as_ref()))
            .unwrap_or_default()
    }

    /// What the container behind NIC `n` of `world` serves: one of this host's, or, for an
    /// overlay peer on another host, what its host said it serves.
    pub fn served_at(&self, world: &World, n: NicId) -> super::container::Served {
        let remote = self
            .nics
            .get(n.index())
            .and_then(|at| self.daemon.remote_endpoint(*at));
        match remote {
            Some(ep) => self
                .daemon
                .host
                .remote_served
                .get(&ep.container_id)
                .cloned()
                .unwrap_or_default(),
            None => self.served_by(world.nic_container(n)),
        }
    }

    /// The TCP servers running container `name`'s program listens with: its image's, when
    /// it runs the image's own command (`docker run redis`, not `docker run redis sh`).
    pub fn services(&self, name: &str) -> Vec<(u16, super::image::Service)> {
        self.served_by(name).tcp
    }

    /// The TCP ports container `name`'s background programs listen on with an IPv4 socket
    /// only (the rest bind `::`, both families).
    pub fn ipv4_only_ports(&self, name: &str) -> Vec<u16> {
        self.named(name)
            .map(|c| {
                c.processes
                    .iter()
                    .filter(|p| p.ipv4_only)
                    .flat_map(|p| p.listens.iter().map(|(port, _)| *port))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The UDP servers container `name`'s background programs run (`nc -lu`).
    pub fn udp_services(&self, name: &str) -> Vec<(u16, super::image::Service)> {
        self.served_by(name).udp
    }

    /// `ip link set DEV up|down`: the kernel drops the routes through a link it takes
    /// down (its subnet's, the default if it held it, the added ones), and bringing it up
    /// again restores only the subnet's (`fib_sync_down_dev`; the address's prefix route).
    pub fn set_link(&mut self, dev: &str, up: bool) {
        let had_default = self
            .ifaces
            .iter()
            .any(|i| i.name == dev && i.gateway.is_some() && i.up);
        // addrconf_ifdown: a link going down loses its global IPv6 address and the routes
        // through it; coming up brings back only the link-local one.
        let had_ipv6 = self
            .ifaces
            .iter()
            .any(|i| i.name == dev && i.ipv6.is_some() && i.up);
        let Some(c) = self.daemon.state.containers.get_mut(&self.cid) else {
            return;
        };
        if up {
            c.links_down.retain(|d| d != dev);
        } else if !c.links_down.iter().any(|d| d == dev) {
            c.links_down.push(dev.to_string());
            c.routes.retain(|r| r.dev != dev);
            if had_default {
                c.no_default_route = true;
            }
            if had_ipv6 && !c.ipv6_flushed.iter().any(|d| d == dev) {
                c.ipv6_flushed.push(dev.to_string());
            }
        }
        for i in &mut self.ifaces {
            if i.name == dev {
                i.up = up;
                if !up {
                    (i.ipv6, i.gateway6) = (None, None);
                }
            }
        }
    }

    /// `ip addr add ADDR/LEN dev DEV` (the caller checked the device and the capability):
    /// false if DEV has the address already with that prefix (`EEXIST`).
    pub fn add_address(&mut self, dev: &str, ip: Ipv4Addr, len: u8) -> bool {
        let Some(i) = self.ifaces.iter_mut().find(|i| i.name == dev) else {
            return false;
        };
        if i.all().any(|(a, l)| a == ip && l == len) {
            return false;
        }
        i.added.push((ip, len));
        if let Some(c) = self.daemon.state.containers.get_mut(&self.cid) {
            c.addresses.push(super::container::AddedAddress {
                dev: dev.to_string(),
                ip,
                len,
            });
        }
        true
    }

    /// `ip addr del ADDR dev DEV` of an address `ip addr add` gave (the caller checked it
    /// is not Docker's, which comes first): busybox sends the local address alone, so the
    /// kernel (`inet_rtm_deladdr`) takes the first address of DEV's list that has it,
    /// whatever its prefix length, and with `promote_secondaries=0` (a new namespace's
    /// default) a primary takes its secondaries with it. False if DEV has no such address
    /// (`EADDRNOTAVAIL`).
    pub fn del_address(&mut self, dev: &str, ip: Ipv4Addr) -> bool {
        let Some(i) = self.ifaces.iter_mut().find(|i| i.name == dev) else {
            return false;
        };
        // The list's order: the primaries as added, then the secondaries.
        let n = i.added.len();
        let mut order = (0..n)
            .filter(|&k| i.added_primary(k))
            .chain((0..n).filter(|&k| !i.added_primary(k)));
        let Some(k) = order.find(|&k| i.added.get(k).is_some_and(|a| a.0 == ip)) else {
            return false;
        };
        let Some(&(a, len)) = i.added.get(k) else {
            return false;
        };
        let primary = i.added_primary(k);
        let net = |x: Ipv4Addr| u32::from(x) & mask(len);
        let mut x = 0;
        i.added.retain(|&(b, l)| {
            let gone = x == k || (primary && l == len && net(b) == net(a));
            x += 1;
            !gone
        });
        let left = i.added.clone();
        if let Some(c) = self.daemon.state.containers.get_mut(&self.cid) {
            c.addresses.retain(|a| a.dev != dev);
            c.addresses.extend(
                left.into_iter()
                    .map(|(ip, len)| super::container::AddedAddress {
                        dev: dev.to_string(),
                        ip,
                        len,
                    }),
            );
        }
        true
    }

    /// The processes running in the container as its PID namespace numbers them, with
    /// their command lines (`top`), and the PID the next one started gets.
    pub fn processes(&self) -> (Vec<(u32, String, String)>, u32) {
        let Some(c) = self.daemon.state.containers.get(&self.cid) else {
            return (Vec::new(), 1);
        };
        let passwd = self.user_files().0;
        let list: Vec<(u32, String, String)> = c
            .ps(self.daemon.main_uid(c))
            .into_iter()
            .map(|p| {
                (
                    c.namespace_pid(p.pid),
                    self.user_label(&passwd, p.uid),
                    p.command,
                )
            })
            .collect();
        (list, c.namespace_pid(c.next_pid()))
    }

    /// User `uid` as the container's programs name it: its name in `passwd`, else the
    /// number.
    fn user_label(&self, passwd: &str, uid: u32) -> String {
        user::user_name(passwd, uid).map_or_else(|| uid.to_string(), str::to_string)
    }

    /// The name the command's user has in the container (`top`'s USER), else its number.
    pub fn user_label_of_self(&self) -> String {
        self.user_label(&self.user_files().0, self.uid())
    }

    /// Whether this runs the container's own command (its PID 1).
    pub fn is_main(&self) -> bool {
        self.main
    }

    /// Marks this as the run of the container's main command (see [`Sandbox::start_process`]).
    pub fn running_main(mut self) -> Self {
        self.main = true;
        self
    }

    /// Leaves `p` running in the container (`exec -d`): its ports serve from now on.
    /// Returns false when the container holds [`MAX_PROCESSES`](super::container::MAX_PROCESSES)
    /// already.
    pub fn start_process(&mut self, mut p: super::container::Process) -> bool {
        let now = self.now();
        p.uid = self.uid();
        let Some(c) = self.daemon.state.containers.get_mut(&self.cid) else {
            return false;
        };
        if c.processes.len() >= super::container::MAX_PROCESSES {
            return false;
        }
        let pid = if self.main { c.main_pid_free() } else { None };
        p.pid = pid.unwrap_or_else(|| c.next_pid());
        p.started = Some(now);
        c.processes.push(p);
        true
    }

    /// Keeps what the run changed: counters, ARP caches, the clock.
    pub fn write_back(&mut self, world: &World) {
        for c in self.captures.iter_mut().filter(|c| c.open) {
            let Some(i) = c.sniffer.take() else {
                continue;
            };
            // The several worlds of one command share the capture's buffer.
            let (frames, dropped) = world.sniffed(i);
            c.dropped += dropped;
            for f in frames {
                if c.bytes + f.frame.len() > SNIFF_BYTES {
                    c.dropped += 1;
                } else {
                    c.bytes += f.frame.len();
                    c.frames.push(f.clone());
                }
            }
        }
        for (cid, x, i) in std::mem::take(&mut self.background) {
            let Some(cap) = self
                .daemon
                .state
                .containers
                .get_mut(&cid)
                .and_then(|c| c.captures.get_mut(x))
            else {
                continue;
            };
            let (frames, dropped) = world.sniffed(i);
            cap.dropped += dropped;
            for f in frames {
                if cap.bytes + f.frame.len() > super::container::CAPTURE_BYTES {
                    cap.dropped += 1;
                } else {
                    cap.bytes += f.frame.len();
                    cap.frames.push(super::container::CapturedFrame {
                        at: f.at,
                        frame: f.frame.clone(),
                    });
                }
            }
        }
        self.daemon.write_back(world, &self.nics);
        if !self.nics.is_empty() {
            // The interfaces' counters are the engine's again.
            self.ifaces = self.daemon.ifaces(&self.cid);
        }
    }
}

/// Container `c`'s main table over its interfaces `ifaces` (see [`Sandbox::routes`]).
fn routes_of(c: Option<&super::Container>, ifaces: &[Iface]) -> Vec<Route> {
    let mut out = Vec::new();
    let no_default = c.is_some_and(|c| c.no_default_route);
    let statics = c.map_or(&[][..], |c| &c.routes[..]);
    for (k, i) in ifaces.iter().enumerate().filter(|(_, i)| i.up) {
        if let Some(gw) = i.gateway.filter(|_| !no_default) {
            out.push(Route {
                dst: Ipv4Addr::UNSPECIFIED,
                len: 0,
                via: Some(gw),
                dev: k,
                src: None,
            });
        }
    }
    for (k, i) in ifaces.iter().enumerate().filter(|(_, i)| i.up) {
        out.push(Route {
            dst: i.subnet(),
            len: i.len,
            via: None,
            dev: k,
            src: Some(i.ip),
        });
        // An added primary address brings its prefix route (a /32 none).
        for (x, (ip, len)) in i.added.iter().enumerate() {
            if *len < 32 && i.added_primary(x) {
                out.push(Route {
                    dst: Ipv4Addr::from(u32::from(*ip) & mask(*len)),
                    len: *len,
                    via: None,
                    dev: k,
                    src: Some(*ip),
                });
            }
        }
    }
    for r in statics.iter().filter(|r| r.len <= 32) {
        let Some(k) = ifaces.iter().position(|i| i.name == r.dev) else {
            continue;
        };
        if r.via
            .is_some_and(|v| !ifaces.get(k).is_some_and(|i| i.on_link(v)))
        {
            continue;
        }
        out.push(Route {
            dst: r.dst,
            len: r.len,
            via: r.via,
            dev: k,
            src: None,
        });
    }
    // The FIB dump's order: by destination, the longer prefix of one address first.
    out.sort_by_key(|r| (u32::from(r.dst), std::cmp::Reverse(r.len)));
    out
}

/// The interface index of a container's `k`-th interface (eth`k`), and of its veth peer on
/// the host.
///
/// Linux numbers interfaces per host as they are created; a veth pair's container end is
/// registered first (drivers/net/veth.c `veth_newlink`), so it gets `n` and the host end
/// `n + 1`, and the container end keeps `n` when it moves into the namespace
/// (`dev_change_net_namespace`), hence `5886: eth0@if5887`. vnet keeps no host-wide count:
/// it derives `n` for eth0 from the container's ID (the host's own interfaces taking the
/// indices below 6), then 2 more for each further interface (`ethK`: `n + 2K`), so indices
/// are even, grow with the interface number, stay the same for the container's life and are
/// the same on every replay.
pub fn link_index(cid: &str, k: usize) -> (u32, u32) {
    let h = cid
        .get(..3)
        .and_then(|x| u32::from_str_radix(x, 16).ok())
        .unwrap_or(0);
    let n = 6 + 2 * (h % 1000) + 2 * k as u32;
    (n, n + 1)
}

/// The host's MAC on a bridge (derived from the network ID, like a random bridge MAC).
fn host_mac(net: &Network) -> [u8; 6] {
    let b = |i: usize| {
        net.id
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    [0x02, 0x42, b(0), b(2), b(4), b(6)]
}

impl Daemon {
    /// The endpoint at `at`'s indices, if the state still has it.
    fn endpoint(&self, at: NicRef) -> Option<&Endpoint> {
        let (_, net) = self.state.networks.get_index(at.network)?;
        net.endpoints.get_index(at.endpoint).map(|(_, e)| e)
    }

    /// The container's interfaces in attach order (eth0, eth1, ...), and which one holds the
    /// default route: libnetwork's `Endpoint.Less` orders endpoints by `GwPriority` (highest
    /// first), puts internal networks last, then orders by network name; the first one's
    /// gateway is the default.
    fn ifaces(&self, cid: &str) -> Vec<Iface> {
        let mut out = Vec::new();
        let Some(c) = self.state.containers.get(cid) else {
            return out;
        };
        // libnetwork's selectGatewayEndpoint over the endpoints in `Endpoint.Less` order:
        // the first dual-stack one gives both defaults, else the first with each family's
        // gateway gives that family's.
        let mut order: Vec<(usize, &Network, i64, bool, bool)> = c
            .endpoints()
            .filter_map(|s| {
                let (k, _, n) = self.state.networks.get_full(&s.network_id)?;
                let ep = n.endpoints.get(s.endpoint_id.as_ref()?)?;
                let routed = !n.internal && n.driver == Driver::Bridge;
                let v4 = routed && n.pool_v4().and_then(|p| p.gateway).is_some();
                let v6 = routed
                    && n.enable_ipv6
                    && ep.ipv6.is_some()
                    && n.pool_v6().and_then(|p| p.gateway).is_some();
                Some((k, n, s.gw_priority, v4, v6))
            })
            .collect();
        order.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| a.1.internal.cmp(&b.1.internal))
                .then_with(|| a.1.name.cmp(&b.1.name))
        });
        let (mut default_net, mut default_net6) = (None, None);
        for &(k, _, _, v4, v6) in &order {
            if v4 && v6 {
                (default_net, default_net6) = (Some(k), Some(k));
                break;
            }
            if v4 && default_net.is_none() {
                default_net = Some(k);
            }
            if v6 && default_net6.is_none() {
                default_net6 = Some(k);
            }
        }
        for s in c.endpoints() {
            let (Some(ep_id), Some((network, _, net))) =
                (&s.endpoint_id, self.state.networks.get_full(&s.network_id))
            else {
                continue;
            };
            let Some((endpoint, _, ep)) = net.endpoints.get_full(ep_id) else {
                continue;
            };
            let Some((IpAddr::V4(ip), len)) = ep.ipv4 else {
                continue;
            };
            let gateway = match net.pool_v4().and_then(|p| p.gateway) {
                Some(IpAddr::V4(gw)) if default_net == Some(network) => Some(gw),
                _ => None,
            };
            let gateway6 = match net.pool_v6().and_then(|p| p.gateway) {
                Some(IpAddr::V6(gw)) if default_net6 == Some(network) => Some(gw),
                _ => None,
            };
            let name = s
                .ifname
                .clone()
                .unwrap_or_else(|| format!("eth{}", out.len()));
            let k = name
                .strip_prefix("eth")
                .and_then(|n| n.parse().ok())
                .unwrap_or(out.len());
            let (index, peer_index) = link_index(cid, k);
            let up = !c.links_down.contains(&name);
            let flushed = c.ipv6_flushed.contains(&name);
            let added = c
                .addresses
                .iter()
                .filter(|a| a.dev == name)
                .map(|a| (a.ip, a.len))
                .collect();
            let link_local = s
                .ipam_config
                .iter()
                .flat_map(|i| &i.link_local_ips)
                .filter_map(|a| a.parse().ok())
                .collect();
            out.push(Iface {
                up,
                added,
                link_local,
                name,
                at: NicRef { network, endpoint },
                mac: ep.mac.unwrap_or_default().0,
                ip,
                len,
                ipv6_enabled: net.enable_ipv6,
                ipv6: match ep.ipv6 {
                    Some((IpAddr::V6(a), l)) if net.enable_ipv6 && !flushed => Some((a, l)),
                    _ => None,
                },
                index,
                peer_index,
                gateway,
                gateway6: gateway6.filter(|_| !flushed),
                counters: ep.counters,
                // The driver's option, `com.docker.network.driver.mtu`; an overlay's
                // interfaces leave room for VXLAN.
                mtu: net
                    .options
                    .get("com.docker.network.driver.mtu")
                    .and_then(|m| m.parse().ok())
                    .filter(|m| (68..=65535).contains(m))
                    .unwrap_or(if net.driver == Driver::Overlay {
                        OVERLAY_MTU
                    } else {
                        crate::stack::MTU
                    }),
            });
        }
        out
    }

    /// A world with no stacks: a fresh generator, at the engine's clock.
    fn bare_world(&mut self, trace: bool, capture: bool) -> World {
        let n = self.state.counters.entry("world".into()).or_insert(0);
        let label = format!("world/{n}");
        *n += 1;
        let mut world = World::new(self.state.seed, &label, self.now());
        world.set_budget(self.host.budget);
        if trace {
            world.enable_trace();
        }
        if capture {
            world.enable_capture();
        }
        world
    }

    /// What legacy links open through `enable_icc=false` on network `net` (the default
    /// bridge, where they live): for each running container's link, each port the target
    /// exposes, from the container's address to the target's (see
    /// [`crate::engine::rule::IccException`]).
    fn link_exceptions(&self, net: &super::Network) -> Vec<crate::engine::rule::IccException> {
        let addr = |cid: &str| {
            net.endpoints
                .values()
                .find(|e| e.container_id == cid)
                .and_then(|e| match e.ipv4 {
                    Some((IpAddr::V4(ip), _)) => Some(ip),
                    _ => None,
                })
        };
        let mut out = Vec::new();
        for parent in self.state.containers.values().filter(|c| c.is_running()) {
            let Some(from) = addr(&parent.id) else {
                continue;
            };
            for link in &parent.host_config.links {
                // `/target:/name/alias`
                let target = link
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('/');
                let Some(child) = self
                    .state
                    .names
                    .get(target)
                    .and_then(|id| self.state.containers.get(id))
                    .filter(|c| c.is_running())
                else {
                    continue;
                };
                let Some(to) = addr(&child.id) else {
                    continue;
                };
                for p in &child.config.exposed_ports {
                    let (port, proto) = p.split_once('/').unwrap_or((p.as_str(), "tcp"));
                    let protocol = match proto {
                        "tcp" => 6,
                        "udp" => 17,
                        _ => continue,
                    };
                    if let Ok(port) = port.parse() {
                        out.push(crate::engine::rule::IccException {
                            parent: from,
                            child: to,
                            protocol,
                            port,
                        });
                    }
                }
            }
        }
        out
    }

    /// The networks a frame from `cid` can reach: its own, and those of every running
    /// container with `ip_forward=1` on one already reached (a router joins its networks;
    /// the host joins none).
    fn reachable_networks(&self, cid: &str, me: &str) -> Vec<usize> {
        let mut mine: Vec<usize> = self.ifaces(cid).into_iter().map(|i| i.at.network).collect();
        let mut k = 0;
        while let Some(&n) = mine.get(k) {
            k += 1;
            let Some((_, net)) = self.state.networks.get_index(n) else {
                continue;
            };
            for e in net.endpoints.values().filter(|e| net.is_local(e, me)) {
                let Some(c) = self.state.containers.get(&e.container_id) else {
                    continue;
                };
                if !c.is_running() || !c.ip_forward() {
                    continue;
                }
                for i in self.ifaces(&c.id) {
                    if !mine.contains(&i.at.network) {
                        mine.push(i.at.network);
                    }
                }
            }
        }
        mine
    }

    /// Builds the world a command in `cid` runs in. Returns it and, per NIC, the endpoint
    /// it stands for.
    ///
    /// Only the bridges of `cid`'s networks and the running containers on them take part:
    /// the host forwards nothing between bridges, so no frame of this command can reach
    /// anyone else. The host still owns every other bridge's gateway address. NICs are added
    /// in the order of the containers' creation, then of their interfaces, so each stack's
    /// seed does not depend on the size of the host.
    fn world(
        &mut self,
        cid: &str,
        on_host: bool,
        trace: bool,
        capture: bool,
    ) -> (World, Vec<NicRef>) {
        let mut world = self.bare_world(trace, capture);
        let me = self.host.node.clone();
        // The host is on every bridge network of its own.
        let mine: Vec<usize> = if on_host {
            self.state
                .networks
                .values()
                .enumerate()
                .filter(|(_, n)| n.driver == Driver::Bridge)
                .map(|(k, _)| k)
                .collect()
        } else {
            self.reachable_networks(cid, &me)
        };
        // Bridges by (network, host): a bridge network is on this host only; an overlay
        // network has a bridge on every host with a container on it, joined by VXLAN.
        let mut bridge_of: BTreeMap<(usize, &str), BridgeId> = BTreeMap::new();
        let mut underlay: BTreeMap<&str, HostId> = BTreeMap::new();
        for (k, net) in self.state.networks.values().enumerate() {
            let gateway = match net.pool_v4().and_then(|p| p.gateway) {
                Some(IpAddr::V4(g)) => Some(g),
                _ => None,
            };
            let gateway6 = match net.pool_v6().and_then(|p| p.gateway) {
                Some(IpAddr::V6(g)) if net.enable_ipv6 => Some(g),
                _ => None,
            };
            if net.driver == Driver::Bridge
                && let Some(IpAddr::V4(a)) = net.pool_v4().map(|p| p.subnet.addr)
                && let Some(len) = net.pool_v4().map(|p| p.subnet.len)
            {
                world.add_docker_subnet(a, len);
            }
            match net.driver {
                Driver::Bridge if !mine.contains(&k) => {
                    if let Some(g) = gateway {
                        world.add_host_address(g);
                    }
                    if let Some(g) = gateway6 {
                        world.add_host_address6(g);
                    }
                }
                Driver::Bridge => {
                    let b = world.add_bridge(BridgeSpec {
                        name: net.name.clone(),
                        gateway,
                        gateway6,
                        host_mac: host_mac(net),
                        // The bridge driver reads the option with strconv.ParseBool.
                        icc: !matches!(
                            net.options
                                .get("com.docker.network.bridge.enable_icc")
                                .map(|v| v.as_str()),
                            Some("0" | "f" | "F" | "FALSE" | "false" | "False")
                        ),
                        icc_allow: self.link_exceptions(net),
                        link: self.link(&net.id).into(),
                        // The host's own stack takes the host's place when it runs a
                        // command itself.
                        node: if on_host {
                            BridgeNode::Nobody
                        } else {
                            BridgeNode::Host
                        },
                    });
                    bridge_of.insert((k, me.as_str()), b);
                }
                Driver::Overlay if mine.contains(&k) => {
                    let hosts: Vec<&(String, Ipv4Addr)> = self
                        .host
                        .peers
                        .iter()
                        .filter(|(h, _)| *h == me || net.endpoints.values().any(|e| e.host == *h))
                        .collect();
                    for (n, (h, _)) in hosts.iter().enumerate() {
                        let mut mac = host_mac(net);
                        mac[5] ^= n as u8;
                        let b = world.add_bridge(BridgeSpec {
                            name: format!("{}@{h}", net.name),
                            gateway,
                            gateway6,
                            host_mac: mac,
                            icc: true,
                            icc_allow: Vec::new(),
                            link: Default::default(),
                            node: BridgeNode::Namespace,
                        });
                        bridge_of.insert((k, h.as_str()), b);
                    }
                    if hosts.len() < 2 {
                        continue;
                    }
                    for (h, ip) in &hosts {
                        underlay.entry(h.as_str()).or_insert_with(|| {
                            let o = ip.octets();
                            world.add_underlay_host(UnderlayHostSpec {
                                name: h.clone(),
                                ip: *ip,
                                mac: [0x02, 0x00, o[0], o[1], o[2], o[3]],
                            })
                        });
                    }
                    for (h, _) in &hosts {
                        let remote = net
                            .endpoints
                            .values()
                            .filter(|e| e.host != *h)
                            .filter_map(|e| {
                                let there = *underlay.get(e.host.as_str())?;
                                let Some((IpAddr::V4(ip), _)) = e.ipv4 else {
                                    return None;
                                };
                                let vni = net.vni_for(IpAddr::V4(ip))?;
                                Some(Remote {
                                    ip,
                                    mac: e.mac?.0,
                                    host: there,
                                    vni,
                                })
                            })
                            .collect();
                        // Both were added above, for each of `hosts`.
                        if let (Some(&bridge), Some(&host)) =
                            (bridge_of.get(&(k, h.as_str())), underlay.get(h.as_str()))
                        {
                            world.add_vtep(VtepSpec {
                                bridge,
                                host,
                                vnis: net.vnis.clone(),
                                remote,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        for &g in &self.state.unloaded_gateways {
            world.add_host_address(g);
        }
        for (a, b) in &self.host.cuts {
            if let (Some(&x), Some(&y)) = (underlay.get(a.as_str()), underlay.get(b.as_str())) {
                world.cut(x, y);
            }
        }
        // The running containers of this host that share a network with `cid`, in creation
        // order.
        let mut containers: Vec<usize> = mine
            .iter()
            .filter_map(|&n| self.state.networks.get_index(n))
            .flat_map(|(_, net)| net.endpoints.values().filter(|e| net.is_local(e, &me)))
            .filter_map(|e| self.state.containers.get_full(&e.container_id))
            .filter(|(_, _, c)| c.is_running())
            .map(|(k, _, _)| k)
            .collect();
        containers.sort_unstable();
        containers.dedup();
        // Each network's endpoints by address, for the ARP caches.
        let by_ip: BTreeMap<usize, FxHashMap<Ipv4Addr, &Endpoint>> = mine
            .iter()
            .filter_map(|&k| Some((k, self.state.networks.get_index(k)?.1)))
            .map(|(k, net)| {
                let m = net
                    .endpoints
                    .values()
                    .filter_map(|e| match e.ipv4 {
                        Some((IpAddr::V4(ip), _)) => Some((ip, e)),
                        _ => None,
                    })
                    .collect();
                (k, m)
            })
            .collect();
        let mut nics = Vec::new();
        let no_peers = FxHashMap::default();
        let mut add = |world: &mut World,
                       container: &str,
                       i: Iface,
                       bridge: BridgeId,
                       known: Vec<(Ipv4Addr, [u8; 6])>,
                       gateway: Option<Ipv4Addr>,
                       routes: Vec<(Ipv4Addr, u8, Ipv4Addr)>| {
            let peers = by_ip.get(&i.at.network).unwrap_or(&no_peers);
            let mut neighbors = self.restorable_neighbors(&i, peers);
            for k in known {
                if !neighbors.contains(&k) {
                    neighbors.push(k);
                }
            }
            let ipv6 = i.ipv6.into_iter().chain(i.link_local().map(|a| (a, 64)));
            let neighbors6 = self.restorable_neighbors6(&i);
            let id = world.add_nic(NicSpec {
                neighbors6,
                ipv6: ipv6.collect(),
                container: container.to_string(),
                ifname: i.name,
                bridge,
                mac: i.mac,
                ipv4: (i.ip, i.len),
                extra: i.added.clone(),
                gateway,
                routes,
                counters: i.counters.into(),
                neighbors,
                gateway6: i.gateway6,
                mtu: i.mtu,
            });
            nics.push(i.at);
            id
        };
        for k in containers {
            let Some((_, c)) = self.state.containers.get_index(k) else {
                continue;
            };
            let ifaces = self.ifaces(&c.id);
            let table = routes_of(Some(c), &ifaces);
            let multi = ifaces.len() > 1;
            let addresses: Vec<Ipv4Addr> = ifaces
                .iter()
                .flat_map(|i| i.all().map(|(a, _)| a))
                .collect();
            let mut ids = Vec::new();
            for (x, i) in ifaces.into_iter().enumerate() {
                let Some(&b) = bridge_of.get(&(i.at.network, me.as_str())) else {
                    continue;
                };
                // A link that is down has no carrier: its bridge port forwards nothing.
                if !i.up {
                    continue;
                }
                let mine = table.iter().filter(|r| r.dev == x);
                let gateway = mine.clone().find(|r| r.len == 0).and_then(|r| r.via);
                let routes = mine
                    .filter(|r| r.len > 0)
                    .filter_map(|r| Some((r.dst, r.len, r.via?)))
                    .take(crate::stack::MAX_ROUTES)
                    .collect();
                ids.push((
                    x,
                    add(&mut world, &c.name, i, b, Vec::new(), gateway, routes),
                ));
            }
            if multi || c.ip_forward() || !c.routes.is_empty() || c.no_default_route {
                let routes = table
                    .iter()
                    .filter_map(|r| {
                        Some(RouterRoute {
                            net: r.dst,
                            len: r.len,
                            via: r.via,
                            nic: ids.iter().find(|(x, _)| *x == r.dev)?.1,
                        })
                    })
                    .collect();
                world.add_router(RouterSpec {
                    nics: ids.iter().map(|(_, id)| *id).collect(),
                    routes,
                    addresses,
                    forward: c.ip_forward(),
                    host: false,
                });
            }
        }
        // Other hosts' containers on the overlay networks, whose endpoints the store holds.
        for &k in &mine {
            let Some((_, net)) = self.state.networks.get_index(k) else {
                continue;
            };
            if !net.global {
                continue;
            }
            for (e, ep) in net.endpoints.values().enumerate() {
                let Some(&b) = bridge_of.get(&(k, ep.host.as_str())) else {
                    continue;
                };
                let Some((IpAddr::V4(ip), len)) = ep.ipv4 else {
                    continue;
                };
                if ep.host == me || !self.host.live_endpoints.contains(&ep.id) {
                    continue;
                }
                let i = Iface {
                    added: Vec::new(),
                    link_local: Vec::new(),
                    name: if ep.ifname.is_empty() {
                        "eth0".to_string()
                    } else {
                        ep.ifname.clone()
                    },
                    at: NicRef {
                        network: k,
                        endpoint: e,
                    },
                    mac: ep.mac.unwrap_or_default().0,
                    ip,
                    len,
                    ipv6_enabled: net.enable_ipv6,
                    ipv6: match ep.ipv6 {
                        Some((IpAddr::V6(a), l)) if net.enable_ipv6 => Some((a, l)),
                        _ => None,
                    },
                    index: 0,
                    peer_index: 0,
                    gateway: None,
                    gateway6: None,
                    counters: ep.counters,
                    mtu: OVERLAY_MTU,
                    up: true,
                };
                // The peers its host's VTEP answers ARP for. A Linux stack would ask and
                // queue its echo reply meanwhile; smoltcp would drop the reply, so the answer
                // is taken as known (the pinger's side still asks, on the wire).
                let known = net
                    .endpoints
                    .values()
                    .filter(|o| o.host != ep.host)
                    .filter_map(|o| match o.ipv4 {
                        Some((IpAddr::V4(a), _)) => Some((a, o.mac.unwrap_or_default().0)),
                        _ => None,
                    })
                    .collect();
                add(&mut world, &ep.name, i, b, known, None, Vec::new());
            }
        }
        if on_host {
            let mut ids = Vec::new();
            for i in self.host_ifaces() {
                let Some(&b) = bridge_of.get(&(i.at.network, me.as_str())) else {
                    continue;
                };
                ids.push(add(
                    &mut world,
                    HOST_NODE,
                    i,
                    b,
                    Vec::new(),
                    None,
                    Vec::new(),
                ));
            }
            let routes = self
                .host_ifaces()
                .iter()
                .zip(&ids)
                .map(|(i, id)| RouterRoute {
                    net: i.subnet(),
                    len: i.len,
                    via: None,
                    nic: *id,
                })
                .collect();
            let addresses = self.host_ifaces().iter().map(|i| i.ip).collect();
            world.add_router(RouterSpec {
                nics: ids,
                routes,
                addresses,
                forward: false,
                host: true,
            });
        }
        (world, nics)
    }

    /// The endpoint NIC `at` stands for, if it is another host's container's (an overlay
    /// peer whose servers its own host knows).
    fn remote_endpoint(&self, at: NicRef) -> Option<&Endpoint> {
        let (_, net) = self.state.networks.get_index(at.network)?;
        let (_, ep) = net.endpoints.get_index(at.endpoint)?;
        (!net.is_local(ep, &self.host.node)).then_some(ep)
    }

    /// The host's interfaces on its bridge networks: each bridge device holding its
    /// network's gateway, with the host's MAC on that bridge.
    fn host_ifaces(&self) -> Vec<Iface> {
        let mut out = Vec::new();
        for (k, net) in self.state.networks.values().enumerate() {
            if net.driver != Driver::Bridge {
                continue;
            }
            let Some(p) = net.pool_v4() else {
                continue;
            };
            let (Some(IpAddr::V4(gw)), IpAddr::V4(_)) = (p.gateway, p.subnet.addr) else {
                continue;
            };
            out.push(Iface {
                added: Vec::new(),
                link_local: Vec::new(),
                name: net.bridge_name(),
                at: NicRef {
                    network: k,
                    endpoint: usize::MAX,
                },
                mac: host_mac(net),
                ip: gw,
                len: p.subnet.len,
                ipv6_enabled: false,
                ipv6: None,
                // lo is 1 and the host's own NIC 2; the bridges follow in creation order.
                index: 3 + out.len() as u32,
                peer_index: 0,
                gateway: None,
                gateway6: None,
                counters: InterfaceCounters::default(),
                mtu: crate::stack::MTU,
                up: true,
            });
        }
        out
    }

    /// The ARP entries a NIC starts a command with: those it learned less than 60 s ago
    /// (smoltcp's lifetime) that still name a running endpoint with that address and MAC, and
    /// whose owner knows this NIC too. (smoltcp drops an echo reply it cannot address rather
    /// than queueing it behind an ARP request as Linux does; restoring only entries both sides
    /// hold keeps that difference from showing.) `peers` are the network's endpoints by
    /// address.
    fn restorable_neighbors(
        &self,
        i: &Iface,
        peers: &FxHashMap<Ipv4Addr, &Endpoint>,
    ) -> Vec<(Ipv4Addr, [u8; 6])> {
        let now = self.now();
        let fresh = |at: Instant| now - at < Duration::from_secs(60);
        let Some(me) = self.endpoint(i.at) else {
            return Vec::new();
        };
        me.neighbors
            .iter()
            .filter(|(_, _, at)| fresh(*at))
            .filter(|(ip, mac, _)| {
                peers.get(ip).is_some_and(|peer| {
                    peer.mac.map(|m| m.0) == Some(*mac)
                        && peer
                            .neighbors
                            .iter()
                            .any(|(a, m, at)| *a == i.ip && *m == i.mac && fresh(*at))
                })
            })
            .map(|(ip, mac, _)| (*ip, *mac))
            .collect()
    }

    /// The IPv6 neighbour entries a NIC starts a command with, by the rule of
    /// [`Daemon::restorable_neighbors`]: fresh, still naming a running endpoint of the
    /// network with that address and MAC, and held the other way too.
    fn restorable_neighbors6(&self, i: &Iface) -> Vec<(Ipv6Addr, [u8; 6])> {
        let now = self.now();
        let fresh = |at: Instant| now - at < Duration::from_secs(60);
        let (Some(me), Some((_, net)), Some((mine, _))) = (
            self.endpoint(i.at),
            self.state.networks.get_index(i.at.network),
            i.ipv6,
        ) else {
            return Vec::new();
        };
        me.neighbors6
            .iter()
            .filter(|(_, _, at)| fresh(*at))
            .filter(|(ip, mac, _)| {
                net.endpoints.values().any(|peer| {
                    peer.ipv6.map(|(a, _)| a) == Some(IpAddr::V6(*ip))
                        && peer.mac.map(|m| m.0) == Some(*mac)
                        && peer
                            .neighbors6
                            .iter()
                            .any(|(a, m, at)| *a == mine && *m == i.mac && fresh(*at))
                })
            })
            .map(|(ip, mac, _)| (*ip, *mac))
            .collect()
    }

    /// Keeps what the run changed: counters, ARP caches, the clock.
    fn write_back(&mut self, world: &World, nics: &[NicRef]) {
        for (k, n) in nics.iter().enumerate() {
            let Some(e) = self
                .state
                .networks
                .get_index_mut(n.network)
                .and_then(|(_, net)| net.endpoints.get_index_mut(n.endpoint))
                .map(|(_, e)| e)
            else {
                continue;
            };
            let Some(k) = NicId::new(k) else {
                continue;
            };
            e.counters = world.counters(k).into();
            for (ip, mac, at) in world.neighbors(k) {
                e.neighbors.retain(|(a, _, _)| a != ip);
                e.neighbors.push((*ip, *mac, *at));
            }
            for (ip, mac, at) in world.neighbors6(k) {
                e.neighbors6.retain(|(a, _, _)| a != ip);
                e.neighbors6.push((*ip, *mac, *at));
            }
        }
        // A container's TCP to itself crossed its `lo`, where what is sent is received
        // in the same call (loopback_xmit counts both).
        for k in world.nic_ids().filter(|k| world.is_loopback_nic(*k)) {
            let n = world.counters(k);
            let name = world.nic_container(k);
            let Some(c) = self
                .state
                .names
                .get(name)
                .cloned()
                .and_then(|id| self.state.containers.get_mut(&id))
            else {
                continue;
            };
            c.lo.tx_packets += n.tx_packets;
            c.lo.tx_bytes += n.tx_bytes;
            c.lo.rx_packets += n.tx_packets;
            c.lo.rx_bytes += n.tx_bytes;
        }
        // A listener that serves one client (`nc -l` without `-k -e`) is gone once one came
        // (on another host's container, its own host ends it).
        for k in world.nic_ids() {
            let ports = world.accepted_ports(k);
            if ports.is_empty() {
                continue;
            }
            let remote = nics.get(k.index()).and_then(|at| self.remote_endpoint(*at));
            if let Some(ep) = remote {
                // Its own host ends them (see `Cluster::checkin`).
                let cid = ep.container_id.clone();
                self.host.remote_accepted.push((cid, ports));
                continue;
            }
            let name = world.nic_container(k).to_string();
            let Some(c) = self
                .state
                .names
                .get(&name)
                .cloned()
                .and_then(|id| self.state.containers.get_mut(&id))
            else {
                continue;
            };
            c.clients_came(&ports);
        }
        self.state.clock = world.now().max(self.state.clock);
    }
}
