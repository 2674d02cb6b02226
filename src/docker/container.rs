//! Containers: create, start, stop, kill, restart, remove, rename.
//!
//! Mirrors moby v28.5.2 `daemon/create.go`, `start.go`, `stop.go`, `kill.go`, `delete.go`,
//! `rename.go`, `names.go` and the network half of `container_operations.go`
//! (`allocateNetwork`, `releaseNetwork`). Nothing is executed: a container's "process" is its
//! state (running or not, exit code), which is all its networking depends on.

use super::error::{Error, Kind, Result};
use super::image;
use super::network::{EndpointSettings, validate_endpoint_settings};
use super::{Daemon, is_user_defined};
use crate::time::{Duration, Instant};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A container's lifecycle state (`State.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Stopped after running.
    Exited,
}

impl Status {
    /// The word Docker uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Exited => "exited",
        }
    }
}

/// One host binding of a published port (`PortBinding`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortBinding {
    /// `HostIp`: empty means the network's `host_binding_ipv4`.
    pub host_ip: String,
    /// `HostPort`: empty means an ephemeral port.
    pub host_port: String,
}

/// The body of `POST /containers/create` (the parts vnet models).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerCreateRequest {
    /// `--name`; generated when absent.
    pub name: Option<String>,
    /// The image reference.
    pub image: String,
    /// The command after the image; the image's `CMD` when empty.
    pub cmd: Vec<String>,
    /// `-h`.
    pub hostname: String,
    /// `-e`.
    pub env: Vec<String>,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// Not `-d`: the client attaches to stdout and stderr.
    pub attach: bool,
    /// `--network`; `default` when empty.
    pub network_mode: String,
    /// `-p`, by `port/proto`.
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    /// `-P`.
    pub publish_all_ports: bool,
    /// `--expose`, `port/proto`.
    pub exposed_ports: Vec<String>,
    /// `--link` (the legacy links of the default bridge), `target:alias`.
    pub links: Vec<String>,
    /// `NetworkingConfig.EndpointsConfig`.
    pub endpoints: IndexMap<String, EndpointSettings>,
}

/// `Config`: what the container runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Hostname.
    pub hostname: String,
    /// Environment.
    pub env: Vec<String>,
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `ENTRYPOINT`.
    pub entrypoint: Vec<String>,
    /// The image reference as given.
    pub image: String,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// Attached to the client's output.
    pub attach: bool,
    /// Exposed ports, `port/proto`, sorted.
    pub exposed_ports: Vec<String>,
}

/// `HostConfig`: how the container is wired to the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostConfig {
    /// `bridge`, `host`, `none`, `container:ID` or a network name.
    pub network_mode: String,
    /// `-p`.
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    /// `-P`.
    pub publish_all_ports: bool,
    /// Legacy links, stored as `/target:/name/alias`.
    pub links: Vec<String>,
}

/// `State`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Lifecycle.
    pub status: Status,
    /// A process ID while running.
    pub pid: u32,
    /// The last exit code.
    pub exit_code: i32,
    /// The last start failure.
    pub error: String,
    /// Last start.
    pub started_at: Option<Instant>,
    /// Last stop.
    pub finished_at: Option<Instant>,
}

/// A container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// 64-hex ID.
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Creation time.
    pub created: Instant,
    /// What runs.
    pub config: Config,
    /// Host wiring.
    pub host_config: HostConfig,
    /// Lifecycle.
    pub state: RunState,
    /// Networks by name (`NetworkSettings.Networks`), in attach order: eth0, eth1, ...
    pub networks: IndexMap<String, EndpointSettings>,
    /// Published ports while running: `port/proto` → bindings (empty: exposed only).
    pub ports: BTreeMap<String, Vec<PortBinding>>,
    /// The loopback interface's counters while running.
    #[serde(default)]
    pub lo: crate::stack::Counters,
    /// Legacy links' environment, fixed when the container started.
    #[serde(default)]
    pub link_env: Vec<String>,
    /// Legacy links' `/etc/hosts` lines: (child, address, names), written at start.
    #[serde(default)]
    pub link_hosts: Vec<(String, std::net::Ipv4Addr, String)>,
    /// The next interface index of the running container's network namespace.
    #[serde(default)]
    pub next_ifindex: u32,
}

impl Container {
    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.state.status == Status::Running
    }
    /// The 12-character short ID.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
    /// `Path`: the first word of entrypoint + cmd.
    pub fn path(&self) -> String {
        self.argv().first().cloned().unwrap_or_default()
    }
    /// `Args`: the rest.
    pub fn args(&self) -> Vec<String> {
        self.argv().into_iter().skip(1).collect()
    }
    /// `ContainerSummary.Command`: `Path` and `Args`, an argument with a space in single
    /// quotes (daemon/list.go).
    pub fn command_line(&self) -> String {
        let args: Vec<String> = self
            .args()
            .into_iter()
            .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
            .collect();
        if args.is_empty() {
            self.path()
        } else {
            format!("{} {}", self.path(), args.join(" "))
        }
    }
    fn argv(&self) -> Vec<String> {
        self.config
            .entrypoint
            .iter()
            .chain(self.config.cmd.iter())
            .cloned()
            .collect()
    }
}

/// `validContainerNamePattern`: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn valid_container_name(name: &str) -> bool {
    let n = name.strip_prefix('/').unwrap_or(name);
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && n.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

const ADJECTIVES: [&str; 24] = [
    "brave", "calm", "clever", "eager", "gentle", "happy", "jolly", "keen", "kind", "lucid",
    "merry", "nimble", "patient", "quiet", "quirky", "relaxed", "serene", "sharp", "steady",
    "sunny", "swift", "tender", "vibrant", "witty",
];
const SURNAMES: [&str; 24] = [
    "babbage", "bohr", "cerf", "curie", "dijkstra", "euler", "fermi", "gauss", "hamilton",
    "hopper", "kahn", "knuth", "lamport", "liskov", "lovelace", "metcalfe", "noether", "perlman",
    "postel", "ritchie", "shannon", "thompson", "turing", "wirth",
];

/// How long `docker stop` waits before SIGKILL by default.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The first ephemeral host port (Linux `ip_local_port_range` start, as Docker's allocator).
pub const EPHEMERAL_PORT_START: u16 = 32768;
/// The last ephemeral host port.
pub const EPHEMERAL_PORT_END: u16 = 60999;

impl Daemon {
    /// Finds a container as `GetContainer` does: full ID, then name, then unique ID prefix.
    pub fn find_container(&self, term: &str) -> Result<String> {
        if term.is_empty() {
            return Err(Error::no_such_container(term));
        }
        if self.state.containers.contains_key(term) {
            return Ok(term.to_string());
        }
        let name = term.strip_prefix('/').unwrap_or(term);
        if let Some(c) = self.name_owner(name) {
            return Ok(c.id.clone());
        }
        let hits: Vec<&String> = self
            .state
            .containers
            .keys()
            .filter(|id| id.starts_with(term))
            .collect();
        match hits.len() {
            0 => Err(Error::no_such_container(term)),
            1 => Ok(hits[0].clone()),
            _ => Err(Error::new(
                Kind::InvalidParameter,
                format!("multiple IDs found with provided prefix: {term}"),
            )),
        }
    }

    /// A container by ID.
    pub fn container(&self, id: &str) -> &Container {
        &self.state.containers[id]
    }

    fn name_owner(&self, name: &str) -> Option<&Container> {
        let id = self.state.names.get(name)?;
        self.state.containers.get(id)
    }

    /// `POST /containers/create`. Returns the new container's ID.
    pub fn container_create(&mut self, req: ContainerCreateRequest) -> Result<String> {
        let mode = match req.network_mode.as_str() {
            "" | "default" => "bridge".to_string(),
            m => m.to_string(),
        };
        // validateNetworkingConfig: each endpoint's settings, before anything is reserved.
        for (key, s) in &req.endpoints {
            let shown = if key == "default" { "bridge" } else { key };
            let net = self
                .find_network(key)
                .ok()
                .map(|id| &self.state.networks[&id]);
            validate_endpoint_settings(net, shown, s)
                .map_err(|e| e.prefixed(&format!("invalid config for network {shown}: ")))?;
        }
        if mode.starts_with("container:") {
            return Err(Error::new(
                Kind::System,
                "vnet does not simulate the container: network mode",
            ));
        }
        let mut generated = 0;
        let name = match &req.name {
            Some(n) => {
                if !valid_container_name(n) {
                    return Err(Error::invalid_container_name(n));
                }
                let n = n.strip_prefix('/').unwrap_or(n).to_string();
                if let Some(owner) = self.name_owner(&n) {
                    return Err(Error::container_name_in_use(&n, &owner.id));
                }
                n
            }
            None => {
                let (n, draws) = self.generated_name();
                generated = draws;
                n
            }
        };
        // Legacy links (default bridge only): the target must exist now.
        let mut links = Vec::new();
        if !is_user_defined(&mode) {
            for l in &req.links {
                let (target, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
                let tid = self.find_container(target).map_err(|e| {
                    Error::new(
                        Kind::InvalidParameter,
                        format!("could not get container for {target}: {e}"),
                    )
                })?;
                let t = &self.state.containers[&tid];
                if t.host_config.network_mode == "host" {
                    return Err(Error::new(
                        Kind::InvalidParameter,
                        "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
                    ));
                }
                links.push(format!("/{}:/{name}/{alias}", t.name));
            }
        }
        let img = image::lookup(&req.image);
        let mut endpoints: IndexMap<String, EndpointSettings> = IndexMap::new();
        let primary = match mode.as_str() {
            "bridge" => "bridge".to_string(),
            m => m.to_string(),
        };
        let primary_settings = req
            .endpoints
            .get(&primary)
            .or_else(|| req.endpoints.get("default"))
            .cloned()
            .unwrap_or_default();
        endpoints.insert(primary.clone(), primary_settings);
        for (k, s) in &req.endpoints {
            let k = if k == "default" { "bridge" } else { k.as_str() };
            if !endpoints.contains_key(k) {
                endpoints.insert(k.to_string(), s.clone());
            }
        }
        // Endpoints store the resolved network under its name.
        let mut resolved: IndexMap<String, EndpointSettings> = IndexMap::new();
        for (k, mut s) in endpoints {
            match self.find_network(&k) {
                Ok(nid) => {
                    s.network_id = nid.clone();
                    resolved.insert(self.state.networks[&nid].name.clone(), s);
                }
                // An unknown network is kept by name; start fails on it.
                Err(_) => {
                    resolved.insert(k, s);
                }
            }
        }
        let mut exposed: Vec<String> = img.exposed.iter().map(|s| s.to_string()).collect();
        for p in req.port_bindings.keys().chain(&req.exposed_ports) {
            if !exposed.contains(p) {
                exposed.push(p.clone());
            }
        }
        exposed.sort_by_key(|p| port_sort_key(p));

        let id = self.new_id(&format!("container/{name}"));
        let mut env: Vec<String> = img.env.iter().map(|s| s.to_string()).collect();
        for e in &req.env {
            let key = e.split('=').next().unwrap_or(e);
            env.retain(|x| x.split('=').next() != Some(key));
            env.push(e.clone());
        }
        let cmd: Vec<String> = if req.cmd.is_empty() {
            img.cmd.iter().map(|s| s.to_string()).collect()
        } else {
            req.cmd.clone()
        };
        let hostname = if req.hostname.is_empty() {
            id[..12].to_string()
        } else {
            req.hostname.clone()
        };
        let c = Container {
            id: id.clone(),
            name,
            created: self.now(),
            config: Config {
                hostname,
                env,
                cmd,
                entrypoint: img.entrypoint.iter().map(|s| s.to_string()).collect(),
                image: req.image.clone(),
                tty: req.tty,
                open_stdin: req.open_stdin,
                attach: req.attach,
                exposed_ports: exposed,
            },
            host_config: HostConfig {
                network_mode: mode,
                port_bindings: req.port_bindings.clone(),
                publish_all_ports: req.publish_all_ports,
                links,
            },
            state: RunState {
                status: Status::Created,
                pid: 0,
                exit_code: 0,
                error: String::new(),
                started_at: None,
                finished_at: None,
            },
            networks: resolved,
            ports: BTreeMap::new(),
            lo: Default::default(),
            link_env: Vec::new(),
            link_hosts: Vec::new(),
            next_ifindex: 0,
        };
        self.state.names.insert(c.name.clone(), id.clone());
        self.state.containers.insert(id.clone(), c);
        for label in ["name/adjective", "name/surname"] {
            *self.state.counters.entry(label.to_string()).or_insert(0) += generated;
        }
        Ok(id)
    }

    /// A free `adjective_surname` name, and how many draws it took (committed only when the
    /// container is created, so a failed create changes nothing).
    fn generated_name(&self) -> (String, u64) {
        let base = |label: &str| self.state.counters.get(label).copied().unwrap_or(0);
        let (a0, s0) = (base("name/adjective"), base("name/surname"));
        let seed = self.state.seed;
        (0..)
            .map(|k| {
                let a = crate::rng::below(
                    seed,
                    &format!("name/adjective/{}", a0 + k),
                    ADJECTIVES.len() as u64,
                );
                let s = crate::rng::below(
                    seed,
                    &format!("name/surname/{}", s0 + k),
                    SURNAMES.len() as u64,
                );
                (
                    format!("{}_{}", ADJECTIVES[a as usize], SURNAMES[s as usize]),
                    k + 1,
                )
            })
            .find(|(name, _)| self.name_owner(name).is_none())
            .expect("an unbounded search ends")
    }

    /// `POST /containers/{id}/start`. Starting a running container does nothing.
    pub fn container_start(&mut self, term: &str) -> Result<()> {
        let cid = self.find_container(term)?;
        if self.state.containers[&cid].is_running() {
            return Ok(());
        }
        match self.start_networking(&cid) {
            Ok(()) => {
                let now = self.now();
                let pid = 1000 + self.draw("pid", 30000) as u32;
                let link_env = self.legacy_link_env(&cid);
                let link_hosts = self.legacy_link_hosts(&cid);
                self.update_parents_hosts(&cid);
                let c = self.state.containers.get_mut(&cid).expect("found");
                c.link_env = link_env;
                c.link_hosts = link_hosts;
                c.state.status = Status::Running;
                c.state.pid = pid;
                c.state.exit_code = 0;
                c.state.error.clear();
                c.state.started_at = Some(now);
                if let Some(code) = exits_at_once(c) {
                    self.exit(&cid, code);
                }
                Ok(())
            }
            Err(e) => {
                // start_networking rolled its endpoints back; only the error is recorded.
                let e = e.prefixed("failed to set up container networking: ");
                let c = self.state.containers.get_mut(&cid).expect("found");
                c.state.error = e.message.clone();
                // containerStart keeps an earlier exit code (exitUnknown otherwise).
                if c.state.exit_code == 0 {
                    c.state.exit_code = 128;
                }
                Err(e)
            }
        }
    }

    fn start_networking(&mut self, cid: &str) -> Result<()> {
        // A new sandbox: interfaces count from eth0 again.
        self.state
            .containers
            .get_mut(cid)
            .expect("found")
            .next_ifindex = 0;
        let c = &self.state.containers[cid];
        // Legacy links: every target must be running.
        for l in &c.host_config.links {
            let (target, alias) = l.split_once(':').unwrap_or((l, l));
            let child = self
                .find_container(target)
                .ok()
                .map(|t| &self.state.containers[&t]);
            if !child.is_some_and(|t| t.is_running()) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("Cannot link to a non running container: {target} AS {alias}"),
                ));
            }
            // isLinkable: the child must be on the default bridge.
            if !child.is_some_and(|t| t.networks.contains_key("bridge")) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!(
                        "Cannot link to {target}, as it does not belong to the default network"
                    ),
                ));
            }
        }
        let keys: Vec<String> = c.networks.keys().cloned().collect();
        let mut renamed: Vec<(String, String)> = Vec::new();
        for key in keys {
            let mut s = self.state.containers[cid].networks[&key].clone();
            let nid = if !s.network_id.is_empty() {
                if self.state.networks.contains_key(&s.network_id) {
                    Ok(s.network_id.clone())
                } else {
                    Err(Error::network_not_found(&s.network_id))
                }
            } else {
                self.find_network(&key)
            };
            let nid = match nid.and_then(|nid| self.join(cid, &nid, &mut s).map(|()| nid)) {
                Ok(nid) => nid,
                Err(e) => {
                    self.release_networking(cid);
                    return Err(e);
                }
            };
            let net_name = self.state.networks[&nid].name.clone();
            let c = self.state.containers.get_mut(cid).expect("found");
            *c.networks.get_mut(&key).expect("present") = s;
            if net_name != key {
                renamed.push((key, net_name));
            }
        }
        self.publish_ports(cid)
            .inspect_err(|_| self.release_networking(cid))?;
        // Entries stored under an ID or a stale name take the network's name.
        for (old, new) in renamed {
            let c = self.state.containers.get_mut(cid).expect("found");
            if let Some(i) = c.networks.get_index_of(&old) {
                let (_, v) = c.networks.shift_remove_index(i).expect("index");
                c.networks.shift_insert(i, new, v);
            }
        }
        Ok(())
    }

    /// Binds the container's published ports (`-p`, and every exposed port with `-P`).
    fn publish_ports(&mut self, cid: &str) -> Result<()> {
        let c = &self.state.containers[cid];
        let binding_ip = c
            .networks
            .values()
            .filter_map(|s| self.state.networks.get(&s.network_id))
            .find(|n| n.driver == "bridge")
            .map(|n| n.host_binding_ipv4());
        let mut ports: BTreeMap<String, Vec<PortBinding>> = BTreeMap::new();
        let Some(binding_ip) = binding_ip else {
            return Ok(()); // host/none: nothing to publish
        };
        let publishes = |p: &String| {
            c.host_config.publish_all_ports || c.host_config.port_bindings.contains_key(p)
        };
        if !c.config.exposed_ports.iter().any(publishes) {
            // Nothing to bind: each exposed port shows unpublished.
            let ports = c
                .config
                .exposed_ports
                .iter()
                .map(|p| (p.clone(), Vec::new()))
                .collect();
            self.state.containers.get_mut(cid).expect("found").ports = ports;
            return Ok(());
        }
        let mut used: Vec<(String, u16)> = self
            .state
            .containers
            .values()
            .filter(|o| o.is_running())
            .flat_map(|o| o.ports.iter())
            .flat_map(|(p, bs)| {
                let proto = proto_of(p).to_string();
                bs.iter()
                    .filter_map(move |b| b.host_port.parse().ok().map(|n| (proto.clone(), n)))
            })
            .collect();
        for p in &c.config.exposed_ports {
            let requested = c.host_config.port_bindings.get(p).cloned().or_else(|| {
                c.host_config
                    .publish_all_ports
                    .then(|| vec![PortBinding::default()])
            });
            let Some(requested) = requested else {
                ports.insert(p.clone(), Vec::new());
                continue;
            };
            let proto = proto_of(p).to_string();
            let mut bound = Vec::new();
            for b in requested {
                let host_ip = if b.host_ip.is_empty() {
                    binding_ip.clone()
                } else {
                    b.host_ip.clone()
                };
                let port = if b.host_port.is_empty() {
                    (EPHEMERAL_PORT_START..=EPHEMERAL_PORT_END)
                        .find(|n| !used.contains(&(proto.clone(), *n)))
                        .ok_or_else(|| Error::new(Kind::System, "no free ephemeral host port"))?
                } else {
                    let n: u16 = b.host_port.parse().map_err(|_| {
                        Error::new(
                            Kind::InvalidParameter,
                            format!("invalid port {}", b.host_port),
                        )
                    })?;
                    if used.contains(&(proto.clone(), n)) {
                        let ep = c
                            .networks
                            .values()
                            .find_map(|s| s.endpoint_id.clone())
                            .unwrap_or_default();
                        return Err(Error::new(
                            Kind::System,
                            format!(
                                "driver failed programming external connectivity on endpoint {} ({ep}): Bind for {host_ip}:{n} failed: port is already allocated",
                                c.name
                            ),
                        ));
                    }
                    n
                };
                used.push((proto.clone(), port));
                bound.push(PortBinding {
                    host_ip,
                    host_port: port.to_string(),
                });
            }
            ports.insert(p.clone(), bound);
        }
        self.state.containers.get_mut(cid).expect("found").ports = ports;
        Ok(())
    }

    fn release_networking(&mut self, cid: &str) {
        let c = &self.state.containers[cid];
        let eps: Vec<(String, String)> = c
            .networks
            .values()
            .filter_map(|s| s.endpoint_id.clone().map(|e| (s.network_id.clone(), e)))
            .collect();
        for (nid, ep) in eps {
            self.leave(&nid, &ep);
        }
        let c = self.state.containers.get_mut(cid).expect("found");
        for s in c.networks.values_mut() {
            s.endpoint_id = None;
            s.ifname = None;
        }
        c.ports.clear();
    }

    /// `POST /containers/{id}/stop?t=N`: SIGTERM, then SIGKILL after `timeout` seconds if
    /// the process ignores SIGTERM (a shell as PID 1 does); a negative timeout waits for
    /// ever. Stopping a stopped container does nothing.
    pub fn container_stop(&mut self, term: &str, timeout: Option<i64>) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = &self.state.containers[&cid];
        if !c.is_running() {
            return Ok(());
        }
        let (code, waited) = self.stop_wait(c, timeout)?;
        self.advance(waited);
        self.exit(&cid, code);
        Ok(())
    }

    /// Stops several containers at once, as the docker CLI does (in parallel): each waits its
    /// own grace period from the same moment, and the clock ends at the longest.
    pub fn container_stop_many(
        &mut self,
        terms: &[String],
        timeout: Option<i64>,
    ) -> Vec<Result<()>> {
        let start = self.now();
        let mut plan: Vec<(usize, String, Duration, i32)> = Vec::new();
        let mut results: Vec<Result<()>> = Vec::new();
        for (k, term) in terms.iter().enumerate() {
            let r = self.find_container(term).and_then(|cid| {
                let c = &self.state.containers[&cid];
                if !c.is_running() {
                    return Ok(());
                }
                let (code, wait) = self.stop_wait(c, timeout)?;
                plan.push((k, cid, wait, code));
                Ok(())
            });
            results.push(r);
        }
        plan.sort_by_key(|(k, _, wait, _)| (*wait, *k));
        for (_, cid, wait, code) in plan {
            let at = start + wait;
            if at > self.now() {
                self.state.clock = at;
            }
            if self
                .state
                .containers
                .get(&cid)
                .is_some_and(|c| c.is_running())
            {
                self.exit(&cid, code);
            }
        }
        results
    }

    /// How a stop ends: the exit code, and how long it waits for the process.
    fn stop_wait(&self, c: &Container, timeout: Option<i64>) -> Result<(i32, Duration)> {
        if image::lookup(&c.config.image).exits_on_stop_signal {
            return Ok((0, Duration(0)));
        }
        match timeout {
            None => Ok((137, DEFAULT_STOP_TIMEOUT)),
            Some(t) if t >= 0 => Ok((137, Duration::from_secs(t as u64))),
            Some(_) => Err(Error::new(
                Kind::System,
                format!(
                    "vnet cannot wait for ever: the main process of {} ignores SIGTERM; give stop a timeout",
                    c.name
                ),
            )),
        }
    }

    /// `POST /containers/{id}/kill`: SIGKILL, exit code 137.
    pub fn container_kill(&mut self, term: &str) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = &self.state.containers[&cid];
        if !c.is_running() {
            return Err(Error::new(
                Kind::Conflict,
                format!("cannot kill container: {term}: container {cid} is not running"),
            ));
        }
        self.exit(&cid, 137);
        Ok(())
    }

    /// The IDs of the running containers, in creation order.
    fn running_ids(&self) -> Vec<String> {
        self.state
            .containers
            .values()
            .filter(|c| c.is_running())
            .map(|c| c.id.clone())
            .collect()
    }

    /// A clean daemon shutdown (`vnet host restart`): every running container is stopped as
    /// `docker stop` stops it, all at once; their endpoints are released.
    pub fn shutdown(&mut self) {
        let running = self.running_ids();
        // A negative timeout cannot come from here: the default grace period applies.
        let _ = self.container_stop_many(&running, None);
    }

    /// The engine comes back after its host died without cleaning up (`vnet host restart
    /// --unclean`). Containers that were running are found dead (exit code 255, as
    /// `daemon.restore` records a task that is gone); their endpoints on local networks are
    /// swept as libnetwork's sandbox cleanup does, but those on global networks stay in the
    /// cluster store with nobody behind them: stale endpoints, under the container's name.
    pub fn recover_after_crash(&mut self) {
        let running = self.running_ids();
        let now = self.now();
        for cid in running {
            let eps: Vec<(String, String)> = self.state.containers[&cid]
                .networks
                .values()
                .filter_map(|s| s.endpoint_id.clone().map(|e| (s.network_id.clone(), e)))
                .collect();
            for (nid, ep) in eps {
                if !self.state.networks.get(&nid).is_some_and(|n| n.global) {
                    self.leave(&nid, &ep);
                }
            }
            let c = self.state.containers.get_mut(&cid).expect("found");
            for s in c.networks.values_mut() {
                s.endpoint_id = None;
                s.ifname = None;
            }
            c.ports.clear();
            c.state.status = Status::Exited;
            c.state.pid = 0;
            c.state.exit_code = 255;
            c.state.finished_at = Some(now);
            c.lo = Default::default();
        }
    }

    /// The container's main process ended with `code` (a shell's `exit`).
    pub fn container_exit(&mut self, cid: &str, code: i32) {
        self.exit(cid, code);
    }

    fn exit(&mut self, cid: &str, code: i32) {
        self.release_networking(cid);
        let now = self.now();
        let c = self.state.containers.get_mut(cid).expect("found");
        c.state.status = Status::Exited;
        c.state.pid = 0;
        c.lo = Default::default();
        c.state.exit_code = code;
        c.state.finished_at = Some(now);
    }

    /// `POST /containers/{id}/restart`: stop (if running), then start.
    pub fn container_restart(&mut self, term: &str, timeout: Option<i64>) -> Result<()> {
        self.container_stop(term, timeout)?;
        self.container_start(term)
            .map_err(|e| e.prefixed(&format!("Cannot restart container {term}: ")))
    }

    /// `DELETE /containers/{id}`.
    pub fn container_remove(&mut self, term: &str, force: bool) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = &self.state.containers[&cid];
        if c.is_running() {
            if !force {
                return Err(Error::new(
                    Kind::Conflict,
                    format!(
                        "cannot remove container \"{term}\": container is running: stop the container before removing or force remove"
                    ),
                ));
            }
            self.exit(&cid, 137);
        }
        if let Some(c) = self.state.containers.shift_remove(&cid) {
            self.state.names.remove(&c.name);
        }
        Ok(())
    }

    /// `POST /containers/{id}/rename`.
    pub fn container_rename(&mut self, term: &str, new_name: &str) -> Result<()> {
        let cid = self.find_container(term)?;
        let new = new_name.strip_prefix('/').unwrap_or(new_name);
        if !valid_container_name(new_name) {
            // rename.go puts the slash in front before reserving the name.
            return Err(Error::invalid_container_name(&format!("/{new}"))
                .prefixed("Error when allocating new name: "));
        }
        let c = &self.state.containers[&cid];
        if c.name == new {
            return Err(Error::new(
                Kind::InvalidParameter,
                "Renaming a container with the same name as its current name",
            ));
        }
        if let Some(owner) = self.name_owner(new) {
            return Err(Error::container_name_in_use(new, &owner.id)
                .prefixed("Error when allocating new name: "));
        }
        let old = c.name.clone();
        self.state.names.remove(&old);
        self.state.names.insert(new.to_string(), cid.clone());
        let c = self.state.containers.get_mut(&cid).expect("found");
        c.name = new.to_string();
        // rename.go rebuilds each network's DNS names with the new name.
        let nets: Vec<(String, String, Vec<String>)> = c
            .networks
            .iter()
            .filter(|(_, s)| s.dns_names.is_some() && !s.network_id.is_empty())
            .map(|(k, s)| (k.clone(), s.network_id.clone(), s.aliases.clone()))
            .collect();
        for (key, nid, aliases) in nets {
            if self.state.networks.contains_key(&nid) {
                let names = self.dns_names(&cid, &nid, &aliases);
                let c = self.state.containers.get_mut(&cid).expect("found");
                c.networks.get_mut(&key).expect("present").dns_names = names;
            }
        }
        // Sandbox.Rename: the endpoints take the new name (and, on global networks, the
        // names other hosts resolve).
        let eps: Vec<(String, String, Option<Vec<String>>)> = self.state.containers[&cid]
            .networks
            .values()
            .filter_map(|s| {
                let ep = s.endpoint_id.clone()?;
                Some((s.network_id.clone(), ep, s.dns_names.clone()))
            })
            .collect();
        for (nid, ep, names) in eps {
            if let Some(net) = self.state.networks.get_mut(&nid)
                && let Some(e) = net.endpoints.get_mut(&ep)
            {
                e.name = new.to_string();
                if net.global {
                    e.dns_names = names.unwrap_or_default();
                }
            }
        }
        // Legacy links name their parent: `/target:/parent/alias`.
        for other in self.state.containers.values_mut() {
            for l in other.host_config.links.iter_mut() {
                if let Some((t, rest)) = l.split_once(":/")
                    && t == format!("/{old}")
                {
                    *l = format!("/{new}:/{rest}");
                }
            }
        }
        Ok(())
    }

    /// `GET /containers/json?filters=`: `id` (prefix), `name` (substring), `status`,
    /// `exited`, `network` (name or ID); values of one key are alternatives, keys all apply.
    pub fn container_filter(
        &self,
        all: bool,
        terms: &[(String, String)],
    ) -> Result<Vec<&Container>> {
        const KEYS: [&str; 5] = ["exited", "id", "name", "network", "status"];
        const STATES: [&str; 7] = [
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ];
        for (k, v) in terms {
            if !KEYS.contains(&k.as_str()) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter '{k}'"),
                ));
            }
            if k == "status" && !STATES.contains(&v.as_str()) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter 'status={v}'"),
                ));
            }
        }
        let matches = |c: &Container, k: &str, v: &str| match k {
            "id" => c.id.starts_with(v),
            "name" => c.name.contains(v.trim_start_matches('/')),
            "status" => c.state.status.as_str() == v,
            "exited" => c.state.status == Status::Exited && v.parse() == Ok(c.state.exit_code),
            "network" => c.networks.iter().any(|(name, s)| {
                s.endpoint_id.is_some() && (name == v || s.network_id.starts_with(v))
            }),
            _ => false,
        };
        Ok(self
            .container_list(all)
            .into_iter()
            .filter(|c| {
                KEYS.iter().all(|key| {
                    let vals: Vec<&str> = terms
                        .iter()
                        .filter(|(k, _)| k == key)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    vals.is_empty() || vals.iter().any(|v| matches(c, key, v))
                })
            })
            .collect())
    }

    /// `GET /containers/json?all=&limit=&filters=`: a limit (`ps -n`, `-l`) or a status
    /// filter lists stopped containers too (daemon/list.go); newest first.
    pub fn container_ps(
        &self,
        all: bool,
        limit: Option<usize>,
        terms: &[(String, String)],
    ) -> Result<Vec<&Container>> {
        let any_status = terms.iter().any(|(k, _)| k == "status" || k == "exited");
        let mut list = self.container_filter(all || limit.is_some() || any_status, terms)?;
        if let Some(n) = limit {
            list.truncate(n);
        }
        Ok(list)
    }

    /// `ContainerSummary.Status`: `Created`, `Up 5 seconds`, `Exited (0) 2 minutes ago`
    /// (daemon/list.go with go-units `HumanDuration`).
    pub fn container_status_text(&self, c: &Container) -> String {
        let now = self.now();
        match c.state.status {
            Status::Created => "Created".to_string(),
            Status::Running => format!(
                "Up {}",
                crate::time::human_duration(now - c.state.started_at.unwrap_or(c.created))
            ),
            Status::Exited => format!(
                "Exited ({}) {} ago",
                c.state.exit_code,
                crate::time::human_duration(now - c.state.finished_at.unwrap_or(c.created))
            ),
        }
    }

    /// `GET /containers/json`: newest first.
    pub fn container_list(&self, all: bool) -> Vec<&Container> {
        self.state
            .containers
            .values()
            .rev()
            .filter(|c| all || c.is_running())
            .collect()
    }
}

/// Whether the container's process ends as soon as it starts, and with what status: a shell
/// with no stdin to read (`docker run -d busybox`: `sh` reads EOF and exits 0), `true`,
/// `false`, `echo`. Everything else runs until it is stopped.
pub fn exits_at_once(c: &Container) -> Option<i32> {
    let argv: Vec<&str> = c
        .config
        .entrypoint
        .iter()
        .chain(&c.config.cmd)
        .map(|s| s.as_str())
        .collect();
    let prog = argv.first()?.rsplit('/').next()?;
    match (prog, argv.len()) {
        ("sh" | "ash" | "bash", 1) if !c.config.open_stdin => Some(0),
        ("true", _) => Some(0),
        ("false", _) => Some(1),
        ("echo", _) => Some(0),
        _ => None,
    }
}

/// `6379/tcp` → `tcp`.
pub fn proto_of(port: &str) -> &str {
    port.split_once('/').map_or("tcp", |(_, p)| p)
}

/// Ports sort by number, then protocol.
pub fn port_sort_key(port: &str) -> (u32, String) {
    let (n, p) = port.split_once('/').unwrap_or((port, "tcp"));
    (n.parse().unwrap_or(u32::MAX), p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_container_name("container1"));
        assert!(valid_container_name("/a.b-c_d"));
        assert!(!valid_container_name("a"));
        assert!(!valid_container_name("-ab"));
        assert!(!valid_container_name("bad name"));
    }
}
