//! A real etcd as the cluster store (`vnet daemon --cluster-store etcd://HOST:2379`), over
//! etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/lease/grant`,
//! `/v3/lease/timetolive`: etcd's `api/etcdserverpb/rpc.proto` as grpc-gateway serves it,
//! keys and values in base64, 64-bit numbers as strings).
//!
//! What libnetwork's datastore did with libkv's `AtomicPut` is done here with one
//! transaction per command ([`Etcd::commit`]): its writes go through only if nothing under
//! the keys it read changed since ([`Read::revision`]), so two daemons creating the same
//! network or taking the same address cannot both win; the loser's command runs again on
//! what the winner wrote. Node registration is pkg/discovery/kv's: every heartbeat puts
//! `docker/nodes/IP:PORT` again, under a lease of the TTL, so a daemon that dies drops out
//! of the store when its last lease runs out.
//!
//! An address list (`etcd://a:2379,b:2379`) is tried in turn, each request a few times with
//! a growing pause; what fails names the store's URL.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The key every committing transaction also writes, so that a delete moves the revision a
/// compare looks at (a deleted key leaves no `mod_revision` behind).
pub const GENERATION: &str = "vnet/cluster/generation";

/// How long one request to etcd may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The pauses between attempts (each attempt tries every address once).
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(400),
    Duration::from_millis(1600),
];
/// The most a reply may hold (a store of thousands of endpoints fits many times over).
const MAX_REPLY: u64 = 256 << 20;

/// Why the store did not answer as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EtcdError {
    /// No address answered.
    #[error("cluster store {url} is unreachable: {why}")]
    Unreachable {
        /// The store's URL.
        url: String,
        /// What the last attempt said.
        why: String,
    },
    /// etcd answered with an error.
    #[error("cluster store {url} refused {what}: {why}")]
    Refused {
        /// The store's URL.
        url: String,
        /// The request.
        what: &'static str,
        /// etcd's message.
        why: String,
    },
}

/// An etcd cluster, by the URL the daemon was given.
#[derive(Clone, Debug)]
pub struct Etcd {
    url: String,
    endpoints: Vec<String>,
    agent: ureq::Agent,
}

/// A prefix read at one revision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Read {
    /// The store's revision when it was read.
    pub revision: i64,
    /// Every key under the prefix and its value.
    pub entries: BTreeMap<String, String>,
}

/// A registered node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Its advertised `IP:PORT` (the key's last part and its value).
    pub advertise: String,
    /// The seconds its registration has left (`None`: no lease, it stays).
    pub ttl_left: Option<i64>,
    /// The registration's whole TTL, seconds.
    pub ttl: Option<i64>,
}

impl Etcd {
    /// A client for `url` (`etcd://HOST:PORT[,HOST:PORT...][/...]`); `None` when it names
    /// no address.
    pub fn new(url: &str) -> Option<Etcd> {
        let rest = url.strip_prefix("etcd://")?;
        let hosts = rest.split('/').next().unwrap_or_default();
        let endpoints: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("http://{h}"))
            .collect();
        if endpoints.is_empty() {
            return None;
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Some(Etcd {
            url: url.to_string(),
            endpoints,
            agent,
        })
    }

    /// The URL it was made from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` to `path` on the first address that answers, retrying with backoff.
    fn call(&self, what: &'static str, path: &str, body: &Value) -> Result<Value, EtcdError> {
        let body = body.to_string();
        let mut why = String::new();
        for pause in std::iter::once(None).chain(BACKOFF.iter().map(Some)) {
            if let Some(p) = pause {
                std::thread::sleep(*p);
            }
            for ep in &self.endpoints {
                let reply = self
                    .agent
                    .post(format!("{ep}{path}"))
                    .header("content-type", "application/json")
                    .send(body.as_str());
                let mut reply = match reply {
                    Ok(r) => r,
                    Err(e) => {
                        why = e.to_string();
                        continue;
                    }
                };
                let status = reply.status();
                let text = match reply
                    .body_mut()
                    .with_config()
                    .limit(MAX_REPLY)
                    .read_to_string()
                {
                    Ok(t) => t,
                    Err(e) => {
                        why = e.to_string();
                        continue;
                    }
                };
                let v: Value = serde_json::from_str(&text).map_err(|e| EtcdError::Refused {
                    url: self.url.clone(),
                    what,
                    why: format!("a reply that is not JSON ({e}): {}", clip(&text)),
                })?;
                // No leader (etcd starting, or a minority partition): try again.
                if status.as_u16() >= 500 {
                    why = message(&v).unwrap_or_else(|| status.to_string());
                    continue;
                }
                if !status.is_success() {
                    return Err(EtcdError::Refused {
                        url: self.url.clone(),
                        what,
                        why: message(&v).unwrap_or_else(|| status.to_string()),
                    });
                }
                return Ok(v);
            }
        }
        Err(EtcdError::Unreachable {
            url: self.url.clone(),
            why,
        })
    }

    /// Every key under `prefix`, and the revision it was read at.
    pub fn read(&self, prefix: &str) -> Result<Read, EtcdError> {
        let v = self.call(
            "a read",
            "/v3/kv/range",
            &json!({ "key": B64.encode(prefix), "range_end": B64.encode(prefix_end(prefix)) }),
        )?;
        let revision = int(at(&v, "/header/revision"));
        let mut entries = BTreeMap::new();
        for kv in at(&v, "/kvs").as_array().into_iter().flatten() {
            entries.insert(text(at(kv, "/key")), text(at(kv, "/value")));
        }
        Ok(Read { revision, entries })
    }

    /// Applies `puts` and `deletes` in one transaction if nothing under `prefix` (nor
    /// [`GENERATION`]) changed after `revision`; whether it did.
    pub fn commit(
        &self,
        prefix: &str,
        revision: i64,
        puts: &[(String, String)],
        deletes: &[String],
    ) -> Result<bool, EtcdError> {
        let unchanged = |key: &str, range_end: Option<Vec<u8>>| {
            let mut c = serde_json::Map::new();
            c.insert("key".into(), json!(B64.encode(key)));
            if let Some(end) = range_end {
                c.insert("range_end".into(), json!(B64.encode(end)));
            }
            c.insert("target".into(), json!("MOD"));
            c.insert("result".into(), json!("LESS"));
            c.insert("mod_revision".into(), json!((revision + 1).to_string()));
            Value::Object(c)
        };
        let mut ops: Vec<Value> = puts
            .iter()
            .map(
                |(k, v)| json!({ "request_put": { "key": B64.encode(k), "value": B64.encode(v) } }),
            )
            .collect();
        ops.extend(
            deletes
                .iter()
                .map(|k| json!({ "request_delete_range": { "key": B64.encode(k) } })),
        );
        ops.push(json!({ "request_put": {
            "key": B64.encode(GENERATION),
            "value": B64.encode(revision.to_string()),
        } }));
        let v = self.call(
            "a transaction",
            "/v3/kv/txn",
            &json!({
                "compare": [unchanged(prefix, Some(prefix_end(prefix))), unchanged(GENERATION, None)],
                "success": ops,
            }),
        )?;
        Ok(at(&v, "/succeeded").as_bool().unwrap_or(false))
    }

    /// Registers `advertise` under `docker/nodes/` for `ttl` seconds (one heartbeat).
    pub fn register(&self, advertise: &str, ttl: Duration) -> Result<(), EtcdError> {
        let lease = self.call(
            "a lease",
            "/v3/lease/grant",
            &json!({ "TTL": ttl.as_secs().max(1).to_string() }),
        )?;
        let id = at(&lease, "/ID").as_str().unwrap_or("0").to_string();
        self.call(
            "a registration",
            "/v3/kv/put",
            &json!({
                "key": B64.encode(format!("{}{advertise}", super::kv::NODES)),
                "value": B64.encode(advertise),
                "lease": id,
            }),
        )?;
        Ok(())
    }

    /// Removes `advertise`'s registration (a daemon that stops cleanly).
    pub fn deregister(&self, advertise: &str) -> Result<(), EtcdError> {
        self.call(
            "a deregistration",
            "/v3/kv/deleterange",
            &json!({ "key": B64.encode(format!("{}{advertise}", super::kv::NODES)) }),
        )?;
        Ok(())
    }

    /// The registered nodes, in key order, with what their registrations have left.
    pub fn nodes(&self) -> Result<Vec<Node>, EtcdError> {
        let prefix = super::kv::NODES;
        let v = self.call(
            "a read",
            "/v3/kv/range",
            &json!({ "key": B64.encode(prefix), "range_end": B64.encode(prefix_end(prefix)) }),
        )?;
        let mut out = Vec::new();
        for kv in at(&v, "/kvs").as_array().into_iter().flatten() {
            let key = text(at(kv, "/key"));
            let advertise = key.get(prefix.len()..).unwrap_or_default().to_string();
            let lease = int(at(kv, "/lease"));
            let (ttl_left, ttl) = if lease == 0 {
                (None, None)
            } else {
                let t = self.call(
                    "a lease lookup",
                    "/v3/lease/timetolive",
                    &json!({ "ID": lease.to_string() }),
                )?;
                (Some(int(at(&t, "/TTL"))), Some(int(at(&t, "/grantedTTL"))))
            };
            out.push(Node {
                advertise,
                ttl_left,
                ttl,
            });
        }
        Ok(out)
    }
}

/// The end of the key range holding every key that starts with `prefix` (etcd's
/// `clientv3.GetPrefixRangeEnd`).
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte 0xff: to the end of the keyspace.
    vec![0]
}

/// The value at a JSON pointer (`Null` when there is none).
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&Value::Null)
}

/// A base64 field as text (an absent one is empty).
fn text(v: &Value) -> String {
    v.as_str()
        .and_then(|s| B64.decode(s).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A 64-bit field, which the gateway writes as a string (an absent one is 0).
fn int(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

/// An error reply's message.
fn message(v: &Value) -> Option<String> {
    at(v, "/message")
        .as_str()
        .or_else(|| at(v, "/error").as_str())
        .map(str::to_string)
}

/// The start of a long text, for an error.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end("docker/nodes/"), b"docker/nodes0".to_vec());
        assert_eq!(prefix_end("a"), b"b".to_vec());
    }

    #[test]
    fn urls() {
        let e = Etcd::new("etcd://127.0.0.1:2379,10.0.0.2:2379/prefix").unwrap();
        assert_eq!(
            e.endpoints,
            vec!["http://127.0.0.1:2379", "http://10.0.0.2:2379"]
        );
        assert!(Etcd::new("etcd://").is_none());
        assert!(Etcd::new("consul://x:8500").is_none());
    }

    #[test]
    fn gateway_fields() {
        assert_eq!(int(&json!("42")), 42);
        assert_eq!(int(&json!(7)), 7);
        assert_eq!(int(&Value::Null), 0);
        assert_eq!(
            text(&json!(B64.encode("docker/nodes/1.2.3.4:2376"))),
            "docker/nodes/1.2.3.4:2376"
        );
        assert_eq!(text(&Value::Null), "");
    }

    #[test]
    fn an_unreachable_store_is_named() {
        // Port 9 on loopback (discard): nothing listens in a test environment.
        let e = Etcd::new("etcd://127.0.0.1:9").unwrap();
        let err = e.read("docker/").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cluster store etcd://127.0.0.1:9 is unreachable: "),
            "{err}"
        );
    }
}
