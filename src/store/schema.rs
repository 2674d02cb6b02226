//! The database's tables and their migrations.
//!
//! One row per Docker object, each a JSON text of the object vnet keeps (the shapes of
//! `vnet state export`), beside the columns that lookups need: a container by name or ID
//! prefix, a network's endpoints, the containers linking to a name. `seq` keeps creation
//! order (the order `ps`, `network ls` and the JSON document list objects in). The schema's
//! version is SQLite's `user_version`; [`migrate`] brings an older file up to
//! [`SCHEMA_VERSION`] inside the caller's transaction.

use rusqlite::Connection;

/// The schema this vnet writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1.
///
/// - `meta`: `cluster` (the cluster's own fields: seed, hosts created, partitions) and
///   `generation` (bumped by every change, so a daemon knows whether its copy is current).
/// - `hosts`: a simulated Docker host with its engine's own fields (seed, clock, the
///   counters of unnamed draws, link rules) but not its networks, containers or
///   per-object counters.
/// - `networks` (without endpoints; the addresses each IPAM pool has handed out in a column
///   of their own, read only with the network's endpoints), `endpoints`, `containers`: a
///   host's objects. A bridge network's IPv4 gateway has a column too: the host owns it
///   even for a command that does not read the network.
/// - `container_names`: each container's stored name (`/NAME`) under its row's rowid, in an
///   FTS5 trigram index, so that `ps --filter name=PART` finds the names holding PART
///   without reading every name.
/// - `legacy_links`: which containers name which child in a legacy link (an index over the
///   containers' JSON, kept with them).
/// - `counters`: how many IDs were derived for each named object (`container/NAME`,
///   `network/NAME`, `endpoint/CID/NID`): the per-object part of a host's RNG state, one
///   row each, so that a command reads only its objects' (the host row keeps the rest).
/// - `kv`: the embedded cluster stores' keys (libnetwork's layout).
const V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE hosts (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE networks (
    host TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    gateway4 TEXT,
    json TEXT NOT NULL,
    allocated TEXT NOT NULL,
    PRIMARY KEY (host, id)
);
CREATE INDEX networks_seq ON networks (host, seq);
CREATE INDEX networks_name ON networks (host, name);
CREATE INDEX networks_gateway ON networks (host, gateway4, id);
CREATE TABLE endpoints (
    host TEXT NOT NULL,
    network_id TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    container_id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (host, network_id, id)
);
CREATE INDEX endpoints_seq ON endpoints (host, network_id, seq);
CREATE INDEX endpoints_container ON endpoints (host, container_id);
CREATE TABLE containers (
    host TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (host, id)
);
CREATE UNIQUE INDEX containers_name ON containers (host, name, id);
CREATE INDEX containers_seq ON containers (host, seq);
CREATE VIRTUAL TABLE container_names USING fts5 (name, tokenize = 'trigram case_sensitive 1');
CREATE TABLE legacy_links (
    host TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    child_name TEXT NOT NULL,
    PRIMARY KEY (host, parent_id, child_name)
) WITHOUT ROWID;
CREATE INDEX legacy_links_child ON legacy_links (host, child_name);
CREATE TABLE counters (
    host TEXT NOT NULL,
    label TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (host, label)
) WITHOUT ROWID;
CREATE TABLE kv (
    store TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (store, key)
) WITHOUT ROWID;
";

/// The schema's version in `conn`.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema from `from` to [`SCHEMA_VERSION`] (the caller holds a write
/// transaction and has checked that `from` is not newer).
pub fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    if from < 1 {
        conn.execute_batch(V1)?;
    }
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}
