//! `docker ps`: moby's `daemon/list.go` (filters, ordering) and the status text of
//! `container/state.go` (`State.String`).

use super::*;
use crate::docker::Kind;

impl Daemon {
    /// `GET /containers/json?filters=` (daemon/list.go `foldFilter` and
    /// `includeContainerInList`): `id` (prefix), `name` (a regular expression over
    /// `/NAME`), `status`, `exited`, `network` (name or ID), `label` (`k` or `k=v`, all
    /// must match), `ancestor` (an image or one made from it), `before`/`since` (older or
    /// newer than a container), `publish`/`expose` (`PORT[-PORT][/PROTO]`), `health`,
    /// `volume`, `isolation` and `is-task` as a Linux engine without swarm answers them;
    /// values of one key are alternatives, keys all apply.
    pub fn container_filter(
        &self,
        all: bool,
        terms: &[(String, String)],
    ) -> Result<Vec<&Container>> {
        const KEYS: [&str; 15] = [
            "ancestor",
            "before",
            "exited",
            "expose",
            "health",
            "id",
            "is-task",
            "isolation",
            "label",
            "name",
            "network",
            "publish",
            "since",
            "status",
            "volume",
        ];
        const STATES: [&str; 7] = [
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ];
        for (k, _) in terms {
            if !KEYS.contains(&k.as_str()) {
                return Err(Error::invalid_filter(k));
            }
        }
        let values = |key: &str| -> Vec<&str> {
            terms
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        for v in values("exited") {
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            v.parse::<i64>().map_err(|_| {
                let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                Error::new(Kind::System, format!("strconv.Atoi: parsing {v:?}: {why}"))
            })?;
        }
        for v in values("status") {
            if !STATES.contains(&v) {
                return Err(Error::invalid_status_filter(v));
            }
        }
        // No container here is a swarm task.
        let is_task = values("is-task");
        let task_filter = match is_task.as_slice() {
            [] => None,
            v if v.contains(&"true") => Some(true),
            v if v.contains(&"false") => Some(false),
            v => {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter 'is-task=[{}]'", v.join(" ")),
                ));
            }
        };
        for v in values("health") {
            if !["starting", "healthy", "unhealthy", "none"].contains(&v) {
                return Err(Error::new(
                    Kind::InvalidParameter,
                    format!("Unrecognised filter value for health: {v}"),
                ));
            }
        }
        let mut before = None;
        for v in values("before") {
            before = Some(self.find_container(v)?);
        }
        let mut since = None;
        for v in values("since") {
            since = Some(self.find_container(v)?);
        }
        // An ancestor names images vnet has; one it lacks matches nothing.
        let ancestors: Vec<String> = values("ancestor")
            .into_iter()
            .filter(|a| self.image(a).is_some())
            .map(super::image::familiar_tagged)
            .collect();
        let publish = port_filter("publish", &values("publish"))?;
        let expose = port_filter("expose", &values("expose"))?;
        // moby's `filters.Args.Match`: the name as stored (`/web`), exactly or by a regular
        // expression (one that does not compile matches nothing).
        let names: Vec<(&str, Option<regex::Regex>)> = values("name")
            .into_iter()
            .map(|v| (v, regex::Regex::new(v).ok()))
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
            // No health check: `none`.
            "health" => v == "none",
            // A Windows notion: list_unix.go's `excludeByIsolation` keeps every container.
            "isolation" => true,
            // No container has volumes.
            "volume" => false,
            "ancestor" => ancestors
                .iter()
                .any(|a| self.descends_from(&c.config.image, a)),
            _ => true,
        };
        let mut list = Vec::new();
        for c in self.container_list(true) {
            // Newest first: `before` skips up to and including its container, `since`
            // stops there.
            if let Some(b) = &before {
                if *b == c.id {
                    before = None;
                }
                continue;
            }
            if since.as_ref().is_some_and(|s| *s == c.id) {
                break;
            }
            if !all && !c.is_running() {
                continue;
            }
            if task_filter == Some(true) {
                continue;
            }
            // `MatchKVList`: every label term must hold.
            let labels_match = values("label").iter().all(|t| {
                let (k, v) = t.split_once('=').map_or((*t, None), |(k, v)| (k, Some(v)));
                c.config
                    .labels
                    .get(k)
                    .is_some_and(|l| v.is_none_or(|v| v == l))
            });
            if !labels_match {
                continue;
            }
            let keys_match = KEYS
                .iter()
                .filter(|k| {
                    !matches!(
                        **k,
                        "label" | "before" | "since" | "is-task" | "publish" | "expose"
                    )
                })
                .all(|key| {
                    let vals = values(key);
                    vals.is_empty() || vals.iter().any(|v| matches(c, key, v))
                });
            if !keys_match {
                continue;
            }
            if (!publish.is_empty() || !expose.is_empty()) && !ports_match(c, &publish, &expose) {
                continue;
            }
            list.push(c);
        }
        Ok(list)
    }

    /// Whether image `reference` is `ancestor` or was made from it (`vnet image create`).
    fn descends_from(&self, reference: &str, ancestor: &str) -> bool {
        let mut image = super::image::familiar_tagged(reference);
        // Each made image names its parent; the chain ends at the catalogue.
        for _ in 0..=self.state.images.len() {
            if image == ancestor {
                return true;
            }
            match self.state.images.get(&image) {
                Some(made) => image = made.parent.clone(),
                None => return false,
            }
        }
        false
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

/// daemon/list.go `portOp`: `PORT[-PORT][/PROTO]` (TCP when no protocol) as `port/proto`.
fn port_filter(key: &str, values: &[&str]) -> Result<Vec<(u16, u16, String)>> {
    let mut ports = Vec::new();
    for v in values {
        if v.contains(':') {
            return Err(Error::new(
                Kind::System,
                format!("filter for '{key}' should not contain ':': {v}"),
            ));
        }
        // nat.SplitProtoPort: TCP when no protocol (or an empty one) is given.
        let (port, proto) = match v.split_once('/') {
            None => (*v, "tcp"),
            Some((p, rest)) => match rest.split('/').next() {
                Some("") | None => (p, "tcp"),
                Some(proto) => (p, proto),
            },
        };
        let bad = |why: String| {
            Error::new(
                Kind::System,
                format!("error while looking up for {key} {v}: {why}"),
            )
        };
        let parse = |p: &str| {
            p.parse::<u16>().map_err(|_| {
                let why = if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                bad(format!("strconv.ParseUint: parsing {p:?}: {why}"))
            })
        };
        let (start, end) = match port.split_once('-') {
            _ if port.is_empty() => return Err(bad("empty string specified for ports".into())),
            None => (parse(port)?, parse(port)?),
            Some((a, b)) => {
                let b = b.split('-').next().unwrap_or(b);
                let (a, b) = (parse(a)?, parse(b)?);
                if b < a {
                    return Err(bad(format!("invalid range specified for port: {port}")));
                }
                (a, b)
            }
        };
        ports.push((start, end, proto.to_string()));
    }
    Ok(ports)
}

/// Whether one of the container's ports is published on a `publish` port or exposes an
/// `expose` port (the ranges of [`port_filter`]).
fn ports_match(
    c: &Container,
    publish: &[(u16, u16, String)],
    expose: &[(u16, u16, String)],
) -> bool {
    let within = |set: &[(u16, u16, String)], port: u16, proto: &str| {
        set.iter()
            .any(|(start, end, p)| p == proto && (*start..=*end).contains(&port))
    };
    c.ports.iter().any(|(k, bs)| {
        let (private, _) = super::port_sort_key(k);
        let proto = super::proto_of(k);
        let private = u16::try_from(private).unwrap_or(0);
        let published: Vec<u16> = if bs.is_empty() {
            vec![0]
        } else {
            bs.iter()
                .map(|b| b.host_port.parse().unwrap_or(0))
                .collect()
        };
        published.iter().any(|p| within(publish, *p, proto)) || within(expose, private, proto)
    })
}
