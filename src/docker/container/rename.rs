//! `docker rename`: moby's `daemon/rename.go` (`ContainerRename`).

use super::*;

impl Daemon {
    /// `POST /containers/{id}/rename`.
    pub fn container_rename(&mut self, term: &str, new_name: &str) -> Result<()> {
        let cid = self.find_container(term)?;
        let new = new_name.strip_prefix('/').unwrap_or(new_name);
        if !valid_container_name(new_name) {
            // rename.go puts the slash in front before reserving the name.
            return Err(Error::invalid_container_name(&format!("/{new}"))
                .prefixed("Error when allocating new name: "));
        }
        let c = self.state.container(&cid)?;
        if c.name == new {
            return Err(Error::rename_same_name());
        }
        if let Some(owner) = self.name_owner(new) {
            return Err(Error::container_name_in_use(new, &owner.id)
                .prefixed("Error when allocating new name: "));
        }
        let old = c.name.clone();
        self.state.names.remove(&old);
        self.state.names.insert(new.to_string(), cid.clone());
        let c = self.state.container_mut(&cid)?;
        c.name = new.to_string();
        // rename.go rebuilds each network's DNS names with the new name.
        let nets: Vec<(String, String, Vec<String>)> = c
            .networks
            .iter()
            .filter(|(_, s)| s.dns_names.is_some() && !s.network_id.is_empty())
            .map(|(k, s)| (k.clone(), s.network_id.clone(), s.aliases.clone()))
            .collect();
        for (key, nid, aliases) in nets {
            if self.state.networks.contains_key(&nid) {
                let names = self.dns_names(&cid, &nid, &aliases);
                let c = self.state.container_mut(&cid)?;
                if let Some(s) = c.networks.get_mut(&key) {
                    s.dns_names = names;
                }
            }
        }
        // Sandbox.Rename: the endpoints take the new name (and, on global networks, the
        // names other hosts resolve).
        let eps: Vec<(String, String, Option<Vec<String>>)> = self
            .state
            .container(&cid)?
            .networks
            .values()
            .filter_map(|s| {
                let ep = s.endpoint_id.clone()?;
                Some((s.network_id.clone(), ep, s.dns_names.clone()))
            })
            .collect();
        for (nid, ep, names) in eps {
            if let Some(net) = self.state.networks.get_mut(&nid)
                && let Some(e) = net.endpoints.get_mut(&ep)
            {
                e.name = new.to_string();
                if net.global {
                    e.dns_names = names.unwrap_or_default();
                }
            }
        }
        // Legacy links name their parent: `/target:/parent/alias`.
        for other in self.state.containers.values_mut() {
            for l in other.host_config.links.iter_mut() {
                if let Some((t, rest)) = l.split_once(":/")
                    && t == format!("/{old}")
                {
                    *l = format!("/{new}:/{rest}");
                }
            }
        }
        self.container_event(&cid, "rename", &[("oldName", format!("/{old}"))]);
        Ok(())
    }
}
