//! Objects to rows and back: loading a state, whole or in part, and saving what a command
//! changed as row updates.
//!
//! A load remembers what it read ([`Snapshot`]); a save compares the state after the
//! command with it, object by object, and writes only the rows that differ (an insert for a
//! new object at the end of its table's creation order, an update, a delete). Objects the
//! load did not read are never written.

use super::scope::{Scope, Want};
use crate::cluster::kv::MemStore;
use crate::cluster::{Cluster, Host};
use crate::docker::network::Endpoint;
use crate::docker::{Container, Network};
use indexmap::IndexMap;
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::{FxHashMap, FxHashSet};
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

/// Loads the state (which must exist, see [`exists`]) as `scope` asks.
pub fn load(conn: &Connection, scope: &Scope) -> rusqlite::Result<(Cluster, Snapshot)> {
    let meta: ClusterMeta = {
        let s: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'cluster'", [], |r| {
                r.get(0)
            })?;
        from_json(&s, "cluster")?
    };
    let mut hosts: IndexMap<String, (i64, Host)> = IndexMap::new();
    {
        let mut st = conn.prepare_cached("SELECT name, seq, json FROM hosts ORDER BY seq")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (name, seq, json) = row?;
            let host: Host = from_json(&json, &format!("host {name}"))?;
            hosts.insert(name, (seq, host));
        }
    }
    let want = match scope {
        Scope::Part(w) if hosts.len() == 1 && meta.stores.is_empty() => Some(w),
        _ => None,
    };
    let mut snap = Snapshot {
        full: want.is_none(),
        meta: Some(meta.clone()),
        hosts: hosts.clone(),
        ..Snapshot::default()
    };
    let mut cluster = Cluster {
        seed: meta.seed,
        hosts: IndexMap::new(),
        hosts_created: meta.hosts_created,
        stores: BTreeMap::new(),
        partitions: meta.partitions.clone(),
    };
    for (name, (_, mut host)) in hosts {
        match want {
            None => load_host_whole(conn, &name, &mut host, &mut snap)?,
            Some(w) => {
                if !load_host_part(conn, &name, &mut host, &mut snap, w)? {
                    return load(conn, &Scope::All);
                }
            }
        }
        host.engine.reindex();
        cluster.hosts.insert(name, host);
    }
    for url in &meta.stores {
        let mut entries = BTreeMap::new();
        let mut st = conn.prepare_cached("SELECT key, value FROM kv WHERE store = ?1")?;
        let rows = st.query_map(params![url], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (k, v): (String, String) = row?;
            entries.insert(k, v);
        }
        snap.kv.insert(url.clone(), entries.clone());
        cluster
            .stores
            .insert(url.clone(), MemStore::from_entries(entries));
    }
    Ok((cluster, snap))
}

/// Every network of `host` with its own fields only, in creation order.
fn networks_of(conn: &Connection, host: &str) -> rusqlite::Result<Vec<(i64, Network)>> {
    let mut st =
        conn.prepare_cached("SELECT seq, json FROM networks WHERE host = ?1 ORDER BY seq")?;
    let rows = st.query_map(params![host], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, json) = row?;
        out.push((seq, from_json(&json, "network")?));
    }
    Ok(out)
}

/// The addresses each of a network's IPAM pools has handed out, read into `net`.
fn fill_allocated(conn: &Connection, host: &str, net: &mut Network) -> rusqlite::Result<()> {
    let mut st =
        conn.prepare_cached("SELECT allocated FROM networks WHERE host = ?1 AND id = ?2")?;
    let json: String = st.query_row(params![host, net.id], |r| r.get(0))?;
    let sets: Vec<BTreeSet<std::net::IpAddr>> = from_json(&json, "network addresses")?;
    for (p, set) in net.ipam.pools.iter_mut().zip(sets) {
        p.allocated = set;
    }
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

fn endpoints_of(
    conn: &Connection,
    host: &str,
    network: &str,
) -> rusqlite::Result<IndexMap<String, (i64, Endpoint)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, seq, json FROM endpoints WHERE host = ?1 AND network_id = ?2 ORDER BY seq",
    )?;
    let rows = st.query_map(params![host, network], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = IndexMap::new();
    for row in rows {
        let (id, seq, json) = row?;
        out.insert(id, (seq, from_json(&json, "endpoint")?));
    }
    Ok(out)
}

fn load_host_whole(
    conn: &Connection,
    name: &str,
    host: &mut Host,
    snap: &mut Snapshot,
) -> rusqlite::Result<()> {
    for (seq, mut net) in networks_of(conn, name)? {
        fill_allocated(conn, name, &mut net)?;
        let eps = endpoints_of(conn, name, &net.id)?;
        net.endpoints = eps
            .iter()
            .map(|(k, (_, e))| (k.clone(), e.clone()))
            .collect();
        let mut bare = net.clone();
        bare.endpoints.clear();
        snap.networks.insert(
            (name.to_string(), net.id.clone()),
            NetworkRow {
                seq,
                meta_only: false,
                net: bare,
                endpoints: eps,
            },
        );
        host.engine.networks.insert(net.id.clone(), net);
    }
    let mut st =
        conn.prepare_cached("SELECT seq, json FROM containers WHERE host = ?1 ORDER BY seq")?;
    let rows = st.query_map(params![name], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (seq, json) = row?;
        let c: Container = from_json(&json, "container")?;
        snap.containers
            .insert((name.to_string(), c.id.clone()), (seq, c.clone()));
        host.engine.containers.insert(c.id.clone(), c);
    }
    let mut st = conn.prepare_cached("SELECT label, n FROM counters WHERE host = ?1")?;
    let rows = st.query_map(params![name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (label, n) = row?;
        add_counter(name, host, snap, label, n);
    }
    Ok(())
}

fn add_counter(host_name: &str, host: &mut Host, snap: &mut Snapshot, label: String, n: i64) {
    let n = u64::try_from(n).unwrap_or(0);
    snap.counters
        .insert((host_name.to_string(), label.clone()), n);
    host.engine.counters.insert(label, n);
}

/// Reads the per-object counters whose labels begin with `prefix` (or equal it, `exact`).
fn load_counters(
    conn: &Connection,
    name: &str,
    host: &mut Host,
    snap: &mut Snapshot,
    prefix: &str,
    exact: bool,
) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "SELECT label, n FROM counters WHERE host = ?1 AND label >= ?2 AND label < ?3",
    )?;
    let end = if exact {
        format!("{prefix}\0")
    } else {
        format!("{prefix}\u{10FFFF}")
    };
    let rows = st.query_map(params![name, prefix, end], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (label, n) = row?;
        add_counter(name, host, snap, label, n);
    }
    Ok(())
}

/// One network's own fields, by ID.
fn network_by_id(
    conn: &Connection,
    host: &str,
    id: &str,
) -> rusqlite::Result<Option<(i64, Network)>> {
    let mut st =
        conn.prepare_cached("SELECT seq, json FROM networks WHERE host = ?1 AND id = ?2")?;
    let row = st
        .query_row(params![host, id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    match row {
        Some((seq, json)) => Ok(Some((seq, from_json(&json, "network")?))),
        None => Ok(None),
    }
}

/// IDs of `host`'s networks that `term` may name (`findUniqueNetwork`'s candidates): its
/// ID and every network of that name, else every ID it begins.
fn resolve_network(conn: &Connection, host: &str, term: &str) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    if term.is_empty() {
        return Ok(out);
    }
    for sql in [
        "SELECT id FROM networks WHERE host = ?1 AND id = ?2",
        "SELECT id FROM networks WHERE host = ?1 AND name = ?2",
    ] {
        let mut st = conn.prepare_cached(sql)?;
        for id in st.query_map(params![host, term], |r| r.get::<_, String>(0))? {
            out.push(id?);
        }
    }
    // `findUniqueNetwork` looks at prefixes only when neither the ID nor a name matched.
    if !out.is_empty() {
        return Ok(out);
    }
    let mut st =
        conn.prepare_cached("SELECT id FROM networks WHERE host = ?1 AND id >= ?2 AND id < ?3")?;
    let end = format!("{term}\u{10FFFF}");
    for id in st.query_map(params![host, term, end], |r| r.get::<_, String>(0))? {
        out.push(id?);
    }
    Ok(out)
}

/// IDs of `host`'s containers that `term` names: its ID or its name, else (at most two,
/// enough to tell an ambiguous prefix) IDs it begins.
fn resolve_container(conn: &Connection, host: &str, term: &str) -> rusqlite::Result<Vec<String>> {
    let term = term.strip_prefix('/').unwrap_or(term);
    let mut out = Vec::new();
    if term.is_empty() {
        return Ok(out);
    }
    // Two lookups, each on its index (an OR of both would scan every name).
    for sql in [
        "SELECT id FROM containers WHERE host = ?1 AND id = ?2",
        "SELECT id FROM containers WHERE host = ?1 AND name = ?2",
    ] {
        let mut st = conn.prepare_cached(sql)?;
        for id in st.query_map(params![host, term], |r| r.get::<_, String>(0))? {
            out.push(id?);
        }
    }
    // `GetContainer` looks at prefixes only when neither the ID nor the name matched.
    if !out.is_empty() {
        return Ok(out);
    }
    let mut st = conn.prepare_cached(
        "SELECT id FROM containers WHERE host = ?1 AND id >= ?2 AND id < ?3 ORDER BY id LIMIT 2",
    )?;
    let end = format!("{term}\u{10FFFF}");
    for id in st.query_map(params![host, term, end], |r| r.get::<_, String>(0))? {
        out.push(id?);
    }
    Ok(out)
}

/// Reads a host's part; `false` if the command needs the whole state after all (a named
/// container publishes ports and `want` says that matters).
fn load_host_part(
    conn: &Connection,
    name: &str,
    host: &mut Host,
    snap: &mut Snapshot,
    want: &Want,
) -> rusqlite::Result<bool> {
    if want.networks_only {
        for (seq, net) in networks_of(conn, name)? {
            snap.networks.insert(
                (name.to_string(), net.id.clone()),
                NetworkRow {
                    seq,
                    meta_only: true,
                    net: net.clone(),
                    endpoints: IndexMap::new(),
                },
            );
            host.engine.networks.insert(net.id.clone(), net);
        }
        return Ok(true);
    }
    // Networks with their endpoints: those named and those of the named containers.
    let mut full: BTreeSet<String> = BTreeSet::new();
    for term in &want.networks {
        full.extend(resolve_network(conn, name, term)?);
    }
    // Containers: those named (and what they reach), then the neighbours on full networks.
    let mut loaded: FxHashMap<String, (i64, Container)> = FxHashMap::default();
    let mut queue: Vec<String> = Vec::new();
    if !want.networks_only {
        let mut parents = conn.prepare_cached(
            "SELECT parent_id FROM legacy_links WHERE host = ?1 AND child_name = ?2",
        )?;
        for term in &want.containers {
            queue.extend(resolve_container(conn, name, term)?);
            // A name no container has yet may be a legacy link's target: its parents (a
            // stopped one has no endpoint to be reached by) take its address when it starts.
            let child = term.strip_prefix('/').unwrap_or(term);
            for p in parents.query_map(params![name, child], |r| r.get::<_, String>(0))? {
                queue.push(p?);
            }
        }
        if want.whole_if_publishing {
            for id in queue.clone() {
                if let Some(c) = load_container(conn, name, &id, &mut loaded)?
                    && (!c.host_config.port_bindings.is_empty() || c.host_config.publish_all_ports)
                {
                    return Ok(false);
                }
            }
        }
        // Listed, not entered: these and the parents of their legacy links (`ps` names a
        // link's target after its parent), not their networks' endpoints.
        let mut listed: Vec<(String, String)> = Vec::new();
        for pattern in &want.name_patterns {
            listed.extend(names_matching(conn, name, pattern)?);
        }
        for (id, cname) in listed {
            load_container(conn, name, &id, &mut loaded)?;
            for p in parents.query_map(params![name, cname], |r| r.get::<_, String>(0))? {
                load_container(conn, name, &p?, &mut loaded)?;
            }
        }
    }
    let mut expanded: FxHashSet<String> = FxHashSet::default();
    let mut mode_networks: Vec<String> = Vec::new();
    while let Some(id) = queue.pop() {
        if !expanded.insert(id.clone()) {
            continue;
        }
        let Some(c) = load_container(conn, name, &id, &mut loaded)? else {
            continue;
        };
        for s in c.networks.values() {
            if !s.network_id.is_empty() {
                full.insert(s.network_id.clone());
            }
        }
        let mut terms: Vec<String> = Vec::new();
        let mode = c.host_config.network_mode.as_str();
        match mode.strip_prefix("container:") {
            Some(t) => terms.push(t.to_string()),
            None => mode_networks.push(mode.to_string()),
        }
        for l in &c.host_config.links {
            if let Some((child, _)) = l.split_once(':') {
                terms.push(child.to_string());
            }
        }
        for (child, _, _) in &c.link_hosts {
            terms.push(child.clone());
        }
        let cname = c.name.clone();
        for t in terms {
            queue.extend(resolve_container(conn, name, &t)?);
        }
        let mut st = conn.prepare_cached(
            "SELECT parent_id FROM legacy_links WHERE host = ?1 AND child_name = ?2",
        )?;
        for p in st.query_map(params![name, cname], |r| r.get::<_, String>(0))? {
            queue.push(p?);
        }
    }
    for term in &mode_networks {
        full.extend(resolve_network(conn, name, term)?);
    }
    let mut networks: Vec<(i64, Network)> = Vec::new();
    for id in &full {
        let Some((seq, mut net)) = network_by_id(conn, name, id)? else {
            continue;
        };
        fill_allocated(conn, name, &mut net)?;
        let eps = endpoints_of(conn, name, &net.id)?;
        for (_, e) in eps.values() {
            load_container(conn, name, &e.container_id, &mut loaded)?;
        }
        net.endpoints = eps
            .iter()
            .map(|(k, (_, e))| (k.clone(), e.clone()))
            .collect();
        let mut bare = net.clone();
        bare.endpoints.clear();
        snap.networks.insert(
            (name.to_string(), net.id.clone()),
            NetworkRow {
                seq,
                meta_only: false,
                net: bare,
                endpoints: eps,
            },
        );
        networks.push((seq, net));
    }
    // Networks' own fields: those the loaded containers are attached to.
    let attached: BTreeSet<String> = loaded
        .values()
        .flat_map(|(_, c)| c.networks.values().map(|s| s.network_id.clone()))
        .filter(|id| !id.is_empty() && !full.contains(id))
        .collect();
    for id in &attached {
        let Some((seq, net)) = network_by_id(conn, name, id)? else {
            continue;
        };
        snap.networks.insert(
            (name.to_string(), net.id.clone()),
            NetworkRow {
                seq,
                meta_only: true,
                net: net.clone(),
                endpoints: IndexMap::new(),
            },
        );
        networks.push((seq, net));
    }
    networks.sort_by_key(|(seq, _)| *seq);
    for (_, net) in networks {
        host.engine.networks.insert(net.id.clone(), net);
    }
    // The host owns every bridge's gateway, read or not.
    let mut st = conn.prepare_cached(
        "SELECT id, gateway4 FROM networks INDEXED BY networks_gateway
         WHERE host = ?1 AND gateway4 IS NOT NULL",
    )?;
    for row in st.query_map(params![name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (id, g) = row?;
        if !host.engine.networks.contains_key(&id)
            && let Ok(g) = g.parse()
        {
            host.engine.unloaded_gateways.push(g);
        }
    }
    let mut cons: Vec<(i64, Container)> = loaded.into_values().collect();
    cons.sort_by_key(|(seq, _)| *seq);
    // The counters of what the command names and reads (any other it takes is checked at
    // save: a counter the database holds but the load did not read is a miss).
    for term in &want.containers {
        load_counters(conn, name, host, snap, &format!("container/{term}"), true)?;
    }
    for term in &want.networks {
        load_counters(conn, name, host, snap, &format!("network/{term}"), true)?;
    }
    for (_, c) in &cons {
        load_counters(
            conn,
            name,
            host,
            snap,
            &format!("container/{}", c.name),
            true,
        )?;
        load_counters(
            conn,
            name,
            host,
            snap,
            &format!("endpoint/{}/", c.id),
            false,
        )?;
    }
    for (seq, c) in cons {
        snap.containers
            .insert((name.to_string(), c.id.clone()), (seq, c.clone()));
        host.engine.containers.insert(c.id.clone(), c);
    }
    Ok(true)
}

/// `(id, name)` of the containers whose stored name (`/NAME`) is `pattern` or matches it as
/// a regular expression (moby's `filters.Args.Match`). `^/NAME$` and `^/PREFIX` are
/// lookups on the name index, a literal pattern of three characters or more one in the
/// trigram index, a shorter one a substring search
/// over the name index; a real expression scans the names (as moby does); one that does not
/// compile matches by equality only.
fn names_matching(
    conn: &Connection,
    host: &str,
    pattern: &str,
) -> rusqlite::Result<Vec<(String, String)>> {
    let row = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    let mut out = Vec::new();
    // `^/NAME$` (a name exactly) and `^/PREFIX` (names beginning so): the name index.
    if let Some(rest) = pattern.strip_prefix("^/") {
        let (lit, exact) = match rest.strip_suffix('$') {
            Some(l) => (l, true),
            None => (rest, false),
        };
        if !lit.is_empty()
            && lit
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            let end = if exact {
                format!("{lit}\0")
            } else {
                format!("{lit}\u{10FFFF}")
            };
            let mut st = conn.prepare_cached(
                "SELECT id, name FROM containers WHERE host = ?1 AND name >= ?2 AND name < ?3",
            )?;
            for r in st.query_map(params![host, lit, end], row)? {
                out.push(r?);
            }
            return Ok(out);
        }
    }
    let literal = pattern
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/');
    if literal && pattern.len() >= 3 {
        // A trigram index finds the names holding a literal of three characters or more.
        let mut st = conn.prepare_cached(
            "SELECT c.id, c.name FROM container_names f JOIN containers c ON c.rowid = f.rowid
             WHERE f.name GLOB '*' || ?2 || '*' AND c.host = ?1",
        )?;
        for r in st.query_map(params![host, pattern], row)? {
            out.push(r?);
        }
        return Ok(out);
    }
    if literal {
        let mut st = conn.prepare_cached(
            "SELECT id, name FROM containers INDEXED BY containers_name
             WHERE host = ?1 AND instr('/' || name, ?2) > 0",
        )?;
        for r in st.query_map(params![host, pattern], row)? {
            out.push(r?);
        }
        return Ok(out);
    }
    let Ok(re) = regex::Regex::new(pattern) else {
        if let Some(n) = pattern.strip_prefix('/') {
            let mut st = conn
                .prepare_cached("SELECT id, name FROM containers WHERE host = ?1 AND name = ?2")?;
            for r in st.query_map(params![host, n], row)? {
                out.push(r?);
            }
        }
        return Ok(out);
    };
    let mut st = conn.prepare_cached(
        "SELECT id, name FROM containers INDEXED BY containers_name WHERE host = ?1",
    )?;
    for r in st.query_map(params![host], row)? {
        let (id, n) = r?;
        if re.is_match(&format!("/{n}")) {
            out.push((id, n));
        }
    }
    Ok(out)
}

/// Reads container `id` into `loaded` unless it is there; returns it.
fn load_container<'a>(
    conn: &Connection,
    host: &str,
    id: &str,
    loaded: &'a mut FxHashMap<String, (i64, Container)>,
) -> rusqlite::Result<Option<&'a Container>> {
    if !loaded.contains_key(id) {
        let mut st =
            conn.prepare_cached("SELECT seq, json FROM containers WHERE host = ?1 AND id = ?2")?;
        let row = st
            .query_row(params![host, id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        let Some((seq, json)) = row else {
            return Ok(None);
        };
        let c: Container = from_json(&json, "container")?;
        loaded.insert(id.to_string(), (seq, c));
    }
    Ok(loaded.get(id).map(|(_, c)| c))
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

/// The next `seq` of a table's rows matching `filter`.
fn next_seq(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<i64> {
    let max: Option<i64> = conn.query_row(sql, args, |r| r.get(0))?;
    Ok(max.map_or(0, |m| m + 1))
}

fn constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// Writes what changed in `c` since `snap` was taken, and brings `snap` up to date.
/// Returns whether anything was written.
pub fn save(conn: &Connection, c: &mut Cluster, snap: &mut Snapshot) -> Result<bool, SaveError> {
    let mut changed = false;
    if !snap.full && (c.hosts.len() != snap.hosts.len() || !c.stores.is_empty()) {
        return Err(SaveError::ScopeMiss);
    }
    let meta = ClusterMeta::of(c);
    if snap.meta.as_ref() != Some(&meta) {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('cluster', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![to_json(&meta)],
        )?;
        snap.meta = Some(meta);
        changed = true;
    }
    // Hosts.
    let mut next_host = snap.hosts.values().map(|(s, _)| s + 1).max().unwrap_or(0);
    let mut last = -1;
    for (name, h) in c.hosts.iter_mut() {
        let old = snap.hosts.get(name).map(|(seq, _)| *seq);
        let seq = match old {
            Some(s) if s > last => s,
            _ => {
                next_host += 1;
                next_host - 1
            }
        };
        last = seq;
        let same = bare_host(h, |b| {
            snap.hosts
                .get(name)
                .is_some_and(|(s, o)| *s == seq && o == b)
        });
        if !same {
            let (json, bare) = bare_host(h, |b| (to_json(b), b.clone()));
            conn.execute(
                "INSERT INTO hosts (name, seq, json) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, json = excluded.json",
                params![name, seq, json],
            )?;
            snap.hosts.insert(name.clone(), (seq, bare));
            changed = true;
        }
    }
    let gone: Vec<String> = snap
        .hosts
        .keys()
        .filter(|n| !c.hosts.contains_key(*n))
        .cloned()
        .collect();
    for name in gone {
        conn.execute("DELETE FROM hosts WHERE name = ?1", params![name])?;
        snap.hosts.shift_remove(&name);
        changed = true;
    }
    // Each host's objects, and the objects of removed hosts.
    let names: BTreeSet<String> = c
        .hosts
        .keys()
        .cloned()
        .chain(snap.networks.keys().map(|(h, _)| h.clone()))
        .chain(snap.containers.keys().map(|(h, _)| h.clone()))
        .chain(snap.counters.keys().map(|(h, _)| h.clone()))
        .collect();
    let mut empty = crate::docker::State::placeholder();
    for host in names {
        let engine = match c.hosts.get_mut(&host) {
            Some(h) => &mut h.engine,
            None => &mut empty,
        };
        changed |= save_networks(conn, &host, &mut engine.networks, snap)?;
        changed |= save_containers(conn, &host, &engine.containers, snap)?;
        changed |= save_counters(conn, &host, &engine.counters, snap)?;
    }
    // Cluster stores (only a whole load has them).
    if snap.full {
        for (url, store) in &c.stores {
            let old = snap.kv.entry(url.clone()).or_default();
            for (k, v) in store.entries() {
                if old.get(k) != Some(v) {
                    conn.execute(
                        "INSERT INTO kv (store, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                        params![url, k, v],
                    )?;
                    changed = true;
                }
            }
            for k in old.keys().filter(|k| !store.entries().contains_key(*k)) {
                conn.execute(
                    "DELETE FROM kv WHERE store = ?1 AND key = ?2",
                    params![url, k],
                )?;
                changed = true;
            }
            *old = store.entries().clone();
        }
        let gone: Vec<String> = snap
            .kv
            .keys()
            .filter(|u| !c.stores.contains_key(*u))
            .cloned()
            .collect();
        for url in gone {
            conn.execute("DELETE FROM kv WHERE store = ?1", params![url])?;
            snap.kv.remove(&url);
            changed = true;
        }
    }
    if changed {
        bump_generation(conn)?;
    }
    Ok(changed)
}

fn save_networks(
    conn: &Connection,
    host: &str,
    nets: &mut IndexMap<String, Network>,
    snap: &mut Snapshot,
) -> Result<bool, SaveError> {
    let mut changed = false;
    let mut next: Option<i64> = None;
    let mut last = -1;
    for (id, net) in nets.iter_mut() {
        let key = (host.to_string(), id.clone());
        let eps = std::mem::take(&mut net.endpoints);
        let r = save_network(conn, &key, net, &eps, snap, &mut next, &mut last);
        net.endpoints = eps;
        changed |= r?;
    }
    let gone: Vec<(String, String)> = snap
        .networks
        .keys()
        .filter(|(h, id)| h == host && !nets.contains_key(id))
        .cloned()
        .collect();
    for key in gone {
        if snap.networks[&key].meta_only {
            return Err(SaveError::ScopeMiss);
        }
        conn.execute(
            "DELETE FROM networks WHERE host = ?1 AND id = ?2",
            params![key.0, key.1],
        )?;
        conn.execute(
            "DELETE FROM endpoints WHERE host = ?1 AND network_id = ?2",
            params![key.0, key.1],
        )?;
        snap.networks.remove(&key);
        changed = true;
    }
    Ok(changed)
}

/// One network (its endpoints taken out into `eps`).
fn save_network(
    conn: &Connection,
    key: &(String, String),
    net: &Network,
    eps: &IndexMap<String, Endpoint>,
    snap: &mut Snapshot,
    next: &mut Option<i64>,
    last: &mut i64,
) -> Result<bool, SaveError> {
    let mut changed = false;
    let old = snap.networks.get(key);
    if old.is_some_and(|o| o.meta_only) {
        let o = &snap.networks[key];
        if o.net != *net || !eps.is_empty() || o.seq <= *last {
            return Err(SaveError::ScopeMiss);
        }
        *last = o.seq;
        return Ok(false);
    }
    let seq = match old.map(|o| o.seq) {
        Some(s) if s > *last => s,
        _ => {
            let n = match *next {
                Some(n) => n,
                None => next_seq(
                    conn,
                    "SELECT max(seq) FROM networks WHERE host = ?1",
                    &[&key.0],
                )?,
            };
            *next = Some(n + 1);
            n
        }
    };
    *last = seq;
    let same = old.is_some_and(|o| o.seq == seq && o.net == *net);
    if !same {
        let (json, allocated) = network_row(net);
        conn.execute(
            "INSERT INTO networks (host, id, seq, name, json, allocated, gateway4)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (host, id) DO UPDATE SET seq = excluded.seq, name = excluded.name,
             json = excluded.json, allocated = excluded.allocated, gateway4 = excluded.gateway4",
            params![
                key.0,
                key.1,
                seq,
                net.name,
                json,
                allocated,
                bridge_gateway(net)
            ],
        )?;
        changed = true;
    }
    let row = snap
        .networks
        .entry(key.clone())
        .or_insert_with(|| NetworkRow {
            seq,
            meta_only: false,
            net: net.clone(),
            endpoints: IndexMap::new(),
        });
    if !same {
        row.seq = seq;
        row.net = net.clone();
    }
    // Endpoints.
    let mut next_ep: Option<i64> = None;
    let mut last_ep = -1;
    for (eid, ep) in eps {
        let old = row.endpoints.get(eid);
        let seq = match old.map(|(s, _)| *s) {
            Some(s) if s > last_ep => s,
            _ => {
                let n = match next_ep {
                    Some(n) => n,
                    None => next_seq(
                        conn,
                        "SELECT max(seq) FROM endpoints WHERE host = ?1 AND network_id = ?2",
                        &[&key.0, &key.1],
                    )?,
                };
                next_ep = Some(n + 1);
                n
            }
        };
        last_ep = seq;
        if old.is_some_and(|(s, o)| *s == seq && o == ep) {
            continue;
        }
        conn.execute(
            "INSERT INTO endpoints (host, network_id, id, seq, container_id, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (host, network_id, id) DO UPDATE
             SET seq = excluded.seq, container_id = excluded.container_id, json = excluded.json",
            params![key.0, key.1, eid, seq, ep.container_id, to_json(ep)],
        )?;
        row.endpoints.insert(eid.clone(), (seq, ep.clone()));
        changed = true;
    }
    let gone: Vec<String> = row
        .endpoints
        .keys()
        .filter(|e| !eps.contains_key(*e))
        .cloned()
        .collect();
    for eid in gone {
        conn.execute(
            "DELETE FROM endpoints WHERE host = ?1 AND network_id = ?2 AND id = ?3",
            params![key.0, key.1, eid],
        )?;
        row.endpoints.shift_remove(&eid);
        changed = true;
    }
    Ok(changed)
}

fn save_containers(
    conn: &Connection,
    host: &str,
    cons: &IndexMap<String, Container>,
    snap: &mut Snapshot,
) -> Result<bool, SaveError> {
    let mut changed = false;
    let mut next: Option<i64> = None;
    let mut last = -1;
    // Removed first, so that a name freed by one container can be taken by another.
    let gone: Vec<(String, String)> = snap
        .containers
        .keys()
        .filter(|(h, id)| h == host && !cons.contains_key(id))
        .cloned()
        .collect();
    for key in gone {
        conn.execute(
            "DELETE FROM container_names WHERE rowid =
             (SELECT rowid FROM containers WHERE host = ?1 AND id = ?2)",
            params![key.0, key.1],
        )?;
        conn.execute(
            "DELETE FROM containers WHERE host = ?1 AND id = ?2",
            params![key.0, key.1],
        )?;
        conn.execute(
            "DELETE FROM legacy_links WHERE host = ?1 AND parent_id = ?2",
            params![key.0, key.1],
        )?;
        snap.containers.remove(&key);
        changed = true;
    }
    // Renamed next, through a name no container can have, for the same reason.
    for (id, c) in cons {
        let key = (host.to_string(), id.clone());
        if let Some((_, o)) = snap.containers.get(&key)
            && o.name != c.name
        {
            conn.execute(
                "UPDATE containers SET name = '/' || id WHERE host = ?1 AND id = ?2",
                params![key.0, key.1],
            )?;
        }
    }
    for (id, c) in cons {
        let key = (host.to_string(), id.clone());
        let old = snap.containers.get(&key);
        let seq = match old.map(|(s, _)| *s) {
            Some(s) if s > last => s,
            _ => {
                let n = match next {
                    Some(n) => n,
                    None => next_seq(
                        conn,
                        "SELECT max(seq) FROM containers WHERE host = ?1",
                        &[&key.0],
                    )?,
                };
                next = Some(n + 1);
                n
            }
        };
        last = seq;
        if old.is_some_and(|(s, o)| *s == seq && o == c) {
            continue;
        }
        let links_changed = old.is_none_or(|(_, o)| link_children(o) != link_children(c));
        let r = conn.execute(
            "INSERT INTO containers (host, id, seq, name, json) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (host, id) DO UPDATE
             SET seq = excluded.seq, name = excluded.name, json = excluded.json",
            params![key.0, key.1, seq, c.name, to_json(c)],
        );
        match r {
            Err(e) if constraint(&e) => {
                return Err(if snap.full {
                    SaveError::Inconsistent(format!("two containers are named {}", c.name))
                } else {
                    SaveError::ScopeMiss
                });
            }
            r => {
                r?;
            }
        }
        if old.is_none_or(|(_, o)| o.name != c.name) {
            let rowid: i64 = conn.query_row(
                "SELECT rowid FROM containers WHERE host = ?1 AND id = ?2",
                params![key.0, key.1],
                |r| r.get(0),
            )?;
            conn.execute(
                "DELETE FROM container_names WHERE rowid = ?1",
                params![rowid],
            )?;
            conn.execute(
                "INSERT INTO container_names (rowid, name) VALUES (?1, ?2)",
                params![rowid, format!("/{}", c.name)],
            )?;
        }
        if links_changed {
            conn.execute(
                "DELETE FROM legacy_links WHERE host = ?1 AND parent_id = ?2",
                params![key.0, key.1],
            )?;
            for child in link_children(c) {
                conn.execute(
                    "INSERT OR IGNORE INTO legacy_links (host, parent_id, child_name)
                     VALUES (?1, ?2, ?3)",
                    params![key.0, key.1, child],
                )?;
            }
        }
        snap.containers.insert(key, (seq, c.clone()));
        changed = true;
    }
    Ok(changed)
}

fn save_counters(
    conn: &Connection,
    host: &str,
    counters: &BTreeMap<String, u64>,
    snap: &mut Snapshot,
) -> Result<bool, SaveError> {
    let mut changed = false;
    for (label, &n) in counters.iter().filter(|(k, _)| per_object(k)) {
        let key = (host.to_string(), label.clone());
        match snap.counters.get(&key) {
            Some(&old) if old == n => continue,
            None if !snap.full => {
                // Taken from zero: right only if the database has no count for it.
                let held: bool = conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM counters WHERE host = ?1 AND label = ?2)",
                    params![host, label],
                    |r| r.get(0),
                )?;
                if held {
                    return Err(SaveError::ScopeMiss);
                }
            }
            _ => {}
        }
        let v = i64::try_from(n).unwrap_or(i64::MAX);
        conn.execute(
            "INSERT INTO counters (host, label, n) VALUES (?1, ?2, ?3)
             ON CONFLICT (host, label) DO UPDATE SET n = excluded.n",
            params![host, label, v],
        )?;
        snap.counters.insert(key, n);
        changed = true;
    }
    let gone: Vec<(String, String)> = snap
        .counters
        .keys()
        .filter(|(h, l)| h == host && !counters.contains_key(l))
        .cloned()
        .collect();
    for key in gone {
        conn.execute(
            "DELETE FROM counters WHERE host = ?1 AND label = ?2",
            params![key.0, key.1],
        )?;
        snap.counters.remove(&key);
        changed = true;
    }
    Ok(changed)
}

/// Replaces whatever the database holds with `c` (an import, a migration, a new state).
pub fn replace(conn: &Connection, c: &mut Cluster) -> Result<(), SaveError> {
    clear(conn)?;
    save(conn, c, &mut Snapshot::whole_new())?;
    Ok(())
}

/// Removes every object (the next open makes a fresh state). The change counter only moves
/// on, so that a copy read before is never taken for current.
pub fn clear(conn: &Connection) -> rusqlite::Result<()> {
    let g = generation(conn)?;
    for t in [
        "meta",
        "hosts",
        "networks",
        "endpoints",
        "containers",
        "legacy_links",
        "container_names",
        "counters",
        "kv",
    ] {
        conn.execute(&format!("DELETE FROM {t}"), [])?;
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', ?1)",
        params![(g + 1).to_string()],
    )?;
    Ok(())
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
            for (nname, s) in &con.networks {
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
    Ok(())
}
