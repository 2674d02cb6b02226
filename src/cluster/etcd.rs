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
//! a growing pause; what fails names the store's URL. A path after the addresses
//! (`etcd://a:2379/lab1`) puts every key under it, as libnetwork's datastore and
//! pkg/discovery prefix theirs, so several clusters can share one etcd.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The key every committing transaction also writes, so that a delete moves the revision a
/// compare looks at (a deleted key leaves no `mod_revision` behind). Its value names the
/// transaction, so that one whose reply was lost is known for ours when sent again.
pub const GENERATION: &str = "vnet/cluster/generation";

/// How long connecting to an address may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one request to etcd may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// The pauses between attempts (each attempt tries every address once).
const BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];
/// The most operations etcd takes in one transaction (its `--max-txn-ops` default).
pub const MAX_TXN_OPS: usize = 128;
/// etcd's longest lease (`lease.MaxLeaseTTL`), seconds.
pub const MAX_LEASE_TTL: u64 = 9_000_000_000;
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
    /// A command changed more keys than one transaction may hold.
    #[error(
        "cluster store {url}: the command changes {ops} keys, more than etcd takes in one transaction ({MAX_TXN_OPS}, its --max-txn-ops); nothing was written: do it in smaller steps"
    )]
    TooBig {
        /// The store's URL.
        url: String,
        /// The operations it would take.
        ops: usize,
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
    /// The URL's path, with a `/` after it (empty without one): every key's prefix.
    prefix: String,
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
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let path = path.trim_matches('/');
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let endpoints: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("http://{h}"))
            .collect();
        if endpoints.is_empty() {
            return None;
        }
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Some(Etcd {
            url: url.to_string(),
            endpoints,
            prefix,
            agent,
        })
    }

    /// The URL it was made from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` to `path` on the first address that answers, retrying with backoff.
    /// A store found unreachable is not tried again for [`DOWN_FOR`]: the requests meanwhile
    /// fail at once with the same error rather than each waiting out the timeouts.
    fn call(&self, what: &'static str, path: &str, body: &Value) -> Result<Value, EtcdError> {
        if let Some(why) = down_since(&self.url) {
            return Err(EtcdError::Unreachable {
                url: self.url.clone(),
                why,
            });
        }
        let out = self.call_now(what, path, body);
        if let Err(EtcdError::Unreachable { why, .. }) = &out {
            mark_down(&self.url, why);
        }
        out
    }

    fn call_now(&self, what: &'static str, path: &str, body: &Value) -> Result<Value, EtcdError> {
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
                // Not etcd's (a proxy's error page, say): try the next address.
                let v: Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => {
                        why = format!("{status}, a reply that is not JSON ({e}): {}", clip(&text));
                        continue;
                    }
                };
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

    /// Every key under `prefix`, and the revision it was read at (keys without the URL's
    /// path).
    pub fn read(&self, prefix: &str) -> Result<Read, EtcdError> {
        let key = format!("{}{prefix}", self.prefix);
        let v = self.call(
            "a read",
            "/v3/kv/range",
            &json!({ "key": B64.encode(&key), "range_end": B64.encode(prefix_end(&key)) }),
        )?;
        let mut read = decode_range(&v);
        read.entries = std::mem::take(&mut read.entries)
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&self.prefix)?.to_string(), v)))
            .collect();
        Ok(read)
    }

    /// Applies `puts` and `deletes` (a key ending in `/` deletes every key under it) in one
    /// transaction if nothing under `prefix` (nor [`GENERATION`]) changed after `revision`;
    /// whether it did. `token` names the transaction: should its reply be lost and it be
    /// sent again, finding it already applied counts as done.
    pub fn commit(
        &self,
        prefix: &str,
        revision: i64,
        puts: &[(String, String)],
        deletes: &[String],
        token: &str,
    ) -> Result<bool, EtcdError> {
        let ops = puts.len() + deletes.len() + 1;
        if ops > MAX_TXN_OPS {
            return Err(EtcdError::TooBig {
                url: self.url.clone(),
                ops,
            });
        }
        let key = |k: &str| format!("{}{k}", self.prefix);
        let generation = key(GENERATION);
        let unchanged = |k: &str, range_end: Option<Vec<u8>>| {
            let mut c = serde_json::Map::new();
            c.insert("key".into(), json!(B64.encode(k)));
            if let Some(end) = range_end {
                c.insert("range_end".into(), json!(B64.encode(end)));
            }
            c.insert("target".into(), json!("MOD"));
            c.insert("result".into(), json!("LESS"));
            c.insert("mod_revision".into(), json!((revision + 1).to_string()));
            Value::Object(c)
        };
        let mut success: Vec<Value> = puts
            .iter()
            .map(|(k, v)| {
                json!({ "request_put": { "key": B64.encode(key(k)), "value": B64.encode(v) } })
            })
            .collect();
        success.extend(deletes.iter().map(|k| {
            let k = key(k);
            if k.ends_with('/') {
                json!({ "request_delete_range": {
                    "key": B64.encode(&k), "range_end": B64.encode(prefix_end(&k)),
                } })
            } else {
                json!({ "request_delete_range": { "key": B64.encode(&k) } })
            }
        }));
        success.push(json!({ "request_put": {
            "key": B64.encode(&generation),
            "value": B64.encode(token),
        } }));
        let scope = key(prefix);
        let v = self.call(
            "a transaction",
            "/v3/kv/txn",
            &json!({
                "compare": [
                    unchanged(&scope, Some(prefix_end(&scope))),
                    unchanged(&generation, None),
                ],
                "success": success,
                "failure": [{ "request_range": { "key": B64.encode(&generation) } }],
            }),
        )?;
        if at(&v, "/succeeded").as_bool().unwrap_or(false) {
            return Ok(true);
        }
        // Compared false: another daemon's write, or this very transaction applied by an
        // attempt whose reply did not arrive.
        let last = at(&v, "/responses/0/response_range/kvs/0/value");
        Ok(text(last) == token)
    }

    /// Registers `advertise` under `docker/nodes/` for `ttl` seconds (one heartbeat).
    pub fn register(&self, advertise: &str, ttl: Duration) -> Result<(), EtcdError> {
        let lease = self.call(
            "a lease",
            "/v3/lease/grant",
            &json!({ "TTL": ttl.as_secs().clamp(1, MAX_LEASE_TTL).to_string() }),
        )?;
        let id = at(&lease, "/ID").as_str().unwrap_or("0").to_string();
        self.call(
            "a registration",
            "/v3/kv/put",
            &json!({
                "key": B64.encode(format!("{}{}{advertise}", self.prefix, super::kv::NODES)),
                "value": B64.encode(advertise),
                "lease": id,
            }),
        )?;
        Ok(())
    }

    /// The registered nodes, in key order, with what their registrations have left.
    pub fn nodes(&self) -> Result<Vec<Node>, EtcdError> {
        let prefix = format!("{}{}", self.prefix, super::kv::NODES);
        let prefix = prefix.as_str();
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

/// How long a store found unreachable is taken for down without trying it.
const DOWN_FOR: Duration = Duration::from_secs(5);

/// Stores found unreachable in this process: when, and what the last attempt said.
fn down_stores() -> &'static std::sync::Mutex<BTreeMap<String, (std::time::Instant, String)>> {
    static DOWN: std::sync::OnceLock<
        std::sync::Mutex<BTreeMap<String, (std::time::Instant, String)>>,
    > = std::sync::OnceLock::new();
    DOWN.get_or_init(Default::default)
}

/// Why `url` is taken for down, if it was found unreachable less than [`DOWN_FOR`] ago.
fn down_since(url: &str) -> Option<String> {
    let mut g = down_stores().lock().unwrap_or_else(|p| p.into_inner());
    let (at, why) = g.get(url)?;
    let ago = at.elapsed();
    if ago >= DOWN_FOR {
        g.remove(url);
        return None;
    }
    Some(format!("{why} (tried {} ms ago)", ago.as_millis()))
}

fn mark_down(url: &str, why: &str) {
    let mut g = down_stores().lock().unwrap_or_else(|p| p.into_inner());
    // Bounded: one entry per store URL a process has used.
    g.insert(
        url.to_string(),
        (std::time::Instant::now(), why.to_string()),
    );
}

/// A `/v3/kv/range` reply: the revision and the keys with their values (what cannot be
/// decoded reads as empty, for the caller's parse of the values to refuse).
pub fn decode_range(v: &Value) -> Read {
    let revision = int(at(v, "/header/revision"));
    let mut entries = BTreeMap::new();
    for kv in at(v, "/kvs").as_array().into_iter().flatten() {
        entries.insert(text(at(kv, "/key")), text(at(kv, "/value")));
    }
    Read { revision, entries }
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
        assert_eq!(e.prefix, "prefix/");
        assert_eq!(Etcd::new("etcd://h:2379").unwrap().prefix, "");
        assert_eq!(Etcd::new("etcd://h:2379/a/b/").unwrap().prefix, "a/b/");
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
