//! Objects to rows and back: loading a state, whole or in part, and saving what a command
//! changed as row updates.
//!
//! A load remembers what it read ([`Snapshot`]); a save compares the state after the
//! command with it, object by object, and writes only the rows that differ (an insert for a
//! new object at the end of its table's creation order, an update, a delete). Objects the
//! load did not read are never written.
//!
//! `load.rs` reads (the whole state, or a host's part: what a command names and what that
//! reaches), `save.rs` writes; this file holds what both share: the snapshot, the rows'
//! shapes, the change counter and the cross-reference check.

mod load;
mod save;
pub mod validate;

pub use load::load;
pub use save::{clear, replace, save};

use crate::cluster::{Cluster, Host};
use crate::docker::network::{Endpoint, GW_NETWORK};
use crate::docker::{Container, Network};
use indexmap::IndexMap;
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why a save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// The command changed something its partial load did not read: run it again on the
    /// whole state.
    ScopeMiss,
    /// The database refused.
    Db(rusqlite::Error),
    /// The state breaks a rule of its own (two containers with one name).
    Inconsistent(String),
}

impl From<rusqlite::Error> for SaveError {
    fn from(e: rusqlite::Error) -> SaveError {
        SaveError::Db(e)
    }
}

/// The cluster's own fields (the `cluster` row of `meta`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct ClusterMeta {
    seed: u64,
    hosts_created: u64,
    partitions: BTreeSet<(String, String)>,
    /// The cluster stores' URLs (their keys are rows of `kv`; a store may have none).
    stores: Vec<String>,
}

impl ClusterMeta {
    fn of(c: &Cluster) -> ClusterMeta {
        ClusterMeta {
            seed: c.seed,
            hosts_created: c.hosts_created,
            partitions: c.partitions.clone(),
            stores: c.stores.keys().cloned().collect(),
        }
    }
}

/// A network as it was read: its own fields (endpoints emptied) and, unless only its own
/// fields were read, its endpoints.
#[derive(Clone, Debug)]
struct NetworkRow {
    seq: i64,
    meta_only: bool,
    net: Network,
    endpoints: IndexMap<String, (i64, Endpoint)>,
}

/// What a load read, to compare the state with when it is saved.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    full: bool,
    meta: Option<ClusterMeta>,
    /// Hosts with their engines' networks, containers and name index emptied.
    hosts: IndexMap<String, (i64, Host)>,
    networks: FxHashMap<(String, String), NetworkRow>,
    containers: FxHashMap<(String, String), (i64, Container)>,
    /// Per-object counters read, by host and label.
    counters: FxHashMap<(String, String), u64>,
    kv: BTreeMap<String, BTreeMap<String, String>>,
}

impl Snapshot {
    /// Whether the whole state was read.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The snapshot of an empty database: a save writes everything.
    pub fn whole_new() -> Snapshot {
        Snapshot {
            full: true,
            ..Snapshot::default()
        }
    }
}

fn from_json<T: for<'de> Deserialize<'de>>(s: &str, what: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("{what}: {e}").into(),
        )
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    // The state is plain data (strings, numbers, maps with string keys): serde_json fails
    // only on a map with non-string keys or a failing Serialize impl, and the state has
    // neither.
    #[allow(clippy::expect_used)]
    serde_json::to_string(v).expect("state serialises")
}

/// Whether a counter label names one object (its own row of `counters`).
fn per_object(label: &str) -> bool {
    ["container/", "network/", "endpoint/"]
        .iter()
        .any(|p| label.starts_with(p))
}

/// Runs `f` on a host with its engine's networks, containers, name index and per-object
/// counters taken out.
fn bare_host<R>(h: &mut Host, f: impl FnOnce(&Host) -> R) -> R {
    let nets = std::mem::take(&mut h.engine.networks);
    let cons = std::mem::take(&mut h.engine.containers);
    let names = std::mem::take(&mut h.engine.names);
    let gateways = std::mem::take(&mut h.engine.unloaded_gateways);
    let counters = std::mem::take(&mut h.engine.counters);
    h.engine.counters = counters
        .iter()
        .filter(|(k, _)| !per_object(k))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let r = f(h);
    h.engine.networks = nets;
    h.engine.containers = cons;
    h.engine.names = names;
    h.engine.unloaded_gateways = gateways;
    h.engine.counters = counters;
    r
}

/// Whether the database holds a state at all.
pub fn exists(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'cluster')",
        [],
        |r| r.get(0),
    )
}

/// The change counter.
pub fn generation(conn: &Connection) -> rusqlite::Result<u64> {
    let g: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(g.and_then(|g| g.parse().ok()).unwrap_or(0))
}

fn bump_generation(conn: &Connection) -> rusqlite::Result<()> {
    let g = generation(conn)? + 1;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![g.to_string()],
    )?;
    Ok(())
}

/// The IPv4 gateway a bridge network gives the host.
fn bridge_gateway(net: &Network) -> Option<String> {
    match (net.driver, net.pool_v4().and_then(|p| p.gateway)) {
        (crate::docker::Driver::Bridge, Some(std::net::IpAddr::V4(g))) => Some(g.to_string()),
        _ => None,
    }
}

/// A network's row: its JSON without endpoints or handed-out addresses, and those addresses.
fn network_row(net: &Network) -> (String, String) {
    let allocated: Vec<&BTreeSet<std::net::IpAddr>> =
        net.ipam.pools.iter().map(|p| &p.allocated).collect();
    let allocated = to_json(&allocated);
    let mut bare = net.clone();
    bare.endpoints.clear();
    for p in &mut bare.ipam.pools {
        p.allocated.clear();
    }
    (to_json(&bare), allocated)
}

/// The names a container links to as a parent (legacy links).
fn link_children(c: &Container) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in &c.host_config.links {
        if let Some((child, _)) = l.split_once(':') {
            out.insert(child.trim_start_matches('/').to_string());
        }
    }
    for (child, _, _) in &c.link_hosts {
        out.insert(child.trim_start_matches('/').to_string());
    }
    out
}

/// vnet's own cross-reference check of a loaded state: every endpoint's container is there,
/// every attached container's network is there, IDs are long enough to shorten.
pub fn check(c: &Cluster, snap: &Snapshot) -> Result<(), String> {
    for (hname, h) in &c.hosts {
        for net in h.engine.networks.values() {
            if net.id.len() < 12 {
                return Err(format!(
                    "host {hname}: network {:?} has a short ID",
                    net.name
                ));
            }
            for (eid, ep) in &net.endpoints {
                if !h.engine.containers.contains_key(&ep.container_id) {
                    return Err(format!(
                        "host {hname}: endpoint {eid} of network {} names container {}, which does not exist",
                        net.name, ep.container_id
                    ));
                }
            }
        }
        for con in h.engine.containers.values() {
            if con.id.len() < 12 {
                return Err(format!(
                    "host {hname}: container {:?} has a short ID",
                    con.name
                ));
            }
            // Its endpoints: one per network, and libnetwork's docker_gwbridge one.
            for (nname, s) in con
                .networks
                .iter()
                .map(|(k, s)| (k.as_str(), s))
                .chain(con.gateway_endpoint.iter().map(|s| (GW_NETWORK, s)))
            {
                let Some(eid) = &s.endpoint_id else { continue };
                let Some(net) = h.engine.networks.get(&s.network_id) else {
                    // A global network lives in the cluster store.
                    if h.cluster_store.is_some() {
                        continue;
                    }
                    return Err(format!(
                        "host {hname}: container {} is attached to network {nname} ({}), which does not exist",
                        con.name, s.network_id
                    ));
                };
                let meta_only = snap
                    .networks
                    .get(&(hname.clone(), net.id.clone()))
                    .is_some_and(|r| r.meta_only);
                if !meta_only && !net.global && !net.endpoints.contains_key(eid) {
                    return Err(format!(
                        "host {hname}: container {} has endpoint {eid} on network {nname}, which the network does not hold",
                        con.name
                    ));
                }
            }
        }
    }
    validate::shapes(c, snap.full)
}
