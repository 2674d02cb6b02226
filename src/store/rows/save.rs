//! Writing what a command changed: each object compared with the snapshot its load took,
//! and only the rows that differ written.

use super::*;

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
        if snap.networks.get(&key).is_some_and(|n| n.meta_only) {
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
    if let Some(o) = old.filter(|o| o.meta_only) {
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
