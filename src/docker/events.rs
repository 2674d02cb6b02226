//! Docker's event stream: moby's `daemon/events/events.go` (the last [`MAX_EVENTS`] events
//! kept for `--since`, as its `eventsLimit`), `daemon/events.go` (which attributes each
//! object's events carry: a container's image, name and labels; a network's name and type)
//! and `daemon/events/filter.go` (`--filter`).
//!
//! Events are logged where moby logs them: `create`, `start`, `kill` (with the signal),
//! `die` (with the exit code), `stop`, `restart`, `rename`, `destroy`, and an exec's
//! `exec_create: CMD`, `exec_start: CMD`, `exec_die` (with its `execID`, `exitCode`) for
//! containers;
//! `create`, `connect`, `disconnect` (with the container) and `destroy` for networks. Their
//! times are the host's virtual clock.

use super::Daemon;
use super::error::Result;
use crate::time::Instant;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How many events a host keeps (moby's `eventsLimit`).
pub const MAX_EVENTS: usize = 256;

/// One event (`events.Message`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its place in the host's events (counts up from 1).
    pub seq: u64,
    /// When it happened.
    pub time: Instant,
    /// `container`, `network`, `image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `create`, `start`, `connect`, ...
    pub action: String,
    /// The object's ID.
    pub id: String,
    /// The actor's attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// The JSON `GET /events` streams (`events.Message`, API 1.50: the deprecated `status`,
    /// `id` and `from` filled for containers and images).
    pub fn message(&self) -> Value {
        let nanos = self.time.as_micros() as u128 * 1000;
        let mut m = serde_json::Map::new();
        if matches!(self.kind.as_str(), "container" | "image") {
            m.insert("status".into(), json!(self.action));
            m.insert("id".into(), json!(self.id));
            if let Some(image) = self
                .attributes
                .get("image")
                .filter(|_| self.kind == "container")
            {
                m.insert("from".into(), json!(image));
            }
        }
        m.insert("Type".into(), json!(self.kind));
        m.insert("Action".into(), json!(self.action));
        m.insert(
            "Actor".into(),
            json!({ "ID": self.id, "Attributes": self.attributes }),
        );
        m.insert("scope".into(), json!("local"));
        m.insert("time".into(), json!(self.time.unix_secs()));
        m.insert("timeNano".into(), json!(nanos as u64));
        Value::Object(m)
    }

    /// The docker CLI's line for it (`prettyPrintEvent`): time, type, action, ID and the
    /// attributes sorted.
    pub fn pretty(&self) -> String {
        let mut s = format!(
            "{} {} {} {}",
            self.time.rfc3339_nano_fixed(),
            self.kind,
            self.action,
            self.id
        );
        if !self.attributes.is_empty() {
            let attrs: Vec<String> = self
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            s.push_str(&format!(" ({})", attrs.join(", ")));
        }
        s
    }
}

/// What `GET /events` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventsOptions {
    /// Events from this instant on.
    pub since: Option<Instant>,
    /// Events up to this instant.
    pub until: Option<Instant>,
    /// `filters`: key and value pairs.
    pub filters: Vec<(String, String)>,
    /// Only the events after this `seq` (a follower's place).
    pub after: Option<u64>,
}

/// The route's check of `since` and `until` (`getEvents`), with the values as sent.
pub fn check_range(since: Option<(Instant, &str)>, until: Option<(Instant, &str)>) -> Result<()> {
    match (since, until) {
        (Some((s, sr)), Some((u, ur))) if u < s => Err(super::Error::new(
            super::Kind::InvalidParameter,
            format!("`since` time ({sr}) cannot be after `until` time ({ur})"),
        )),
        _ => Ok(()),
    }
}

impl Daemon {
    /// Logs an event of `kind` about object `id`.
    pub(crate) fn log_event(
        &mut self,
        kind: &str,
        action: &str,
        id: &str,
        attributes: BTreeMap<String, String>,
    ) {
        let seq = self.state.events.back().map_or(1, |e| e.seq + 1);
        let time = self.now();
        self.state.events.push_back(Event {
            seq,
            time,
            kind: kind.to_string(),
            action: action.to_string(),
            id: id.to_string(),
            attributes,
        });
        while self.state.events.len() > MAX_EVENTS {
            self.state.events.pop_front();
        }
    }

    /// A container event: its image, name and labels, and `extra` (`LogContainerEventWithAttributes`).
    pub(crate) fn container_event(&mut self, cid: &str, action: &str, extra: &[(&str, String)]) {
        let Ok(c) = self.state.container(cid) else {
            return;
        };
        let mut attrs: BTreeMap<String, String> = c.config.labels.clone().into_iter().collect();
        attrs.insert("image".into(), c.config.image.clone());
        attrs.insert("name".into(), c.name.clone());
        for (k, v) in extra {
            attrs.insert((*k).to_string(), v.clone());
        }
        self.log_event("container", action, cid, attrs);
    }

    /// `docker exec`'s instance made in running container `cid` (moby's
    /// `ContainerExecCreate`): its ID, drawn from the host's seed (moby's are random), and
    /// the `exec_create: CMD ARGS` event.
    pub fn exec_create(&mut self, cid: &str, argv: &[String]) -> String {
        let id = self.new_id("exec");
        self.exec_event(cid, "exec_create", &id, argv);
        id
    }

    /// The exec's `exec_start: CMD ARGS` (`ContainerExecStart`).
    pub fn exec_start(&mut self, cid: &str, id: &str, argv: &[String]) {
        self.exec_event(cid, "exec_start", id, argv);
    }

    /// The exec's end: `exec_die` with its exit code (moby's monitor, on the runtime's exit
    /// event).
    pub fn exec_die(&mut self, cid: &str, id: &str, code: i32) {
        self.container_event(
            cid,
            "exec_die",
            &[("execID", id.to_string()), ("exitCode", code.to_string())],
        );
    }

    /// `ACTION: ENTRYPOINT ARGS` (the command and its arguments joined by spaces, a space
    /// after the command even without arguments).
    fn exec_event(&mut self, cid: &str, action: &str, id: &str, argv: &[String]) {
        let (cmd, args) = argv
            .split_first()
            .map_or(("", &[][..]), |(c, a)| (c.as_str(), a));
        let action = format!("{action}: {cmd} {}", args.join(" "));
        self.container_event(cid, &action, &[("execID", id.to_string())]);
    }

    /// A network event: its name and type, and `extra` (`LogNetworkEventWithAttributes`).
    pub(crate) fn network_event(&mut self, nid: &str, action: &str, extra: &[(&str, String)]) {
        let Some(n) = self.state.networks.get(nid) else {
            return;
        };
        let mut attrs = BTreeMap::new();
        attrs.insert("name".to_string(), n.name.clone());
        attrs.insert("type".to_string(), n.driver.as_str().to_string());
        for (k, v) in extra {
            attrs.insert((*k).to_string(), v.clone());
        }
        self.log_event("network", action, nid, attrs);
    }

    /// `GET /events` without following: the kept events from `since` up to `until` that
    /// pass the filters (moby's `SubscribeTopic` replay, `events/filter.go`).
    /// Without `since` or `until` nothing is replayed (`loadBufferedEvents`).
    pub fn events(&self, opts: &EventsOptions) -> Result<Vec<Event>> {
        if opts.since.is_none() && opts.until.is_none() && opts.after.is_none() {
            return Ok(Vec::new());
        }
        Ok(self
            .state
            .events
            .iter()
            .filter(|e| opts.after.is_none_or(|a| e.seq > a))
            .filter(|e| opts.since.is_none_or(|s| e.time >= s))
            .filter(|e| opts.until.is_none_or(|u| e.time <= u))
            .filter(|e| matches_filters(e, &opts.filters))
            .cloned()
            .collect())
    }

    /// The `seq` of the newest event kept (0 when none).
    pub fn last_event(&self) -> u64 {
        self.state.events.back().map_or(0, |e| e.seq)
    }
}

/// moby's `Filter.Include`: each key given must match (any of its values); keys it does
/// not know are ignored. An object's key (`container`, `network`, `volume`, ...) matches
/// an event whose actor's ID or name starts with one of its values, whatever the event's
/// type (`FuzzyMatch`).
fn matches_filters(e: &Event, filters: &[(String, String)]) -> bool {
    let values = |key: &str| -> Option<Vec<&str>> {
        let v: Vec<&str> = filters
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        (!v.is_empty()).then_some(v)
    };
    let exact = |key: &str, source: &str| values(key).is_none_or(|vs| vs.contains(&source));
    let name = e.attributes.get("name").map_or("", String::as_str);
    let fuzzy = |key: &str| {
        values(key).is_none_or(|vs| {
            vs.iter()
                .any(|v| e.id.starts_with(v) || name.starts_with(v))
        })
    };
    // matchEvent: with `exec_create`, `exec_start` or `health_status` among the values
    // (actions that carry the command after a colon) every value is a prefix; else exact.
    let event = values("event").is_none_or(|vs| {
        if vs
            .iter()
            .any(|v| matches!(*v, "exec_create" | "exec_start" | "health_status"))
        {
            vs.iter().any(|v| e.action.starts_with(v))
        } else {
            vs.contains(&e.action.as_str())
        }
    });
    let image = {
        let image = match e.kind.as_str() {
            "image" => e.id.as_str(),
            _ => e.attributes.get("image").map_or("", String::as_str),
        };
        let untagged = image.rsplit_once(':').map_or(image, |(i, _)| i);
        exact("image", image) || exact("image", untagged)
    };
    let labels = values("label").is_none_or(|vs| {
        vs.iter().all(|v| match v.split_once('=') {
            Some((k, want)) => e.attributes.get(k).is_some_and(|have| have == want),
            None => e.attributes.contains_key(*v),
        })
    });
    event
        && exact("type", &e.kind)
        && exact("scope", "local")
        && [
            "daemon",
            "container",
            "plugin",
            "volume",
            "network",
            "node",
            "service",
            "secret",
            "config",
        ]
        .iter()
        .all(|k| fuzzy(k))
        && image
        && labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_keeps_its_last_events_and_filters_them() {
        let mut d = Daemon::new(1);
        for k in 0..(MAX_EVENTS + 10) {
            d.log_event("network", "create", &format!("n{k}"), BTreeMap::new());
        }
        assert_eq!(d.state.events.len(), MAX_EVENTS);
        assert_eq!(d.last_event(), (MAX_EVENTS + 10) as u64);
        let nid = d
            .network_create(crate::docker::NetworkCreateRequest {
                name: "lab".into(),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let opts = EventsOptions {
            filters: vec![("network".into(), "lab".into())],
            since: Some(crate::time::EPOCH),
            ..Default::default()
        };
        let got = d.events(&opts).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.len(), 1);
        assert_eq!(got.first().map(|e| e.id.as_str()), Some(nid.as_str()));
        let unknown = EventsOptions {
            filters: vec![("nope".into(), "x".into())],
            since: Some(crate::time::EPOCH),
            ..Default::default()
        };
        assert_eq!(d.events(&unknown).map(|l| l.len()), Ok(MAX_EVENTS));
    }
}
