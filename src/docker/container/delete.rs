//! `docker rm`: moby's `daemon/delete.go` (`ContainerRm`); `docker container prune`:
//! `daemon/prune.go` (`ContainersPrune`).

use super::*;

impl Daemon {
    /// `DELETE /containers/{id}`.
    pub fn container_remove(&mut self, term: &str, force: bool) -> Result<()> {
        let cid = self.find_container(term)?;
        let c = self.state.container(&cid)?;
        if c.is_running() {
            if !force {
                return Err(Error::remove_running(term));
            }
            self.container_event(&cid, "kill", &[("signal", "9".into())]);
            self.exit(&cid, 137);
        }
        if let Some(c) = self.state.containers.shift_remove(&cid) {
            self.state.names.remove(&c.name);
            self.log_event(
                "container",
                "destroy",
                &cid,
                super::stop::destroy_attributes(&c),
            );
        }
        Ok(())
    }

    /// `POST /containers/prune`: removes every container that is not running (created or
    /// exited) whose labels pass `label`/`label!`, newest first.
    /// Returns their IDs. moby's `until` filter is refused as vnet's `network prune` refuses
    /// it; any other key is moby's `invalid filter`.
    pub fn container_prune(&mut self, filters: &[(String, String)]) -> Result<Vec<String>> {
        for (k, _) in filters {
            match k.as_str() {
                "label" | "label!" => {}
                "until" => return Err(Error::prune_until_unsupported("container prune")),
                _ => return Err(Error::invalid_filter(k)),
            }
        }
        // daemon.List(): newest first.
        let doomed: Vec<String> = self
            .state
            .containers
            .values()
            .rev()
            .filter(|c| !c.is_running())
            .filter(|c| prune_labels_match(&c.config.labels, filters))
            .map(|c| c.id.clone())
            .collect();
        for id in &doomed {
            if let Some(c) = self.state.containers.shift_remove(id) {
                self.state.names.remove(&c.name);
                self.log_event(
                    "container",
                    "destroy",
                    id,
                    super::stop::destroy_attributes(&c),
                );
            }
        }
        // moby logs the prune itself, with the space it reclaimed.
        let reclaimed = [("reclaimed".to_string(), "0".to_string())].into();
        self.log_event("container", "prune", "", reclaimed);
        Ok(doomed)
    }
}

/// moby's `matchLabels` for a prune: every `label=K[=V]` the container has, and not all of
/// the `label!=K[=V]` (`MatchKVList` over them).
fn prune_labels_match(labels: &BTreeMap<String, String>, filters: &[(String, String)]) -> bool {
    let has = |v: &str| match v.split_once('=') {
        Some((k, want)) => labels.get(k).is_some_and(|have| have == want),
        None => labels.contains_key(v),
    };
    let unwanted: Vec<&str> = filters
        .iter()
        .filter(|(k, _)| k == "label!")
        .map(|(_, v)| v.as_str())
        .collect();
    filters
        .iter()
        .filter(|(k, _)| k == "label")
        .all(|(_, v)| has(v))
        && (unwanted.is_empty() || !unwanted.iter().all(|v| has(v)))
}
