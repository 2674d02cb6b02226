//! Networks and endpoints: create, inspect, list, remove, prune, connect, disconnect.
//!
//! Mirrors moby v28.5.2: `daemon/network.go` (create, delete, prune, connect/disconnect
//! entry points), `daemon/container_operations.go` (`validateEndpointSettings`,
//! `ConnectToNetwork`, `DisconnectFromNetwork`), `api/types/network/ipam.go`
//! (`ValidateIPAM`), `libnetwork/network.go` (endpoints) and the bridge driver's checks.
//!
//! This file holds the objects and `daemon/network.go`'s lookups, list, remove and prune;
//! `create.rs` (network creation and the drivers' checks), `connect.rs` (connect, disconnect,
//! endpoint join and leave), `gateway.rs` (the `docker_gwbridge` endpoint libnetwork adds
//! for a default route) and `validate.rs` (request validation) hold the rest.

mod connect;
mod create;
mod gateway;
mod validate;

pub use connect::BRIDGE_MAX_PORTS;
pub use gateway::GW_NETWORK;
pub use validate::{validate_endpoint_settings, validate_ipam};

use super::error::{Error, Result};
use super::ipam::{self, Pool, Prefix};
use super::{Daemon, NetworkMode, PREDEFINED_NETWORKS, is_user_defined};
use crate::time::{Duration, Instant};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// One `IPAM.Config` entry, as the user wrote it (the Engine API's `IPAMConfig`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamConfig {
    /// `--subnet`.
    pub subnet: String,
    /// `--ip-range`.
    pub ip_range: String,
    /// `--gateway`.
    pub gateway: String,
    /// `--aux-address NAME=IP`.
    pub aux_addresses: BTreeMap<String, String>,
}

/// The body of `POST /networks/create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkCreateRequest {
    /// The network's name.
    pub name: String,
    /// `-d`: `bridge` when empty.
    pub driver: String,
    /// `--internal`.
    pub internal: bool,
    /// `--attachable`.
    pub attachable: bool,
    /// `--ipv6`.
    pub enable_ipv6: bool,
    /// `IPAM.Driver`: `default` when empty.
    pub ipam_driver: String,
    /// `IPAM.Config`.
    pub ipam_config: Vec<IpamConfig>,
    /// `IPAM.Options` (`--ipam-opt`; the docker CLI always sends it, docker-py only when
    /// given, and inspect shows `null` when it was not sent).
    pub ipam_options: Option<BTreeMap<String, String>>,
    /// `-o`.
    pub options: BTreeMap<String, String>,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
}

/// A network's address management: the configuration shown by inspect and the pools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkIpam {
    /// `IPAM.Driver`.
    pub driver: String,
    /// `IPAM.Options`: `None` prints `null` (daemon-made networks).
    pub options: Option<BTreeMap<String, String>>,
    /// `IPAM.Config`: `None` prints `null` (host, none).
    pub config: Option<Vec<IpamConfig>>,
    /// The address pools, IPv4 first.
    pub pools: Vec<Pool>,
}

/// An interface's packet and byte counters, as `ifconfig` shows them; they live as long as
/// the endpoint (Linux keeps a veth's counters until it is deleted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceCounters {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frames sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

impl From<crate::stack::Counters> for InterfaceCounters {
    fn from(c: crate::stack::Counters) -> InterfaceCounters {
        InterfaceCounters {
            rx_packets: c.rx_packets,
            rx_bytes: c.rx_bytes,
            tx_packets: c.tx_packets,
            tx_bytes: c.tx_bytes,
        }
    }
}

impl From<InterfaceCounters> for crate::stack::Counters {
    fn from(c: InterfaceCounters) -> crate::stack::Counters {
        crate::stack::Counters {
            rx_packets: c.rx_packets,
            rx_bytes: c.rx_bytes,
            tx_packets: c.tx_packets,
            tx_bytes: c.tx_bytes,
        }
    }
}

/// `vnet link set`'s settings for a network: what its bridge's links add to each frame
/// (Linux `tc netem` on the veths).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkSettings {
    /// Share of frames lost, 0.0–1.0.
    pub loss: f64,
    /// Extra one-way delay (microseconds in the state file).
    pub delay: Duration,
    /// Extra random delay, up to this much (microseconds in the state file).
    pub jitter: Duration,
    /// netem's `limit`: frames each port holds queued before it drops (not written when it
    /// is netem's default, 1000).
    #[serde(
        default = "default_link_limit",
        skip_serializing_if = "is_default_link_limit"
    )]
    pub limit: u32,
    /// netem's `rate`: bits a second each port sends at (0: no limit; not written then).
    #[serde(default, skip_serializing_if = "is_zero_rate")]
    pub rate: u64,
}

fn is_zero_rate(r: &u64) -> bool {
    *r == 0
}

fn default_link_limit() -> u32 {
    crate::engine::rule::DEFAULT_LIMIT
}

fn is_default_link_limit(l: &u32) -> bool {
    *l == crate::engine::rule::DEFAULT_LIMIT
}

impl Default for LinkSettings {
    fn default() -> LinkSettings {
        LinkSettings {
            loss: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            limit: crate::engine::rule::DEFAULT_LIMIT,
            rate: 0,
        }
    }
}

impl From<LinkSettings> for crate::engine::rule::LinkConfig {
    fn from(l: LinkSettings) -> crate::engine::rule::LinkConfig {
        crate::engine::rule::LinkConfig {
            loss: l.loss,
            delay: l.delay,
            jitter: l.jitter,
            limit: l.limit,
            rate: l.rate,
        }
    }
}

/// A MAC address, stored and shown as Docker shows it (`02:42:ac:11:00:02`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The address Engine 27 and earlier derive from an IPv4 address: `02:42` and its four
    /// bytes (libnetwork `netutils.GenerateMACFromIP`).
    pub fn from_ipv4(ip: std::net::Ipv4Addr) -> Mac {
        let o = ip.octets();
        Mac([0x02, 0x42, o[0], o[1], o[2], o[3]])
    }
}

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl std::str::FromStr for Mac {
    type Err = String;
    /// Six hex bytes separated by colons or by dashes (Go's `net.ParseMAC` for the 48-bit
    /// forms).
    fn from_str(s: &str) -> std::result::Result<Mac, String> {
        let mut m = [0u8; 6];
        let sep = if s.contains('-') { '-' } else { ':' };
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() != 6 {
            return Err(format!("invalid MAC address: {s}"));
        }
        for (b, p) in m.iter_mut().zip(&parts) {
            if p.len() != 2 {
                return Err(format!("invalid MAC address: {s}"));
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| format!("invalid MAC address: {s}"))?;
        }
        Ok(Mac(m))
    }
}

impl Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Mac, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A joined container's presence on a network (libnetwork's endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// 64-hex endpoint ID.
    pub id: String,
    /// The container it belongs to.
    pub container_id: String,
    /// The MAC address, `None` for host and none networks.
    pub mac: Option<Mac>,
    /// IPv4 address and prefix length.
    pub ipv4: Option<(IpAddr, u8)>,
    /// IPv6 address and prefix length.
    pub ipv6: Option<(IpAddr, u8)>,
    /// The interface's packet and byte counters (they live as long as the endpoint).
    #[serde(default)]
    pub counters: InterfaceCounters,
    /// The container's ARP cache on this interface: address, MAC, when learned.
    #[serde(default)]
    pub neighbors: Vec<(std::net::Ipv4Addr, [u8; 6], Instant)>,
    /// Its IPv6 neighbour cache (neighbour discovery's): address, MAC, when learned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbors6: Vec<(std::net::Ipv6Addr, [u8; 6], Instant)>,
    /// The endpoint's name: the container's name when it joined (libnetwork names endpoints
    /// after containers; a force-disconnect finds a stale endpoint by it).
    #[serde(default)]
    pub name: String,
    /// The host whose container joined, on a global-scope network; empty on local ones.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// The names the embedded DNS answers for it, on a global-scope network (other hosts
    /// cannot see the container's own settings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    /// The container's interface name for it, on a global-scope network (`eth0`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ifname: String,
    /// An endpoint libnetwork made for itself (`CreateOptionAnonymous`: the sandbox's
    /// `docker_gwbridge` one), not one of the container's `NetworkSettings.Networks`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
}

/// The network drivers vnet simulates (libnetwork's `drivers/`), named as Docker names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// `bridge`: a Linux bridge on the host (drivers/bridge).
    Bridge,
    /// `host`: the host's own namespace (drivers/host).
    Host,
    /// `null`: no networking, the `none` network (drivers/null).
    Null,
    /// `overlay`: VXLAN between hosts of a cluster store (drivers/overlay, classic mode).
    Overlay,
}

impl Driver {
    /// The driver's name, as `-d` takes it and inspect shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Bridge => "bridge",
            Driver::Host => "host",
            Driver::Null => "null",
            Driver::Overlay => "overlay",
        }
    }

    /// The driver of a name, if vnet has it.
    pub fn from_name(name: &str) -> Option<Driver> {
        [Driver::Bridge, Driver::Host, Driver::Null, Driver::Overlay]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// 64-hex ID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Its driver.
    pub driver: Driver,
    /// When it was created.
    pub created: Instant,
    /// `EnableIPv4`.
    pub enable_ipv4: bool,
    /// `EnableIPv6`.
    pub enable_ipv6: bool,
    /// `--internal`.
    pub internal: bool,
    /// `--attachable`.
    pub attachable: bool,
    /// Global scope: an overlay network kept in the cluster store, seen by every host.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global: bool,
    /// An overlay network's VXLAN identifiers, one per IPv4 subnet in order (classic overlay's
    /// `obtainVxlanID`; the driver keeps them in its own store record, not in the options).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vnis: Vec<u32>,
    /// IPAM configuration and pools.
    pub ipam: NetworkIpam,
    /// Driver options (`-o`).
    pub options: BTreeMap<String, String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Endpoints of running containers, by endpoint ID, in join order.
    pub endpoints: IndexMap<String, Endpoint>,
}

impl Network {
    /// The IPv4 pool, if the network has one.
    pub fn pool_v4(&self) -> Option<&Pool> {
        self.ipam.pools.iter().find(|p| p.subnet.addr.is_ipv4())
    }
    /// The IPv6 pool, if the network has one.
    pub fn pool_v6(&self) -> Option<&Pool> {
        self.ipam.pools.iter().find(|p| !p.subnet.addr.is_ipv4())
    }
    /// Whether `docker network create` could have made it (not bridge, host or none).
    pub fn is_predefined(&self) -> bool {
        !is_user_defined(&self.name)
    }
    /// The Linux bridge device: `docker0` or `br-` + 12 hex of the ID.
    pub fn bridge_name(&self) -> String {
        self.options
            .get("com.docker.network.bridge.name")
            .cloned()
            .unwrap_or_else(|| format!("br-{}", crate::docker::short(&self.id)))
    }
    /// Where `-P`/`-p` bind when no host IP is given.
    pub fn host_binding_ipv4(&self) -> String {
        self.options
            .get("com.docker.network.bridge.host_binding_ipv4")
            .cloned()
            .unwrap_or_else(|| "0.0.0.0".to_string())
    }
    /// `local` or `global`, as inspect shows it.
    pub fn scope(&self) -> &'static str {
        if self.global { "global" } else { "local" }
    }
    /// The VNI of the overlay subnet holding `ip` (classic overlay: one per subnet).
    pub fn vni_for(&self, ip: IpAddr) -> Option<u32> {
        self.ipam
            .pools
            .iter()
            .filter(|p| p.subnet.addr.is_ipv4())
            .zip(&self.vnis)
            .find(|(p, _)| p.subnet.contains(ip))
            .map(|(_, v)| *v)
    }
    /// Whether an endpoint belongs to a container of this host (not one on another host of
    /// the cluster, nor a stale record).
    pub fn is_local(&self, ep: &Endpoint, host: &str) -> bool {
        !self.global || ep.host == host
    }
    /// Whether the user gave a subnet of this family (the `--ip` rule).
    fn has_user_subnet(&self, v4: bool) -> bool {
        self.ipam
            .pools
            .iter()
            .any(|p| p.preferred && p.subnet.addr.is_ipv4() == v4)
    }
    /// The endpoint of a container, if it is joined (not counting the anonymous one
    /// libnetwork may have given it here).
    pub fn endpoint_of(&self, container_id: &str) -> Option<&Endpoint> {
        self.endpoints
            .values()
            .find(|e| e.container_id == container_id && !e.anonymous)
    }
}

/// Classic overlay's first VNI (libnetwork `vxlanIDStart`, before swarm's 4096).
pub const VXLANID_START: u32 = 256;

/// A static address request (`--ip`, `--ip6`): the Engine API's `EndpointIPAMConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointIpamConfig {
    /// `--ip`.
    pub ipv4_address: String,
    /// `--ip6`.
    pub ipv6_address: String,
    /// `--link-local-ip`: addresses the interface gets besides Docker's (IPv4 ones with a
    /// /16, libnetwork's `linkLocalMask`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
}

/// A container's configuration for one network (the Engine API's `EndpointSettings`, the
/// configured half; the operational half lives in the network's [`Endpoint`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSettings {
    /// Static addresses, as the client sent them: `docker network connect` always sends an
    /// object (`{}` without `--ip`), `docker run` only with `--ip`/`--ip6`; inspect shows
    /// what was stored (docker/cli `network/connect.go` `runConnect`,
    /// `container/opts.go` `parseNetworkAttachmentOpt`).
    pub ipam_config: Option<EndpointIpamConfig>,
    /// `DriverOpts`, as the client sent them: `docker network connect` sends a map, empty
    /// without `--driver-opt` (docker/cli `convertDriverOpt`); `docker run` none (then
    /// absent from the state file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    /// `--link` on a user-defined network: `target:alias`.
    pub links: Vec<String>,
    /// `--alias` / `--network-alias`.
    pub aliases: Vec<String>,
    /// The network's ID once resolved.
    pub network_id: String,
    /// The endpoint while the container runs.
    pub endpoint_id: Option<String>,
    /// `DNSNames`, set when the container first joins a user-defined network.
    pub dns_names: Option<Vec<String>>,
    /// The interface it got in the container (`eth1`), while joined. libnetwork's sandbox
    /// never reuses an index: a later network gets the next one even when an earlier one left.
    #[serde(default)]
    pub ifname: Option<String>,
    /// `MacAddress` as configured (`--mac-address`, the endpoint config's): the
    /// interface's MAC at every start; empty for a generated one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    /// `GwPriority` (Engine 28): the network of the highest gives the container its
    /// default gateway.
    #[serde(default, skip_serializing_if = "is_zero_priority")]
    pub gw_priority: i64,
}

fn is_zero_priority(p: &i64) -> bool {
    *p == 0
}

/// `docker network ls --filter` terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkFilters {
    /// `(key, value)` pairs; values of one key are alternatives, keys are all required.
    pub terms: Vec<(String, String)>,
}

const NETWORK_FILTER_KEYS: [&str; 7] =
    ["dangling", "driver", "id", "label", "name", "scope", "type"];

impl Daemon {
    pub(super) fn create_predefined_networks(&mut self) {
        let now = self.now();
        let bridge_opts: BTreeMap<String, String> = [
            ("com.docker.network.bridge.default_bridge", "true"),
            ("com.docker.network.bridge.enable_icc", "true"),
            ("com.docker.network.bridge.enable_ip_masquerade", "true"),
            ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
            ("com.docker.network.bridge.name", "docker0"),
            ("com.docker.network.driver.mtu", "1500"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let subnet = Prefix {
            addr: IpAddr::V4(std::net::Ipv4Addr::new(172, 17, 0, 0)),
            len: 16,
        };
        let mut pool = Pool::new(subnet, None);
        pool.preferred = true;
        // The first address of a fresh /16: 172.17.0.1.
        pool.gateway = pool.request(None).ok();
        for (name, driver) in [
            ("bridge", Driver::Bridge),
            ("host", Driver::Host),
            ("none", Driver::Null),
        ] {
            let id = self.new_id(&format!("network/{name}"));
            let is_bridge = name == "bridge";
            let net = Network {
                id: id.clone(),
                name: name.to_string(),
                driver,
                created: now,
                enable_ipv4: true,
                enable_ipv6: false,
                internal: false,
                attachable: false,
                global: false,
                vnis: Vec::new(),
                ipam: NetworkIpam {
                    driver: "default".to_string(),
                    options: None,
                    config: is_bridge.then(|| {
                        vec![IpamConfig {
                            subnet: subnet.to_string(),
                            gateway: pool.gateway.map(|g| g.to_string()).unwrap_or_default(),
                            ..IpamConfig::default()
                        }]
                    }),
                    pools: if is_bridge {
                        vec![pool.clone()]
                    } else {
                        vec![]
                    },
                },
                options: if is_bridge {
                    bridge_opts.clone()
                } else {
                    BTreeMap::new()
                },
                labels: BTreeMap::new(),
                endpoints: IndexMap::new(),
            };
            self.state.networks.insert(id, net);
        }
    }

    /// Finds a network as `findUniqueNetwork` does: full ID, then exact name, then unique ID
    /// prefix. Returns its ID.
    pub fn find_network(&self, term: &str) -> Result<String> {
        if self.state.networks.contains_key(term) {
            return Ok(term.to_string());
        }
        let by_name: Vec<&Network> = self
            .state
            .networks
            .values()
            .filter(|n| n.name == term)
            .collect();
        match by_name.as_slice() {
            [n] => return Ok(n.id.clone()),
            [] => {}
            all => return Err(Error::network_ambiguous(term, all.len(), true)),
        }
        if !term.is_empty() {
            let by_prefix: Vec<&Network> = self
                .state
                .networks
                .values()
                .filter(|n| n.id.starts_with(term))
                .collect();
            match by_prefix.as_slice() {
                [n] => return Ok(n.id.clone()),
                [] => {}
                all => return Err(Error::network_ambiguous(term, all.len(), false)),
            }
        }
        Err(Error::network_not_found(term))
    }

    /// A network by ID (one a lookup returned: "network … not found" if it is not there).
    pub fn network(&self, id: &str) -> Result<&Network> {
        self.state.network(id)
    }

    /// A network by ID, if it exists.
    pub fn get_network(&self, id: &str) -> Option<&Network> {
        self.state.networks.get(id)
    }

    /// `DELETE /networks/{id}`.
    pub fn network_remove(&mut self, term: &str) -> Result<()> {
        let id = self.find_network(term)?;
        let net = self.state.network(&id)?;
        if net.is_predefined() {
            return Err(Error::predefined_network_remove(&net.name));
        }
        if !net.endpoints.is_empty() {
            let eps: Vec<(String, String)> = net
                .endpoints
                .values()
                .map(|e| {
                    let name = self
                        .state
                        .containers
                        .get(&e.container_id)
                        .filter(|_| !e.anonymous)
                        .map_or(e.name.clone(), |c| c.name.clone());
                    (name, e.id.clone())
                })
                .collect();
            return Err(Error::active_endpoints(&net.name, &eps));
        }
        self.network_event(&id, "destroy", &[]);
        self.state.networks.shift_remove(&id);
        self.state.links.remove(&id);
        Ok(())
    }

    /// `POST /networks/prune`: removes every user network without endpoints. Returns the
    /// names removed.
    pub fn network_prune(&mut self, labels: &[(String, String)]) -> Result<Vec<String>> {
        let doomed: Vec<String> = self
            .state
            .networks
            .values()
            // localNetworksPrune walks every network the controller knows, global ones from
            // the store included; endpoints on any host keep one.
            .filter(|n| !n.is_predefined() && n.endpoints.is_empty())
            .filter(|n| labels.iter().all(|(k, v)| label_matches(n, k, v)))
            .map(|n| n.id.clone())
            .collect();
        let mut names = Vec::new();
        for id in doomed {
            self.network_event(&id, "destroy", &[]);
            if let Some(n) = self.state.networks.shift_remove(&id) {
                self.state.links.remove(&id);
                names.push(n.name);
            }
        }
        let reclaimed = [("reclaimed".to_string(), "0".to_string())].into();
        self.log_event("network", "prune", "", reclaimed);
        Ok(names)
    }

    /// `GET /networks`: the networks matching every filter key. Order: creation.
    pub fn network_list(&self, filters: &NetworkFilters) -> Result<Vec<&Network>> {
        for (k, v) in &filters.terms {
            if !NETWORK_FILTER_KEYS.contains(&k.as_str()) {
                return Err(Error::invalid_filter(k));
            }
            if k == "type" && v != "custom" && v != "builtin" {
                return Err(Error::invalid_type_filter(v));
            }
            if k == "dangling" && !["true", "false", "1", "0"].contains(&v.as_str()) {
                return Err(Error::invalid_dangling_filter());
            }
        }
        let matches = |n: &Network, key: &str, v: &str| -> bool {
            match key {
                "driver" => n.driver.as_str() == v,
                "id" => n.id.starts_with(v),
                "name" => n.name.contains(v),
                "scope" => v == n.scope(),
                "type" => (v == "builtin") == n.is_predefined(),
                "label" => label_matches(n, "label", v),
                // filterNetworkByUse: endpoints (running containers) only.
                "dangling" => {
                    let want = v == "true" || v == "1";
                    (!n.is_predefined() && n.endpoints.is_empty()) == want
                }
                _ => false,
            }
        };
        let keys: Vec<&str> = {
            let mut k: Vec<&str> = filters.terms.iter().map(|(k, _)| k.as_str()).collect();
            k.dedup();
            k
        };
        Ok(self
            .state
            .networks
            .values()
            .filter(|n| {
                keys.iter().all(|key| {
                    filters
                        .terms
                        .iter()
                        .filter(|(k, _)| k == key)
                        .any(|(_, v)| matches(n, key, v))
                })
            })
            .collect())
    }

    /// The link settings of a network (by ID), as `vnet link set` left them.
    pub fn link(&self, id: &str) -> LinkSettings {
        self.state.links.get(id).copied().unwrap_or_default()
    }

    /// Every network's link settings that differ from a plain link, by network ID.
    pub fn links(&self) -> impl Iterator<Item = (&str, &LinkSettings)> {
        self.state.links.iter().map(|(id, l)| (id.as_str(), l))
    }

    /// `vnet link set`: loss, delay and jitter on the frames a network's bridge sends.
    pub fn link_set(&mut self, term: &str, link: LinkSettings) -> Result<()> {
        let id = self.find_network(term)?;
        if self.state.network(&id)?.driver != Driver::Bridge {
            return Err(Error::no_links(term, self.state.network(&id)?.driver));
        }
        if link == Default::default() {
            self.state.links.remove(&id);
        } else {
            self.state.links.insert(id, link);
        }
        Ok(())
    }
}

fn label_matches(n: &Network, k: &str, v: &str) -> bool {
    match k {
        "label" => {
            let (lk, lv) = match v.split_once('=') {
                Some((a, b)) => (a, Some(b)),
                None => (v, None),
            };
            n.labels
                .get(lk)
                .is_some_and(|x| lv.is_none_or(|lv| x == lv))
        }
        "label!" => !label_matches(n, "label", v),
        _ => true,
    }
}
