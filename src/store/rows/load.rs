//! Reading a state: the whole of it, or the part of one host that a command names and what
//! that reaches (see [`Scope`]).

use super::*;
use crate::cluster::kv::MemStore;
use crate::store::scope::{Scope, Want};
use rustc_hash::FxHashSet;

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
    // A host with a live cluster store loads whole: a command may bring global networks
    // from the store that make libnetwork's own networks (docker_gwbridge, its pool chosen
    // among every network's).
    let want = match scope {
        Scope::Part(w)
            if hosts.len() == 1
                && meta.stores.is_empty()
                && !hosts.values().any(|(_, h)| h.live_store) =>
        {
            Some(w)
        }
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
        budget: Default::default(),
        live: Default::default(),
    };
    for (name, (_, mut host)) in hosts {
        links_resolve(conn, &name, &host)?;
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

/// Every network a host's link settings name exists (looked up, so that a partial load
/// checks them too: the host row is always read).
fn links_resolve(conn: &Connection, name: &str, host: &Host) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached("SELECT 1 FROM networks WHERE host = ?1 AND id = ?2")?;
    for id in host.engine.links.keys() {
        if !st.exists(params![name, id])? {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("host {name}: link settings name network {id}, which does not exist")
                    .into(),
            ));
        }
    }
    Ok(())
}

/// A row's lookup column says what its JSON says (lookups go by the columns, the command by
/// the JSON): a state edited by hand where they differ is refused.
fn agrees(table: &str, row: &str, column: &str, col: &str, json: &str) -> rusqlite::Result<()> {
    if col == json {
        return Ok(());
    }
    Err(rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{table} row {row}: its {column} column says {col:?}, its JSON {json:?}").into(),
    ))
}

/// Every network of `host` with its own fields only, in creation order.
fn networks_of(conn: &Connection, host: &str) -> rusqlite::Result<Vec<(i64, Network)>> {
    let mut st = conn
        .prepare_cached("SELECT seq, json, id, name FROM networks WHERE host = ?1 ORDER BY seq")?;
    let rows = st.query_map(params![host], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, json, id, name) = row?;
        let net: Network = from_json(&json, "network")?;
        agrees("network", &id, "id", &id, &net.id)?;
        agrees("network", &id, "name", &name, &net.name)?;
        out.push((seq, net));
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

fn endpoints_of(
    conn: &Connection,
    host: &str,
    network: &str,
) -> rusqlite::Result<IndexMap<String, (i64, Endpoint)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, seq, json, container_id FROM endpoints WHERE host = ?1 AND network_id = ?2 ORDER BY seq",
    )?;
    let rows = st.query_map(params![host, network], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = IndexMap::new();
    for row in rows {
        let (id, seq, json, container) = row?;
        let ep: Endpoint = from_json(&json, "endpoint")?;
        agrees("endpoint", &id, "id", &id, &ep.id)?;
        agrees(
            "endpoint",
            &id,
            "container_id",
            &container,
            &ep.container_id,
        )?;
        out.insert(id, (seq, ep));
    }
    Ok(out)
}

fn load_host_whole(
    conn: &Connection,
    name: &str,
    host: &mut Host,
    snap: &mut Snapshot,
) -> rusqlite::Result<()> {
    for (seq, net) in networks_of(conn, name)? {
        let net = whole_network(conn, name, seq, net, snap)?;
        host.engine.networks.insert(net.id.clone(), net);
    }
    let mut st = conn.prepare_cached(
        "SELECT seq, json, id, name FROM containers WHERE host = ?1 ORDER BY seq",
    )?;
    let rows = st.query_map(params![name], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (seq, json, id, cname) = row?;
        let c: Container = from_json(&json, "container")?;
        agrees("container", &id, "id", &id, &c.id)?;
        agrees("container", &id, "name", &cname, &c.name)?;
        snap.containers
            .insert((name.to_string(), c.id.clone()), (seq, c.clone()));
        host.engine.containers.insert(c.id.clone(), c);
    }
    load_counters(conn, name, host, snap, "", false)
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
        conn.prepare_cached("SELECT seq, json, name FROM networks WHERE host = ?1 AND id = ?2")?;
    let row = st
        .query_row(params![host, id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    match row {
        Some((seq, json, name)) => {
            let net: Network = from_json(&json, "network")?;
            agrees("network", id, "id", id, &net.id)?;
            agrees("network", id, "name", &name, &net.name)?;
            Ok(Some((seq, net)))
        }
        None => Ok(None),
    }
}

/// A network read with its endpoints and handed-out addresses (`net` has its own fields),
/// noted in the snapshot.
fn whole_network(
    conn: &Connection,
    host: &str,
    seq: i64,
    mut net: Network,
    snap: &mut Snapshot,
) -> rusqlite::Result<Network> {
    fill_allocated(conn, host, &mut net)?;
    let eps = endpoints_of(conn, host, &net.id)?;
    snap.networks.insert(
        (host.to_string(), net.id.clone()),
        NetworkRow {
            seq,
            meta_only: false,
            net: net.clone(),
            endpoints: eps.clone(),
        },
    );
    net.endpoints = eps.into_iter().map(|(k, (_, e))| (k, e)).collect();
    Ok(net)
}

/// IDs of `host`'s networks that `term` may name (`findUniqueNetwork`'s candidates): its
/// ID and every network of that name, else every ID it begins.
fn resolve_network(conn: &Connection, host: &str, term: &str) -> rusqlite::Result<Vec<String>> {
    resolve(conn, "networks", host, term, "")
}

/// IDs of `host`'s containers that `term` names: its ID or its name, else (at most two,
/// enough to tell an ambiguous prefix) IDs it begins.
fn resolve_container(conn: &Connection, host: &str, term: &str) -> rusqlite::Result<Vec<String>> {
    let term = term.strip_prefix('/').unwrap_or(term);
    resolve(conn, "containers", host, term, " ORDER BY id LIMIT 2")
}

/// IDs of `table`'s rows whose ID or name is `term`, else whose ID begins with it (moby looks
/// at prefixes only when neither matched). Two lookups, each on its index: an OR of both
/// would scan every name.
fn resolve(
    conn: &Connection,
    table: &str,
    host: &str,
    term: &str,
    prefixes: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    if term.is_empty() {
        return Ok(out);
    }
    for column in ["id", "name"] {
        let sql = format!("SELECT id FROM {table} WHERE host = ?1 AND {column} = ?2");
        let mut st = conn.prepare_cached(&sql)?;
        for id in st.query_map(params![host, term], |r| r.get::<_, String>(0))? {
            out.push(id?);
        }
    }
    if !out.is_empty() {
        return Ok(out);
    }
    let sql = format!("SELECT id FROM {table} WHERE host = ?1 AND id >= ?2 AND id < ?3{prefixes}");
    let mut st = conn.prepare_cached(&sql)?;
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
        for term in &want.networks {
            load_counters(conn, name, host, snap, &format!("network/{term}"), true)?;
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
        for s in c.endpoints() {
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
    // A running container that forwards (`net.ipv4.ip_forward=1`) joins its networks: a
    // frame can cross it, so they load whole too. So does one on several networks, which
    // answers for its addresses on the others (Linux's weak host model).
    let mut pending: Vec<String> = full.iter().rev().cloned().collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    while let Some(id) = pending.pop() {
        if !done.insert(id.clone()) {
            continue;
        }
        let Some((seq, net)) = network_by_id(conn, name, &id)? else {
            continue;
        };
        let net = whole_network(conn, name, seq, net, snap)?;
        for e in net.endpoints.values() {
            let Some(c) = load_container(conn, name, &e.container_id, &mut loaded)? else {
                continue;
            };
            if c.is_running() && (c.ip_forward() || c.endpoints().count() > 1) {
                for s in c.endpoints() {
                    if !s.network_id.is_empty() && !done.contains(&s.network_id) {
                        pending.push(s.network_id.clone());
                    }
                }
            }
        }
        networks.push((seq, net));
    }
    full.extend(done);
    // Networks' own fields: those the loaded containers are attached to.
    let attached: BTreeSet<String> = loaded
        .values()
        .flat_map(|(_, c)| c.endpoints().map(|s| s.network_id.clone()))
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
        let mut st = conn
            .prepare_cached("SELECT seq, json, name FROM containers WHERE host = ?1 AND id = ?2")?;
        let row = st
            .query_row(params![host, id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        let Some((seq, json, name)) = row else {
            return Ok(None);
        };
        let c: Container = from_json(&json, "container")?;
        agrees("container", id, "id", id, &c.id)?;
        agrees("container", id, "name", &name, &c.name)?;
        loaded.insert(id.to_string(), (seq, c));
    }
    Ok(loaded.get(id).map(|(_, c)| c))
}
