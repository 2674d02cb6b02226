//! HTTP plumbing of the Engine API: paths with and without `/v1.NN`, percent-decoded
//! segments, query values as moby reads them, JSON bodies and replies, errors as
//! `{"message": …}`, and the headers moby puts on every response.
//!
//! Mirrors moby v28.2.2 `api/server/server.go` (version prefix, `page not found`),
//! `api/server/middleware/version.go` (version range), `api/server/httputils` (`ReadJSON`,
//! `WriteJSON`, `BoolValue`) and `api/types/filters` (`FromJSON`); see engine-api.md §1–2.

use crate::docker::{Error, Kind};
use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use crate::docker::{API_VERSION, ENGINE_VERSION, MIN_API_VERSION};
/// The largest request body read (container create bodies are a few KiB).
pub const MAX_BODY: usize = 1 << 20;

/// A response body.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;
/// A response.
pub type Reply = Response<Body>;

/// A body of fixed bytes.
pub fn full(b: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(b.into()).boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    http_body_util::Empty::new().boxed_unsync()
}

/// A body fed chunk by chunk from a channel; it ends when the sender is dropped, and the
/// sender sees `is_closed` once the client has gone (hyper drops the body).
pub struct ChannelBody(pub tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// A 200 whose body comes chunk by chunk from `rx` ([`ChannelBody`]), of `content_type`
/// (moby's streamed answers: `wait`, `logs`, `stats`, `events`).
pub fn streamed(rx: tokio::sync::mpsc::Receiver<Bytes>, content_type: &'static str) -> Reply {
    let mut r = Response::new(ChannelBody(rx).boxed_unsync());
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

/// A reply with a status and no body.
pub fn status(code: u16) -> Reply {
    let mut r = Response::new(empty());
    *r.status_mut() = status_code(code);
    r
}

/// The status `code` (the routes give valid ones; anything else would be a server error).
fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// JSON as moby's `WriteJSON` writes it: compact, no HTML escaping, a final newline.
pub fn json(code: u16, v: &Value) -> Reply {
    // A `Value`'s Display is its compact JSON, and cannot fail.
    let mut bytes = v.to_string().into_bytes();
    bytes.push(b'\n');
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status_code(code);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// An error reply: `{"message": …}` with the status of its class.
pub fn error(e: &Error) -> Reply {
    json(
        e.kind.status(),
        &serde_json::json!({ "message": e.message }),
    )
}

/// An error reply with an explicit status (for statuses no errdefs class maps to).
pub fn error_status(code: u16, message: &str) -> Reply {
    json(code, &serde_json::json!({ "message": message }))
}

/// 400 with a message.
pub fn bad_request(message: impl Into<String>) -> Error {
    Error::new(Kind::InvalidParameter, message)
}

/// moby's `notFoundHandler`.
pub fn page_not_found() -> Reply {
    error(&Error::page_not_found())
}

/// The headers moby puts on every response, as names and values.
pub fn common_headers() -> [(&'static str, &'static str); 4] {
    [
        ("api-version", API_VERSION),
        ("docker-experimental", "false"),
        ("ostype", "linux"),
        ("server", "Docker/28.2.2 (linux)"),
    ]
}

/// Puts [`common_headers`] on a response.
pub fn add_common_headers(r: &mut Reply) {
    let h = r.headers_mut();
    for (k, v) in common_headers() {
        h.insert(k, hyper::header::HeaderValue::from_static(v));
    }
}

/// A request path: the API version it names (if any) and its percent-decoded segments.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// `1.50` in `/v1.50/networks`.
    pub version: Option<String>,
    /// `["networks", "test 01"]`.
    pub segments: Vec<String>,
}

/// Compares dotted versions as moby's `versions.Compare` does (missing parts are 0).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (
            pa.get(i).copied().unwrap_or(0),
            pb.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// Splits a path, strips a `/v{version}` prefix (`[0-9.]+`, as moby's router) and checks
/// the version against the supported range (`versionMiddleware`). Segments are
/// percent-decoded; one that is not UTF-8 afterwards is a bad request.
pub fn parse_path(path: &str) -> Result<Target, Error> {
    let mut segments = Vec::new();
    for raw in path.split('/').skip(1) {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| bad_request(format!("invalid path segment {raw:?}: not UTF-8")))?;
        segments.push(decoded.into_owned());
    }
    // A trailing slash names the same route (`/networks/` is `/networks`).
    if segments.len() > 1 && segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    let mut version = None;
    if let Some(first) = segments.first()
        && let Some(v) = first.strip_prefix('v')
        && !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        if compare_versions(v, API_VERSION).is_gt() {
            return Err(bad_request(format!(
                "client version {v} is too new. Maximum supported API version is {API_VERSION}"
            )));
        }
        if compare_versions(v, MIN_API_VERSION).is_lt() {
            return Err(bad_request(format!(
                "client version {v} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
            )));
        }
        version = Some(v.to_string());
        segments.remove(0);
    }
    Ok(Target { version, segments })
}

/// A request's query string, decoded (`application/x-www-form-urlencoded`).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `a=1&b=x%20y`.
    pub fn parse(q: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `httputils.BoolValue`: false iff absent or `""`, `0`, `no`, `false`, `none`.
    pub fn bool(&self, key: &str) -> bool {
        let v = self.get(key).unwrap_or_default().trim().to_lowercase();
        !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
    }

    /// An integer value; absent or empty is `None`, anything else must parse.
    pub fn int(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                bad_request(format!(
                    "invalid value for {key}: strconv.Atoi: parsing {v:?}: invalid syntax"
                ))
            }),
        }
    }

    /// A `since`/`until` value (moby's `ParseTimestamps`), as virtual time; `None` when
    /// absent or empty.
    pub fn timestamp(&self, key: &str) -> Result<Option<crate::time::Instant>, Error> {
        match self.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => crate::docker::timestamp::parse_timestamps(v)
                .map(Some)
                .map_err(|e| Error::new(crate::docker::Kind::InvalidParameter, e)),
        }
    }

    /// `?filters=` as `(key, value)` terms: the CLI's map of booleans
    /// (`{"driver":{"bridge":true}}`) or docker-py's lists (`{"id":["4b63"]}`), both accepted
    /// as moby's `filters.FromJSON` does.
    pub fn filters(&self) -> Result<Vec<(String, String)>, Error> {
        let raw = self.get("filters").unwrap_or_default();
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let bad = || bad_request("invalid filter: expected a JSON object of filter values");
        let v: Value = serde_json::from_str(raw).map_err(|_| bad())?;
        let Value::Object(m) = v else {
            return Err(bad());
        };
        let mut terms = Vec::new();
        for (k, vals) in m {
            match vals {
                Value::Object(inner) => {
                    for (val, b) in inner {
                        if !b.is_boolean() {
                            return Err(bad());
                        }
                        terms.push((k.clone(), val));
                    }
                }
                Value::Array(list) => {
                    for val in list {
                        let Value::String(s) = val else {
                            return Err(bad());
                        };
                        terms.push((k.clone(), s));
                    }
                }
                _ => return Err(bad()),
            }
        }
        Ok(terms)
    }
}

/// 413: a body over [`MAX_BODY`] (vnet's own limit: moby reads any body its decoder takes).
pub fn body_too_large() -> Reply {
    error_status(
        413,
        &format!("vnet: request body too large: the limit is {MAX_BODY} bytes"),
    )
}

/// Reads a whole request body, at most [`MAX_BODY`] bytes (413 beyond), arriving within
/// `within` (408 after; vnet's own limit, as the connection's header timeout).
pub async fn read_body(body: hyper::body::Incoming, within: Duration) -> Result<Bytes, Reply> {
    let read = http_body_util::Limited::new(body, MAX_BODY).collect();
    match tokio::time::timeout(within, read).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(body_too_large()),
        Ok(Err(e)) => Err(error(&bad_request(format!(
            "error reading the request body: {e}"
        )))),
        Err(_) => Err(error_status(
            408,
            &format!(
                "vnet: request body timeout: the body did not arrive within {}s",
                within.as_secs()
            ),
        )),
    }
}

/// `httputils.ReadJSON`: the body decoded as `T`, or a 400 that says why.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad_request(
            "invalid JSON: got EOF while reading request body",
        ));
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid JSON: {e}")))
}

/// Like [`decode`], but an empty body is the default value (moby accepts an empty body
/// where every field is optional: exec start, container start).
pub fn decode_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, Error> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(T::default());
    }
    decode(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = parse_path("/v1.50/networks/test%2001").unwrap();
        assert_eq!(t.version.as_deref(), Some("1.50"));
        assert_eq!(t.segments, ["networks", "test 01"]);
        let t = parse_path("/_ping").unwrap();
        assert_eq!((t.version, t.segments), (None, vec!["_ping".to_string()]));
        assert_eq!(parse_path("/networks/").unwrap().segments, ["networks"]);
        assert_eq!(
            parse_path("/v1.51/_ping").unwrap_err().message,
            "client version 1.51 is too new. Maximum supported API version is 1.50"
        );
        assert!(
            parse_path("/v1.12/_ping").unwrap_err().message.starts_with(
                "client version 1.12 is too old. Minimum supported API version is 1.24"
            )
        );
        assert!(parse_path("/v1.24/version").is_ok());
        assert!(parse_path("/networks/%ff").is_err());
    }

    #[test]
    fn queries() {
        let q = Query::parse(Some(
            "force=True&v=0&filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%2C%22id%22%3A%5B%22ab%22%5D%7D",
        ));
        assert!(q.bool("force"));
        assert!(!q.bool("v"));
        assert!(!q.bool("absent"));
        assert_eq!(
            q.filters().unwrap(),
            vec![
                ("driver".to_string(), "bridge".to_string()),
                ("id".to_string(), "ab".to_string())
            ]
        );
        assert!(Query::parse(Some("filters=%5B1%5D")).filters().is_err());
        assert!(Query::parse(Some("t=x")).int("t").is_err());
        assert_eq!(Query::parse(Some("t=3")).int("t").unwrap(), Some(3));
    }
}
