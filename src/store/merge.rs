//! Writing back a command that ran without the write lock.
//!
//! `exec` and `attach` can run for as long as the user wants (an endless `ping`, a shell),
//! so they read their starting state, let go of the database, simulate, and only then take
//! the write lock to save what they changed ([`Store::run_detached`](super::Store)). If
//! another command saved in between, the two changes are merged as a three-way merge of
//! the state documents (the one the command started from, the command's, the database's):
//! what only one side changed is kept; a number both sides moved forward (the virtual clock,
//! an interface's packet counters, a random-draw counter) moves by both amounts, as if the
//! two commands had run one after the other; anything else both sides changed differently is
//! a conflict, and the command's write-back is refused whole (nothing half applied).

use crate::cluster::Cluster;
use serde_json::{Map, Value};

/// Where two changes to the state could not be merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The object both changed, as a user knows it (`container web`, `network n1`, ...).
    pub object: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.object)
    }
}

/// Merges `ours` (the command's result) and `theirs` (the database now) against `base`
/// (what the command started from).
pub fn merge(base: &Cluster, ours: &Cluster, theirs: &Cluster) -> Result<Cluster, Conflict> {
    let doc = |c: &Cluster| serde_json::to_value(c).unwrap_or(Value::Null);
    let (b, o, t) = (doc(base), doc(ours), doc(theirs));
    let mut path = Vec::new();
    let merged = merge_value(Some(&b), Some(&o), Some(&t), &mut path)
        .map_err(|at| Conflict {
            object: describe(&at, [theirs, ours]),
        })?
        .unwrap_or(Value::Null);
    let mut c: Cluster = serde_json::from_value(merged).map_err(|e| Conflict {
        object: format!("the state ({e})"),
    })?;
    c.reindex();
    // What is never stored comes from the database's side.
    for (name, h) in c.hosts.iter_mut() {
        if let Some(th) = theirs.hosts.get(name) {
            h.engine.unloaded_gateways = th.engine.unloaded_gateways.clone();
        }
    }
    Ok(c)
}

/// A three-way merge of one value; `Err` carries the path of a conflict.
fn merge_value(
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    path: &mut Vec<String>,
) -> Result<Option<Value>, Vec<String>> {
    if ours == base || ours == theirs {
        return Ok(theirs.cloned());
    }
    if theirs == base {
        return Ok(ours.cloned());
    }
    match (base, ours, theirs) {
        (b, Some(Value::Object(o)), Some(Value::Object(t))) if b.is_none_or(|b| b.is_object()) => {
            let empty = Map::new();
            let b = b.and_then(Value::as_object).unwrap_or(&empty);
            let mut out = Map::new();
            let keys = t.keys().chain(o.keys().filter(|k| !t.contains_key(*k)));
            for k in keys {
                path.push(k.clone());
                let v = merge_value(b.get(k), o.get(k), t.get(k), path)?;
                path.pop();
                if let Some(v) = v {
                    out.insert(k.clone(), v);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        // An append-only record both added to (a host's events, a container's log): theirs,
        // then what ours added after the last entry it started from; events numbered on
        // from theirs, and the oldest dropped past the limit.
        (b, Some(Value::Array(o)), Some(Value::Array(t)))
            if matches!(path.last().map(String::as_str), Some("events" | "logs"))
                && b.is_none_or(Value::is_array) =>
        {
            let from = match b.and_then(Value::as_array).and_then(|b| b.last()) {
                None => 0,
                Some(last) => o.iter().rposition(|v| v == last).map_or(0, |i| i + 1),
            };
            let mut out = t.clone();
            let events = path.last().is_some_and(|k| k == "events");
            let mut seq = t
                .last()
                .and_then(|e| e.get("seq"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            for v in o.iter().skip(from) {
                let mut v = v.clone();
                if events && let Some(m) = v.as_object_mut() {
                    seq += 1;
                    m.insert("seq".into(), Value::from(seq));
                }
                out.push(v);
            }
            if events && out.len() > crate::docker::events::MAX_EVENTS {
                out.drain(..out.len() - crate::docker::events::MAX_EVENTS);
            }
            Ok(Some(Value::Array(out)))
        }
        // A count both moved forward: both moves.
        (b, Some(o), Some(t)) if o.is_u64() && t.is_u64() && b.is_none_or(Value::is_u64) => {
            let (o, t) = (o.as_u64().unwrap_or(0), t.as_u64().unwrap_or(0));
            let b = b.and_then(Value::as_u64).unwrap_or(0);
            if o < b || t < b {
                return Err(path.clone());
            }
            Ok(Some(Value::from(t.saturating_add(o - b))))
        }
        _ => Err(path.clone()),
    }
}

/// The object a conflict's path is in, in Docker's words.
fn describe(path: &[String], sides: [&Cluster; 2]) -> String {
    let seg = |i: usize| path.get(i).map(String::as_str);
    match (seg(0), seg(2), seg(3), seg(4)) {
        // An interface of a container (its counters, its ARP cache).
        (Some("hosts"), Some("engine"), Some("networks"), Some(id))
            if seg(5) == Some("endpoints") =>
        {
            let name = seg(1).zip(seg(6)).and_then(|(h, ep)| {
                sides.iter().find_map(|c| {
                    let n = c.hosts.get(h)?.engine.networks.get(id)?;
                    Some(n.endpoints.get(ep)?.name.as_str())
                })
            });
            format!("container {}", name.unwrap_or(id))
        }
        (Some("hosts"), Some("engine"), Some("containers"), Some(id)) => {
            let name = seg(1)
                .and_then(|h| {
                    sides
                        .iter()
                        .find_map(|c| c.hosts.get(h)?.engine.containers.get(id))
                })
                .map_or(id, |c| c.name.as_str());
            format!("container {name}")
        }
        (Some("hosts"), Some("engine"), Some("networks"), Some(id)) => {
            let name = seg(1)
                .and_then(|h| {
                    sides
                        .iter()
                        .find_map(|c| c.hosts.get(h)?.engine.networks.get(id))
                })
                .map_or(id, |n| n.name.as_str());
            format!("network {name}")
        }
        (Some("hosts"), Some(host), ..) => format!("host {host}"),
        _ => path.join("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli;

    fn run(c: &mut Cluster, line: &str) -> cli::Outcome {
        let argv: Vec<String> = std::iter::once("vnet")
            .chain(line.split_whitespace())
            .map(String::from)
            .collect();
        let parsed = cli::parse(&argv).expect("parses");
        cli::execute(&parsed, "vnet", c, &mut std::io::empty())
    }

    fn lab() -> Cluster {
        let mut c = Cluster::new(7);
        run(&mut c, "network create n1");
        for n in ["c1", "c2", "c3", "c4"] {
            run(&mut c, &format!("run -itd --name {n} --net n1 busybox"));
        }
        c
    }

    #[test]
    fn one_side_changed_is_that_side() {
        let base = lab();
        let mut ours = base.clone();
        assert_eq!(run(&mut ours, "exec c1 ping -c 2 c2").code, 0);
        assert_eq!(merge(&base, &ours, &base).unwrap(), ours);
        assert_eq!(merge(&base, &base, &ours).unwrap(), ours);
    }

    #[test]
    fn counters_and_clocks_add_up() {
        let base = lab();
        let mut ours = base.clone();
        run(&mut ours, "exec c1 ping -c 3 c2");
        let mut theirs = base.clone();
        run(&mut theirs, "exec c3 ping -c 1 c4");
        let m = merge(&base, &ours, &theirs).unwrap();
        let clock = |c: &Cluster| c.hosts["default"].engine.clock;
        let d = |c: &Cluster| clock(c) - clock(&base);
        assert_eq!(d(&m), d(&ours) + d(&theirs));
        // Each side's ARP caches and counters are there.
        let mut check = m.clone();
        let arp = run(&mut check, "exec c1 arp -n").stdout;
        assert!(arp.contains("172.18.0.3"), "{arp}");
        let arp = run(&mut check, "exec c3 arp -n").stdout;
        assert!(arp.contains("172.18.0.5"), "{arp}");
    }

    #[test]
    fn the_same_object_changed_twice_is_a_conflict() {
        let base = lab();
        let mut ours = base.clone();
        run(&mut ours, "exec c1 ping -c 1 c2");
        let mut theirs = base.clone();
        run(&mut theirs, "rm -f c1");
        let e = merge(&base, &ours, &theirs).unwrap_err();
        assert_eq!(e.object, "container c1");
    }
}
