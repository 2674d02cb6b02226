//! One connection's bytes through the daemon's request path, without a listening socket:
//! hyper's HTTP/1 server over one end of a unix socket pair, answering with the same handler `vnet daemon`
//! gives each connection (routes, bodies, the state's lock-load-save cycle, hijacked exec
//! streams). For fuzzing ([`crate::fuzz::http`]); not an API.

use super::conn::ClientGone;
use super::host::Host;
use super::routes;
use crate::engine::budget::Budget;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of an answer kept.
const MAX_ANSWER: u64 = 16 << 20;

/// Whether `request` has an `Upgrade` header line.
fn asks_upgrade(request: &[u8]) -> bool {
    request
        .windows(b"\nupgrade:".len())
        .any(|w| w.eq_ignore_ascii_case(b"\nupgrade:"))
}

/// Serves `request` (the bytes a client sends on one connection, possibly several requests)
/// on the state in `dir`, whose simulations may spend `budget`; returns what the server
/// wrote back until it closed the connection. The client goes away after `wait` (an endless
/// exec runs until then, as it would until a real client left): `None` when the server
/// still had not closed `grace` later.
pub fn serve_bytes(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    budget: Budget,
    request: &[u8],
    wait: Duration,
    grace: Duration,
) -> Option<Vec<u8>> {
    let host = Arc::new(Host::new(dir.to_path_buf(), None, "default".into()).with_budget(budget));
    rt.block_on(async move {
        let (client, server) = tokio::net::UnixStream::pair().ok()?;
        let clients: Arc<Mutex<Vec<ClientGone>>> = Arc::default();
        let gone = clients.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            let g = ClientGone::default();
            req.extensions_mut().insert(g.clone());
            gone.lock().unwrap_or_else(|p| p.into_inner()).push(g);
            let host = host.clone();
            async move { Ok::<_, std::convert::Infallible>(routes::handle(host, req).await) }
        });
        let conn = tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                // The client's end of the pipe closes after its last request: answer them all.
                .half_close(true)
                .serve_connection(hyper_util::rt::TokioIo::new(server), service)
                .with_upgrades(),
        );
        let (mut rd, mut wr) = client.into_split();
        let talk = async {
            let _ = wr.write_all(request).await;
            // The end of the client's input (its reading end stays open), unless it asks
            // for a hijacked stream, whose client, like docker's, keeps its end open: that
            // stream ends when its command does.
            if !asks_upgrade(request) {
                let _ = wr.shutdown().await;
            }
            let mut answer = Vec::new();
            let _ = (&mut rd).take(MAX_ANSWER).read_to_end(&mut answer).await;
            answer
        };
        let answer = tokio::time::timeout(wait, talk).await.unwrap_or_default();
        drop((rd, wr));
        for g in clients.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            g.set();
        }
        tokio::time::timeout(grace, conn).await.ok().map(|_| answer)
    })
}
