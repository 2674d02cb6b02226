//! Docker's object model and rules: networks, IPAM, containers, endpoints.
//!
//! [`Daemon`] plays the part of `dockerd` + libnetwork for one host. Its methods take
//! requests shaped like the Docker Engine API bodies (`NetworkCreateRequest`,
//! `EndpointSettings`, `ContainerCreateRequest`) and answer with Engine API objects
//! (the inspect JSON of [`inspect`]), so the CLI, the scenario runner and a future Engine API
//! daemon all drive one model. Errors carry moby's text and class ([`Error`]).
//!
//! Every method either succeeds or leaves the state exactly as it was: checks come first,
//! mutations after, and a multi-step operation (a start that allocates several endpoints)
//! rolls back what it did when a later step fails.
//!
//! Files: `network/` (create, remove, connect, disconnect, prune, validation; libnetwork and
//! daemon/network.go, a file per moby file), `container/` (create, start, stop, remove,
//! rename, list, logs, stats, top, users; daemon/create.go, start.go, stop.go, delete.go,
//! rename.go, list.go, logs.go, stats.go, top_unix.go, moby/sys/user), `ipam.rs` (default IPAM
//! driver), `inspect.rs` (JSON shapes), `image.rs` (image defaults), `passwd.rs` (the
//! images' `/etc/passwd` and `/etc/group`), `images.rs` (the image
//! list and disk usage; daemon/images/images.go, disk_usage.go), `error.rs` (moby's
//! messages), `resolver.rs` (the embedded DNS's answers), `events.rs` (the event log,
//! daemon/events), `timestamp.rs` (api/types/time), `sandbox.rs` (a container's sandbox:
//! what a command inside it sees, and the simulated world it runs in).

pub mod container;
pub mod error;
pub mod events;
pub mod image;
pub mod images;
pub mod inspect;
pub mod ipam;
pub mod network;
pub mod passwd;
pub mod resolver;
pub mod sandbox;
pub mod timestamp;

pub use container::{Container, ContainerCreateRequest, NetworkMode, Status};
pub use error::{Error, Kind, Result};
pub use network::{Driver, EndpointSettings, IpamConfig, Network, NetworkCreateRequest};

use crate::rng;
use crate::time::{EPOCH, Instant};

/// The Engine API version vnet speaks (docker CLI 28.2.2's own).
pub const API_VERSION: &str = "1.50";
/// The oldest API version accepted.
pub const MIN_API_VERSION: &str = "1.24";
/// The Engine version whose behaviour vnet follows.
pub const ENGINE_VERSION: &str = "28.2.2";

/// `GET /version`: moby's `types.Version` for this engine, in its JSON order. vnet is no Go
/// program and is built without a commit, so those fields are empty.
pub fn version() -> serde_json::Value {
    let details = serde_json::json!({
        "ApiVersion": API_VERSION,
        "Arch": go_arch(),
        "BuildTime": "",
        "Experimental": "false",
        "GitCommit": "",
        "GoVersion": "",
        "KernelVersion": "",
        "MinAPIVersion": MIN_API_VERSION,
        "Os": "linux",
    });
    serde_json::json!({
        "Platform": { "Name": format!("vnet {}", env!("CARGO_PKG_VERSION")) },
        "Components": [{
            "Name": "Engine",
            "Version": ENGINE_VERSION,
            "Details": details,
        }],
        "Version": ENGINE_VERSION,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "",
        "GoVersion": "",
        "Os": "linux",
        "Arch": go_arch(),
        "KernelVersion": "",
        "BuildTime": "",
    })
}

/// The machine's architecture as Go names it (`GOARCH`).
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        a => a,
    }
}
use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything that lasts between commands: the control plane and the virtual clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The seed every random choice derives from.
    pub seed: u64,
    /// The virtual clock.
    pub clock: Instant,
    /// How many objects were derived from each label (see [`rng`]).
    pub counters: BTreeMap<String, u64>,
    /// Networks by ID, in creation order.
    pub networks: IndexMap<String, Network>,
    /// Containers by ID, in creation order.
    pub containers: IndexMap<String, Container>,
    /// Link rules (loss, delay, jitter) by network ID (`vnet link set`).
    #[serde(default)]
    pub links: BTreeMap<String, network::LinkSettings>,
    /// Docker's shuffle of a shared name's addresses (`vnet system dns-order shuffle`);
    /// registration order when off.
    #[serde(default)]
    pub dns_shuffle: bool,
    /// The images made on this host (`vnet image create`), by `RepoTags` name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, image::CreatedImage>,
    /// The last events (`docker events`), oldest first.
    #[serde(default, skip_serializing_if = "std::collections::VecDeque::is_empty")]
    pub events: std::collections::VecDeque<events::Event>,
    /// Container IDs by name: an index over `containers`, rebuilt on load, never stored.
    #[serde(skip)]
    pub(crate) names: FxHashMap<String, String>,
    /// The gateways of the bridge networks a partial load left out (the host still owns
    /// them: a container can ping them); empty when every network is loaded. Never stored.
    #[serde(skip)]
    pub(crate) unloaded_gateways: Vec<std::net::Ipv4Addr>,
}

impl State {
    /// Rebuilds the indexes that are not stored (after loading).
    pub fn reindex(&mut self) {
        self.names = self
            .containers
            .values()
            .map(|c| (c.name.clone(), c.id.clone()))
            .collect();
        // A state saved before containers kept `resolver`: one running on a user-defined
        // network started its resolver when it joined (a no-op for newer states).
        for c in self.containers.values_mut() {
            c.resolver |= c.is_running()
                && c.networks
                    .values()
                    .any(|s| s.endpoint_id.is_some() && s.dns_names.is_some());
        }
    }

    /// The container with ID `id`. Callers hold an ID a lookup just returned, so a miss
    /// means the state disagrees with itself: it is Docker's "No such container", never a
    /// panic.
    pub(crate) fn container(&self, id: &str) -> Result<&Container> {
        self.containers
            .get(id)
            .ok_or_else(|| Error::no_such_container(id))
    }

    /// [`State::container`], to change.
    pub(crate) fn container_mut(&mut self, id: &str) -> Result<&mut Container> {
        self.containers
            .get_mut(id)
            .ok_or_else(|| Error::no_such_container(id))
    }

    /// The network with ID `id` (as [`State::container`]: "network … not found" on a miss).
    pub(crate) fn network(&self, id: &str) -> Result<&Network> {
        self.networks
            .get(id)
            .ok_or_else(|| Error::network_not_found(id))
    }

    /// A state with nothing in it (not even the predefined networks): what a fresh engine
    /// starts from, and what stands in while a host's engine is out running a command.
    pub(crate) fn placeholder() -> State {
        State {
            seed: 0,
            clock: EPOCH,
            counters: BTreeMap::new(),
            networks: IndexMap::new(),
            containers: IndexMap::new(),
            links: BTreeMap::new(),
            dns_shuffle: false,
            images: BTreeMap::new(),
            events: Default::default(),
            names: FxHashMap::default(),
            unloaded_gateways: Vec::new(),
        }
    }
}

/// One simulated Docker host's engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Daemon {
    /// The persistent state.
    pub(crate) state: State,
    /// Which host of a cluster this engine runs on (set by [`crate::cluster`]).
    pub host: HostContext,
    /// The containers `--rm` removed as they exited in this transaction, with their exit
    /// codes (not state: the daemon keeps them for `wait?condition=removed`).
    pub removed_exits: Vec<(String, i32)>,
}

/// Where an engine runs: its host's name and the cluster store it joined (`--cluster-store`),
/// which is what lets it create global-scope (overlay) networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostContext {
    /// The host's name (`vnet host create NAME`; `default` for the host every state has).
    pub name: String,
    /// What its endpoints on global networks are tagged with ([`Endpoint::host`]): its name,
    /// or with a live cluster store its advertised `IP:PORT`, which no other daemon sharing
    /// the store has.
    ///
    /// [`Endpoint::host`]: network::Endpoint::host
    pub node: String,
    /// The cluster store's URL, if the host joined one.
    pub cluster_store: Option<String>,
    /// The hosts of that cluster (this one too) and their underlay addresses, in the
    /// cluster's order: where VXLAN goes.
    pub peers: Vec<(String, std::net::Ipv4Addr)>,
    /// Pairs of those hosts whose underlay is cut.
    pub cuts: Vec<(String, String)>,
    /// The endpoints (by ID) that running containers of those hosts hold: the others in the
    /// store are stale, with nothing behind them to answer.
    pub live_endpoints: std::collections::BTreeSet<String>,
    /// What the running containers of those other hosts serve, by container ID: a frame
    /// reaching one over an overlay network finds its servers as its own host runs them.
    pub remote_served: BTreeMap<String, container::Served>,
    /// Out of a command: the ports of those containers whose one-client listeners (`nc -l`)
    /// took a client in it, by container ID, for their own hosts to end.
    pub remote_accepted: Vec<(String, Vec<u16>)>,
    /// What a command's simulation may spend (the front end's setting).
    pub budget: crate::engine::budget::Budget,
}

/// An ID's 12-character short form (`stringid.TruncateID`); an ID shorter than that (a state
/// vnet refuses to load has them) is its own short form.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Names that `docker network create` refuses and `IsUserDefined` excludes.
pub const PREDEFINED_NETWORKS: [&str; 4] = ["bridge", "host", "none", "default"];

/// Whether a network name or mode is user-defined (`NetworkMode.IsUserDefined`).
pub fn is_user_defined(name: &str) -> bool {
    !PREDEFINED_NETWORKS.contains(&name) && !name.starts_with("container:")
}

impl Daemon {
    /// A fresh engine, as `dockerd` comes up on a clean host: `bridge`, `host` and `none`.
    pub fn new(seed: u64) -> Daemon {
        let mut d = Daemon {
            state: State {
                seed,
                ..State::placeholder()
            },
            host: HostContext::default(),
            removed_exits: Vec::new(),
        };
        d.create_predefined_networks();
        d
    }

    /// An engine over a loaded state (the name index is rebuilt).
    pub fn from_state(mut state: State) -> Daemon {
        state.reindex();
        Daemon {
            state,
            host: HostContext::default(),
            removed_exits: Vec::new(),
        }
    }

    /// The engine's ID (`docker info`'s `ID`), derived from the seed.
    pub fn engine_id(&self) -> String {
        rng::hex_id(self.state.seed, "host")[..36].to_string()
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.state.clock
    }

    /// Moves the virtual clock forward.
    pub fn advance(&mut self, by: crate::time::Duration) {
        self.state.clock = self.state.clock + by;
    }

    /// The ID [`Daemon::new_id`] would give next, without taking it.
    pub(crate) fn peek_id(&self, label: &str) -> String {
        let n = self.state.counters.get(label).copied().unwrap_or(0);
        rng::hex_id(self.state.seed, &format!("{label}/{n}"))
    }

    /// A fresh 64-hex ID for the object named by `label` (`network/isolated_nw`).
    pub(crate) fn new_id(&mut self, label: &str) -> String {
        let id = self.peek_id(label);
        *self.state.counters.entry(label.to_string()).or_insert(0) += 1;
        id
    }

    /// A derived number below `n` for the object named by `label`.
    pub(crate) fn draw(&mut self, label: &str, n: u64) -> u64 {
        let c = self.state.counters.entry(label.to_string()).or_insert(0);
        let v = rng::below(self.state.seed, &format!("{label}/{c}"), n);
        *c += 1;
        v
    }
}

/// Splits `K=V` (a value may be empty; a missing `=` gives an empty value).
pub fn split_kv(s: &str) -> (String, String) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (s.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(d: &mut Daemon, name: &str) -> String {
        d.network_create(NetworkCreateRequest {
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
    }

    /// `run -i --name NAME --net NET busybox`, not started.
    fn container_on(d: &mut Daemon, name: &str, net: &str) -> String {
        d.container_create(ContainerCreateRequest {
            name: Some(name.into()),
            image: "busybox".into(),
            network_mode: net.into(),
            open_stdin: true,
            ..Default::default()
        })
        .unwrap()
    }

    /// A running container of an older state, which did not store `resolver`, keeps the
    /// embedded resolver after it leaves its user-defined network.
    #[test]
    fn a_state_without_resolver_derives_it() {
        let mut d = Daemon::new(1);
        create(&mut d, "n1");
        let cid = container_on(&mut d, "c1", "n1");
        d.container_start(&cid).unwrap();
        let mut state = d.state.clone();
        state.containers[&cid].resolver = false;
        let d = Daemon::from_state(state);
        assert!(d.state.containers[&cid].resolver);
    }

    /// Fields added since: absent when unset, so an older state saves back as it was.
    #[test]
    fn unset_new_fields_stay_out_of_the_state_file() {
        let mut d = Daemon::new(1);
        let cid = container_on(&mut d, "c1", "bridge");
        d.container_start(&cid).unwrap();
        let json = serde_json::to_string(&d.state).unwrap();
        assert!(!json.contains("driver_opts"), "{json}");
        assert!(!json.contains("resolver"), "{json}");
    }

    #[test]
    fn ids_do_not_shift() {
        let mut a = Daemon::new(1);
        create(&mut a, "x");
        let b_after_x = create(&mut a, "b");
        let mut b = Daemon::new(1);
        assert_eq!(create(&mut b, "b"), b_after_x);
    }

    #[test]
    fn failed_operations_change_nothing() {
        let mut d = Daemon::new(1);
        create(&mut d, "n1");
        let c = container_on(&mut d, "c1", "n1");
        d.container_start(&c).unwrap();
        let before = d.clone();
        assert!(d.network_remove("n1").is_err());
        assert!(
            d.network_create(NetworkCreateRequest {
                name: "n1".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            d.network_connect("n1", "c1", EndpointSettings::default())
                .is_err()
        );
        assert!(d.container_remove("c1", false).is_err());
        assert!(d.container_rename("c1", "c1").is_err());
        assert_eq!(d, before);
    }

    #[test]
    fn start_failure_rolls_back_endpoints() {
        let mut d = Daemon::new(1);
        create(&mut d, "n1");
        let c = container_on(&mut d, "c1", "n1");
        // A second network that disappears before the start.
        create(&mut d, "gone");
        d.network_connect("gone", "c1", EndpointSettings::default())
            .unwrap();
        d.network_remove("gone").unwrap();
        let err = d.container_start(&c).unwrap_err();
        assert!(
            err.message
                .starts_with("failed to set up container networking: network ")
        );
        let n1 = d.find_network("n1").unwrap();
        assert!(d.network(&n1).unwrap().endpoints.is_empty());
        assert!(d.network(&n1).unwrap().pool_v4().unwrap().allocated.len() == 1); // the gateway
        assert_eq!(d.container(&c).unwrap().state.status, Status::Created);
    }

    #[test]
    fn ipv6_networks() {
        let mut d = Daemon::new(1);
        let id = d
            .network_create(NetworkCreateRequest {
                name: "v6".into(),
                enable_ipv6: true,
                ..Default::default()
            })
            .unwrap();
        let n = d.network(&id).unwrap();
        let v6 = n.pool_v6().unwrap();
        assert_eq!(v6.subnet.len, 64);
        assert!(v6.subnet.to_string().starts_with("fd"));
        let id = d
            .network_create(NetworkCreateRequest {
                name: "v6b".into(),
                enable_ipv6: true,
                ipam_config: vec![IpamConfig {
                    subnet: "2001:db8::/64".into(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .unwrap();
        let cfg = d.network(&id).unwrap().ipam.config.clone().unwrap();
        assert_eq!(cfg[0].subnet, "172.19.0.0/16");
        assert_eq!(cfg[1].subnet, "2001:db8::/64");
        assert_eq!(cfg[1].gateway, "");
    }
}
