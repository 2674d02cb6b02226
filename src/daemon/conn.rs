//! The daemon's connections: how many it serves at once, how long it waits for a request's
//! headers and for the next request on an idle connection, and whether a request's client
//! is still there.
//!
//! dockerd serves the API with Go's `net/http` (moby v28.2.2 `cmd/dockerd/daemon.go`): a
//! `ReadHeaderTimeout` of 5 minutes, no idle timeout, and no connection limit but the
//! open-file limit, which Go raises from its soft to its hard value at start (Go 1.19,
//! `syscall.init`). vnet does the same (hyper's `header_read_timeout`, [`raise_fd_limit`])
//! and adds limits of its own, answered in moby's `{"message": …}` shape: an idle
//! keep-alive timeout; a connection limit, past which the connection idle longest is closed
//! to make room, or, when every connection is in the middle of a request, the new one is
//! answered 503 and closed (never queued beyond the second a closing connection may take);
//! a body timeout (the header timeout again, 408); and the body limit of
//! [`http::MAX_BODY`](super::http::MAX_BODY) (413). A connection with a request in flight (a
//! `docker wait`, a hijacked `exec` or `attach` stream) is never idle, so no timeout cuts it.
//!
//! [`ClientGone`] tells a request's work that its client went away.

use super::host::Host;
use super::http::{self, Body};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::UnixStream;
use tokio::sync::Notify;

/// How long a client may take to send a request's headers: dockerd's `ReadHeaderTimeout`.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a connection may sit between requests (vnet's own: dockerd has none). Longer
/// than the Docker client's own 30 s (moby `client/client.go` `IdleConnTimeout`), so a
/// client normally closes an idle connection before the daemon does.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The most connections served at once (vnet's own), unless the open-file limit is lower.
pub const MAX_CONNECTIONS: usize = 4096;
/// Descriptors kept for what is not a connection (the state database, stdio, the runtime).
const FD_RESERVE: u64 = 128;
/// Connections that may still be closing past the limit (an evicted one ends at once when
/// idle, within [`GRACE`] when it was half-way through a request's headers).
const SLACK: usize = 32;
/// How long an evicted connection may take to finish what it was writing.
const GRACE: Duration = Duration::from_secs(1);
/// Refused connections drained at once before closing (beyond, closed without draining).
const MAX_REFUSING: usize = 64;

/// The daemon's connection limits; [`Limits::from_env`] reads the settings tests use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's headers (hyper counts from the end of
    /// the previous response on a kept-alive connection).
    pub header_timeout: Duration,
    /// How long a connection may sit with no request before it is closed.
    pub idle_timeout: Duration,
    /// The most connections served at once; `None`: [`MAX_CONNECTIONS`], or fewer when the
    /// open-file limit is lower.
    pub max_connections: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: HEADER_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: None,
        }
    }
}

/// A setting in the environment that is not a whole number of at least 1.
#[derive(Debug, thiserror::Error)]
#[error("{name} must be a whole number of at least 1, not {value:?}")]
pub struct BadSetting {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
}

impl Limits {
    /// The defaults, changed by `VNET_DAEMON_HEADER_TIMEOUT` and `VNET_DAEMON_IDLE_TIMEOUT`
    /// (seconds) and `VNET_DAEMON_MAX_CONNECTIONS`; an empty variable is the default.
    pub fn from_env() -> Result<Limits, BadSetting> {
        fn var(name: &'static str) -> Result<Option<u64>, BadSetting> {
            match std::env::var(name) {
                Ok(v) if !v.is_empty() => match v.parse::<u64>() {
                    Ok(n) if n >= 1 => Ok(Some(n.min(86_400 * 365))),
                    _ => Err(BadSetting { name, value: v }),
                },
                _ => Ok(None),
            }
        }
        let d = Limits::default();
        Ok(Limits {
            header_timeout: var("VNET_DAEMON_HEADER_TIMEOUT")?
                .map_or(d.header_timeout, Duration::from_secs),
            idle_timeout: var("VNET_DAEMON_IDLE_TIMEOUT")?
                .map_or(d.idle_timeout, Duration::from_secs),
            max_connections: var("VNET_DAEMON_MAX_CONNECTIONS")?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        })
    }

    /// The connection limit in force: the one set, else [`MAX_CONNECTIONS`] within the
    /// open-file limit `nofile` (less what the daemon needs besides, at least 16).
    pub fn connections(&self, nofile: Option<u64>) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let fit = nofile.map_or(u64::MAX, |n| n.saturating_sub(FD_RESERVE).max(16));
            usize::try_from(fit).map_or(MAX_CONNECTIONS, |f| f.min(MAX_CONNECTIONS))
        })
    }
}

/// Raises the soft open-file limit to the hard one, as Go does at the start of every
/// program (so dockerd has it); returns the soft limit in force afterwards (`None`:
/// unlimited). A failure leaves the limit as it was, as Go ignores it.
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        let raised = rustix::process::Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        };
        let _ = setrlimit(Resource::Nofile, raised);
    }
    getrlimit(Resource::Nofile).current
}

/// Whether a request's client is still there. Set when hyper drops the request's handler or
/// its answer before the end (the client closed the connection mid-request), and, on a
/// hijacked stream, when the client has closed the connection altogether (not merely its
/// sending half, as the docker CLI does after the last of its input) or a write to it
/// fails. Cheap to clone and to check from any thread: work that runs long on a blocking
/// thread looks at [`is_gone`](ClientGone::is_gone), async code awaits
/// [`gone`](ClientGone::gone) (an exec on a hijacked stream is interrupted by it).
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientGone {
    flag: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl ClientGone {
    /// The flag of `req`, set up for every request by the connection's service.
    pub(crate) fn of(req: &Request<Incoming>) -> ClientGone {
        req.extensions()
            .get::<ClientGone>()
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the client has gone.
    pub(crate) fn is_gone(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Resolves once the client has gone.
    pub(crate) async fn gone(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_gone() {
                return;
            }
            notified.await;
        }
    }

    /// Notes that the client has gone.
    pub(crate) fn set(&self) {
        if !self.flag.swap(true, Ordering::AcqRel) {
            self.notify.notify_waiters();
        }
    }
}

/// How long a request's body may take to arrive once its headers have (the header
/// timeout; set on every request by the connection's service).
#[derive(Clone, Copy, Debug)]
struct BodyTimeout(Duration);

/// The body timeout of `req`.
pub(crate) fn body_timeout(req: &Request<Incoming>) -> Duration {
    req.extensions()
        .get::<BodyTimeout>()
        .map_or(HEADER_TIMEOUT, |t| t.0)
}

/// Sets a [`ClientGone`] when dropped, unless disarmed first.
struct SetOnDrop(Option<ClientGone>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        if let Some(g) = self.0.take() {
            g.set();
        }
    }
}

/// The connections being served.
pub(crate) struct Conns {
    limits: Limits,
    max: usize,
    table: Mutex<Table>,
    /// Told when a connection's place is freed.
    freed: Notify,
    refusing: AtomicUsize,
}

#[derive(Default)]
struct Table {
    next: u64,
    live: BTreeMap<u64, Entry>,
}

struct Entry {
    /// Requests in flight, hijacked streams included.
    busy: u32,
    /// When the last request ended (or the connection was accepted).
    idle_since: Instant,
    /// Asked to close to make room.
    closing: bool,
    close: Arc<Notify>,
}

/// A served connection's place in [`Conns`]; the last holder (the connection's task, its
/// service, a hijacked stream) frees it.
pub(crate) struct Slot {
    id: u64,
    conns: Arc<Conns>,
    close: Arc<Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conns.lock().live.remove(&self.id);
        self.conns.freed.notify_waiters();
    }
}

impl Slot {
    /// How long the connection has had no request in flight (`None`: one is).
    fn idle_for(&self) -> Option<Duration> {
        let t = self.conns.lock();
        let e = t.live.get(&self.id)?;
        (e.busy == 0).then(|| e.idle_since.elapsed())
    }
}

/// A request in flight on a connection: while one is held the connection is never idle.
pub(crate) struct Busy(Arc<Slot>);

impl Busy {
    /// Marks the connection busy until the result is dropped.
    pub(crate) fn new(slot: &Arc<Slot>) -> Busy {
        if let Some(e) = slot.conns.lock().live.get_mut(&slot.id) {
            e.busy += 1;
        }
        Busy(slot.clone())
    }

    /// The busy mark of `req`'s connection, for work that outlives the answer (a hijacked
    /// stream).
    pub(crate) fn of(req: &Request<Incoming>) -> Option<Busy> {
        req.extensions().get::<Arc<Slot>>().map(Busy::new)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(e) = self.0.conns.lock().live.get_mut(&self.0.id) {
            e.busy = e.busy.saturating_sub(1);
            if e.busy == 0 {
                e.idle_since = Instant::now();
            }
        }
    }
}

/// A response body that keeps its connection busy until hyper is done with it, and notes a
/// client gone before its end.
struct Tracked {
    inner: Body,
    done: bool,
    gone: ClientGone,
    _busy: Busy,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let p = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(p, Poll::Ready(None)) {
            self.done = true;
        }
        p
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if !self.done && !http_body::Body::is_end_stream(&self.inner) {
            self.gone.set();
        }
    }
}

impl Conns {
    /// No connections yet; at most `max` at once.
    pub(crate) fn new(limits: Limits, max: usize) -> Arc<Conns> {
        Arc::new(Conns {
            limits,
            max: max.max(1),
            table: Mutex::new(Table::default()),
            freed: Notify::new(),
            refusing: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many connections are served now.
    #[cfg(test)]
    fn live(&self) -> usize {
        self.lock().live.len()
    }

    /// A place for a new connection: free, or made by asking the connection idle longest to
    /// close; else whether some connection is closing already (a place may free up soon).
    fn admit(self: &Arc<Conns>) -> Result<(Arc<Slot>, bool), bool> {
        let mut t = self.lock();
        let mut evicted = false;
        if t.live.len() >= self.max {
            let closing = t.live.values().any(|e| e.closing);
            if t.live.len() >= self.max.saturating_add(SLACK) {
                return Err(closing);
            }
            let Some((_, victim)) = t
                .live
                .iter_mut()
                .filter(|(_, e)| e.busy == 0 && !e.closing)
                .min_by_key(|(id, e)| (e.idle_since, **id))
            else {
                return Err(closing);
            };
            victim.closing = true;
            victim.close.notify_one();
            evicted = true;
        }
        let id = t.next;
        t.next += 1;
        let close = Arc::new(Notify::new());
        t.live.insert(
            id,
            Entry {
                busy: 0,
                idle_since: Instant::now(),
                closing: false,
                close: close.clone(),
            },
        );
        let slot = Arc::new(Slot {
            id,
            conns: self.clone(),
            close,
        });
        Ok((slot, evicted))
    }

    /// Serves an accepted connection on its own task, or refuses it. When the connections
    /// asked to make room have not closed yet, waits for them, at most [`GRACE`] (they are
    /// closed by then), while new connections wait in the socket's backlog.
    pub(crate) async fn accept(self: &Arc<Conns>, stream: UnixStream, host: &Arc<Host>) {
        let deadline = tokio::time::Instant::now() + GRACE;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.admit() {
                Ok((slot, evicted)) => {
                    tokio::spawn(serve(stream, host.clone(), slot, self.limits));
                    if evicted {
                        // Let the evicted connection close before the next accept.
                        tokio::task::yield_now().await;
                    }
                    return;
                }
                Err(true) if tokio::time::timeout_at(deadline, freed).await.is_ok() => {}
                Err(_) => return self.refuse(stream),
            }
        }
    }

    /// Answers 503 and closes: the answer is written at once (it fits the socket's buffer),
    /// then what the client sends is read for a moment, so that its reading sees the
    /// answer rather than a reset.
    fn refuse(self: &Arc<Conns>, stream: UnixStream) {
        let body = format!(
            "{}\n",
            serde_json::json!({ "message": format!(
                "vnet: too many connections: the daemon serves at most {} at once, all busy",
                self.max
            ) })
        );
        let mut head = String::from("HTTP/1.1 503 Service Unavailable\r\n");
        for (k, v) in http::common_headers() {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let answer = format!(
            "{head}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.try_write(answer.as_bytes());
        if self.refusing.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSING {
            self.refusing.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let conns = self.clone();
        tokio::spawn(async move {
            let _ = rustix::net::shutdown(&stream, rustix::net::Shutdown::Write);
            let mut stream = stream;
            let mut sink = [0u8; 4096];
            let mut left: usize = 64 * 1024;
            let _ = tokio::time::timeout(GRACE, async {
                while left > 0 {
                    match tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await {
                        Ok(n) if n > 0 => left = left.saturating_sub(n),
                        _ => break,
                    }
                }
            })
            .await;
            conns.refusing.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// Serves one connection with hyper until it ends, its idle timeout passes, or it is asked
/// to close to make room.
async fn serve(stream: UnixStream, host: Arc<Host>, slot: Arc<Slot>, limits: Limits) {
    let service_slot = slot.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let busy = Busy::new(&service_slot);
        let gone = ClientGone::default();
        req.extensions_mut().insert(gone.clone());
        req.extensions_mut().insert(service_slot.clone());
        req.extensions_mut()
            .insert(BodyTimeout(limits.header_timeout));
        let host = host.clone();
        async move {
            // Dropped unfinished when hyper gives up on the request (the client went).
            let mut armed = SetOnDrop(Some(gone.clone()));
            let reply = super::routes::handle(host, req).await;
            armed.0 = None;
            Ok::<_, std::convert::Infallible>(reply.map(|inner| {
                Tracked {
                    inner,
                    done: false,
                    gone,
                    _busy: busy,
                }
                .boxed_unsync()
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let close = slot.close.clone();
    let idle = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle);
    let mut idle_armed = true;
    // Once asked to make room: how long hyper may take to finish what it was writing.
    let grace = tokio::time::sleep(Duration::MAX);
    tokio::pin!(grace);
    let mut evicted = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = close.notified(), if !evicted => {
                evicted = true;
                conn.as_mut().graceful_shutdown();
                grace.as_mut().reset(tokio::time::Instant::now() + GRACE);
            }
            () = &mut grace, if evicted => return,
            () = &mut idle, if idle_armed => {
                let left = slot
                    .idle_for()
                    .map_or(limits.idle_timeout, |d| limits.idle_timeout.saturating_sub(d));
                if left.is_zero() {
                    // Closed now if it is between requests; after its request if one has
                    // begun to arrive (the header timeout bounds that).
                    conn.as_mut().graceful_shutdown();
                    idle_armed = false;
                } else {
                    idle.as_mut().reset(tokio::time::Instant::now() + left);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_the_open_file_limit() {
        let d = Limits::default();
        assert_eq!(d.connections(None), MAX_CONNECTIONS);
        assert_eq!(d.connections(Some(1_048_576)), MAX_CONNECTIONS);
        assert_eq!(d.connections(Some(1024)), 1024 - 128);
        assert_eq!(d.connections(Some(100)), 16);
        let set = Limits {
            max_connections: Some(5),
            ..d
        };
        assert_eq!(set.connections(Some(1024)), 5);
    }

    #[tokio::test]
    async fn past_the_limit_the_longest_idle_makes_room_and_busy_ones_never() {
        let conns = Conns::new(Limits::default(), 2);
        let (a, _) = conns.admit().unwrap();
        let (b, _) = conns.admit().unwrap();
        let busy_b = Busy::new(&b);
        // Full: `a` (idle) is asked to close, the new one is admitted.
        let (c, evicted) = conns.admit().unwrap();
        assert!(evicted);
        assert!(conns.lock().live[&a.id].closing);
        assert_eq!(conns.live(), 3);
        drop(a);
        let _busy_c = Busy::new(&c);
        // Everything busy: refused (nothing is closing either).
        assert_eq!(conns.admit().err(), Some(false));
        drop(busy_b);
        assert!(b.idle_for().is_some());
        assert!(conns.admit().is_ok());
        assert!(conns.lock().live[&b.id].closing);
    }

    #[tokio::test]
    async fn client_gone_wakes_waiters_once() {
        let g = ClientGone::default();
        assert!(!g.is_gone());
        let w = tokio::spawn({
            let g = g.clone();
            async move { g.gone().await }
        });
        tokio::task::yield_now().await;
        g.set();
        g.set();
        w.await.unwrap();
        assert!(g.is_gone());
        drop(SetOnDrop(None));
        let h = ClientGone::default();
        drop(SetOnDrop(Some(h.clone())));
        assert!(h.is_gone());
    }
}
