//! `docker ps`: moby's `daemon/list.go` (filters, ordering) and the status text of
//! `container/state.go` (`State.String`).

use super::*;

impl Daemon {
    /// `GET /containers/json?filters=`: `id` (prefix), `name` (a regular expression over
    /// `/NAME`), `status`,
    /// `exited`, `network` (name or ID); values of one key are alternatives, keys all apply.
    pub fn container_filter(
        &self,
        all: bool,
        terms: &[(String, String)],
    ) -> Result<Vec<&Container>> {
        const KEYS: [&str; 5] = ["exited", "id", "name", "network", "status"];
        const STATES: [&str; 7] = [
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ];
        for (k, v) in terms {
            if !KEYS.contains(&k.as_str()) {
                return Err(Error::invalid_filter(k));
            }
            if k == "status" && !STATES.contains(&v.as_str()) {
                return Err(Error::invalid_status_filter(v));
            }
        }
        // moby's `filters.Args.Match`: the name as stored (`/web`), exactly or by a regular
        // expression (one that does not compile matches nothing).
        let names: Vec<(&str, Option<regex::Regex>)> = terms
            .iter()
            .filter(|(k, _)| k == "name")
            .map(|(_, v)| (v.as_str(), regex::Regex::new(v).ok()))
            .collect();
        let name_matches = |name: &str, v: &str| {
            let stored = format!("/{name}");
            stored == v
                || names
                    .iter()
                    .any(|(p, re)| *p == v && re.as_ref().is_some_and(|r| r.is_match(&stored)))
        };
        let matches = |c: &Container, k: &str, v: &str| match k {
            "id" => c.id.starts_with(v),
            "name" => name_matches(&c.name, v),
            "status" => c.state.status.as_str() == v,
            "exited" => c.state.status == Status::Exited && v.parse() == Ok(c.state.exit_code),
            "network" => c.networks.iter().any(|(name, s)| {
                s.endpoint_id.is_some() && (name == v || s.network_id.starts_with(v))
            }),
            _ => false,
        };
        Ok(self
            .container_list(all)
            .into_iter()
            .filter(|c| {
                KEYS.iter().all(|key| {
                    let vals: Vec<&str> = terms
                        .iter()
                        .filter(|(k, _)| k == key)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    vals.is_empty() || vals.iter().any(|v| matches(c, key, v))
                })
            })
            .collect())
    }

    /// `GET /containers/json?all=&limit=&filters=`: a limit (`ps -n`, `-l`) or a status
    /// filter lists stopped containers too (daemon/list.go); newest first.
    pub fn container_ps(
        &self,
        all: bool,
        limit: Option<usize>,
        terms: &[(String, String)],
    ) -> Result<Vec<&Container>> {
        let any_status = terms.iter().any(|(k, _)| k == "status" || k == "exited");
        let mut list = self.container_filter(all || limit.is_some() || any_status, terms)?;
        if let Some(n) = limit {
            list.truncate(n);
        }
        Ok(list)
    }

    /// `ContainerSummary.Status`: `Created`, `Up 5 seconds`, `Exited (0) 2 minutes ago`
    /// (daemon/list.go with go-units `HumanDuration`).
    pub fn container_status_text(&self, c: &Container) -> String {
        let now = self.now();
        match c.state.status {
            Status::Created => "Created".to_string(),
            Status::Running => format!(
                "Up {}",
                crate::time::human_duration(now - c.state.started_at.unwrap_or(c.created))
            ),
            Status::Exited => format!(
                "Exited ({}) {} ago",
                c.state.exit_code,
                crate::time::human_duration(now - c.state.finished_at.unwrap_or(c.created))
            ),
        }
    }

    /// The names other containers' legacy links give `c` (`parent/alias`), in the order of
    /// those containers: `daemon/list.go` lists them after the container's own name.
    pub fn link_names(&self, c: &Container) -> Vec<String> {
        let target = format!("/{}", c.name);
        let mut names = Vec::new();
        for p in self.state.containers.values() {
            for l in &p.host_config.links {
                if let Some((t, alias)) = l.split_once(':')
                    && t == target
                {
                    names.push(alias.trim_start_matches('/').to_string());
                }
            }
        }
        names
    }

    /// `GET /containers/json`: newest first.
    pub fn container_list(&self, all: bool) -> Vec<&Container> {
        self.state
            .containers
            .values()
            .rev()
            .filter(|c| all || c.is_running())
            .collect()
    }
}
