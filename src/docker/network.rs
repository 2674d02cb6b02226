//! Networks and endpoints: create, inspect, list, remove, prune, connect, disconnect.
//!
//! Mirrors moby v28.5.2: `daemon/network.go` (create, delete, prune, connect/disconnect
//! entry points), `daemon/container_operations.go` (`validateEndpointSettings`,
//! `ConnectToNetwork`, `DisconnectFromNetwork`), `api/types/network/ipam.go`
//! (`ValidateIPAM`), `libnetwork/network.go` (endpoints) and the bridge driver's checks.

use super::error::{Error, Kind, Result};
use super::ipam::{self, Pool, Prefix};
use super::{Daemon, PREDEFINED_NETWORKS, is_user_defined};
use crate::time::Instant;
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

/// A joined container's presence on a network (libnetwork's endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// 64-hex endpoint ID.
    pub id: String,
    /// The container it belongs to.
    pub container_id: String,
    /// The MAC address, `None` for host and none networks.
    pub mac: Option<String>,
    /// IPv4 address and prefix length.
    pub ipv4: Option<(IpAddr, u8)>,
    /// IPv6 address and prefix length.
    pub ipv6: Option<(IpAddr, u8)>,
    /// The interface's packet and byte counters (they live as long as the endpoint).
    #[serde(default)]
    pub counters: crate::stack::Counters,
    /// The container's ARP cache on this interface: address, MAC, when learned.
    #[serde(default)]
    pub neighbors: Vec<(std::net::Ipv4Addr, [u8; 6], Instant)>,
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
}

/// A network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// 64-hex ID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
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
            .unwrap_or_else(|| format!("br-{}", &self.id[..12]))
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
    /// The endpoint of a container, if it is joined.
    pub fn endpoint_of(&self, container_id: &str) -> Option<&Endpoint> {
        self.endpoints
            .values()
            .find(|e| e.container_id == container_id)
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
}

/// A container's configuration for one network (the Engine API's `EndpointSettings`, the
/// configured half; the operational half lives in the network's [`Endpoint`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSettings {
    /// Static addresses.
    pub ipam_config: Option<EndpointIpamConfig>,
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
        let subnet: Prefix = "172.17.0.0/16".parse().expect("literal");
        let mut pool = Pool::new(subnet, None);
        pool.preferred = true;
        let gw = pool.request(None).expect("empty pool");
        pool.gateway = Some(gw);
        for (name, driver) in [("bridge", "bridge"), ("host", "host"), ("none", "null")] {
            let id = self.new_id(&format!("network/{name}"));
            let is_bridge = name == "bridge";
            let net = Network {
                id: id.clone(),
                name: name.to_string(),
                driver: driver.to_string(),
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
                            gateway: gw.to_string(),
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
        match by_name.len() {
            1 => return Ok(by_name[0].id.clone()),
            0 => {}
            n => return Err(Error::network_ambiguous(term, n, true)),
        }
        if !term.is_empty() {
            let by_prefix: Vec<&Network> = self
                .state
                .networks
                .values()
                .filter(|n| n.id.starts_with(term))
                .collect();
            match by_prefix.len() {
                1 => return Ok(by_prefix[0].id.clone()),
                0 => {}
                n => return Err(Error::network_ambiguous(term, n, false)),
            }
        }
        Err(Error::network_not_found(term))
    }

    /// A network by ID.
    pub fn network(&self, id: &str) -> &Network {
        &self.state.networks[id]
    }

    /// `POST /networks/create`. Returns the new network's ID.
    pub fn network_create(&mut self, req: NetworkCreateRequest) -> Result<String> {
        if PREDEFINED_NETWORKS.contains(&req.name.as_str()) {
            return Err(Error::predefined_network_operation(&req.name));
        }
        let driver = if req.driver.is_empty() {
            "bridge"
        } else {
            req.driver.as_str()
        };
        if driver == "overlay" && self.host.cluster_store.is_none() {
            return Err(Error::new(
                Kind::Forbidden,
                "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.",
            ));
        }
        validate_ipam(&req.ipam_config, req.enable_ipv6)?;
        // libnetwork ErrInvalidName.
        if req.name.trim().is_empty() {
            return Err(Error::new(
                Kind::InvalidParameter,
                format!("invalid name: {}", req.name),
            ));
        }
        if self.state.networks.values().any(|n| n.name == req.name) {
            return Err(Error::network_name_exists(&req.name));
        }
        match driver {
            "bridge" | "overlay" => {}
            // Their driver refuses a second instance (drivers/host, drivers/null).
            "host" | "null" => {
                return Err(Error::new(
                    Kind::Forbidden,
                    format!("only one instance of \"{driver}\" network is allowed"),
                ));
            }
            "macvlan" | "ipvlan" => {
                return Err(Error::new(
                    Kind::System,
                    format!("vnet does not simulate the {driver} driver"),
                ));
            }
            other => {
                return Err(Error::new(
                    Kind::NotFound,
                    format!("plugin \"{other}\" not found"),
                ));
            }
        }
        let ipam_driver = if req.ipam_driver.is_empty() {
            "default"
        } else {
            req.ipam_driver.as_str()
        };
        if ipam_driver != "default" {
            return Err(Error::new(
                Kind::NotFound,
                format!("plugin \"{ipam_driver}\" not found"),
            ));
        }

        // IPAM: one pool per configured subnet (IPv6 ones only with --ipv6), else a
        // predefined one.
        let mut pools: Vec<Pool> = Vec::new();
        let taken = self.all_subnets();
        let configs: Vec<&IpamConfig> = req
            .ipam_config
            .iter()
            .filter(|c| {
                req.enable_ipv6 || c.subnet.parse::<Prefix>().is_ok_and(|p| p.addr.is_ipv4())
            })
            .collect();
        for c in &configs {
            let subnet: Prefix = c.subnet.parse().expect("validated");
            let range = (!c.ip_range.is_empty()).then(|| c.ip_range.parse().expect("validated"));
            // With an ip-range the IPAM overlap check is skipped (moby#46756).
            if range.is_none()
                && (taken.iter().any(|t| t.overlaps(&subnet))
                    || pools.iter().any(|p| p.subnet.overlaps(&subnet)))
            {
                return Err(Error::pool_overlap());
            }
            let mut pool = Pool::new(subnet, range);
            pool.preferred = true;
            // ipamAllocateVersion: the gateway first, then the aux addresses.
            let gw = if c.gateway.is_empty() {
                pool.request(None)
            } else {
                pool.request(Some(c.gateway.parse().expect("validated")))
            }
            .map_err(|err| {
                Error::new(
                    Kind::System,
                    format!("failed to allocate gateway ({}): {err}", c.gateway),
                )
            })?;
            pool.gateway = Some(gw);
            for (name, aux) in &c.aux_addresses {
                let ip: IpAddr = aux.parse().expect("validated");
                pool.request(Some(ip)).map_err(|err| {
                    Error::new(
                        Kind::System,
                        format!("failed to allocate secondary ip address ({name}:{aux}): {err}"),
                    )
                })?;
                pool.aux.insert(name.clone(), ip);
            }
            pools.push(pool);
        }
        let mut shown_config: Vec<IpamConfig> = configs.iter().map(|c| (*c).clone()).collect();
        let overlay = driver == "overlay";
        if !pools.iter().any(|p| p.subnet.addr.is_ipv4()) {
            let subnet = if overlay {
                ipam::allocate_global_v4(&taken)?
            } else {
                ipam::allocate_predefined_v4(&taken)?
            };
            let mut pool = Pool::new(subnet, None);
            let gw = pool.request(None)?;
            pool.gateway = Some(gw);
            shown_config.insert(
                0,
                IpamConfig {
                    subnet: subnet.to_string(),
                    gateway: gw.to_string(),
                    ..IpamConfig::default()
                },
            );
            pools.insert(0, pool);
        }
        if req.enable_ipv6 && !pools.iter().any(|p| !p.subnet.addr.is_ipv4()) {
            let subnet = ipam::allocate_ula_v6(self.ula_base(), &taken)?;
            let mut pool = Pool::new(subnet, None);
            let gw = pool.request(None)?;
            pool.gateway = Some(gw);
            shown_config.push(IpamConfig {
                subnet: subnet.to_string(),
                gateway: gw.to_string(),
                ..IpamConfig::default()
            });
            pools.push(pool);
        }
        // IPv4 configs first, then IPv6, as libnetwork reports them.
        pools.sort_by_key(|p| !p.subnet.addr.is_ipv4());
        shown_config.sort_by_key(|c| c.subnet.contains(':'));

        // The bridge driver: one IPv4 subnet, and no overlap with another bridge. The overlay
        // driver takes several.
        let v4 = pools.iter().filter(|p| p.subnet.addr.is_ipv4()).count();
        if !overlay && (v4 > 1 || pools.len() - v4 > 1) {
            return Err(Error::bridge_multiple_subnets());
        }
        // checkConflict: no other bridge may share the device name or an address range.
        let new_id = self.peek_id(&format!("network/{}", req.name));
        let new_bridge = req
            .options
            .get("com.docker.network.bridge.name")
            .cloned()
            .unwrap_or_else(|| format!("br-{}", &new_id[..12]));
        for other in self
            .state
            .networks
            .values()
            .filter(|n| n.driver == "bridge" && !overlay)
        {
            let reason = if other.bridge_name() == new_bridge {
                Some("networks have same bridge name")
            } else if let Some(p) = pools.iter().find(|p| {
                other
                    .ipam
                    .pools
                    .iter()
                    .any(|o| o.subnet.overlaps(&p.subnet))
            }) {
                Some(if p.subnet.addr.is_ipv4() {
                    "networks have overlapping IPv4"
                } else {
                    "networks have overlapping IPv6"
                })
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::new(
                    Kind::Forbidden,
                    format!(
                        "cannot create network {new_id} ({new_bridge}): conflicts with network {} ({}): {reason}",
                        other.id,
                        other.bridge_name()
                    ),
                ));
            }
        }

        let mut vnis = Vec::new();
        if overlay {
            // Classic overlay: a VNI per subnet, from 256, the lowest free (idm/vxlan-id).
            let used: Vec<u32> = self
                .state
                .networks
                .values()
                .flat_map(|n| n.vnis.iter().copied())
                .collect();
            for _ in pools.iter().filter(|p| p.subnet.addr.is_ipv4()) {
                let vni = (VXLANID_START..)
                    .find(|v| !used.contains(v) && !vnis.contains(v))
                    .expect("a free VNI");
                vnis.push(vni);
            }
        }
        let id = self.new_id(&format!("network/{}", req.name));
        let net = Network {
            id: id.clone(),
            name: req.name.clone(),
            driver: driver.to_string(),
            created: self.now(),
            enable_ipv4: true,
            enable_ipv6: req.enable_ipv6,
            internal: req.internal,
            attachable: req.attachable,
            global: overlay,
            vnis,
            ipam: NetworkIpam {
                driver: ipam_driver.to_string(),
                options: req.ipam_options.clone(),
                config: Some(shown_config),
                pools,
            },
            options: req.options.clone(),
            labels: req.labels.clone(),
            endpoints: IndexMap::new(),
        };
        self.state.networks.insert(id.clone(), net);
        Ok(id)
    }

    /// Every subnet in use on this host.
    fn all_subnets(&self) -> Vec<Prefix> {
        self.state
            .networks
            .values()
            .flat_map(|n| n.ipam.pools.iter().map(|p| p.subnet))
            .collect()
    }

    /// The host's unique-local /48 (`deriveULABaseNetwork`: 40 bits derived from the host).
    fn ula_base(&self) -> u128 {
        let mut r = crate::rng::derive(self.state.seed, "ula");
        let mut b = [0u8; 5];
        rand_chacha::rand_core::Rng::fill_bytes(&mut r, &mut b);
        let mut v: u128 = 0xfd;
        for x in b {
            v = (v << 8) | u128::from(x);
        }
        v << 80
    }

    /// `DELETE /networks/{id}`.
    pub fn network_remove(&mut self, term: &str) -> Result<()> {
        let id = self.find_network(term)?;
        let net = &self.state.networks[&id];
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
                        .map_or(e.name.clone(), |c| c.name.clone());
                    (name, e.id.clone())
                })
                .collect();
            return Err(Error::active_endpoints(&net.name, &eps));
        }
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
            if let Some(n) = self.state.networks.shift_remove(&id) {
                self.state.links.remove(&id);
                names.push(n.name);
            }
        }
        Ok(names)
    }

    /// `GET /networks`: the networks matching every filter key. Order: creation.
    pub fn network_list(&self, filters: &NetworkFilters) -> Result<Vec<&Network>> {
        for (k, v) in &filters.terms {
            if !NETWORK_FILTER_KEYS.contains(&k.as_str()) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter '{k}'"),
                ));
            }
            if k == "type" && v != "custom" && v != "builtin" {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter: 'type'='{v}'"),
                ));
            }
            if k == "dangling" && !["true", "false", "1", "0"].contains(&v.as_str()) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" (or \"0\")",
                ));
            }
        }
        let matches = |n: &Network, key: &str, v: &str| -> bool {
            match key {
                "driver" => n.driver == v,
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

    /// `vnet link set`: loss, delay and jitter on the frames a network's bridge sends.
    pub fn link_set(&mut self, term: &str, link: crate::engine::rule::LinkConfig) -> Result<()> {
        let id = self.find_network(term)?;
        if self.state.networks[&id].driver != "bridge" {
            return Err(Error::new(
                Kind::InvalidParameter,
                format!(
                    "network {term} has no links: its driver is {}",
                    self.state.networks[&id].driver
                ),
            ));
        }
        if link == Default::default() {
            self.state.links.remove(&id);
        } else {
            self.state.links.insert(id, link);
        }
        Ok(())
    }

    /// `POST /networks/{id}/connect`.
    pub fn network_connect(
        &mut self,
        net_term: &str,
        container_term: &str,
        settings: EndpointSettings,
    ) -> Result<()> {
        let cid = self.find_container(container_term)?;
        let found = self.find_network(net_term);
        let c = &self.state.containers[&cid];
        if !c.is_running() {
            // A stopped container: only its configuration changes (a missing network is
            // stored under the given name and fails at start, moby#29754).
            let Ok(nid) = found else {
                let key = net_term.to_string();
                let c = self.state.containers.get_mut(&cid).expect("found");
                if !c.networks.contains_key(&key) {
                    c.networks.insert(key, settings);
                }
                return Ok(());
            };
            self.check_connect(&cid, &nid, &settings)?;
            let name = self.state.networks[&nid].name.clone();
            if self.state.containers[&cid].networks.contains_key(&name) {
                return Ok(()); // "Avoid duplicate config"
            }
            let mut settings = EndpointSettings {
                network_id: nid.clone(),
                endpoint_id: None,
                ..settings
            };
            settings.dns_names = self.dns_names(&cid, &nid, &settings.aliases);
            let c = self.state.containers.get_mut(&cid).expect("found");
            c.networks.insert(name, settings);
            return Ok(());
        }
        let nid = found?;
        self.check_connect(&cid, &nid, &settings)?;
        let net = &self.state.networks[&nid];
        let c = &self.state.containers[&cid];
        if net.endpoint_of(&cid).is_some() {
            return Err(Error::endpoint_exists(&c.name, &net.name));
        }
        let name = net.name.clone();
        let mut settings = settings;
        self.join(&cid, &nid, &mut settings)?;
        let c = self.state.containers.get_mut(&cid).expect("found");
        c.networks.insert(name, settings);
        Ok(())
    }

    /// The network-mode and endpoint-settings rules shared by connect and create.
    fn check_connect(&self, cid: &str, nid: &str, settings: &EndpointSettings) -> Result<()> {
        let c = &self.state.containers[cid];
        let net = &self.state.networks[nid];
        let mode = c.host_config.network_mode.as_str();
        if mode == "host" && net.driver == "host" {
            // Already there: libnetwork reports the endpoint.
            return Err(Error::endpoint_exists(&c.name, &net.name));
        }
        if mode == "host" || mode.starts_with("container:") {
            return Err(Error::new(
                Kind::Forbidden,
                "container sharing network namespace with another container or host cannot be connected to any other network",
            ));
        }
        if net.driver == "host" {
            return Err(Error::new(
                Kind::Forbidden,
                "container cannot be disconnected from host network or connected to host network",
            ));
        }
        let on_none = c.networks.keys().any(|k| k == "none");
        if (net.driver == "null" && !c.networks.is_empty() && !on_none)
            || (on_none && net.driver != "null")
        {
            return Err(Error::new(
                Kind::Forbidden,
                "container cannot be connected to multiple networks with one of the networks in private (none) mode",
            ));
        }
        validate_endpoint_settings(Some(net), &net.name, settings)
    }

    /// Creates the endpoint of a running container on a network: addresses, MAC, ID.
    pub(crate) fn join(
        &mut self,
        cid: &str,
        nid: &str,
        settings: &mut EndpointSettings,
    ) -> Result<()> {
        let dns_names = self.dns_names(cid, nid, &settings.aliases);
        let label = format!("endpoint/{cid}/{nid}");
        let ep_id = self.peek_id(&label);
        let statics = settings.ipam_config.clone().unwrap_or_default();
        let mut ipv4 = None;
        let mut ipv6 = None;
        // libnetwork names the endpoint after the container; an endpoint of that name left in
        // the cluster store by a host that died uncleanly blocks the join (daemon
        // connectToNetwork, classic overlay).
        let cname = self.state.containers[cid].name.clone();
        let host = self.host.name.clone();
        let net = self.state.networks.get_mut(nid).expect("network exists");
        if net.endpoints.values().any(|e| e.name == cname) {
            return Err(Error::new(
                Kind::Forbidden,
                format!("container already connected to network {}", net.name),
            ));
        }
        if net.driver == "bridge" || net.driver == "overlay" {
            let (name, id) = (net.name.clone(), net.id.clone());
            for pool in net.ipam.pools.iter_mut() {
                let v4 = pool.subnet.addr.is_ipv4();
                let want = if v4 {
                    &statics.ipv4_address
                } else {
                    &statics.ipv6_address
                };
                let want: Option<IpAddr> = (!want.is_empty()).then(|| want.parse().ok()).flatten();
                let got = pool.request(want).map_err(|e| {
                    if want.is_some() {
                        e
                    } else {
                        Error::no_available_addresses(if v4 { 4 } else { 6 }, &name, &id)
                    }
                });
                match got {
                    Ok(ip) if v4 => ipv4 = Some((ip, pool.subnet.len)),
                    Ok(ip) => ipv6 = Some((ip, pool.subnet.len)),
                    Err(e) => {
                        for (ip, _) in [ipv4, ipv6].into_iter().flatten() {
                            for p in net.ipam.pools.iter_mut() {
                                p.release(ip);
                            }
                        }
                        return Err(e);
                    }
                }
            }
        }
        let mac = match ipv4 {
            Some((IpAddr::V4(a), _)) => {
                let o = a.octets();
                Some(format!(
                    "02:42:{:02x}:{:02x}:{:02x}:{:02x}",
                    o[0], o[1], o[2], o[3]
                ))
            }
            _ if net.driver == "bridge" || net.driver == "overlay" => Some(format!(
                "02:42:{}:{}:{}:{}",
                &ep_id[0..2],
                &ep_id[2..4],
                &ep_id[4..6],
                &ep_id[6..8]
            )),
            _ => None,
        };
        net.endpoints.insert(
            ep_id.clone(),
            Endpoint {
                id: ep_id.clone(),
                container_id: cid.to_string(),
                mac,
                ipv4,
                ipv6,
                counters: Default::default(),
                neighbors: Vec::new(),
                name: cname,
                host: if net.global { host } else { String::new() },
                dns_names: if net.global {
                    dns_names.clone().unwrap_or_default()
                } else {
                    Vec::new()
                },
                ifname: if net.global {
                    format!("eth{}", self.state.containers[cid].next_ifindex)
                } else {
                    String::new()
                },
            },
        );
        self.new_id(&label);
        settings.network_id = nid.to_string();
        settings.endpoint_id = Some(ep_id);
        settings.dns_names = dns_names;
        let c = self
            .state
            .containers
            .get_mut(cid)
            .expect("joining container");
        settings.ifname = Some(format!("eth{}", c.next_ifindex));
        c.next_ifindex += 1;
        Ok(())
    }

    /// `buildEndpointDNSNames`: on user-defined networks, the container's name, its aliases,
    /// its short ID and its hostname, without repeats.
    pub(crate) fn dns_names(
        &self,
        cid: &str,
        nid: &str,
        aliases: &[String],
    ) -> Option<Vec<String>> {
        let c = &self.state.containers[cid];
        is_user_defined(&self.state.networks[nid].name).then(|| {
            let mut names = vec![c.name.clone()];
            names.extend(aliases.iter().cloned());
            names.push(c.short_id().to_string());
            names.push(c.config.hostname.clone());
            let mut seen = std::collections::BTreeSet::new();
            names.retain(|n| seen.insert(n.clone()));
            names
        })
    }

    /// Deletes a container's endpoint and returns its addresses to the pools.
    pub(crate) fn leave(&mut self, nid: &str, ep_id: &str) {
        if let Some(net) = self.state.networks.get_mut(nid)
            && let Some(ep) = net.endpoints.shift_remove(ep_id)
        {
            for (ip, _) in [ep.ipv4, ep.ipv6].into_iter().flatten() {
                for p in net.ipam.pools.iter_mut() {
                    p.release(ip);
                }
            }
        }
    }

    /// `POST /networks/{id}/disconnect`.
    pub fn network_disconnect(
        &mut self,
        net_term: &str,
        container_term: &str,
        force: bool,
    ) -> Result<()> {
        let cid = match self.find_container(container_term) {
            Ok(cid) => cid,
            Err(e) if force => {
                // ForceEndpointDelete: the container is gone; delete its endpoint by name.
                let _ = e;
                let nid = self.find_network(net_term)?;
                let net = &self.state.networks[&nid];
                let Some(ep) = net
                    .endpoints
                    .values()
                    .find(|ep| {
                        self.state
                            .containers
                            .get(&ep.container_id)
                            .map_or(ep.name == container_term, |c| c.name == container_term)
                    })
                    .map(|ep| ep.id.clone())
                else {
                    return Err(Error::endpoint_not_found(container_term));
                };
                self.leave(&nid, &ep);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let found = self.find_network(net_term);
        let c = &self.state.containers[&cid];
        if let Ok(nid) = &found {
            let net = &self.state.networks[nid];
            if c.host_config.network_mode == "host" && net.driver == "host" {
                return Err(Error::new(
                    Kind::Forbidden,
                    "cannot disconnect container from host network - container was created in host network mode",
                ));
            }
        }
        if !c.is_running() || (found.is_err() && force) {
            let key = match &found {
                Ok(nid) if !c.networks.contains_key(net_term) => {
                    self.state.networks[nid].name.clone()
                }
                _ => net_term.to_string(),
            };
            if !c.networks.contains_key(&key) {
                let shown = found
                    .as_ref()
                    .map_or(net_term, |nid| self.state.networks[nid].name.as_str());
                return Err(Error::not_connected_stopped(&cid, shown));
            }
            let c = self.state.containers.get_mut(&cid).expect("found");
            let s = c.networks.shift_remove(&key).expect("checked");
            if let Some(ep) = s.endpoint_id {
                self.leave(&s.network_id, &ep);
            }
            return Ok(());
        }
        let nid = found?;
        let net = &self.state.networks[&nid];
        let Some(ep) = net.endpoint_of(&cid).map(|e| e.id.clone()) else {
            return Err(Error::not_connected_running(&cid, &net.name));
        };
        let name = net.name.clone();
        self.leave(&nid, &ep);
        let c = self.state.containers.get_mut(&cid).expect("found");
        c.networks.shift_remove(&name);
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

/// Joins several errors as moby's `errJoin`/`multierror.Join` does.
fn join_errors(errs: &[String]) -> String {
    if errs.len() == 1 {
        errs[0].clone()
    } else {
        errs.iter()
            .map(|e| format!("* {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `network.ValidateIPAM` (API v1.44+): `invalid network config:` and the problems.
pub fn validate_ipam(configs: &[IpamConfig], enable_ipv6: bool) -> Result<()> {
    let mut errs: Vec<String> = Vec::new();
    let family = |p: &Prefix| if p.addr.is_ipv4() { "IPv4" } else { "IPv6" };
    for c in configs {
        let Ok(subnet) = c.subnet.parse::<Prefix>() else {
            errs.push(format!(
                "invalid subnet {}: invalid CIDR block notation",
                c.subnet
            ));
            continue;
        };
        let fam = family(&subnet);
        if !enable_ipv6 && fam == "IPv6" {
            continue;
        }
        if subnet != subnet.masked() {
            errs.push(format!(
                "invalid subnet {subnet}: it should be {}",
                subnet.masked()
            ));
        }
        if !c.ip_range.is_empty() {
            match c.ip_range.parse::<Prefix>() {
                Err(_) => errs.push(format!(
                    "invalid ip-range {}: invalid CIDR block notation",
                    c.ip_range
                )),
                Ok(r) if family(&r) != fam => errs.push(format!(
                    "invalid ip-range {}: parent subnet is an {fam} block",
                    c.ip_range
                )),
                Ok(r) => {
                    if r.len < subnet.len {
                        errs.push(format!(
                            "invalid ip-range {}: CIDR block is bigger than its parent subnet {subnet}",
                            c.ip_range
                        ));
                    }
                    if r != r.masked() {
                        errs.push(format!("invalid ip-range {r}: it should be {}", r.masked()));
                    }
                    if !subnet.overlaps(&r) {
                        errs.push(format!(
                            "invalid ip-range {}: parent subnet {subnet} doesn't contain ip-range",
                            c.ip_range
                        ));
                    }
                }
            }
        }
        let check_addr = |a: &str| -> Option<String> {
            if a.is_empty() {
                return None;
            }
            match a.parse::<IpAddr>() {
                Err(_) => Some("invalid address".to_string()),
                Ok(ip) if ip.is_ipv4() != subnet.addr.is_ipv4() => {
                    Some(format!("parent subnet is an {fam} block"))
                }
                Ok(ip) if !subnet.contains(ip) => Some(format!(
                    "parent subnet {subnet} doesn't contain this address"
                )),
                Ok(_) => None,
            }
        };
        if let Some(e) = check_addr(&c.gateway) {
            errs.push(format!("invalid gateway {}: {e}", c.gateway));
        }
        for (name, aux) in &c.aux_addresses {
            if let Some(e) = check_addr(aux) {
                errs.push(format!("invalid auxiliary address {name}: {e}"));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            Kind::InvalidParameter,
            format!("invalid network config:\n{}", join_errors(&errs)),
        ))
    }
}

/// `validateEndpointSettings` (v25+): `invalid endpoint settings:` and the problems.
pub fn validate_endpoint_settings(
    net: Option<&Network>,
    net_name: &str,
    s: &EndpointSettings,
) -> Result<()> {
    let mut errs: Vec<String> = Vec::new();
    let ipam = s.ipam_config.clone().unwrap_or_default();
    if !is_user_defined(net_name) {
        if !ipam.ipv4_address.is_empty() || !ipam.ipv6_address.is_empty() {
            errs.push(
                "user specified IP address is supported on user defined networks only".into(),
            );
        }
        if !s.aliases.is_empty() {
            errs.push(
                "network-scoped alias is supported only for containers in user defined networks"
                    .into(),
            );
        }
    }
    let v4: Option<IpAddr> = if ipam.ipv4_address.is_empty() {
        None
    } else {
        match ipam.ipv4_address.parse::<IpAddr>() {
            Ok(ip @ IpAddr::V4(_)) => Some(ip),
            _ => {
                errs.push(format!("invalid IPv4 address: {}", ipam.ipv4_address));
                None
            }
        }
    };
    let v6: Option<IpAddr> = if ipam.ipv6_address.is_empty() {
        None
    } else {
        match ipam.ipv6_address.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) if a.to_ipv4_mapped().is_none() => Some(IpAddr::V6(a)),
            _ => {
                errs.push(format!("invalid IPv6 address: {}", ipam.ipv6_address));
                None
            }
        }
    };
    if let Some(net) = net {
        for (ip, is_v4) in [(v4, true), (v6, false)] {
            let Some(ip) = ip else { continue };
            if !net.has_user_subnet(is_v4) {
                errs.push(
                    "user specified IP address is supported only when connecting to networks with user configured subnets"
                        .into(),
                );
            } else if !net.ipam.pools.iter().any(|p| p.subnet.contains(ip)) {
                errs.push(format!(
                    "no configured subnet or ip-range contain the IP address {ip}"
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            Kind::InvalidParameter,
            format!("invalid endpoint settings:\n{}", join_errors(&errs)),
        ))
    }
}
