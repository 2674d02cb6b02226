//! The `redis` image's server: RESP2 (the redis protocol spec) in both of its forms, arrays
//! of bulk strings as clients send them and inline commands as `nc` or `telnet` type them,
//! with the commands a lab checks a cache by: `PING`, `ECHO`, `SET`, `GET`, `DEL`,
//! `EXISTS`, `INCR`, `DBSIZE`, `INFO`, `QUIT`. Others get redis 7's unknown-command error.
//! The keyspace is shared by the container's connections for as long as the command that
//! reaches them runs (nothing is saved between commands: the image runs without
//! persistence, and vnet restarts it with each command's world).
//!
//! redis 7.4 `src/server.c` (`processCommand`'s errors), `src/networking.c`
//! (`processInlineBuffer`, `processMultibulkBuffer`).

use crate::engine::tcp::{Reply, Server};
use crate::time::Instant;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The most an inline request may take (redis's `PROTO_INLINE_MAX_SIZE`, 64 KiB).
const MAX_REQUEST: usize = 64 * 1024;

/// The most a request of bulk strings may take (redis allows 512 MB a string; vnet the
/// keyspace's bound).
const MAX_BULK: usize = MAX_KEYSPACE + MAX_REQUEST;

/// The keys a container's server holds, at most this many bytes of keys and values.
const MAX_KEYSPACE: usize = 8 << 20;

/// The keyspace of one container's server.
pub type Keyspace = Rc<RefCell<Keys>>;

/// Keys and values, and the bytes they take together.
#[derive(Debug, Default)]
pub struct Keys {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    used: usize,
}

impl Keys {
    /// Sets `k` to `v`, unless the keyspace would pass [`MAX_KEYSPACE`].
    fn set(&mut self, k: &[u8], v: Vec<u8>) -> bool {
        let old = self.map.get(k).map_or(0, |o| k.len() + o.len());
        let used = self.used - old + k.len() + v.len();
        if used > MAX_KEYSPACE {
            return false;
        }
        self.used = used;
        self.map.insert(k.to_vec(), v);
        true
    }

    fn remove(&mut self, k: &[u8]) -> bool {
        match self.map.remove(k) {
            Some(v) => {
                self.used -= k.len() + v.len();
                true
            }
            None => false,
        }
    }
}

/// One client connection.
pub struct Redis {
    keys: Keyspace,
    pending: Vec<u8>,
}

impl Redis {
    /// A connection to the server holding `keys`.
    pub fn new(keys: Keyspace) -> Redis {
        Redis {
            keys,
            pending: Vec::new(),
        }
    }
}

/// What reading the buffer gave.
enum Parsed {
    /// A command and the bytes it took.
    Command(Vec<Vec<u8>>, usize),
    /// More bytes are needed.
    Incomplete,
    /// A protocol error (redis replies and closes).
    Error(String),
}

/// Reads one command from `buf`.
fn parse(buf: &[u8]) -> Parsed {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return Parsed::Incomplete;
    };
    let line = buf.get(..nl).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let Some(count) = line.strip_prefix(b"*") {
        let Some(n) = number(count).filter(|n| *n <= 1024 * 1024) else {
            return Parsed::Error("Protocol error: invalid multibulk length".into());
        };
        let mut at = nl + 1;
        let mut args = Vec::new();
        for _ in 0..n {
            let rest = buf.get(at..).unwrap_or_default();
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                return Parsed::Incomplete;
            };
            let head = rest.get(..nl).unwrap_or_default();
            let head = head.strip_suffix(b"\r").unwrap_or(head);
            let Some(len) = head.strip_prefix(b"$") else {
                let got = String::from_utf8_lossy(
                    head.first().map(std::slice::from_ref).unwrap_or_default(),
                );
                return Parsed::Error(format!("Protocol error: expected '$', got '{got}'"));
            };
            let Some(len) = number(len).filter(|l| *l <= MAX_BULK) else {
                return Parsed::Error("Protocol error: invalid bulk length".into());
            };
            let start = at + nl + 1;
            let Some(arg) = buf.get(start..start + len) else {
                return Parsed::Incomplete;
            };
            if buf.get(start + len..start + len + 2).is_none() {
                return Parsed::Incomplete;
            }
            args.push(arg.to_vec());
            at = start + len + 2;
        }
        return Parsed::Command(args, at);
    }
    let args = line
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    Parsed::Command(args, nl + 1)
}

/// redis's answer when `maxmemory` would be passed.
const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.";

fn number(s: &[u8]) -> Option<usize> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn bulk(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", v.len()).as_bytes());
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
}

fn simple(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.extend_from_slice(b"\r\n");
}

impl Redis {
    /// Runs one command; `Close` for `QUIT`.
    fn run(&mut self, args: &[Vec<u8>], out: &mut Vec<u8>) -> Reply {
        let Some((name, rest)) = args.split_first() else {
            return Reply::Open;
        };
        let cmd = String::from_utf8_lossy(name).to_lowercase();
        let wrong = |out: &mut Vec<u8>| {
            simple(
                out,
                &format!("-ERR wrong number of arguments for '{cmd}' command"),
            )
        };
        let mut keys = self.keys.borrow_mut();
        match (cmd.as_str(), rest) {
            // An HTTP request sent to redis (processInlineBuffer's securityWarningCommand):
            // the connection is closed without an answer.
            ("post" | "host:", _) => return Reply::Close,
            ("ping", []) => simple(out, "+PONG"),
            ("ping", [m]) | ("echo", [m]) => bulk(out, m),
            ("ping" | "echo", _) => wrong(out),
            ("set", [k, v]) => {
                if keys.set(k, v.clone()) {
                    simple(out, "+OK");
                } else {
                    simple(out, OOM);
                }
            }
            ("get", [k]) => match keys.map.get(k) {
                Some(v) => bulk(out, v),
                None => simple(out, "$-1"),
            },
            ("del" | "exists", ks) if !ks.is_empty() => {
                let n = ks
                    .iter()
                    .filter(|k| {
                        if cmd == "del" {
                            keys.remove(k)
                        } else {
                            keys.map.contains_key(*k)
                        }
                    })
                    .count();
                simple(out, &format!(":{n}"));
            }
            ("incr", [k]) => {
                let cur = keys
                    .map
                    .get(k)
                    .map(|v| String::from_utf8_lossy(v).parse::<i64>());
                match cur {
                    None | Some(Ok(_)) if cur.as_ref().is_some_and(|c| c == &Ok(i64::MAX)) => {
                        simple(out, "-ERR increment or decrement would overflow")
                    }
                    None | Some(Ok(_)) => {
                        let n = cur.and_then(Result::ok).unwrap_or(0) + 1;
                        if keys.set(k, n.to_string().into_bytes()) {
                            simple(out, &format!(":{n}"));
                        } else {
                            simple(out, OOM);
                        }
                    }
                    Some(Err(_)) => simple(out, "-ERR value is not an integer or out of range"),
                }
            }
            ("dbsize", []) => simple(out, &format!(":{}", keys.map.len())),
            ("info", _) if rest.len() <= 1 => {
                let n = keys.map.len();
                let info = format!(
                    "# Server\r\nredis_version:7.4.1\r\nredis_mode:standalone\r\nos:Linux x86_64\r\narch_bits:64\r\ntcp_port:6379\r\n\r\n# Clients\r\nconnected_clients:1\r\n\r\n# Persistence\r\nloading:0\r\n\r\n# Keyspace\r\n{}",
                    if n > 0 {
                        format!("db0:keys={n},expires=0,avg_ttl=0,subexpiry=0\r\n")
                    } else {
                        String::new()
                    }
                );
                bulk(out, info.as_bytes());
            }
            ("quit", _) => {
                simple(out, "+OK");
                return Reply::Close;
            }
            ("set" | "get" | "incr" | "dbsize" | "del" | "exists" | "info", _) => wrong(out),
            _ => {
                let mut e = format!(
                    "-ERR unknown command '{}', with args beginning with: ",
                    String::from_utf8_lossy(name)
                );
                for a in rest {
                    e.push_str(&format!("'{}' ", String::from_utf8_lossy(a)));
                }
                simple(out, &e);
            }
        }
        Reply::Open
    }
}

impl Server for Redis {
    fn receive(&mut self, _: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
        self.pending.extend_from_slice(data);
        loop {
            match parse(&self.pending) {
                Parsed::Command(args, used) => {
                    self.pending.drain(..used);
                    if self.run(&args, out) == Reply::Close {
                        return Reply::Close;
                    }
                }
                Parsed::Incomplete
                    if self.pending.len() > MAX_REQUEST && self.pending.first() != Some(&b'*') =>
                {
                    simple(out, "-ERR Protocol error: too big inline request");
                    return Reply::Close;
                }
                Parsed::Incomplete if self.pending.len() > MAX_BULK => {
                    simple(out, "-ERR Protocol error: invalid bulk length");
                    return Reply::Close;
                }
                Parsed::Incomplete => return if eof { Reply::Close } else { Reply::Open },
                Parsed::Error(e) => {
                    simple(out, &format!("-ERR {e}"));
                    return Reply::Close;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EPOCH;

    fn talk(r: &mut Redis, input: &str) -> String {
        let mut out = Vec::new();
        r.receive(EPOCH, input.as_bytes(), false, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn inline_and_multibulk_commands() {
        let mut r = Redis::new(Keyspace::default());
        assert_eq!(talk(&mut r, "PING\r\n"), "+PONG\r\n");
        assert_eq!(talk(&mut r, "SET greeting hello\n"), "+OK\r\n");
        assert_eq!(
            talk(&mut r, "*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n"),
            "$5\r\nhello\r\n"
        );
        assert_eq!(talk(&mut r, "*2\r\n$3\r\nGET\r\n$4\r\nno"), "");
        assert_eq!(talk(&mut r, "pe\r\n"), "$-1\r\n");
        assert_eq!(talk(&mut r, "INCR n\r\nINCR n\r\n"), ":1\r\n:2\r\n");
        assert_eq!(
            talk(&mut r, "GET\r\n"),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            talk(&mut r, "FLY me away\r\n"),
            "-ERR unknown command 'FLY', with args beginning with: 'me' 'away' \r\n"
        );
        assert!(talk(&mut r, "INFO\r\n").contains("db0:keys=2,"));
        let mut out = Vec::new();
        assert_eq!(r.receive(EPOCH, b"QUIT\r\n", false, &mut out), Reply::Close);
        assert_eq!(out, b"+OK\r\n");
    }

    #[test]
    fn http_is_refused_and_big_values_fit() {
        let mut r = Redis::new(Keyspace::default());
        let mut out = Vec::new();
        let http = b"POST / HTTP/1.1\r\nHost: cache:6379\r\n\r\n";
        assert_eq!(r.receive(EPOCH, http, false, &mut out), Reply::Close);
        assert!(out.is_empty());
        let mut r = Redis::new(Keyspace::default());
        let v = "x".repeat(100_000);
        let set = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{v}\r\n", v.len());
        assert_eq!(talk(&mut r, &set), "+OK\r\n");
        assert_eq!(r.keys.borrow().used, 100_001);
    }

    #[test]
    fn bad_protocol_closes() {
        let mut r = Redis::new(Keyspace::default());
        let mut out = Vec::new();
        assert_eq!(
            r.receive(EPOCH, b"*1\r\nx\r\n", false, &mut out),
            Reply::Close
        );
        assert_eq!(out, b"-ERR Protocol error: expected '$', got 'x'\r\n");
    }
}
