//! Commands inside a container: a small busybox, as `docker exec` and `docker attach` reach it.
//!
//! `ping` runs on the simulated wire (the [`engine`](crate::engine)); `ifconfig`, `ip`,
//! `arp`, `hostname`, `cat /etc/hosts`, `cat /etc/resolv.conf` and `env` print the
//! container's state in busybox 1.36's formats (networking/ifconfig.c, interface.c,
//! networking/libiproute, networking/arp.c). Anything else is `sh: NAME: not found`, 127.
//!
//! The world a command runs in holds every bridge on the host (the host owns all their
//! gateways) and a stack for every running container that shares a network with the one the
//! command runs in: no frame can reach anyone else, since the host forwards nothing between
//! bridges. Counters and ARP caches are written back, and the clock moves by the time the
//! command took.

use super::Daemon;
use super::error::{Error, Kind, Result};
use super::network::{Endpoint, Network};
use crate::dns;
use crate::engine::ping::{PingOptions, Tally, ping};
use crate::engine::{BridgeNode, BridgeSpec, NicSpec, UnderlayHostSpec, VtepSpec, World};
use crate::stack::Counters;
use crate::time::{Duration, Instant};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// How to run a command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// `-t`: a terminal (`TERM=xterm` in the environment).
    pub tty: bool,
    /// Record a tcpdump-like line per frame.
    pub trace: bool,
    /// Record a pcapng capture.
    pub capture: bool,
}

/// busybox sh's prompt as root, shown on a terminal before each line.
pub const PROMPT: &str = "/ # ";
/// ctrl-p ctrl-q, Docker's detach keys.
pub const DETACH_KEYS: &str = "\u{10}\u{11}";

/// What a line typed into an attached shell did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachLine {
    /// It ran as a command.
    Ran(ExecResult),
    /// `exit N`: the shell, and with it the container, ended with this status.
    Exit(i32),
    /// The detach keys: the client lets go, the container keeps running.
    Detach,
}

/// What a command printed, its status, and what the wire saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecResult {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
    /// Trace lines, when asked for.
    pub trace: Vec<String>,
    /// A pcapng file, when asked for.
    pub capture: Option<Vec<u8>>,
}

impl ExecResult {
    fn out(stdout: String) -> ExecResult {
        ExecResult {
            stdout,
            ..Default::default()
        }
    }
    fn err(stderr: String, code: i32) -> ExecResult {
        ExecResult {
            stderr,
            code,
            ..Default::default()
        }
    }
}

/// Which endpoint a NIC of a world stands for, by its indices in the state's maps (which do
/// not change while a command runs).
#[derive(Clone, Copy, Debug)]
struct NicRef {
    network: usize,
    endpoint: usize,
}

/// An overlay interface's MTU: 1500 less VXLAN's 50 bytes (Docker's overlay driver).
pub const OVERLAY_MTU: usize = crate::stack::MTU - crate::wire::vxlan::OVERHEAD;

/// A container interface as the shell sees it.
struct Iface {
    name: String,
    /// The network's index in the state's networks.
    network: usize,
    /// The endpoint's index in that network's endpoints.
    endpoint: usize,
    mac: [u8; 6],
    ip: Ipv4Addr,
    len: u8,
    gateway: Option<Ipv4Addr>,
    counters: Counters,
    mtu: usize,
}

fn parse_mac(s: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (i, p) in s.split(':').take(6).enumerate() {
        m[i] = u8::from_str_radix(p, 16).unwrap_or(0);
    }
    m
}

use crate::engine::trace::colon_mac as mac_str;

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

/// The host's MAC on a bridge (derived from the network ID, like a random bridge MAC).
fn host_mac(net: &Network) -> [u8; 6] {
    let b = |i: usize| u8::from_str_radix(&net.id[i..i + 2], 16).unwrap_or(0);
    [0x02, 0x42, b(0), b(2), b(4), b(6)]
}

impl Daemon {
    /// The container's interfaces in attach order (eth0, eth1, ...), and which one holds the
    /// default route: libnetwork's `Endpoint.Less` puts internal networks last and orders the
    /// rest by network name (all `GwPriority` being 0); the first one's gateway is the default.
    fn ifaces(&self, cid: &str) -> Vec<Iface> {
        let c = &self.state.containers[cid];
        let mut out = Vec::new();
        let default_net = c
            .networks
            .values()
            .filter(|s| s.endpoint_id.is_some())
            .filter_map(|s| self.state.networks.get_full(&s.network_id))
            .filter(|(_, _, n)| !n.internal && n.driver == "bridge")
            .min_by(|a, b| a.2.name.cmp(&b.2.name))
            .map(|(k, _, _)| k);
        for s in c.networks.values() {
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
            out.push(Iface {
                name: s
                    .ifname
                    .clone()
                    .unwrap_or_else(|| format!("eth{}", out.len())),
                network,
                endpoint,
                mac: parse_mac(ep.mac.as_deref().unwrap_or_default()),
                ip,
                len,
                gateway,
                counters: ep.counters,
                // The driver's option, `com.docker.network.driver.mtu`; an overlay's
                // interfaces leave room for VXLAN.
                mtu: net
                    .options
                    .get("com.docker.network.driver.mtu")
                    .and_then(|m| m.parse().ok())
                    .filter(|m| (68..=65535).contains(m))
                    .unwrap_or(if net.driver == "overlay" {
                        OVERLAY_MTU
                    } else {
                        crate::stack::MTU
                    }),
            });
        }
        out
    }

    /// `POST /containers/{id}/exec` + start: runs a command in a running container.
    pub fn exec(&mut self, term: &str, argv: &[String], opts: &ExecOptions) -> Result<ExecResult> {
        let cid = self.find_container(term)?;
        if !self.state.containers[&cid].is_running() {
            return Err(Error::new(
                Kind::Conflict,
                format!("container {cid} is not running"),
            ));
        }
        Ok(self.shell(&cid, argv, opts))
    }

    /// One command line of the shell attached to a running container (`docker attach`).
    pub fn shell_in(&mut self, cid: &str, argv: &[String], opts: &ExecOptions) -> ExecResult {
        self.shell(cid, argv, opts)
    }

    /// One line typed into the attached shell of a running container (its main process,
    /// busybox `sh`): ctrl-p ctrl-q detaches, `exit [N]` ends the shell and so the container,
    /// anything else runs as a command.
    pub fn attach_line(&mut self, cid: &str, line: &str, opts: &ExecOptions) -> AttachLine {
        if line.contains(DETACH_KEYS) {
            return AttachLine::Detach;
        }
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        if words.first().map(|w| w.as_str()) == Some("exit") {
            let code = words.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
            self.container_exit(cid, code);
            return AttachLine::Exit(code);
        }
        if words.is_empty() {
            return AttachLine::Ran(ExecResult::default());
        }
        AttachLine::Ran(self.shell(cid, &words, opts))
    }

    /// One command line of the container's shell.
    pub(crate) fn shell(&mut self, cid: &str, argv: &[String], opts: &ExecOptions) -> ExecResult {
        let Some(cmd) = argv.first() else {
            return ExecResult::default();
        };
        let args: Vec<&str> = argv[1..].iter().map(|s| s.as_str()).collect();
        match (cmd.as_str(), args.as_slice()) {
            ("ping", _) => self.ping_cmd(cid, &args, opts),
            ("ifconfig", []) => ExecResult::out(self.ifconfig(cid, None)),
            ("ifconfig", [name]) => {
                let out = self.ifconfig(cid, Some(name));
                if out.is_empty() {
                    ExecResult::err(
                        format!(
                            "ifconfig: {name}: error fetching interface information: Device not found\n"
                        ),
                        1,
                    )
                } else {
                    ExecResult::out(out)
                }
            }
            ("ip", ["-4", rest @ ..]) => {
                let words: Vec<String> = std::iter::once("ip")
                    .chain(rest.iter().copied())
                    .map(String::from)
                    .collect();
                self.shell(cid, &words, opts)
            }
            (
                "ip",
                ["a" | "addr" | "address", "show" | "list", dev]
                | ["a" | "addr" | "address", "show" | "list", "dev", dev],
            ) => {
                let out = self.ip_addr(cid, Some(dev));
                if out.is_empty() {
                    ExecResult::err(format!("ip: can't find device '{dev}'\n"), 1)
                } else {
                    ExecResult::out(out)
                }
            }
            ("ip", [obj, rest @ ..]) if rest.is_empty() || rest == ["show"] || rest == ["list"] => {
                match *obj {
                    "a" | "addr" | "address" => ExecResult::out(self.ip_addr(cid, None)),
                    "r" | "ro" | "route" => ExecResult::out(self.ip_route(cid)),
                    "n" | "neigh" | "neighbor" | "neighbour" => ExecResult::out(self.ip_neigh(cid)),
                    _ => ExecResult::err(format!("ip: unknown command \"{obj}\"\n"), 1),
                }
            }
            ("arp", [] | ["-a"] | ["-n"] | ["-an"] | ["-na"]) => ExecResult::out(self.arp(cid)),
            ("hostname", []) => {
                ExecResult::out(format!("{}\n", self.state.containers[cid].config.hostname))
            }
            ("cat", ["/etc/hosts"]) => ExecResult::out(self.etc_hosts(cid)),
            ("cat", ["/etc/resolv.conf"]) => ExecResult::out(self.resolv_conf(cid)),
            ("cat", ["/etc/hostname"]) => {
                ExecResult::out(format!("{}\n", self.state.containers[cid].config.hostname))
            }
            ("cat", [path]) => ExecResult::err(
                format!("cat: can't open '{path}': No such file or directory\n"),
                1,
            ),
            ("env", []) => ExecResult::out(self.env(cid, opts.tty)),
            ("nslookup", [name]) => self.nslookup(cid, name, None, opts),
            ("nslookup", [name, server]) => self.nslookup(cid, name, Some(server), opts),
            ("getent", ["hosts", name]) => self.getent_hosts(cid, name, opts),
            ("true", _) => ExecResult::default(),
            ("false", _) => ExecResult::err(String::new(), 1),
            ("echo", words) => ExecResult::out(format!("{}\n", words.join(" "))),
            ("sh", ["-c", line]) => {
                let words: Vec<String> = line.split_whitespace().map(String::from).collect();
                self.shell(cid, &words, opts)
            }
            (other, _) => ExecResult::err(format!("sh: {other}: not found\n"), 127),
        }
    }

    fn ifconfig(&self, cid: &str, only: Option<&str>) -> String {
        let mut out = String::new();
        // busybox lists interfaces sorted by name.
        let mut ifaces = self.ifaces(cid);
        ifaces.sort_by(|a, b| a.name.cmp(&b.name));
        for i in ifaces {
            if only.is_some_and(|o| o != i.name) {
                continue;
            }
            let m = i.mac;
            out.push_str(&format!(
                "{:<10}Link encap:Ethernet  HWaddr {}\n",
                i.name,
                mac_str(&m).to_uppercase()
            ));
            out.push_str(&format!(
                "          inet addr:{}  Bcast:0.0.0.0  Mask:{}\n",
                i.ip,
                Ipv4Addr::from(mask(i.len))
            ));
            out.push_str(&format!(
                "          inet6 addr: {}/64 Scope:Link\n",
                link_local(&m)
            ));
            out.push_str(&format!(
                "          UP BROADCAST RUNNING MULTICAST  MTU:{}  Metric:1\n",
                i.mtu
            ));
            out.push_str(&counters_block(&i.counters));
        }
        if only.is_none_or(|o| o == "lo") {
            let lo = self.state.containers[cid].lo;
            out.push_str("lo        Link encap:Local Loopback\n");
            out.push_str("          inet addr:127.0.0.1  Mask:255.0.0.0\n");
            out.push_str("          inet6 addr: ::1/128 Scope:Host\n");
            out.push_str("          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n");
            out.push_str(&counters_block(&lo));
        }
        out
    }

    fn ip_addr(&self, cid: &str, only: Option<&str>) -> String {
        let mut out = String::new();
        if only.is_none_or(|d| d == "lo") {
            out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n");
        }
        let mut ifaces = self.ifaces(cid);
        ifaces.sort_by_key(|i| i.name.trim_start_matches("eth").parse::<u32>().unwrap_or(0));
        for i in &ifaces {
            if only.is_some_and(|d| d != i.name) {
                continue;
            }
            // lo is 1; ethN was created N-th in this namespace.
            let k = i
                .name
                .trim_start_matches("eth")
                .parse::<usize>()
                .unwrap_or(0);
            out.push_str(&format!(
                "{}: {}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {} qdisc noqueue \n    link/ether {} brd ff:ff:ff:ff:ff:ff\n    inet {}/{} scope global {}\n       valid_lft forever preferred_lft forever\n",
                k + 2,
                i.name,
                i.mtu,
                mac_str(&i.mac),
                i.ip,
                i.len,
                i.name
            ));
        }
        out
    }

    fn ip_route(&self, cid: &str) -> String {
        let ifaces = self.ifaces(cid);
        let mut out = String::new();
        for i in &ifaces {
            if let Some(gw) = i.gateway {
                out.push_str(&format!("default via {gw} dev {} \n", i.name));
            }
        }
        for i in &ifaces {
            let net = Ipv4Addr::from(u32::from(i.ip) & mask(i.len));
            out.push_str(&format!(
                "{net}/{} dev {} scope link  src {} \n",
                i.len, i.name, i.ip
            ));
        }
        out
    }

    /// ARP entries still alive (smoltcp keeps a neighbour 60 s; shown REACHABLE for the
    /// first 30 s as Linux's base_reachable_time, STALE after).
    fn neighbors(&self, cid: &str) -> Vec<(String, Ipv4Addr, [u8; 6], bool)> {
        let now = self.now();
        let mut out = Vec::new();
        for i in self.ifaces(cid) {
            let ep = &self.state.networks[i.network].endpoints[i.endpoint];
            for (ip, mac, at) in &ep.neighbors {
                let age = now - *at;
                if age <= Duration::from_secs(60) {
                    out.push((i.name.clone(), *ip, *mac, age <= Duration::from_secs(30)));
                }
            }
        }
        out
    }

    fn ip_neigh(&self, cid: &str) -> String {
        self.neighbors(cid)
            .into_iter()
            .map(|(dev, ip, mac, fresh)| {
                format!(
                    "{ip} dev {dev} lladdr {} {}\n",
                    mac_str(&mac),
                    if fresh { "REACHABLE" } else { "STALE" }
                )
            })
            .collect()
    }

    fn arp(&self, cid: &str) -> String {
        self.neighbors(cid)
            .into_iter()
            .map(|(dev, ip, mac, _)| format!("? ({ip}) at {} [ether]  on {dev}\n", mac_str(&mac)))
            .collect()
    }

    fn etc_hosts(&self, cid: &str) -> String {
        let c = &self.state.containers[cid];
        let mut out = String::from(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
        );
        for (_, ip, names) in &c.link_hosts {
            out.push_str(&format!("{ip}\t{names}\n"));
        }
        for i in self.ifaces(cid) {
            out.push_str(&format!("{}\t{}\n", i.ip, c.config.hostname));
        }
        out
    }

    /// `/etc/hosts` as the resolver reads it: the first line naming `name`, as (address,
    /// its names).
    fn hosts_entry(&self, cid: &str, name: &str) -> Option<(Ipv4Addr, String)> {
        let name = name.to_lowercase();
        self.etc_hosts(cid).lines().find_map(|l| {
            let (a, names) = l.split_once('\t')?;
            let ip: Ipv4Addr = a.parse().ok()?;
            names
                .split_whitespace()
                .any(|w| w.to_lowercase() == name)
                .then(|| (ip, names.to_string()))
        })
    }

    /// One question to the embedded DNS, on the wire: the query leaves on `lo` for
    /// 127.0.0.11:53, the resolver answers with this container's view, the answer comes back.
    fn dns_exchange(
        &mut self,
        world: &mut World,
        cid: &str,
        name: &str,
        rtype: RecordType,
    ) -> Option<dns::Reply> {
        let id = self.draw("dns/id", 65536) as u16;
        let port = 32768 + self.draw("dns/port", 28232) as u16;
        let cname = self.state.containers[cid].name.clone();
        let q = dns::query(id, name, rtype)?;
        let frame = dns::udp_frame((Ipv4Addr::LOCALHOST, port), (dns::RESOLVER, 53), &q);
        world.loopback(&cname, &frame);
        self.count_lo(cid, frame.len());
        let request = dns::udp_payload(&frame)?;
        let answer = dns::answer(request, |n, t| self.dns_answer(cid, n, t))?;
        let frame = dns::udp_frame((dns::RESOLVER, 53), (Ipv4Addr::LOCALHOST, port), &answer);
        world.loopback(&cname, &frame);
        self.count_lo(cid, frame.len());
        dns::read_reply(dns::udp_payload(&frame)?, id)
    }

    fn count_lo(&mut self, cid: &str, len: usize) {
        let lo = &mut self.state.containers.get_mut(cid).expect("running").lo;
        lo.tx_packets += 1;
        lo.rx_packets += 1;
        lo.tx_bytes += len as u64;
        lo.rx_bytes += len as u64;
    }

    /// How the container's libc finds an IPv4 address for `host`: a literal, `/etc/hosts`,
    /// then DNS (A and AAAA, as glibc asks) at the embedded resolver, or, on the default
    /// bridge, the host's upstream resolver (which knows no container names).
    fn resolve_host(&mut self, world: &mut World, cid: &str, host: &str) -> Option<Ipv4Addr> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Some(ip);
        }
        if let Some((ip, _)) = self.hosts_entry(cid, host) {
            return Some(ip);
        }
        if !self.uses_embedded_dns(cid) {
            return None;
        }
        let a = self.dns_exchange(world, cid, host, RecordType::A)?;
        let _ = self.dns_exchange(world, cid, host, RecordType::AAAA);
        a.addresses.first().copied()
    }

    /// A world with no stacks, for commands that only talk to the resolver.
    fn bare_world(&mut self, opts: &ExecOptions) -> World {
        let n = self.state.counters.entry("world".into()).or_insert(0);
        let label = format!("world/{n}");
        *n += 1;
        let mut world = World::new(self.state.seed, &label, self.now().0);
        if opts.trace {
            world.enable_trace();
        }
        if opts.capture {
            world.enable_capture();
        }
        world
    }

    fn finish(&mut self, world: &World, mut r: ExecResult) -> ExecResult {
        self.state.clock = Instant(world.now()).max(self.state.clock);
        r.trace = world.trace_lines().to_vec();
        r.capture = world.capture_bytes();
        r
    }

    /// busybox `nslookup NAME [SERVER]`: A then AAAA (PTR for an address).
    fn nslookup(
        &mut self,
        cid: &str,
        name: &str,
        server: Option<&str>,
        opts: &ExecOptions,
    ) -> ExecResult {
        let embedded = self.uses_embedded_dns(cid);
        let default_server = if embedded { "127.0.0.11" } else { "8.8.8.8" };
        let server = server.unwrap_or(default_server);
        let mut world = self.bare_world(opts);
        let mut out = format!("Server:\t\t{server}\nAddress:\t{server}:53\n\n");
        let ptr = name.parse::<Ipv4Addr>().ok();
        let kinds: &[RecordType] = if ptr.is_some() {
            &[RecordType::PTR]
        } else {
            &[RecordType::A, RecordType::AAAA]
        };
        let qname = ptr.map_or(name.trim_end_matches('.').to_string(), dns::reverse_name);
        if !self.has_network(cid) {
            let r = ExecResult {
                stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                code: 1,
                ..Default::default()
            };
            return self.finish(&world, r);
        }
        if server != "127.0.0.11" || !embedded {
            // Only the embedded resolver is reachable; the host's upstream knows no container.
            if server != default_server {
                return self.finish(
                    &world,
                    ExecResult {
                        stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                        code: 1,
                        ..Default::default()
                    },
                );
            }
            for _ in kinds {
                out.push_str(&format!("** server can't find {qname}: NXDOMAIN\n\n"));
            }
            return self.finish(
                &world,
                ExecResult {
                    stdout: out,
                    code: 1,
                    ..Default::default()
                },
            );
        }
        let mut found = false;
        for &k in kinds {
            let Some(r) = self.dns_exchange(&mut world, cid, &qname, k) else {
                continue;
            };
            match r.code {
                // busybox 1.33+: an empty answer still gets its header (Docker's resolver never
                // sets AA).
                ResponseCode::NoError if r.addresses.is_empty() && r.names.is_empty() => {
                    out.push_str("Non-authoritative answer:\n\n");
                }
                ResponseCode::NoError => {
                    found = true;
                    out.push_str("Non-authoritative answer:\n");
                    for a in &r.addresses {
                        out.push_str(&format!("Name:\t{qname}\nAddress: {a}\n"));
                    }
                    for n in &r.names {
                        out.push_str(&format!("{qname}\tname = {}\n", n.trim_end_matches('.')));
                    }
                    out.push('\n');
                }
                code => {
                    let word = if code == ResponseCode::NXDomain {
                        "NXDOMAIN"
                    } else {
                        "SERVFAIL"
                    };
                    out.push_str(&format!("** server can't find {qname}: {word}\n\n"));
                }
            }
        }
        let code = if found { 0 } else { 1 };
        self.finish(
            &world,
            ExecResult {
                stdout: out,
                code,
                ..Default::default()
            },
        )
    }

    /// `getent hosts NAME|ADDRESS`: glibc's `print_hosts`, `ADDRESS  NAME [ALIASES]`
    /// (`%-15s %s`), a line per address; status 2 when unknown.
    fn getent_hosts(&mut self, cid: &str, name: &str, opts: &ExecOptions) -> ExecResult {
        let mut world = self.bare_world(opts);
        let line = |ip: Ipv4Addr, names: &str| format!("{:<15} {names}\n", ip.to_string());
        let r = if let Ok(ip) = name.parse::<Ipv4Addr>() {
            // gethostbyaddr: the hosts file, then a PTR query.
            let from_hosts = self.etc_hosts(cid).lines().find_map(|l| {
                let (a, rest) = l.split_once('\t')?;
                (a.parse::<Ipv4Addr>().ok()? == ip).then(|| rest.to_string())
            });
            let names = match from_hosts {
                Some(n) => Some(n),
                None if self.uses_embedded_dns(cid) => self
                    .dns_exchange(&mut world, cid, &dns::reverse_name(ip), RecordType::PTR)
                    .and_then(|r| r.names.first().map(|n| n.trim_end_matches('.').to_string())),
                None => None,
            };
            match names {
                Some(n) => ExecResult::out(line(ip, &n)),
                None => ExecResult::err(String::new(), 2),
            }
        } else if let Some((ip, names)) = self.hosts_entry(cid, name) {
            ExecResult::out(line(ip, &names))
        } else if self.uses_embedded_dns(cid) {
            let a = self.dns_exchange(&mut world, cid, name, RecordType::A);
            let _ = self.dns_exchange(&mut world, cid, name, RecordType::AAAA);
            match a.map(|r| r.addresses).filter(|v| !v.is_empty()) {
                Some(ips) => ExecResult::out(ips.iter().map(|ip| line(*ip, name)).collect()),
                None => ExecResult::err(String::new(), 2),
            }
        } else {
            ExecResult::err(String::new(), 2)
        };
        self.finish(&world, r)
    }

    /// Whether the container has any network interface besides `lo`.
    fn has_network(&self, cid: &str) -> bool {
        !self.ifaces(cid).is_empty()
    }

    /// `/etc/resolv.conf` as Docker 25+ writes it (libnetwork `resolvconf`, goldens
    /// `TestRCTransformForIntNS`/`ForLegacyNw`). The simulated host's own resolv.conf points at
    /// a local stub resolver (`nameserver 127.0.0.53`): the embedded DNS forwards to it; the
    /// default bridge cannot use it and falls back to Google's servers.
    fn resolv_conf(&self, cid: &str) -> String {
        const HEADER: &str = "# Generated by Docker Engine.\n# This file can be edited; Docker Engine will not make further changes once it\n# has been modified.\n\n";
        if self.uses_embedded_dns(cid) {
            format!(
                "{HEADER}nameserver 127.0.0.11\noptions ndots:0\n\n# Based on host file: '/etc/resolv.conf' (internal resolver)\n# ExtServers: [host(127.0.0.53)]\n# Overrides: []\n# Option ndots from: internal\n"
            )
        } else {
            format!(
                "{HEADER}nameserver 8.8.8.8\nnameserver 8.8.4.4\n\n# Based on host file: '/etc/resolv.conf' (legacy)\n# Used default nameservers.\n# Overrides: []\n"
            )
        }
    }

    fn env(&self, cid: &str, tty: bool) -> String {
        let c = &self.state.containers[cid];
        let mut vars: Vec<String> = Vec::new();
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
        vars.push("HOME=/root".to_string());
        vars.iter().map(|v| format!("{v}\n")).collect()
    }

    fn ping_cmd(&mut self, cid: &str, args: &[&str], opts: &ExecOptions) -> ExecResult {
        let (o, host) = match parse_ping(args) {
            Ok(x) => x,
            Err(e) => return ExecResult::err(e, 1),
        };
        if o.count.is_none() && o.deadline.is_none() {
            return ExecResult::err(
                "vnet: ping would run until interrupted; give -c COUNT or -w SECONDS\n".into(),
                1,
            );
        }
        if self.state.containers[cid].host_config.network_mode == "host" {
            return ExecResult::err(
                "vnet: a host-network container uses the host's own stack, which vnet does not simulate yet\n".into(),
                1,
            );
        }
        let (mut world, nics) = self.world(cid, opts);
        let Some(target) = self.resolve_host(&mut world, cid, &host) else {
            self.write_back(&world, &nics);
            let r = ExecResult::err(format!("ping: bad address '{host}'\n"), 1);
            return self.finish(&world, r);
        };
        let ifaces = self.ifaces(cid);
        if target.is_loopback() || ifaces.iter().any(|i| i.ip == target) {
            self.write_back(&world, &nics);
            let r = self.ping_local(cid, target, &host, &o);
            return self.finish(&world, r);
        }
        // The route: the most specific connected subnet, else the default route.
        let route = ifaces
            .iter()
            .enumerate()
            .filter(|(_, i)| u32::from(target) & mask(i.len) == u32::from(i.ip) & mask(i.len))
            .max_by_key(|(_, i)| i.len)
            .or_else(|| ifaces.iter().enumerate().find(|(_, i)| i.gateway.is_some()))
            .map(|(k, _)| k);
        let Some(route) = route else {
            self.write_back(&world, &nics);
            let r = ExecResult {
                stdout: Tally::header(&host, target, o.size),
                stderr: "ping: sendto: Network is unreachable\n".into(),
                code: 1,
                ..Default::default()
            };
            return self.finish(&world, r);
        };
        let src = nics
            .iter()
            .position(|n| {
                n.network == ifaces[route].network && n.endpoint == ifaces[route].endpoint
            })
            .expect("the container's own NIC is in its world");
        let r = ping(&mut world, src, target, &host, &o);
        self.write_back(&world, &nics);
        let r = ExecResult {
            stdout: r.stdout,
            code: r.code,
            ..Default::default()
        };
        self.finish(&world, r)
    }

    /// A ping that never leaves the container: loopback, 98-byte frames on `lo`.
    fn ping_local(
        &mut self,
        cid: &str,
        target: Ipv4Addr,
        host: &str,
        o: &PingOptions,
    ) -> ExecResult {
        let mut out = Tally::header(host, target, o.size);
        let mut tally = Tally::default();
        let start = self.now();
        let end = o.deadline.map(|d| Instant(start.0.saturating_add(d)));
        let mut t = start;
        loop {
            if let Some(e) = end
                && t >= e
            {
                t = e;
                break;
            }
            tally.sent += 1;
            let rtt = 15 + self.draw("loopback", 10);
            tally.record(rtt);
            if !o.quiet {
                out.push_str(&Tally::reply_line(
                    o.size,
                    target,
                    (tally.sent - 1) as u16,
                    64,
                    rtt,
                ));
            }
            let frame = (o.size + 8 + 20 + 14) as u64;
            let lo = &mut self.state.containers.get_mut(cid).expect("running").lo;
            lo.tx_packets += 2;
            lo.rx_packets += 2;
            lo.tx_bytes += 2 * frame;
            lo.rx_bytes += 2 * frame;
            if o.count.is_some_and(|c| tally.sent >= c) || (o.interval == 0 && !o.flood) {
                t = t + Duration(rtt);
                break;
            }
            t = t + Duration(o.interval);
        }
        self.state.clock = t.max(self.state.clock);
        out.push_str(&tally.statistics(host));
        ExecResult {
            stdout: out,
            code: tally.code(),
            ..Default::default()
        }
    }

    /// Builds the world a command in `cid` runs in. Returns it and, per NIC, the endpoint
    /// it stands for.
    ///
    /// Only the bridges of `cid`'s networks and the running containers on them take part:
    /// the host forwards nothing between bridges, so no frame of this command can reach
    /// anyone else. The host still owns every other bridge's gateway address. NICs are added
    /// in the order of the containers' creation, then of their interfaces, so each stack's
    /// seed does not depend on the size of the host.
    fn world(&mut self, cid: &str, opts: &ExecOptions) -> (World, Vec<NicRef>) {
        let mut world = self.bare_world(opts);
        let me = self.host.name.clone();
        let mine: Vec<usize> = self.ifaces(cid).into_iter().map(|i| i.network).collect();
        // Bridges by (network, host): a bridge network is on this host only; an overlay
        // network has a bridge on every host with a container on it, joined by VXLAN.
        let mut bridge_of: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        let mut underlay: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, net) in self.state.networks.values().enumerate() {
            let gateway = match net.pool_v4().and_then(|p| p.gateway) {
                Some(IpAddr::V4(g)) => Some(g),
                _ => None,
            };
            match net.driver.as_str() {
                "bridge" if !mine.contains(&k) => {
                    if let Some(g) = gateway {
                        world.add_host_address(g);
                    }
                }
                "bridge" => {
                    let b = world.add_bridge(BridgeSpec {
                        name: net.name.clone(),
                        gateway,
                        host_mac: host_mac(net),
                        // The bridge driver reads the option with strconv.ParseBool.
                        icc: !matches!(
                            net.options
                                .get("com.docker.network.bridge.enable_icc")
                                .map(|v| v.as_str()),
                            Some("0" | "f" | "F" | "FALSE" | "false" | "False")
                        ),
                        link: self.state.links.get(&net.id).copied().unwrap_or_default(),
                        node: BridgeNode::Host,
                    });
                    bridge_of.insert((k, me.as_str()), b);
                }
                "overlay" if mine.contains(&k) => {
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
                            host_mac: mac,
                            icc: true,
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
                                Some((ip, parse_mac(e.mac.as_deref()?), there, vni))
                            })
                            .collect();
                        world.add_vtep(VtepSpec {
                            bridge: bridge_of[&(k, h.as_str())],
                            host: underlay[h.as_str()],
                            vnis: net.vnis.clone(),
                            remote,
                        });
                    }
                }
                _ => {}
            }
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
            .flat_map(|&n| {
                let net = &self.state.networks[n];
                net.endpoints.values().filter(|e| net.is_local(e, &me))
            })
            .filter_map(|e| self.state.containers.get_index_of(&e.container_id))
            .filter(|&k| self.state.containers[k].is_running())
            .collect();
        containers.sort_unstable();
        containers.dedup();
        // Each network's endpoints by address, for the ARP caches.
        let by_ip: BTreeMap<usize, FxHashMap<Ipv4Addr, &Endpoint>> = mine
            .iter()
            .map(|&k| {
                let m = self.state.networks[k]
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
        let mut add = |world: &mut World,
                       container: &str,
                       i: Iface,
                       bridge: usize,
                       known: Vec<(Ipv4Addr, [u8; 6])>| {
            let mut neighbors = self.restorable_neighbors(&i, &by_ip[&i.network]);
            for k in known {
                if !neighbors.contains(&k) {
                    neighbors.push(k);
                }
            }
            world.add_nic(NicSpec {
                container: container.to_string(),
                ifname: i.name,
                bridge,
                mac: i.mac,
                ipv4: (i.ip, i.len),
                gateway: i.gateway,
                counters: i.counters,
                neighbors,
                mtu: i.mtu,
            });
            nics.push(NicRef {
                network: i.network,
                endpoint: i.endpoint,
            });
        };
        for k in containers {
            let c = &self.state.containers[k];
            for i in self.ifaces(&c.id) {
                if let Some(&b) = bridge_of.get(&(i.network, me.as_str())) {
                    add(&mut world, &c.name, i, b, Vec::new());
                }
            }
        }
        // Other hosts' containers on the overlay networks, whose endpoints the store holds.
        for &k in &mine {
            let net = &self.state.networks[k];
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
                    name: if ep.ifname.is_empty() {
                        "eth0".to_string()
                    } else {
                        ep.ifname.clone()
                    },
                    network: k,
                    endpoint: e,
                    mac: parse_mac(ep.mac.as_deref().unwrap_or_default()),
                    ip,
                    len,
                    gateway: None,
                    counters: ep.counters,
                    mtu: OVERLAY_MTU,
                };
                // The peers its host's VTEP answers ARP for. A Linux stack would ask and
                // queue its echo reply meanwhile; smoltcp would drop the reply, so the answer
                // is taken as known (the pinger's side still asks, on the wire).
                let known = net
                    .endpoints
                    .values()
                    .filter(|o| o.host != ep.host)
                    .filter_map(|o| match o.ipv4 {
                        Some((IpAddr::V4(a), _)) => {
                            Some((a, parse_mac(o.mac.as_deref().unwrap_or_default())))
                        }
                        _ => None,
                    })
                    .collect();
                add(&mut world, &ep.name, i, b, known);
            }
        }
        (world, nics)
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
        let me = &self.state.networks[i.network].endpoints[i.endpoint];
        me.neighbors
            .iter()
            .filter(|(_, _, at)| fresh(*at))
            .filter(|(ip, mac, _)| {
                peers.get(ip).is_some_and(|peer| {
                    peer.mac.as_deref().map(parse_mac) == Some(*mac)
                        && peer
                            .neighbors
                            .iter()
                            .any(|(a, m, at)| *a == i.ip && *m == i.mac && fresh(*at))
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
            e.counters = world.counters(k);
            for (ip, mac, at) in world.neighbors(k) {
                e.neighbors.retain(|(a, _, _)| a != ip);
                e.neighbors.push((*ip, *mac, Instant(*at)));
            }
        }
        self.state.clock = Instant(world.now()).max(self.state.clock);
    }
}

/// The IPv6 link-local address a MAC gives (EUI-64, RFC 4291 appendix A).
fn link_local(m: &[u8; 6]) -> std::net::Ipv6Addr {
    std::net::Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 2, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// busybox's `print_bytes_scaled`: `648 (648.0 B)`, `1536 (1.5 KiB)`.
fn scaled(n: u64) -> String {
    let mut int = n;
    let mut frac = 0;
    let mut ext = "";
    for unit in ["Ki", "Mi", "Gi", "Ti"] {
        if int >= 1024 {
            frac = ((int & 1023) * 10) / 1024;
            int /= 1024;
            ext = unit;
        }
    }
    format!("{n} ({int}.{frac} {ext}B)")
}

fn counters_block(c: &Counters) -> String {
    format!(
        "          RX packets:{} errors:0 dropped:0 overruns:0 frame:0\n          TX packets:{} errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:0\n          RX bytes:{}  TX bytes:{}\n\n",
        c.rx_packets,
        c.tx_packets,
        scaled(c.rx_bytes),
        scaled(c.tx_bytes)
    )
}

/// busybox ping's options: `-c N -w N -W N -i SECS -s N -q -f`, combined or apart.
fn parse_ping(args: &[&str]) -> std::result::Result<(PingOptions, String), String> {
    let mut o = PingOptions::default();
    let mut host = None;
    let mut it = args.iter().copied();
    let number = |v: Option<&str>, what: char| -> std::result::Result<f64, String> {
        let v = v.ok_or_else(|| format!("ping: option requires an argument -- '{what}'\n"))?;
        // busybox reads -c, -w, -W and -s as whole numbers, -i as a duration.
        let x = if what == 'i' {
            v.parse::<f64>().ok().filter(|x| *x >= 0.0 && x.is_finite())
        } else {
            v.parse::<u64>().ok().map(|n| n as f64)
        };
        let x = x.ok_or_else(|| format!("ping: invalid number '{v}'\n"))?;
        if what == 's' && x > 65535.0 {
            return Err(format!("ping: number {v} is not in 0..65535 range\n"));
        }
        // Deadlines beyond any run anyone would wait for are capped (a day).
        Ok(x.min(86_400.0 * 1e3))
    };
    while let Some(a) = it.next() {
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            if host.is_some() {
                return Err(PING_USAGE.into());
            }
            host = Some(a.to_string());
            continue;
        };
        for (i, f) in flags.char_indices() {
            match f {
                'q' => o.quiet = true,
                'f' => o.flood = true,
                'c' | 'w' | 'W' | 'i' | 's' => {
                    let rest = &flags[i + 1..];
                    let v = if rest.is_empty() {
                        it.next()
                    } else {
                        Some(rest)
                    };
                    let x = number(v, f)?;
                    match f {
                        // busybox: a count of 0 means no limit.
                        'c' => o.count = Some(x as u64).filter(|c| *c > 0),
                        // busybox: -w 0 is no deadline.
                        'w' => o.deadline = Some((x * 1e6) as u64).filter(|d| *d > 0),
                        'W' => o.timeout = (x * 1e6) as u64,
                        'i' => o.interval = (x * 1e6) as u64,
                        _ => o.size = x as usize,
                    }
                    break;
                }
                other => return Err(format!("ping: invalid option -- '{other}'\n{PING_USAGE}")),
            }
        }
    }
    let host = host.ok_or_else(|| PING_USAGE.to_string())?;
    Ok((o, host))
}

const PING_USAGE: &str = "BusyBox v1.36.1 multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_scaled_bytes() {
        assert_eq!(scaled(0), "0 (0.0 B)");
        assert_eq!(scaled(648), "648 (648.0 B)");
        assert_eq!(scaled(1536), "1536 (1.5 KiB)");
        assert_eq!(scaled(5 * 1024 * 1024 + 1), "5242881 (5.0 MiB)");
    }

    #[test]
    fn link_local_from_mac() {
        assert_eq!(
            link_local(&[0x02, 0x42, 0xac, 0x11, 0x00, 0x03]).to_string(),
            "fe80::42:acff:fe11:3"
        );
    }

    #[test]
    fn ping_options() {
        let (o, h) = parse_ping(&["-w", "4", "container3"]).unwrap();
        assert_eq!((o.deadline, h.as_str()), (Some(4_000_000), "container3"));
        let (o, _) = parse_ping(&["-c2", "-qi", "0.5", "x"]).unwrap();
        assert_eq!((o.count, o.quiet, o.interval), (Some(2), true, 500_000));
        assert!(
            parse_ping(&["-c", "x", "h"])
                .unwrap_err()
                .contains("invalid number 'x'")
        );
        assert!(parse_ping(&["-z", "h"]).is_err());
    }
}
