//! `/_ping`, `/version`, `/info`, and the swarm routes (vnet is never part of a swarm).
//!
//! Mirrors moby v28.2.2 `api/server/router/system/system_routes.go` (`pingHandler`,
//! `getVersion`, `getInfo`) and, for the one swarm route, the answer of
//! `api/server/router/swarm/cluster_routes.go` on a node outside a swarm.

use crate::daemon::host::{self, Host};
use crate::daemon::http::{self, Reply};
use crate::docker::Error;
use crate::store::Scope;
use hyper::header::{self, HeaderValue};
use serde_json::{Value, json};
use std::sync::Arc;

/// `GET|HEAD /_ping`.
pub(super) fn ping(head: bool) -> Reply {
    let mut r = if head {
        http::status(200)
    } else {
        let mut r = hyper::Response::new(http::full("OK"));
        *r.status_mut() = hyper::StatusCode::OK;
        r
    };
    let h = r.headers_mut();
    for (k, v) in [
        ("cache-control", "no-cache, no-store, must-revalidate"),
        ("pragma", "no-cache"),
        ("swarm", "inactive"),
        ("content-type", "text/plain; charset=utf-8"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    r
}

/// `GET /version`.
pub(super) fn version() -> Reply {
    http::json(200, &crate::docker::version())
}

/// `GET /info`.
pub(super) async fn info(host: &Arc<Host>) -> Result<Reply, Error> {
    host::read_json(host, |d| {
        let all = d.container_list(true).len();
        let running = d.container_list(false).len();
        let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
        // CountImages: the images `docker images -a` lists.
        let images = d.image_list(&[]).map_or(0, |l| l.len());
        Ok(json!({
            "ID": d.engine_id(),
            "Containers": all,
            "ContainersRunning": running,
            "ContainersPaused": 0,
            "ContainersStopped": all - running,
            "Images": images,
            "Driver": "overlay2",
            "Plugins": {
                "Volume": ["local"],
                "Network": ["bridge", "host", "null"],
                "Authorization": null,
                "Log": ["json-file"],
            },
            "Debug": false,
            "NCPU": ncpu,
            "MemTotal": 0,
            "Name": "vnet",
            "ServerVersion": http::ENGINE_VERSION,
            "OperatingSystem": "vnet (simulated Docker networking)",
            "OSType": "linux",
            "Architecture": "x86_64",
            "KernelVersion": "",
            "Swarm": {
                "NodeID": "",
                "NodeAddr": "",
                "LocalNodeState": "inactive",
                "ControlAvailable": false,
                "Error": "",
                "RemoteManagers": null,
            },
            "Runtimes": { "runc": { "path": "runc" } },
            "DefaultRuntime": "runc",
            "Warnings": null,
        }))
    })
    .await
}

/// `GET /system/df` (moby's `getDiskUsage`): the images with how many containers use
/// each, the containers (writing nothing: size 0), no volumes, no build cache.
pub(super) async fn df(host: &Arc<Host>) -> Result<Reply, Error> {
    host::read_json_in(host, Scope::All, move |d| {
        let du = d.disk_usage();
        let images: Vec<Value> = du
            .images
            .iter()
            .map(|i| super::image::summary_json(i, true))
            .collect();
        let layers: u64 = du.images.iter().map(|i| i.size).sum();
        let containers: Vec<Value> = du
            .containers
            .iter()
            .filter_map(|(id, _, size)| {
                let c = d.container(id).ok()?;
                let mut v = d.container_summary(c, false);
                if let Some(m) = v.as_object_mut() {
                    m.insert("SizeRw".into(), json!(size));
                    m.insert(
                        "SizeRootFs".into(),
                        json!(crate::docker::image::size(&c.config.image)),
                    );
                }
                Some(v)
            })
            .collect();
        Ok(json!({
            "LayersSize": layers,
            "Images": images,
            "Containers": containers,
            "Volumes": [],
            "BuildCache": [],
        }))
    })
    .await
}

/// `POST /swarm/leave`: moby's answer on a node that is not part of a swarm.
pub(super) fn swarm_leave() -> Reply {
    http::error_status(503, "This node is not part of a swarm")
}

/// `POST /swarm/init` and `/swarm/join`: swarm mode is not simulated (overlay networks
/// live in vnet's cluster store instead), so the node stays outside a swarm: 501, as moby
/// answers what a daemon does not implement.
pub(super) fn swarm_not_simulated() -> Reply {
    http::error_status(
        501,
        "swarm mode is not simulated: vnet's overlay networks use its cluster store (`vnet host create`)",
    )
}

/// `GET /events` (moby's `getEvents`): the kept events from `since` up to `until` that pass
/// the filters, one JSON message a line; then, unless the wall clock has passed `until`,
/// those that come (the host's events read again every tenth of a second) until it does or
/// the client goes. The events carry the host's virtual times; whether the stream goes on
/// is moby's rule, on the wall clock.
pub(super) async fn events(host: &Arc<Host>, q: &http::Query) -> Result<Reply, Error> {
    use crate::docker::events::EventsOptions;
    use crate::store::Scope;
    let (since, until) = (q.timestamp("since")?, q.timestamp("until")?);
    let raw = |t: Option<crate::time::Instant>, key: &str| t.map(|t| (t, q.get(key).unwrap_or("")));
    crate::docker::events::check_range(raw(since, "since"), raw(until, "until"))?;
    let mut opts = EventsOptions {
        since,
        until,
        filters: q.filters()?,
        after: None,
    };
    let read = opts.clone();
    let (first, mut last) = host::read_in(host, Scope::of(&[], &[]), move |d| {
        Ok((d.events(&read)?, d.last_event()))
    })
    .await?;
    let until = opts.until;
    let ahead = move || {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        until.is_none_or(|u| u128::from(u.as_micros()) > wall)
    };
    let encode = |list: &[crate::docker::events::Event]| -> Vec<u8> {
        let mut out = Vec::new();
        for e in list {
            out.extend(crate::golang::json::encode(&e.message(), false).into_bytes());
            out.push(b'\n');
        }
        out
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(16);
    let host = host.clone();
    tokio::spawn(async move {
        let mut list = first;
        loop {
            let bytes = encode(&list);
            if !bytes.is_empty() && tx.send(bytes::Bytes::from(bytes)).await.is_err() {
                return;
            }
            if !ahead() || tx.is_closed() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            opts.after = Some(last);
            let read = opts.clone();
            match host::read_in(&host, Scope::of(&[], &[]), move |d| {
                Ok((d.events(&read)?, d.last_event()))
            })
            .await
            {
                Ok((l, n)) => {
                    list = l;
                    last = n;
                }
                Err(_) => return,
            }
        }
    });
    Ok(http::streamed(rx, "application/json"))
}
