//! The dispatch table: each route of moby v28.2.2 `api/server/router` vnet serves, to its
//! handler in the file of its moby router (`system.rs`, `network.rs`, `container.rs`,
//! `exec.rs`, `image.rs`, `build.rs`). Each handler decodes the request, calls the
//! [`docker`](crate::docker) layer through the [`Host`]'s lock-load-save cycle on a blocking
//! thread, and writes the answer with moby's status codes; its error is answered as moby's
//! `{"message": …}` here. A route vnet does not serve is moby's 404 `page not found`
//! (`api/server/server.go`).

mod build;
mod container;
mod exec;
mod image;
mod network;
mod system;

use super::host::Host;
use super::http::{self, Query, Reply, Target};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request};
use std::sync::Arc;

/// Answers one request.
pub(super) async fn handle(host: Arc<Host>, req: Request<Incoming>) -> Reply {
    let mut r = route(host, req).await;
    http::add_common_headers(&mut r);
    r
}

async fn route(host: Arc<Host>, mut req: Request<Incoming>) -> Reply {
    let target = match http::parse_path(req.uri().path()) {
        Ok(t) => t,
        Err(e) => return http::error(&e),
    };
    let Target { segments, version } = target;
    let q = Query::parse(req.uri().query());
    let method = req.method().clone();
    let segs: Vec<&str> = segments.iter().map(|s| s.as_str()).collect();
    // The hijacked routes need the connection's upgrade handle before the body is read.
    let upgrade = if method == Method::POST
        && matches!(
            segs.as_slice(),
            ["exec", _, "start"] | ["containers", _, "attach"]
        )
        && req.headers().contains_key(header::UPGRADE)
    {
        Some(super::stream::Upgrade::take(&mut req))
    } else {
        None
    };
    // A body announced larger than the limit is refused before it is read.
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > http::MAX_BODY as u64
    {
        return http::body_too_large();
    }
    let within = super::conn::body_timeout(&req);
    let body = match http::read_body(req.into_body(), within).await {
        Ok(b) => b,
        Err(rep) => return rep,
    };
    let own = |s: &str| s.to_string();
    let h = &host;
    let answer = match (&method, segs.as_slice()) {
        (&Method::GET | &Method::HEAD, ["_ping"]) => Ok(system::ping(method == Method::HEAD)),
        (&Method::GET, ["version"]) => Ok(system::version()),
        (&Method::GET, ["info"]) => system::info(h).await,
        (&Method::GET, ["events"]) => system::events(h, &q).await,

        (&Method::GET, ["networks"]) => network::list(h, &q).await,
        (&Method::POST, ["networks", "create"]) => network::create(h, &body).await,
        (&Method::POST, ["networks", "prune"]) => network::prune(h, &q).await,
        (&Method::GET, ["networks", id]) => network::inspect(h, own(id)).await,
        (&Method::DELETE, ["networks", id]) => network::remove(h, own(id)).await,
        (&Method::POST, ["networks", id, "connect"]) => network::connect(h, own(id), &body).await,
        (&Method::POST, ["networks", id, "disconnect"]) => {
            network::disconnect(h, own(id), &body).await
        }

        (&Method::POST, ["containers", "create"]) => container::create(h, &q, &body).await,
        (&Method::GET, ["containers", "json"]) => container::list(h, &q).await,
        (&Method::POST, ["containers", "prune"]) => container::prune(h, &q).await,
        (&Method::GET, ["containers", id, "json"]) => container::inspect(h, own(id)).await,
        (&Method::POST, ["containers", id, "start"]) => container::start(h, own(id)).await,
        (&Method::POST, ["containers", id, "stop"]) => container::stop(h, own(id), &q, false).await,
        (&Method::POST, ["containers", id, "restart"]) => {
            container::stop(h, own(id), &q, true).await
        }
        (&Method::POST, ["containers", id, "kill"]) => container::kill(h, own(id), &q).await,
        (&Method::POST, ["containers", id, "wait"]) => container::wait(h, own(id), &q).await,
        (&Method::POST, ["containers", id, "rename"]) => container::rename(h, own(id), &q).await,
        (&Method::DELETE, ["containers", id]) => container::remove(h, own(id), &q).await,
        (&Method::POST, ["containers", id, "resize"]) => container::resize(h, own(id)).await,
        (&Method::GET, ["containers", id, "stats"]) => container::stats(h, own(id), &q).await,
        (&Method::GET, ["containers", id, "top"]) => container::top(h, own(id), &q).await,
        (&Method::GET, ["containers", id, "logs"]) => {
            container::logs(h, own(id), &q, version.as_deref()).await
        }
        (&Method::POST, ["containers", id, "attach"]) => {
            container::attach(h, own(id), &q, upgrade).await
        }
        (&Method::POST, ["containers", id, "exec"]) => exec::create(h, own(id), &body).await,
        (&Method::POST, ["exec", id, "start"]) => exec::start(h, own(id), &body, upgrade).await,
        (&Method::GET, ["exec", id, "json"]) => exec::inspect(h, id),
        (&Method::POST, ["exec", id, "resize"]) => exec::resize(h, id),

        (&Method::GET, ["images", rest @ .., "json"]) if !rest.is_empty() => {
            image::inspect(h, rest.join("/")).await
        }
        (&Method::POST, ["images", "create"]) => image::pull(&host, &q).await,
        (&Method::GET, ["images", "json"]) => image::list(h, &q).await,
        (&Method::GET, ["system", "df"]) => system::df(h).await,
        (&Method::POST, ["images", "prune"]) => image::prune(&q),
        (&Method::POST, ["build", "prune"]) => Ok(build::prune()),
        (&Method::POST, ["swarm", "leave"]) => Ok(system::swarm_leave()),
        (&Method::POST, ["swarm", "init" | "join"]) => Ok(system::swarm_not_simulated()),
        _ => Ok(http::page_not_found()),
    };
    answer.unwrap_or_else(|e| http::error(&e))
}
