//! The cluster store: the key-value store Docker's classic multi-host mode kept global
//! networks in (`--cluster-store consul://…|etcd://…|zk://…`, libkv).
//!
//! [`KvStore`] is the few calls libnetwork's datastore made (get, put, delete, list by
//! prefix); [`MemStore`] is the embedded one, kept in vnet's state, that every host given the
//! same store URL shares. A daemon given a real etcd ([`super::etcd`]) reads libnetwork's keys
//! from it into a [`MemStore`] at the start of a command and writes back what changed, in
//! one transaction, at its end. Keys follow libnetwork's layout under `docker/network/v1.0/`
//! (`datastore.go` `defaultRootChain`): `network/<nid>`, `endpoint/<nid>/<eid>`,
//! `endpoint_count/<nid>`, `idm/vxlan-id`; hosts register under `docker/nodes/`
//! (`pkg/discovery/kv`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// libnetwork's key prefix (`docker/network/v1.0/`).
pub const ROOT: &str = "docker/network/v1.0/";
/// Node discovery's prefix.
pub const NODES: &str = "docker/nodes/";

/// What libnetwork asks of a key-value store.
pub trait KvStore {
    /// The value under `key`.
    fn get(&self, key: &str) -> Option<String>;
    /// Sets `key` to `value`.
    fn put(&mut self, key: &str, value: String);
    /// Removes `key`; whether it was there.
    fn delete(&mut self, key: &str) -> bool;
    /// Every `(key, value)` under `prefix`, in key order.
    fn list(&self, prefix: &str) -> Vec<(String, String)>;
}

/// The embedded store: keys in order, saved with the rest of the state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemStore {
    entries: BTreeMap<String, String>,
}

impl MemStore {
    /// Every entry, in key order (what the state database stores).
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.entries
    }

    /// A store holding these entries.
    pub fn from_entries(entries: BTreeMap<String, String>) -> MemStore {
        MemStore { entries }
    }
}

impl KvStore for MemStore {
    fn get(&self, key: &str) -> Option<String> {
        self.entries.get(key).cloned()
    }

    fn put(&mut self, key: &str, value: String) {
        self.entries.insert(key.to_string(), value);
    }

    fn delete(&mut self, key: &str) -> bool {
        self.entries.remove(key).is_some()
    }

    fn list(&self, prefix: &str) -> Vec<(String, String)> {
        self.entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Whether `url` names a store libkv knew (`consul://`, `etcd://`, `zk://`, `boltdb://`).
pub fn supported(url: &str) -> bool {
    ["consul://", "etcd://", "zk://", "boltdb://"]
        .iter()
        .any(|s| url.starts_with(s) && url.len() > s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_by_prefix_in_key_order() {
        let mut s = MemStore::default();
        s.put("a/2", "two".into());
        s.put("a/1", "one".into());
        s.put("ab", "no".into());
        s.put("b", "no".into());
        assert_eq!(
            s.list("a/"),
            vec![("a/1".into(), "one".into()), ("a/2".into(), "two".into())]
        );
        assert!(s.delete("a/1"));
        assert!(!s.delete("a/1"));
        assert_eq!(s.get("a/2").as_deref(), Some("two"));
    }

    #[test]
    fn store_urls() {
        assert!(supported("consul://10.0.0.5:8500"));
        assert!(supported("etcd://store:2379/prefix"));
        assert!(!supported("consul://"));
        assert!(!supported("redis://x"));
    }
}
