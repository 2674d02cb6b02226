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
    /// exited) whose labels pass `label`/`label!` (all must hold), in creation order.
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
        let doomed: Vec<String> = self
            .state
            .containers
            .values()
            .filter(|c| !c.is_running())
            .filter(|c| {
                filters
                    .iter()
                    .all(|(k, v)| labels_match(&c.config.labels, k, v))
            })
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

/// A prune's `label=K[=V]` (the container has it) or `label!=K[=V]` (it has not).
fn labels_match<'a>(
    labels: impl IntoIterator<Item = (&'a String, &'a String)> + Clone,
    k: &str,
    v: &str,
) -> bool {
    let (lk, lv) = match v.split_once('=') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let has = labels
        .into_iter()
        .any(|(name, value)| name == lk && lv.is_none_or(|lv| value == lv));
    match k {
        "label!" => !has,
        _ => has,
    }
}
