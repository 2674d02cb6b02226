//! Several simulated Docker hosts in one state, and the cluster stores they share.
//!
//! A [`Cluster`] holds hosts, each with its own engine ([`Daemon`] state: its `bridge`
//! network at 172.17.0.0/16 like every Docker host, its local networks and containers) and an
//! address on a simulated underlay LAN. Hosts started with a cluster store
//! (`--cluster-store`, Docker's classic multi-host mode, removed in Engine 23) share global-scope
//! networks through it (see [`kv`]).
//!
//! A command runs on one host ([`Cluster::checkout`], then [`Cluster::checkin`]): the host's
//! engine gets the global networks of its store, with every host's endpoints on them, as
//! libnetwork read them from the store; afterwards they go back into the store. So the rules
//! of the `docker` layer apply unchanged to global networks, and two hosts can never hold
//! diverging copies.
//!
//! A host served by `vnet daemon --cluster-store etcd://…` has a live store instead
//! ([`Host::live_store`], [`etcd`]): the checkout reads libnetwork's keys from etcd, the
//! checkin leaves what changed for [`Cluster::publish`], which the state database calls
//! before it commits; a store that changed meanwhile makes the command run again. The other
//! daemons' containers live in their own processes: their endpoints are in the store (IPAM,
//! DNS, `network inspect`), but nothing of theirs runs here.
//!
//! Every state has the host `default` (the one every command talks to without `-H`); it runs
//! on the cluster's seed, so a single-host state replays exactly as before hosts existed.

pub mod etcd;
pub mod kv;

use crate::docker::network::Endpoint;
use crate::docker::{Daemon, HostContext, Network, State};
use indexmap::IndexMap;
use kv::{KvStore, MemStore, NODES, ROOT};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// The host commands talk to without `-H`.
pub const DEFAULT_HOST: &str = "default";

/// The simulated underlay LAN the hosts sit on (RFC 2544's benchmarking range): host `k` has
/// `198.18.0.(k+1)` unless `--cluster-advertise` gives its address.
pub const UNDERLAY: [u8; 3] = [198, 18, 0];

/// One simulated Docker host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Its name (`-H NAME`).
    pub name: String,
    /// `--cluster-store`.
    pub cluster_store: Option<String>,
    /// `--cluster-store-opt K=V`.
    pub cluster_store_opts: BTreeMap<String, String>,
    /// `--cluster-advertise IP:PORT`.
    pub cluster_advertise: Option<String>,
    /// The host's address on the underlay.
    pub address: Ipv4Addr,
    /// Whether its cluster store is a real one on the network (`vnet daemon --cluster-store
    /// etcd://…`), not the embedded one: global networks are read from it and written to it
    /// by every command, whichever front end runs it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live_store: bool,
    /// Its engine's state.
    pub engine: State,
}

impl Host {
    /// How many of its containers run.
    pub fn running(&self) -> usize {
        self.engine
            .containers
            .values()
            .filter(|c| c.is_running())
            .count()
    }
}

/// Hosts and cluster stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The seed everything derives from.
    pub seed: u64,
    /// Hosts by name, in creation order.
    pub hosts: IndexMap<String, Host>,
    /// How many hosts were ever created (a recreated name gets fresh IDs).
    #[serde(default)]
    pub hosts_created: u64,
    /// The embedded cluster stores, by URL.
    pub stores: BTreeMap<String, MemStore>,
    /// Cut underlay links, as pairs of host names (smaller first).
    #[serde(default)]
    pub partitions: BTreeSet<(String, String)>,
    /// What one command's simulation may spend: the front end's setting, not state.
    #[serde(skip)]
    pub budget: crate::engine::budget::Budget,
    /// A command's dealings with live stores: what its checkout read, what its checkin
    /// leaves to [`Cluster::publish`]. Not state.
    #[serde(skip)]
    pub live: Live,
}

/// What commands read from live stores and still have to write there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    /// By host: the store's URL and libnetwork's keys as the checkout read them.
    reads: BTreeMap<String, (String, etcd::Read)>,
    /// Writes waiting for [`Cluster::publish`].
    pending: Vec<Pending>,
}

/// One checkin's changes to a live store, to apply only if nothing changed there since the
/// checkout read it.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    url: String,
    revision: i64,
    puts: Vec<(String, String)>,
    deletes: Vec<String>,
}

/// Why a live store's changes were not written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Another daemon changed the store since the command read it: run the command again.
    #[error("cluster store {0} changed while the command ran")]
    Moved(String),
    /// The store did not answer, or refused.
    #[error(transparent)]
    Store(#[from] etcd::EtcdError),
}

/// What `vnet cluster status` shows.
#[derive(Clone, Debug)]
pub struct Status {
    /// The store's URL.
    pub url: String,
    /// Whether it is a real etcd.
    pub live: bool,
    /// Its nodes: the registered ones in key order, then those only endpoints name.
    pub nodes: Vec<NodeStatus>,
    /// Its global networks, with their endpoints.
    pub networks: Vec<Network>,
}

/// One node of a cluster store.
#[derive(Clone, Debug)]
pub struct NodeStatus {
    /// Its registration.
    pub node: etcd::Node,
    /// The host of this state it is, if one is.
    pub host: Option<String>,
    /// Whether it is registered (else only endpoints left in the store name it).
    pub registered: bool,
    /// How many endpoints of the global networks it holds.
    pub endpoints: usize,
}

/// What a host command refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HostError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, HostError> {
    Err(HostError(msg.into()))
}

/// `vnet host create` options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostConfig {
    /// `--cluster-store URL`.
    pub cluster_store: Option<String>,
    /// `--cluster-store-opt K=V`.
    pub cluster_store_opts: Vec<String>,
    /// `--cluster-advertise IP:PORT`.
    pub cluster_advertise: Option<String>,
    /// `--icc=false`: the default bridge comes up with inter-container communication off
    /// (`com.docker.network.bridge.enable_icc=false`; legacy links open their exposed ports).
    pub icc_off: bool,
}

/// A stored endpoint: its place in the network's join order, and itself.
#[derive(Serialize, Deserialize)]
struct StoredEndpoint {
    seq: usize,
    #[serde(flatten)]
    endpoint: Endpoint,
}

fn valid_host_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Cluster {
    /// A cluster of one host, `default`, on `seed`.
    pub fn new(seed: u64) -> Cluster {
        Cluster::from_daemon(Daemon::new(seed))
    }

    /// A cluster whose `default` host is `d` (a state saved before hosts existed).
    pub fn from_daemon(d: Daemon) -> Cluster {
        let seed = d.state.seed;
        let mut hosts = IndexMap::new();
        hosts.insert(
            DEFAULT_HOST.to_string(),
            Host {
                name: DEFAULT_HOST.to_string(),
                cluster_store: None,
                cluster_store_opts: BTreeMap::new(),
                cluster_advertise: None,
                address: Ipv4Addr::new(UNDERLAY[0], UNDERLAY[1], UNDERLAY[2], 1),
                live_store: false,
                engine: d.state,
            },
        );
        Cluster {
            seed,
            hosts,
            hosts_created: 0,
            stores: BTreeMap::new(),
            partitions: BTreeSet::new(),
            budget: Default::default(),
            live: Live::default(),
        }
    }

    /// Rebuilds every host's indexes that are not stored (after loading).
    pub fn reindex(&mut self) {
        for h in self.hosts.values_mut() {
            h.engine.reindex();
        }
    }

    /// The virtual clock: the latest of the hosts' (they move together).
    pub fn now(&self) -> crate::time::Instant {
        self.hosts
            .values()
            .map(|h| h.engine.clock)
            .max()
            .unwrap_or(crate::time::EPOCH)
    }

    /// Moves every host's clock forward (`advance:` in a scenario).
    pub fn advance(&mut self, by: crate::time::Duration) {
        let to = self.now() + by;
        for h in self.hosts.values_mut() {
            h.engine.clock = to;
        }
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Result<&Host, HostError> {
        self.hosts
            .get(name)
            .ok_or_else(|| HostError(format!("no such host: {name}")))
    }

    /// Takes host `name`'s engine out to run a command, with its store's global networks.
    /// Give it back with [`Cluster::checkin`].
    pub fn checkout(&mut self, name: &str) -> Result<Daemon, HostError> {
        let now = self.now();
        let missing = || HostError(format!("no such host: {name}"));
        let host = self.hosts.get_mut(name).ok_or_else(missing)?;
        let mut d = Daemon {
            state: std::mem::replace(&mut host.engine, State::placeholder()),
            host: HostContext::default(),
            removed_exits: Vec::new(),
        };
        d.state.clock = now;
        let store = host.cluster_store.clone();
        let live = host.live_store;
        let advertise = host
            .cluster_advertise
            .clone()
            .unwrap_or_else(|| format!("{}:2376", host.address));
        d.host = HostContext {
            name: name.to_string(),
            node: if live { advertise } else { name.to_string() },
            cluster_store: store.clone(),
            peers: Vec::new(),
            cuts: Vec::new(),
            live_endpoints: BTreeSet::new(),
            remote_served: BTreeMap::new(),
            remote_accepted: Vec::new(),
            budget: self.budget,
        };
        let read = match &store {
            Some(url) if live => match self.read_live(url) {
                Ok(r) => Some(r),
                Err(e) => {
                    if let Some(h) = self.hosts.get_mut(name) {
                        h.engine = d.state;
                    }
                    return Err(e);
                }
            },
            _ => None,
        };
        let nets = if let Some(read) = &read {
            // The other daemons' containers live in their own processes: only this host's
            // endpoints have a stack behind them here.
            let address = self
                .hosts
                .get(name)
                .map_or(Ipv4Addr::UNSPECIFIED, |h| h.address);
            d.host.peers = vec![(d.host.node.clone(), address)];
            d.host.live_endpoints = running_endpoints(d.state.containers.values());
            Some(load_networks(&MemStore::from_entries(read.entries.clone())))
        } else if store.is_some() {
            d.host.peers = self
                .hosts
                .values()
                .filter(|h| h.cluster_store == store)
                .map(|h| (h.name.clone(), h.address))
                .collect();
            d.host.cuts = self.partitions.iter().cloned().collect();
            d.host.live_endpoints = running_endpoints(
                self.hosts
                    .values()
                    .filter(|h| h.cluster_store == store)
                    .flat_map(|h| h.engine.containers.values()),
            );
            // The other hosts' containers on global networks (those their engines do not
            // hold), with what they serve as their host resolves their images.
            d.host.remote_served = self
                .hosts
                .values()
                .filter(|h| h.cluster_store == store && h.name != name)
                .flat_map(|h| {
                    h.engine
                        .containers
                        .values()
                        .filter(|c| {
                            c.is_running()
                                && c.networks.values().any(|s| {
                                    s.endpoint_id.is_some()
                                        && !h.engine.networks.contains_key(&s.network_id)
                                })
                        })
                        .map(|c| {
                            let img =
                                crate::docker::image::resolve(&h.engine.images, &c.config.image);
                            (c.id.clone(), c.served(img.as_ref()))
                        })
                })
                .collect();
            store
                .as_ref()
                .and_then(|u| self.stores.get(u))
                .map(load_networks)
        } else {
            None
        };
        match nets {
            Some(Ok(nets)) => {
                for net in nets {
                    d.state.networks.insert(net.id.clone(), net);
                }
            }
            Some(Err(e)) => {
                // Put the engine back untouched and report.
                if let Some(h) = self.hosts.get_mut(name) {
                    h.engine = d.state;
                }
                return Err(e);
            }
            None => {}
        }
        if let (Some(url), Some(read)) = (store, read) {
            self.live.reads.insert(name.to_string(), (url, read));
        }
        Ok(d)
    }

    /// Puts an engine back after a command: global networks return to the store.
    pub fn checkin(&mut self, mut d: Daemon) {
        let globals: Vec<String> = d
            .state
            .networks
            .values()
            .filter(|n| n.global)
            .map(|n| n.id.clone())
            .collect();
        let nets: Vec<Network> = globals
            .iter()
            .filter_map(|id| d.state.networks.shift_remove(id))
            .collect();
        // `d` was checked out of this cluster, whose hosts only `host rm` removes, which
        // runs on the cluster, never while an engine is out.
        #[allow(clippy::expect_used)]
        let host = self
            .hosts
            .get_mut(&d.host.name)
            .expect("checked out from here");
        if let Some((url, read)) = self.live.reads.remove(&d.host.name) {
            // Written by `publish`, once the command is known to stand.
            let mut after = MemStore::from_entries(read.entries.clone());
            save_networks(&mut after, &nets);
            let puts: Vec<(String, String)> = after
                .entries()
                .iter()
                .filter(|(k, v)| read.entries.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut deletes: Vec<String> = read
                .entries
                .keys()
                .filter(|k| !after.entries().contains_key(*k))
                .cloned()
                .collect();
            // A removed network's endpoints go in one range delete, not one each.
            let gone: Vec<String> = deletes
                .iter()
                .filter_map(|k| {
                    k.strip_prefix(&format!("{ROOT}network/"))
                        .map(str::to_string)
                })
                .collect();
            for id in gone {
                let under = format!("{ROOT}endpoint/{id}/");
                if deletes.iter().any(|k| k.starts_with(&under)) {
                    deletes.retain(|k| !k.starts_with(&under));
                    deletes.push(under);
                }
            }
            if !puts.is_empty() || !deletes.is_empty() {
                self.live.pending.push(Pending {
                    url,
                    revision: read.revision,
                    puts,
                    deletes,
                });
            }
        } else if let Some(url) = &host.cluster_store {
            save_networks(self.stores.entry(url.clone()).or_default(), &nets);
        }
        host.engine = d.state;
        // Another host's one-client listeners that a client of this command reached end.
        for (cid, ports) in std::mem::take(&mut d.host.remote_accepted) {
            for h in self.hosts.values_mut() {
                if let Some(c) = h.engine.containers.get_mut(&cid) {
                    c.clients_came(&ports);
                }
            }
        }
        // One clock for all hosts: what the command took moves every host.
        let now = self.now();
        for h in self.hosts.values_mut() {
            h.engine.clock = now;
        }
    }

    /// libnetwork's keys in the live store at `url`.
    fn read_live(&self, url: &str) -> Result<etcd::Read, HostError> {
        let store = etcd::Etcd::new(url)
            .ok_or_else(|| HostError(format!("cluster store {url} names no etcd address")))?;
        store
            .read(ROOT)
            .map_err(|e| HostError(format!("error getting networks from store: {e}")))
    }

    /// Writes what the commands run on this cluster changed in live stores, each in one
    /// transaction that holds only if the store did not change since the command read it.
    /// Front ends call it before they save the state; on [`PublishError::Moved`] they run
    /// the command again on what is there now. The embedded stores need nothing (they are
    /// saved with the state).
    pub fn publish(&mut self) -> Result<(), PublishError> {
        self.live.reads.clear();
        for p in std::mem::take(&mut self.live.pending) {
            let store = etcd::Etcd::new(&p.url).ok_or_else(|| etcd::EtcdError::Refused {
                url: p.url.clone(),
                what: "a transaction",
                why: "the URL names no address".into(),
            })?;
            if !store.commit(ROOT, p.revision, &p.puts, &p.deletes, &transaction_token())? {
                return Err(PublishError::Moved(p.url));
            }
        }
        Ok(())
    }

    /// Runs `f` on host `name`'s engine.
    pub fn with_host<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Daemon) -> R,
    ) -> Result<R, HostError> {
        let mut d = self.checkout(name)?;
        let r = f(&mut d);
        self.checkin(d);
        Ok(r)
    }

    /// `vnet host create NAME ...`: a new host whose engine starts as a fresh `dockerd` does.
    pub fn host_create(&mut self, name: &str, cfg: &HostConfig) -> Result<(), HostError> {
        if !valid_host_name(name) {
            return err(format!(
                "invalid host name {name:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            ));
        }
        if self.hosts.contains_key(name) {
            return err(format!("host {name} already exists"));
        }
        if let Some(url) = &cfg.cluster_store
            && !kv::supported(url)
        {
            return err(format!(
                "unsupported cluster store {url:?}: give consul://, etcd://, zk:// or boltdb:// and an address"
            ));
        }
        // daemon/config: the advertise address needs a store to advertise in.
        if cfg.cluster_advertise.is_some() && cfg.cluster_store.is_none() {
            return err(
                "invalid cluster configuration. --cluster-advertise must be accompanied by --cluster-store configuration",
            );
        }
        let mut opts = BTreeMap::new();
        for o in &cfg.cluster_store_opts {
            let Some((k, v)) = o.split_once('=') else {
                return err(format!("invalid --cluster-store-opt {o:?}: give KEY=VALUE"));
            };
            opts.insert(k.to_string(), v.to_string());
        }
        let taken: Vec<Ipv4Addr> = self.hosts.values().map(|h| h.address).collect();
        // The host's eth0 on the underlay: the first free address, unless the advertised
        // one is an address of its own.
        let free = (1..=254u8)
            .map(|k| Ipv4Addr::new(UNDERLAY[0], UNDERLAY[1], UNDERLAY[2], k))
            .find(|ip| !taken.contains(ip));
        let (address, advertise) = match &cfg.cluster_advertise {
            Some(a) => {
                let (ip, advertise) = parse_advertise(a, &simulated_interfaces(free))
                    .map_err(|e| HostError(format!("discovery advertise parsing failed: {e}")))?;
                if taken.contains(&ip) {
                    return err(format!("address {ip} is already another host's"));
                }
                (ip, Some(advertise))
            }
            None => (
                free.ok_or_else(|| HostError("no free underlay address".into()))?,
                None,
            ),
        };
        self.hosts_created += 1;
        let seed = crate::rng::below(
            self.seed,
            &format!("host/{name}/{}", self.hosts_created),
            u64::MAX,
        );
        let mut engine = Daemon::new(seed).state;
        engine.clock = self.now();
        if cfg.icc_off {
            for net in engine.networks.values_mut().filter(|n| n.name == "bridge") {
                net.options.insert(
                    "com.docker.network.bridge.enable_icc".to_string(),
                    "false".to_string(),
                );
            }
        }
        if let Some(url) = &cfg.cluster_store {
            let advertise = advertise
                .clone()
                .unwrap_or_else(|| format!("{address}:2376"));
            self.stores
                .entry(url.clone())
                .or_default()
                .put(&format!("{NODES}{advertise}"), advertise.clone());
        }
        self.hosts.insert(
            name.to_string(),
            Host {
                name: name.to_string(),
                cluster_store: cfg.cluster_store.clone(),
                cluster_store_opts: opts,
                cluster_advertise: advertise,
                address,
                live_store: false,
                engine,
            },
        );
        Ok(())
    }

    /// `vnet daemon --cluster-store etcd://HOST:PORT --cluster-advertise IP:PORT|IFACE:PORT`
    /// (dockerd's flags): host `name`, served by this process, keeps its global networks in
    /// that etcd, shared with the daemons of other machines or processes. The advertise
    /// address is this machine's (an interface's address, or the address given).
    pub fn join_live(&mut self, name: &str, cfg: &HostConfig) -> Result<(), HostError> {
        let Some(url) = &cfg.cluster_store else {
            return err("no --cluster-store given");
        };
        if !url.starts_with("etcd://") {
            return err(format!(
                "unsupported cluster store {url:?} for a daemon: give etcd://HOST:PORT (consul://, zk:// and boltdb:// are only simulated, by vnet host create)"
            ));
        }
        if etcd::Etcd::new(url).is_none() {
            return err(format!("cluster store {url:?} names no etcd address"));
        }
        let Some(a) = &cfg.cluster_advertise else {
            return err(
                "--cluster-store needs --cluster-advertise IP:PORT or IFACE:PORT: the address the other daemons reach this one at",
            );
        };
        let (address, advertise) = parse_advertise(a, &machine_interfaces)
            .map_err(|e| HostError(format!("discovery advertise parsing failed: {e}")))?;
        let mut opts = BTreeMap::new();
        for o in &cfg.cluster_store_opts {
            let Some((k, v)) = o.split_once('=') else {
                return err(format!("invalid --cluster-store-opt {o:?}: give KEY=VALUE"));
            };
            opts.insert(k.to_string(), v.to_string());
        }
        discovery_timers(&opts).map_err(HostError)?;
        let missing = || HostError(format!("no such host: {name}"));
        let host = self.hosts.get(name).ok_or_else(missing)?;
        if let Some(other) = &host.cluster_store
            && !host.live_store
        {
            return err(format!(
                "host {name} already shares the simulated cluster store {other} with this state's other hosts"
            ));
        }
        if host.live_store && host.cluster_store.as_deref() != Some(url.as_str()) {
            return err(format!(
                "host {name} keeps its global networks in {}: a daemon cannot move them to {url}",
                host.cluster_store.as_deref().unwrap_or_default()
            ));
        }
        let host = self.hosts.get_mut(name).ok_or_else(missing)?;
        host.cluster_store = Some(url.clone());
        host.cluster_store_opts = opts;
        host.cluster_advertise = Some(advertise);
        host.address = address;
        host.live_store = true;
        Ok(())
    }

    /// `vnet cluster status`: what host `name`'s cluster store holds: the registered nodes
    /// (and those that only endpoints still name), the global networks, and how many
    /// endpoints each has.
    pub fn status(&self, name: &str) -> Result<Status, HostError> {
        let host = self.host(name)?;
        let Some(url) = host.cluster_store.clone() else {
            return err(format!(
                "host {name} has no cluster store: start its daemon with --cluster-store etcd://HOST:PORT, or create it with vnet host create --cluster-store URL"
            ));
        };
        let advertise_of = |h: &Host| {
            h.cluster_advertise
                .clone()
                .unwrap_or_else(|| format!("{}:2376", h.address))
        };
        let (registered, networks) = if host.live_store {
            let store = etcd::Etcd::new(&url)
                .ok_or_else(|| HostError(format!("cluster store {url} names no etcd address")))?;
            let nodes = store.nodes().map_err(|e| HostError(e.to_string()))?;
            let read = self.read_live(&url)?;
            let nets = load_networks(&MemStore::from_entries(read.entries))?;
            (nodes, nets)
        } else {
            let store = self.stores.get(&url).cloned().unwrap_or_default();
            let nodes = store
                .list(NODES)
                .into_iter()
                .map(|(k, _)| etcd::Node {
                    advertise: k.get(NODES.len()..).unwrap_or_default().to_string(),
                    ttl_left: None,
                    ttl: None,
                })
                .collect();
            (nodes, load_networks(&store)?)
        };
        // What an endpoint's `host` names, as a node's advertise address.
        let node_of = |tag: &str| {
            if host.live_store {
                return tag.to_string();
            }
            self.hosts
                .get(tag)
                .filter(|h| h.cluster_store.as_deref() == Some(url.as_str()))
                .map_or_else(|| tag.to_string(), advertise_of)
        };
        let mut nodes: Vec<NodeStatus> = registered
            .into_iter()
            .map(|n| NodeStatus {
                host: self
                    .hosts
                    .values()
                    .find(|h| {
                        h.cluster_store.as_deref() == Some(url.as_str())
                            && advertise_of(h) == n.advertise
                    })
                    .map(|h| h.name.clone()),
                registered: true,
                endpoints: 0,
                node: n,
            })
            .collect();
        for net in &networks {
            for ep in net.endpoints.values() {
                let node = node_of(&ep.host);
                match nodes.iter_mut().find(|n| n.node.advertise == node) {
                    Some(n) => n.endpoints += 1,
                    None => nodes.push(NodeStatus {
                        node: etcd::Node {
                            advertise: node,
                            ttl_left: None,
                            ttl: None,
                        },
                        host: None,
                        registered: false,
                        endpoints: 1,
                    }),
                }
            }
        }
        Ok(Status {
            url,
            live: host.live_store,
            nodes,
            networks,
        })
    }

    /// `vnet host rm [-f] NAME`. Without `force`, a host with running containers stays. A
    /// removed host's endpoints on global networks stay in the store, as a dead node's did.
    pub fn host_remove(&mut self, name: &str, force: bool) -> Result<(), HostError> {
        let h = self.host(name)?;
        if name == DEFAULT_HOST {
            return err("the default host cannot be removed");
        }
        let running = h.running();
        if running > 0 && !force {
            return err(format!(
                "host {name} has {running} running container(s): stop them first or use -f"
            ));
        }
        let Some(h) = self.hosts.shift_remove(name) else {
            return err(format!("no such host: {name}"));
        };
        if let Some(url) = &h.cluster_store
            && let Some(store) = self.stores.get_mut(url)
        {
            let advertise = h
                .cluster_advertise
                .clone()
                .unwrap_or_else(|| format!("{}:2376", h.address));
            store.delete(&format!("{NODES}{advertise}"));
        }
        self.partitions.retain(|(a, b)| a != name && b != name);
        Ok(())
    }

    /// `vnet host restart [--unclean] NAME`: the engine stops and comes back. A clean restart
    /// stops every container first; an unclean one loses them as a crash does, leaving their
    /// endpoints on global networks in the store.
    pub fn host_restart(&mut self, name: &str, unclean: bool) -> Result<(), HostError> {
        self.with_host(name, |d| {
            if unclean {
                d.recover_after_crash();
            } else {
                d.shutdown();
            }
        })
    }

    /// `vnet host partition A B`: cuts the underlay between two hosts.
    pub fn partition(&mut self, a: &str, b: &str) -> Result<(), HostError> {
        self.host(a)?;
        self.host(b)?;
        if a == b {
            return err("a host cannot be cut off from itself");
        }
        self.partitions.insert(pair(a, b));
        Ok(())
    }

    /// `vnet host heal [A B]`: restores the underlay between two hosts, or all of it.
    pub fn heal(&mut self, between: Option<(&str, &str)>) -> Result<(), HostError> {
        match between {
            Some((a, b)) => {
                self.host(a)?;
                self.host(b)?;
                self.partitions.remove(&pair(a, b));
            }
            None => self.partitions.clear(),
        }
        Ok(())
    }

    /// Whether the underlay carries frames between two hosts.
    pub fn connected(&self, a: &str, b: &str) -> bool {
        a == b || !self.partitions.contains(&pair(a, b))
    }
}

/// The endpoints the running ones of `containers` hold.
fn running_endpoints<'a>(
    containers: impl Iterator<Item = &'a crate::docker::container::Container>,
) -> BTreeSet<String> {
    containers
        .filter(|c| c.is_running())
        .flat_map(|c| c.networks.values().filter_map(|s| s.endpoint_id.clone()))
        .collect()
}

/// A name for one transaction on a live store that no other transaction has: this process,
/// the wall clock and a counter (live stores are outside the deterministic simulation).
fn transaction_token() -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}-{n}", std::process::id())
}

/// Go's `net.SplitHostPort`: host and port, or why not (the `AddrError` text after
/// `address ADDR: `).
fn split_host_port(hostport: &str) -> Result<(&str, &str), &'static str> {
    const MISSING_PORT: &str = "missing port in address";
    const TOO_MANY_COLONS: &str = "too many colons in address";
    let Some(i) = hostport.rfind(':') else {
        return Err(MISSING_PORT);
    };
    let (host, j, k) = if hostport.starts_with('[') {
        let Some(end) = hostport.find(']') else {
            return Err("missing ']' in address");
        };
        if end + 1 == hostport.len() {
            return Err(MISSING_PORT);
        }
        if end + 1 != i {
            return Err(if hostport.as_bytes().get(end + 1) == Some(&b':') {
                TOO_MANY_COLONS
            } else {
                MISSING_PORT
            });
        }
        (hostport.get(1..end).unwrap_or_default(), 1, end + 1)
    } else {
        let host = hostport.get(..i).unwrap_or_default();
        if host.contains(':') {
            return Err(TOO_MANY_COLONS);
        }
        (host, 0, 0)
    };
    if hostport.get(j..).is_some_and(|t| t.contains('[')) {
        return Err("unexpected '[' in address");
    }
    if hostport.get(k..).is_some_and(|t| t.contains(']')) {
        return Err("unexpected ']' in address");
    }
    Ok((host, hostport.get(i + 1..).unwrap_or_default()))
}

/// An interface's addresses (`net.InterfaceByName`, `Addrs`), or Go's `route ip+net: …`
/// words when there is no such interface.
type Interfaces<'a> = &'a dyn Fn(&str) -> Result<Vec<std::net::IpAddr>, &'static str>;

/// A simulated host's interfaces: `lo`, and `eth0` holding its underlay address (none when
/// none is free).
fn simulated_interfaces(
    eth0: Option<Ipv4Addr>,
) -> impl Fn(&str) -> Result<Vec<std::net::IpAddr>, &'static str> {
    move |name| match name {
        "eth0" => Ok(eth0.into_iter().map(std::net::IpAddr::V4).collect()),
        "lo" => Ok(vec![
            Ipv4Addr::LOCALHOST.into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
        ]),
        _ => Err("no such network interface"),
    }
}

/// This machine's interfaces, for a real daemon (one with no address is still there).
fn machine_interfaces(name: &str) -> Result<Vec<std::net::IpAddr>, &'static str> {
    let all = if_addrs::get_if_addrs().unwrap_or_default();
    let addrs: Vec<std::net::IpAddr> = all
        .iter()
        .filter(|i| i.name == name)
        .map(|i| i.ip())
        .collect();
    let exists = !addrs.is_empty()
        || (!name.contains('/')
            && name != "."
            && name != ".."
            && std::path::Path::new("/sys/class/net").join(name).exists());
    if exists {
        Ok(addrs)
    } else {
        Err("no such network interface")
    }
}

/// `--cluster-advertise`'s value, `IP:PORT` or `IFACE:PORT`, as the daemon reads it (moby
/// 20.10 `pkg/discovery` `ParseAdvertise`, Go's `net.SplitHostPort`): the underlay address
/// and the advertised `IP:PORT`, an interface's first IPv4 address that is not loopback.
fn parse_advertise(a: &str, interfaces: Interfaces) -> Result<(Ipv4Addr, String), String> {
    let (host, port) = split_host_port(a).map_err(|why| {
        format!("invalid --cluster-advertise configuration: {a}: address {a}: {why}")
    })?;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => Ok((v4, a.to_string())),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Ok((v4, a.to_string())),
                None => Err(format!(
                    "an IPv6 advertise address ({a}) is not simulated: the underlay is IPv4"
                )),
            },
        };
    }
    if host.is_empty() {
        return Err(format!(
            "invalid cluster advertise IP address or interface name ({a}) : route ip+net: invalid network interface name"
        ));
    }
    let addrs = interfaces(host).map_err(|why| {
        format!(
            "invalid cluster advertise IP address or interface name ({a}) : route ip+net: {why}"
        )
    })?;
    if addrs.is_empty() {
        return Err(format!(
            "no available advertise IP address in interface ({a})"
        ));
    }
    let ip = addrs.iter().find_map(|ip| match ip {
        std::net::IpAddr::V4(v4) if !v4.is_loopback() => Some(*v4),
        _ => None,
    });
    let Some(ip) = ip else {
        return Err(format!(
            "could not find a valid ip-address in interface {a}"
        ));
    };
    Ok((ip, format!("{ip}:{port}")))
}

/// `--cluster-store-opt discovery.heartbeat=S` and `discovery.ttl=S` (moby 20.10
/// `daemon/discovery` `discoveryOpts`): how often a daemon registers itself, and how long a
/// registration lasts (20 s and three times the heartbeat unless given).
pub fn discovery_timers(
    opts: &BTreeMap<String, String>,
) -> Result<(std::time::Duration, std::time::Duration), String> {
    use std::time::Duration;
    // Go's strconv.Atoi, and its error.
    let atoi = |v: &str| {
        v.parse::<i64>().map_err(|e| {
            let why = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    "value out of range"
                }
                _ => "invalid syntax",
            };
            format!("strconv.Atoi: parsing {v:?}: {why}")
        })
    };
    let secs = |n: i64| Duration::from_secs(n.unsigned_abs());
    let mut heartbeat = Duration::from_secs(20);
    let mut ttl = heartbeat * 3;
    if let Some(hb) = opts.get("discovery.heartbeat") {
        let h = atoi(hb)?;
        if h <= 0 {
            return Err("discovery.heartbeat must be positive".into());
        }
        heartbeat = secs(h);
        ttl = heartbeat.saturating_mul(3);
    }
    if let Some(t) = opts.get("discovery.ttl") {
        let t = atoi(t)?;
        if t <= 0 {
            return Err("discovery.ttl must be positive".into());
        }
        ttl = secs(t);
        if !opts.contains_key("discovery.heartbeat") {
            heartbeat = ttl / 3;
        }
        if ttl <= heartbeat {
            return Err("discovery.ttl timer must be greater than discovery.heartbeat".into());
        }
    }
    Ok((heartbeat, ttl))
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// The global networks of a store, with their endpoints in join order.
fn load_networks(store: &impl KvStore) -> Result<Vec<Network>, HostError> {
    fn parse<T: serde::de::DeserializeOwned>(k: &str, v: &str) -> Result<T, HostError> {
        serde_json::from_str(v)
            .map_err(|e| HostError(format!("cluster store entry {k} does not parse: {e}")))
    }
    let mut out = Vec::new();
    for (k, v) in store.list(&format!("{ROOT}network/")) {
        let mut net: Network = parse(&k, &v)?;
        let mut eps: Vec<StoredEndpoint> = store
            .list(&format!("{ROOT}endpoint/{}/", net.id))
            .into_iter()
            .map(|(k, v)| parse(&k, &v))
            .collect::<Result<_, _>>()?;
        eps.sort_by_key(|e| e.seq);
        net.endpoints = eps
            .into_iter()
            .map(|e| (e.endpoint.id.clone(), e.endpoint))
            .collect();
        out.push(net);
    }
    // Creation order, as the hosts' own networks are listed.
    out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    Ok(out)
}

/// Sets `key` unless it already holds `value` (a command that changes nothing writes nothing).
fn put_changed(store: &mut impl KvStore, key: &str, value: String) {
    if store.get(key).as_deref() != Some(value.as_str()) {
        store.put(key, value);
    }
}

/// The overlay driver's own record of a network: its subnets and their VNIs.
fn overlay_record(net: &Network) -> String {
    let subnets: Vec<serde_json::Value> = net
        .ipam
        .pools
        .iter()
        .filter(|p| p.subnet.addr.is_ipv4())
        .zip(&net.vnis)
        .map(|(p, vni)| {
            serde_json::json!({
                "SubnetIP": p.subnet.to_string(),
                "GwIP": p.gateway.map(|g| format!("{g}/{}", p.subnet.len)).unwrap_or_default(),
                "Vni": vni,
            })
        })
        .collect();
    serde_json::json!({ "subnets": subnets }).to_string()
}

/// Writes global networks back, and removes from the store what is no longer there.
fn save_networks(store: &mut impl KvStore, nets: &[Network]) {
    let present: BTreeSet<&str> = nets.iter().map(|n| n.id.as_str()).collect();
    for (k, _) in store.list(&format!("{ROOT}network/")) {
        let id = k.rsplit('/').next().unwrap_or_default().to_string();
        if !present.contains(id.as_str()) {
            store.delete(&k);
            store.delete(&format!("{ROOT}endpoint_count/{id}"));
            store.delete(&format!("{ROOT}overlay/network/{id}"));
            for (ek, _) in store.list(&format!("{ROOT}endpoint/{id}/")) {
                store.delete(&ek);
            }
        }
    }
    let mut vnis = Vec::new();
    for net in nets {
        let mut bare = net.clone();
        bare.endpoints.clear();
        // Plain data (strings, numbers, maps with string keys): serialising cannot fail.
        #[allow(clippy::expect_used)]
        let json = serde_json::to_string(&bare).expect("a network serialises");
        put_changed(store, &format!("{ROOT}network/{}", net.id), json);
        put_changed(
            store,
            &format!("{ROOT}overlay/network/{}", net.id),
            overlay_record(net),
        );
        let prefix = format!("{ROOT}endpoint/{}/", net.id);
        for (k, _) in store.list(&prefix) {
            if !net.endpoints.contains_key(&k[prefix.len()..]) {
                store.delete(&k);
            }
        }
        for (seq, ep) in net.endpoints.values().enumerate() {
            let stored = StoredEndpoint {
                seq,
                endpoint: ep.clone(),
            };
            #[allow(clippy::expect_used)] // plain data, as above
            let json = serde_json::to_string(&stored).expect("an endpoint serialises");
            put_changed(store, &format!("{prefix}{}", ep.id), json);
        }
        put_changed(
            store,
            &format!("{ROOT}endpoint_count/{}", net.id),
            format!("{{\"Count\":{}}}", net.endpoints.len()),
        );
        vnis.extend(net.vnis.iter().copied());
    }
    vnis.sort_unstable();
    let idm = format!("{ROOT}idm/vxlan-id");
    if !vnis.is_empty() || store.get(&idm).is_some() {
        let ids: Vec<String> = vnis.iter().map(u32::to_string).collect();
        put_changed(store, &idm, format!("[{}]", ids.join(",")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{ContainerCreateRequest, IpamConfig, NetworkCreateRequest};

    fn clustered() -> Cluster {
        let mut c = Cluster::new(7);
        for h in ["h1", "h2"] {
            c.host_create(
                h,
                &HostConfig {
                    cluster_store: Some("consul://10.0.0.5:8500".into()),
                    ..HostConfig::default()
                },
            )
            .unwrap();
        }
        c
    }

    /// `network create -d overlay NAME` on `host`; the network's ID.
    fn overlay(c: &mut Cluster, host: &str, name: &str) -> String {
        c.with_host(host, |d| {
            d.network_create(NetworkCreateRequest {
                name: name.into(),
                driver: "overlay".into(),
                ..NetworkCreateRequest::default()
            })
        })
        .unwrap()
        .unwrap()
    }

    fn run(c: &mut Cluster, host: &str, name: &str, net: &str) -> Result<(), String> {
        c.with_host(host, |d| {
            let id = d
                .container_create(ContainerCreateRequest {
                    name: Some(name.into()),
                    image: "busybox".into(),
                    tty: true,
                    open_stdin: true,
                    network_mode: net.into(),
                    ..ContainerCreateRequest::default()
                })
                .map_err(|e| e.to_string())?;
            d.container_start(&id).map_err(|e| e.to_string())
        })
        .unwrap()
    }

    #[test]
    fn a_checkout_knows_what_other_hosts_containers_serve() {
        let mut c = clustered();
        overlay(&mut c, "h1", "app");
        let web = c
            .with_host("h1", |d| {
                let id = d
                    .container_create(ContainerCreateRequest {
                        name: Some("web".into()),
                        image: "nginx".into(),
                        network_mode: "app".into(),
                        ..ContainerCreateRequest::default()
                    })
                    .unwrap();
                d.container_start(&id).unwrap();
                let w = d.state.containers.get_mut(&id).unwrap();
                w.processes.push(crate::docker::container::Process {
                    argv: vec!["nc".into(), "-l".into(), "-p".into(), "7001".into()],
                    listens: vec![(7001, crate::docker::image::Service::Sink)],
                    udp: Vec::new(),
                    persistent: false,
                    home: None,
                    ipv4_only: false,
                    pid: 0,
                    started: None,
                    uid: 0,
                });
                id
            })
            .unwrap();
        // A bridge-only container of h1 is not on the overlay: h2 cannot reach it.
        run(&mut c, "h1", "local", "bridge").unwrap();
        let mut d = c.checkout("h2").unwrap();
        let served = &d.host.remote_served;
        assert_eq!(served.len(), 1, "{served:?}");
        let tcp: Vec<u16> = served[&web].tcp.iter().map(|(p, _)| *p).collect();
        assert_eq!(tcp, vec![7001, 80]);
        // A client of h2 took the one-client listener: h1's container loses it.
        d.host.remote_accepted.push((web.clone(), vec![7001]));
        c.checkin(d);
        let h1 = &c.hosts["h1"].engine;
        assert!(h1.containers[&web].processes.is_empty());
        let d = c.checkout("h2").unwrap();
        let tcp = d.host.remote_served[&web].tcp.clone();
        c.checkin(d);
        assert_eq!(tcp, vec![(80, crate::docker::image::Service::Nginx)]);
    }

    #[test]
    fn advertise_takes_ip_port_or_interface_port() {
        let eth0 = Some(Ipv4Addr::new(198, 18, 0, 2));
        let eth0 = simulated_interfaces(eth0);
        let ok = |a: &str| parse_advertise(a, &eth0);
        assert_eq!(
            ok("10.0.0.7:2376"),
            Ok((Ipv4Addr::new(10, 0, 0, 7), "10.0.0.7:2376".into()))
        );
        assert_eq!(
            ok("eth0:2376"),
            Ok((Ipv4Addr::new(198, 18, 0, 2), "198.18.0.2:2376".into()))
        );
        assert_eq!(
            ok("10.0.0.7").unwrap_err(),
            "invalid --cluster-advertise configuration: 10.0.0.7: address 10.0.0.7: missing port in address"
        );
        assert_eq!(
            ok("eth1:2376").unwrap_err(),
            "invalid cluster advertise IP address or interface name (eth1:2376) : route ip+net: no such network interface"
        );
        assert_eq!(
            ok("lo:2376").unwrap_err(),
            "could not find a valid ip-address in interface lo:2376"
        );
        assert!(
            ok("a:b:c")
                .unwrap_err()
                .ends_with("too many colons in address")
        );
        assert!(ok("[::1]:2376").unwrap_err().contains("not simulated"));
        assert_eq!(
            ok("[::ffff:10.0.0.7]:2376"),
            Ok((Ipv4Addr::new(10, 0, 0, 7), "[::ffff:10.0.0.7]:2376".into()))
        );
        // Go's SplitHostPort, case by case.
        let why = |a: &str| ok(a).unwrap_err();
        assert!(why("[::1]x").ends_with("address [::1]x: missing port in address"));
        assert!(why("[abc").ends_with("address [abc: missing port in address"));
        assert!(why("[a:b").ends_with("missing ']' in address"));
        assert!(why("[a]:b:1").ends_with("too many colons in address"));
        assert!(why("a]:80").ends_with("unexpected ']' in address"));
        assert!(why("a[:80").ends_with("unexpected '[' in address"));
        assert!(why(":2376").ends_with("route ip+net: invalid network interface name"));
    }

    #[test]
    fn hosts_get_their_own_engines_and_underlay_addresses() {
        let c = clustered();
        let names: Vec<&str> = c.hosts.keys().map(|s| s.as_str()).collect();
        assert_eq!(names, ["default", "h1", "h2"]);
        assert_eq!(c.hosts["h2"].address, Ipv4Addr::new(198, 18, 0, 3));
        // Every host has its own default bridge, with its own ID.
        let bridge = |h: &str| {
            c.hosts[h]
                .engine
                .networks
                .values()
                .next()
                .unwrap()
                .id
                .clone()
        };
        assert_ne!(bridge("h1"), bridge("h2"));
        assert!(
            c.stores["consul://10.0.0.5:8500"]
                .get("docker/nodes/198.18.0.2:2376")
                .is_some()
        );
    }

    #[test]
    fn an_overlay_network_is_seen_by_every_host_of_the_store() {
        let mut c = clustered();
        let id = overlay(&mut c, "h1", "multihost");
        // Nothing global stays in a host's own state.
        assert!(c.hosts["h1"].engine.networks.values().all(|n| !n.global));
        let seen = c.with_host("h2", |d| d.find_network("multihost")).unwrap();
        assert_eq!(seen.unwrap(), id);
        let local = c
            .with_host("default", |d| d.find_network("multihost"))
            .unwrap();
        assert!(local.is_err(), "the default host is in no cluster");
        run(&mut c, "h1", "c1", "multihost").unwrap();
        run(&mut c, "h2", "c2", "multihost").unwrap();
        let net = c
            .with_host("h2", |d| d.network(&id).unwrap().clone())
            .unwrap();
        let ips: Vec<String> = net
            .endpoints
            .values()
            .map(|e| e.ipv4.unwrap().0.to_string())
            .collect();
        assert_eq!(
            ips,
            ["10.0.0.2", "10.0.0.3"],
            "one address space across hosts"
        );
        assert_eq!(net.vnis, [256]);
        let record = c.stores["consul://10.0.0.5:8500"]
            .get(&format!("{ROOT}overlay/network/{id}"))
            .unwrap();
        assert_eq!(
            record,
            r#"{"subnets":[{"SubnetIP":"10.0.0.0/24","GwIP":"10.0.0.1/24","Vni":256}]}"#
        );
    }

    #[test]
    fn an_unclean_restart_leaves_a_stale_endpoint_until_force_disconnect() {
        let mut c = clustered();
        c.with_host("h1", |d| {
            d.network_create(NetworkCreateRequest {
                name: "multihost".into(),
                driver: "overlay".into(),
                ipam_config: vec![IpamConfig {
                    subnet: "192.168.0.0/16".into(),
                    ..IpamConfig::default()
                }],
                ..NetworkCreateRequest::default()
            })
        })
        .unwrap()
        .unwrap();
        run(&mut c, "h1", "redis_db", "multihost").unwrap();
        c.host_restart("h1", true).unwrap();
        c.with_host("h1", |d| d.container_remove("redis_db", false))
            .unwrap()
            .unwrap();
        assert_eq!(
            run(&mut c, "h1", "redis_db", "multihost").unwrap_err(),
            "failed to set up container networking: container already connected to network multihost"
        );
        c.with_host("h1", |d| {
            d.container_remove("redis_db", true).unwrap();
            d.network_disconnect("multihost", "redis_db", true).unwrap();
        })
        .unwrap();
        run(&mut c, "h1", "redis_db", "multihost").unwrap();
    }

    #[test]
    fn a_clean_restart_releases_everything() {
        let mut c = clustered();
        overlay(&mut c, "h1", "multihost");
        run(&mut c, "h1", "c1", "multihost").unwrap();
        c.host_restart("h1", false).unwrap();
        let eps = c
            .with_host("h2", |d| {
                let id = d.find_network("multihost").unwrap();
                d.network(&id).unwrap().endpoints.len()
            })
            .unwrap();
        assert_eq!(eps, 0);
    }
}
