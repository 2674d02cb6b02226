//! The routes: moby v28.2.2 `api/server/router/system` (`/_ping`, `/version`, `/info`),
//! `network` (list, inspect, create, connect, disconnect, delete, prune), `container`
//! (create, start, stop, restart, kill, wait, delete, inspect, list, rename, attach, exec)
//! and its exec routes, `image` (inspect, pull) and `swarm` (leave). Each handler decodes the
//! request, calls the [`docker`](crate::docker) layer through the [`Host`]'s lock-load-save
//! cycle on a blocking thread, and writes the answer with moby's status codes. A route vnet
//! does not serve is moby's 404 `page not found`.

use super::api;
use super::http::{self, Query, Reply, Target};
use super::{ExecInstance, Host};
use crate::busybox::{self, ExecOptions};
use crate::docker::network::NetworkFilters;
use crate::docker::{Error, Kind};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Runs blocking work (the state's lock, file reads and writes) off the async threads.
async fn blocking<T: Send + 'static>(
    host: &Arc<Host>,
    f: impl FnOnce(&Host) -> T + Send + 'static,
) -> Result<T, Error> {
    let host = host.clone();
    tokio::task::spawn_blocking(move || f(&host))
        .await
        .map_err(|e| Error::new(Kind::System, format!("request failed: {e}")))
}

/// Flattens a blocking result into a reply.
fn reply(r: Result<Result<Reply, Error>, Error>) -> Reply {
    match r {
        Ok(Ok(rep)) => rep,
        Ok(Err(e)) | Err(e) => http::error(&e),
    }
}

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
    let Target { segments, .. } = target;
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
        Some(hyper::upgrade::on(&mut req))
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
    let body = match http::read_body(req.into_body()).await {
        Ok(b) => b,
        Err(rep) => return rep,
    };
    let own = |s: &str| s.to_string();
    match (&method, segs.as_slice()) {
        (&Method::GET | &Method::HEAD, ["_ping"]) => ping(method == Method::HEAD),
        (&Method::GET, ["version"]) => version(),
        (&Method::GET, ["info"]) => info(&host).await,

        (&Method::GET, ["networks"]) => network_list(&host, &q).await,
        (&Method::POST, ["networks", "create"]) => network_create(&host, &body).await,
        (&Method::POST, ["networks", "prune"]) => network_prune(&host, &q).await,
        (&Method::GET, ["networks", id]) => network_inspect(&host, own(id)).await,
        (&Method::DELETE, ["networks", id]) => network_remove(&host, own(id)).await,
        (&Method::POST, ["networks", id, "connect"]) => {
            network_connect(&host, own(id), &body).await
        }
        (&Method::POST, ["networks", id, "disconnect"]) => {
            network_disconnect(&host, own(id), &body).await
        }

        (&Method::POST, ["containers", "create"]) => container_create(&host, &q, &body).await,
        (&Method::GET, ["containers", "json"]) => container_list(&host, &q).await,
        (&Method::GET, ["containers", id, "json"]) => container_inspect(&host, own(id)).await,
        (&Method::POST, ["containers", id, "start"]) => container_start(&host, own(id)).await,
        (&Method::POST, ["containers", id, "stop"]) => {
            container_stop(&host, own(id), &q, false).await
        }
        (&Method::POST, ["containers", id, "restart"]) => {
            container_stop(&host, own(id), &q, true).await
        }
        (&Method::POST, ["containers", id, "kill"]) => container_kill(&host, own(id), &q).await,
        (&Method::POST, ["containers", id, "wait"]) => container_wait(&host, own(id), &q).await,
        (&Method::POST, ["containers", id, "rename"]) => container_rename(&host, own(id), &q).await,
        (&Method::DELETE, ["containers", id]) => container_remove(&host, own(id), &q).await,
        (&Method::POST, ["containers", id, "resize"]) => container_resize(&host, own(id)).await,
        (&Method::POST, ["containers", id, "attach"]) => {
            container_attach(&host, own(id), &q, upgrade).await
        }
        (&Method::POST, ["containers", id, "exec"]) => exec_create(&host, own(id), &body).await,
        (&Method::POST, ["exec", id, "start"]) => exec_start(&host, own(id), &body, upgrade).await,
        (&Method::GET, ["exec", id, "json"]) => exec_inspect(&host, id),
        (&Method::POST, ["exec", id, "resize"]) => match host.with_exec(id, |_| ()) {
            Ok(()) => http::status(200),
            Err(e) => http::error(&e),
        },

        (&Method::GET, ["images", rest @ .., "json"]) if !rest.is_empty() => {
            image_inspect(&host, rest.join("/")).await
        }
        (&Method::POST, ["images", "create"]) => image_pull(&q),
        (&Method::POST, ["swarm", "leave"]) => {
            http::error_status(503, "This node is not part of a swarm")
        }
        _ => http::page_not_found(),
    }
}

// --- system ----------------------------------------------------------------------------

fn ping(head: bool) -> Reply {
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

fn version() -> Reply {
    let details = json!({
        "ApiVersion": http::API_VERSION,
        "Arch": "amd64",
        "BuildTime": "",
        "Experimental": "false",
        "GitCommit": "",
        "GoVersion": "",
        "KernelVersion": "",
        "MinAPIVersion": http::MIN_API_VERSION,
        "Os": "linux",
    });
    http::json(
        200,
        &json!({
            "Platform": { "Name": format!("vnet {}", env!("CARGO_PKG_VERSION")) },
            "Components": [{
                "Name": "Engine",
                "Version": http::ENGINE_VERSION,
                "Details": details,
            }],
            "Version": http::ENGINE_VERSION,
            "ApiVersion": http::API_VERSION,
            "MinAPIVersion": http::MIN_API_VERSION,
            "GitCommit": "",
            "GoVersion": "",
            "Os": "linux",
            "Arch": "amd64",
            "KernelVersion": "",
            "BuildTime": "",
        }),
    )
}

async fn info(host: &Arc<Host>) -> Reply {
    reply(
        blocking(host, |h| {
            h.read(|d| {
                let cs = &d.state.containers;
                let running = cs.values().filter(|c| c.is_running()).count();
                let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
                http::json(
                    200,
                    &json!({
                        "ID": crate::rng::hex_id(d.state.seed, "host")[..36].to_string(),
                        "Containers": cs.len(),
                        "ContainersRunning": running,
                        "ContainersPaused": 0,
                        "ContainersStopped": cs.len() - running,
                        "Images": 0,
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
                    }),
                )
            })
        })
        .await,
    )
}

// --- networks --------------------------------------------------------------------------

async fn network_list(host: &Arc<Host>, q: &Query) -> Reply {
    let terms = match q.filters() {
        Ok(t) => t,
        Err(e) => return http::error(&e),
    };
    reply(
        blocking(host, move |h| {
            h.read(|d| {
                let filters = NetworkFilters { terms };
                let nets = d.network_list(&filters)?;
                // The list leaves `Containers` empty (moby fills it only for inspect).
                let list: Vec<Value> = nets
                    .into_iter()
                    .map(|n| {
                        let mut v = d.network_inspect(n);
                        v["Containers"] = json!({});
                        v
                    })
                    .collect();
                Ok(http::json(200, &Value::Array(list)))
            })
        })
        .await
        .and_then(|r| r),
    )
}

async fn network_inspect(host: &Arc<Host>, term: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.read(|d| {
                let id = d.find_network(&term)?;
                Ok(http::json(200, &d.network_inspect(d.network(&id))))
            })
        })
        .await
        .and_then(|r| r),
    )
}

async fn network_create(host: &Arc<Host>, body: &Bytes) -> Reply {
    let req = match http::decode::<api::NetworkCreate>(body) {
        Ok(r) => r.into_request(),
        Err(e) => return http::error(&e),
    };
    reply(
        blocking(host, move |h| {
            h.write(|d| d.network_create(req))
                .map(|id| http::json(201, &json!({ "Id": id, "Warning": "" })))
        })
        .await,
    )
}

async fn network_remove(host: &Arc<Host>, term: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.write(|d| d.network_remove(&term))
                .map(|()| http::status(204))
        })
        .await,
    )
}

async fn network_prune(host: &Arc<Host>, q: &Query) -> Reply {
    let terms = match q.filters() {
        Ok(t) => t,
        Err(e) => return http::error(&e),
    };
    let mut labels = Vec::new();
    for (k, v) in terms {
        match k.as_str() {
            "label" | "label!" => labels.push((k, v)),
            "until" => {
                return http::error(&Error::new(
                    Kind::InvalidParameter,
                    "vnet does not support the until filter of network prune yet",
                ));
            }
            _ => {
                return http::error(&Error::new(
                    Kind::InvalidParameter,
                    format!("invalid filter '{k}'"),
                ));
            }
        }
    }
    reply(
        blocking(host, move |h| {
            h.write(|d| d.network_prune(&labels)).map(|names| {
                let deleted = if names.is_empty() {
                    Value::Null
                } else {
                    json!(names)
                };
                http::json(200, &json!({ "NetworksDeleted": deleted }))
            })
        })
        .await,
    )
}

async fn network_connect(host: &Arc<Host>, net: String, body: &Bytes) -> Reply {
    let req = match http::decode::<api::NetworkConnect>(body) {
        Ok(r) => r,
        Err(e) => return http::error(&e),
    };
    let container = req.container.unwrap_or_default();
    let settings = req.endpoint_config.unwrap_or_default().into_settings();
    reply(
        blocking(host, move |h| {
            h.write(|d| d.network_connect(&net, &container, settings))
                .map(|()| http::status(200))
        })
        .await,
    )
}

async fn network_disconnect(host: &Arc<Host>, net: String, body: &Bytes) -> Reply {
    let req = match http::decode::<api::NetworkDisconnect>(body) {
        Ok(r) => r,
        Err(e) => return http::error(&e),
    };
    let container = req.container.unwrap_or_default();
    let force = req.force.unwrap_or(false);
    reply(
        blocking(host, move |h| {
            h.write(|d| d.network_disconnect(&net, &container, force))
                .map(|()| http::status(200))
        })
        .await,
    )
}

// --- containers ------------------------------------------------------------------------

async fn container_create(host: &Arc<Host>, q: &Query, body: &Bytes) -> Reply {
    let req = match http::decode::<api::ContainerCreate>(body) {
        Ok(r) => r.into_request(q.get("name").map(str::to_string)),
        Err(e) => return http::error(&e),
    };
    reply(
        blocking(host, move |h| {
            h.write(|d| d.container_create(req))
                .map(|id| http::json(201, &json!({ "Id": id, "Warnings": [] })))
        })
        .await,
    )
}

async fn container_list(host: &Arc<Host>, q: &Query) -> Reply {
    let terms = match q.filters() {
        Ok(t) => t,
        Err(e) => return http::error(&e),
    };
    let limit = match q.int("limit") {
        Ok(l) => l.filter(|n| *n > 0).map(|n| n as usize),
        Err(e) => return http::error(&e),
    };
    let all = q.bool("all");
    reply(
        blocking(host, move |h| {
            h.read(|d| {
                let list = d.container_ps(all, limit, &terms)?;
                let v: Vec<Value> = list.into_iter().map(|c| d.container_summary(c)).collect();
                Ok(http::json(200, &Value::Array(v)))
            })
        })
        .await
        .and_then(|r| r),
    )
}

async fn container_inspect(host: &Arc<Host>, term: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.read(|d| {
                let id = d.find_container(&term)?;
                Ok(http::json(200, &d.container_inspect(d.container(&id))))
            })
        })
        .await
        .and_then(|r| r),
    )
}

async fn container_start(host: &Arc<Host>, term: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.write(|d| {
                let id = d.find_container(&term)?;
                if d.container(&id).is_running() {
                    return Ok(http::status(304));
                }
                d.container_start(&id)?;
                Ok(http::status(204))
            })
        })
        .await,
    )
}

async fn container_stop(host: &Arc<Host>, term: String, q: &Query, restart: bool) -> Reply {
    let t = match q.int("t") {
        Ok(t) => t,
        Err(e) => return http::error(&e),
    };
    reply(
        blocking(host, move |h| {
            h.write(|d| {
                let id = d.find_container(&term)?;
                if restart {
                    d.container_restart(&term, t)?;
                    return Ok(http::status(204));
                }
                if !d.container(&id).is_running() {
                    return Ok(http::status(304));
                }
                d.container_stop(&term, t)?;
                Ok(http::status(204))
            })
        })
        .await,
    )
}

async fn container_kill(host: &Arc<Host>, term: String, q: &Query) -> Reply {
    let signal = q.get("signal").unwrap_or_default().to_uppercase();
    if !matches!(signal.as_str(), "" | "KILL" | "SIGKILL" | "9") {
        return http::error(&Error::new(
            Kind::InvalidParameter,
            format!("vnet delivers only SIGKILL, not {signal}"),
        ));
    }
    reply(
        blocking(host, move |h| {
            h.write(|d| d.container_kill(&term))
                .map(|()| http::status(204))
        })
        .await,
    )
}

async fn container_rename(host: &Arc<Host>, term: String, q: &Query) -> Reply {
    let name = q.get("name").unwrap_or_default().to_string();
    reply(
        blocking(host, move |h| {
            h.write(|d| d.container_rename(&term, &name))
                .map(|()| http::status(204))
        })
        .await,
    )
}

async fn container_remove(host: &Arc<Host>, term: String, q: &Query) -> Reply {
    let force = q.bool("force");
    reply(
        blocking(host, move |h| {
            h.write(|d| d.container_remove(&term, force))
                .map(|()| http::status(204))
        })
        .await,
    )
}

async fn container_resize(host: &Arc<Host>, term: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.read(|d| d.find_container(&term).map(|_| http::status(200)))
        })
        .await
        .and_then(|r| r),
    )
}

/// What `wait` watches: whether the container exists, runs, and when it last stopped.
type Seen = Option<(bool, Option<crate::time::Instant>, i32)>;

async fn container_wait(host: &Arc<Host>, term: String, q: &Query) -> Reply {
    let condition = q.get("condition").unwrap_or_default().to_string();
    if !matches!(
        condition.as_str(),
        "" | "not-running" | "next-exit" | "removed"
    ) {
        return http::error(&Error::new(
            Kind::InvalidParameter,
            format!("invalid condition: \"{condition}\""),
        ));
    }
    let probe = move |h: &Host, id: &str| -> Result<Seen, Error> {
        h.read(|d| {
            d.state
                .containers
                .get(id)
                .map(|c| (c.is_running(), c.state.finished_at, c.state.exit_code))
        })
    };
    let first = blocking(host, move |h| {
        let id = h.read(|d| d.find_container(&term))??;
        let seen = probe(h, &id)?;
        Ok::<_, Error>((id, seen))
    })
    .await
    .and_then(|r| r);
    let (id, first) = match first {
        Ok(x) => x,
        Err(e) => return http::error(&e),
    };
    // moby sends the headers at once (API ≥ 1.30), then the result when the condition
    // holds; `docker run` waits for them before it starts the container.
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let host = host.clone();
    tokio::spawn(async move {
        let first_finish = first.and_then(|s| s.1);
        let mut last_code = first.map_or(0, |s| s.2);
        loop {
            let id2 = id.clone();
            let seen = match blocking(&host, move |h| probe(h, &id2)).await {
                Ok(Ok(s)) => s,
                _ => return,
            };
            if let Some((_, _, code)) = seen {
                last_code = code;
            }
            let done = match (condition.as_str(), seen) {
                ("removed", s) => s.is_none(),
                (_, None) => true,
                ("next-exit", Some((running, finished, _))) => {
                    !running && finished.is_some() && finished != first_finish
                }
                (_, Some((running, _, _))) => !running,
            };
            if done {
                let mut body = serde_json::to_vec(&json!({"StatusCode": last_code, "Error": null}))
                    .expect("serialises");
                body.push(b'\n');
                let _ = tx.send(Bytes::from(body)).await;
                return;
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut r = hyper::Response::new(http_body_util::BodyExt::boxed_unsync(http::ChannelBody(rx)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Reads and drops what a hijacked connection's client still sends, until it closes (at
/// most 5 s): closing a unix socket with unread data resets the peer, which the docker CLI
/// reports as `connection reset by peer`.
async fn drain(rd: &mut (impl tokio::io::AsyncRead + Unpin)) {
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while matches!(
            tokio::io::AsyncReadExt::read(rd, &mut sink).await,
            Ok(n) if n > 0
        ) {}
    })
    .await;
}

/// `POST /containers/{id}/attach`: the container's main process, busybox `sh`, on the
/// hijacked stream. With `stdin=1` each line the client sends runs in the shell (with a
/// TTY the prompt and the echo show, lines end in CRLF; without one the output comes in
/// stdcopy frames); `exit [N]` ends the shell and the container; the end of the input or
/// ctrl-p ctrl-q detaches. Without stdin the stream stays open until the container stops.
/// vnet runs containers detached: a container that has not started yet (a foreground
/// `docker run`) cannot be attached to, as `vnet run` without `-d` is refused.
async fn container_attach(
    host: &Arc<Host>,
    term: String,
    q: &Query,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Reply {
    let found = blocking(host, move |h| {
        h.read(|d| {
            let id = d.attach_target(&term)?;
            let tty = d.container(&id).config.tty;
            Ok((id, tty))
        })
    })
    .await
    .and_then(|r| r)
    .and_then(|r| r);
    let (cid, tty) = match found {
        Ok(x) => x,
        Err(e) => return http::error(&e),
    };
    let Some(on_upgrade) = upgrade else {
        return http::error(&Error::new(
            Kind::InvalidParameter,
            "attach needs a connection upgrade (Connection: Upgrade, Upgrade: tcp)",
        ));
    };
    let stdin = q.bool("stdin");
    let want_out = q.bool("stdout");
    let want_err = q.bool("stderr");
    let host = host.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let (rd, mut wr) = tokio::io::split(hyper_util::rt::TokioIo::new(upgraded));
        let mut rd = tokio::io::BufReader::new(rd);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let send = |out: &str, err: &str| -> Vec<u8> {
            let mut v = Vec::new();
            if tty {
                let mut text = String::new();
                if want_out {
                    text.push_str(out);
                }
                if want_err {
                    text.push_str(err);
                }
                v.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
            } else {
                if want_out && !out.is_empty() {
                    v.extend(frame(1, out.as_bytes()));
                }
                if want_err && !err.is_empty() {
                    v.extend(frame(2, err.as_bytes()));
                }
            }
            v
        };
        if !stdin {
            // Nothing to read: hold the stream until the container stops or the client goes.
            let mut buf = [0u8; 256];
            loop {
                tokio::select! {
                    n = tokio::io::AsyncReadExt::read(&mut rd, &mut buf) => {
                        if matches!(n, Ok(0) | Err(_)) { return; }
                    }
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {
                        let id = cid.clone();
                        let running = blocking(&host, move |h| {
                            h.read(|d| d.state.containers.get(&id).is_some_and(|c| c.is_running()))
                        })
                        .await;
                        if !matches!(running, Ok(Ok(true))) {
                            let _ = wr.shutdown().await;
                            return;
                        }
                    }
                }
            }
        }
        use crate::busybox::{AttachLine, PROMPT};
        let mut line = String::new();
        loop {
            if tty && wr.write_all(&send(PROMPT, "")).await.is_err() {
                return;
            }
            line.clear();
            let n = tokio::io::AsyncBufReadExt::read_line(&mut rd, &mut line)
                .await
                .unwrap_or(0);
            let n = if line.contains(crate::busybox::DETACH_KEYS) {
                0
            } else {
                n
            };
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            if tty && n > 0 {
                let _ = wr.write_all(&send(&format!("{text}\n"), "")).await;
            }
            let step = if n == 0 {
                Ok(Ok(AttachLine::Detach))
            } else {
                let id = cid.clone();
                blocking(&host, move |h| {
                    h.write(|d| {
                        if !d.state.containers.get(&id).is_some_and(|c| c.is_running()) {
                            return Ok(None);
                        }
                        let opts = ExecOptions {
                            tty,
                            ..ExecOptions::default()
                        };
                        Ok(Some(busybox::attach_line(d, &id, &text, &opts)))
                    })
                })
                .await
                .map(|r| r.map(|o| o.unwrap_or(AttachLine::Exit(0))))
            };
            match step {
                Ok(Ok(AttachLine::Ran(r))) => {
                    if wr.write_all(&send(&r.stdout, &r.stderr)).await.is_err() {
                        return;
                    }
                }
                Ok(Ok(AttachLine::Detach)) => {
                    if tty {
                        let _ = wr.write_all(&send("\n", "")).await;
                    }
                    break;
                }
                // `exit`, or the container stopped meanwhile.
                _ => break,
            }
        }
        // Half-close, then drop what the client still sends until it closes (see exec).
        let _ = wr.shutdown().await;
        drain(&mut rd).await;
    });
    let mut r = http::status(101);
    let h = r.headers_mut();
    let content_type = if tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    r
}

// --- exec ------------------------------------------------------------------------------

async fn exec_create(host: &Arc<Host>, term: String, body: &Bytes) -> Reply {
    let mut req = match http::decode::<api::ExecCreate>(body) {
        Ok(r) => r,
        Err(e) => return http::error(&e),
    };
    let argv = req.argv();
    if argv.is_empty() {
        return http::error(&Error::new(
            Kind::InvalidParameter,
            "No exec command specified",
        ));
    }
    let found = blocking(host, move |h| h.read(|d| d.exec_target(&term)))
        .await
        .and_then(|r| r)
        .and_then(|r| r);
    let container_id = match found {
        Ok(id) => id,
        Err(e) => return http::error(&e),
    };
    let id = host.add_exec(ExecInstance {
        id: String::new(),
        container_id,
        argv,
        tty: req.tty.unwrap_or(false),
        attach_stdin: req.attach_stdin.unwrap_or(false),
        attach_stdout: req.attach_stdout.unwrap_or(false),
        attach_stderr: req.attach_stderr.unwrap_or(false),
        started: false,
        exit_code: None,
    });
    http::json(201, &json!({ "Id": id }))
}

/// stdcopy's frame: `[stream, 0, 0, 0, len_be32]` and the bytes.
fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

async fn exec_start(
    host: &Arc<Host>,
    term: String,
    body: &Bytes,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Reply {
    let start = match http::decode_or_default::<api::ExecStart>(body) {
        Ok(s) => s,
        Err(e) => return http::error(&e),
    };
    let claimed = host.with_exec(&term, |e| {
        if e.started {
            let how = if e.exit_code.is_some() {
                "has already run"
            } else {
                "is already running"
            };
            return Err(Error::new(
                Kind::Conflict,
                format!("Error: Exec command {} {how}", e.id),
            ));
        }
        e.started = true;
        Ok(e.clone())
    });
    let exec = match claimed.and_then(|r| r) {
        Ok(e) => e,
        Err(e) => return http::error(&e),
    };
    let (cid, argv, tty) = (exec.container_id.clone(), exec.argv.clone(), exec.tty);
    let ran = blocking(host, move |h| {
        h.write(|d| {
            busybox::exec(
                d,
                &cid,
                &argv,
                &ExecOptions {
                    tty,
                    ..ExecOptions::default()
                },
            )
        })
    })
    .await
    .and_then(|r| r);
    let result = match ran {
        Ok(r) => r,
        Err(e) => {
            let _ = host.with_exec(&exec.id, |x| x.started = false);
            return http::error(&e);
        }
    };
    let _ = host.with_exec(&exec.id, |x| x.exit_code = Some(result.code));
    // What the client reads: with a pseudo-terminal (the create's Tty) stdout and stderr
    // share it and lines end in CRLF; the framing follows the start's Tty.
    let mut out = Vec::new();
    if exec.tty {
        let mut text = String::new();
        if exec.attach_stdout {
            text.push_str(&result.stdout);
        }
        if exec.attach_stderr {
            text.push_str(&result.stderr);
        }
        let text = text.replace('\n', "\r\n");
        if !text.is_empty() {
            if start.tty.unwrap_or(false) {
                out.extend_from_slice(text.as_bytes());
            } else {
                out.extend(frame(1, text.as_bytes()));
            }
        }
    } else {
        for (attached, stream, text) in [
            (exec.attach_stdout, 1u8, &result.stdout),
            (exec.attach_stderr, 2u8, &result.stderr),
        ] {
            if !attached || text.is_empty() {
                continue;
            }
            if start.tty.unwrap_or(false) {
                out.extend_from_slice(text.as_bytes());
            } else {
                out.extend(frame(stream, text.as_bytes()));
            }
        }
    }
    if start.detach.unwrap_or(false) {
        return http::status(200);
    }
    let content_type = if start.tty.unwrap_or(false) {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    let Some(on_upgrade) = upgrade else {
        let mut r = hyper::Response::new(http::full(out));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        return r;
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        // docker-py reads frames from the socket under its buffered HTTP reader and loses
        // bytes that arrive together with the 101 (docker/docker-py#3332).
        tokio::time::sleep(Duration::from_millis(20)).await;
        if !out.is_empty() {
            let _ = io.write_all(&out).await;
        }
        let _ = io.flush().await;
        // Half-close: the client reads the end of the output; its stdin (with -i) is dropped.
        let _ = io.shutdown().await;
        drain(&mut io).await;
    });
    let mut r = http::status(101);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    r
}

fn exec_inspect(host: &Arc<Host>, term: &str) -> Reply {
    match host.with_exec(term, |e| e.clone()) {
        Ok(e) => http::json(
            200,
            &json!({
                "ID": e.id,
                "Running": false,
                "ExitCode": e.exit_code,
                "ProcessConfig": {
                    "arguments": e.argv[1..],
                    "entrypoint": e.argv[0],
                    "privileged": false,
                    "tty": e.tty,
                    "user": "",
                },
                "OpenStdin": e.attach_stdin,
                "OpenStderr": e.attach_stderr,
                "OpenStdout": e.attach_stdout,
                "CanRemove": false,
                "ContainerID": e.container_id,
                "DetachKeys": "",
                "Pid": 0,
            }),
        ),
        Err(e) => http::error(&e),
    }
}

// --- images and swarm ------------------------------------------------------------------

async fn image_inspect(host: &Arc<Host>, name: String) -> Reply {
    reply(
        blocking(host, move |h| {
            h.read(|d| match d.image_inspect(&name) {
                Some(v) => http::json(200, &v),
                None => http::error(&Error::new(
                    Kind::NotFound,
                    format!(
                        "No such image: {}",
                        crate::docker::image::familiar_tagged(&name)
                    ),
                )),
            })
        })
        .await,
    )
}

/// `POST /images/create`: nothing is downloaded (an image only brings defaults, see
/// [`image`](crate::docker::image)); the progress says the image is up to date.
fn image_pull(q: &Query) -> Reply {
    let from = q.get("fromImage").unwrap_or_default();
    let tag = q.get("tag").filter(|t| !t.is_empty()).unwrap_or("latest");
    if from.is_empty() {
        return http::error(&Error::new(
            Kind::InvalidParameter,
            "fromImage or fromSrc is required",
        ));
    }
    // `docker.io/library/busybox` pulls from `library/busybox` and is called `busybox`.
    let name = from.strip_prefix("docker.io/").unwrap_or(from);
    let short = name.strip_prefix("library/").unwrap_or(name);
    let path = if short.contains('/') {
        short.to_string()
    } else {
        format!("library/{short}")
    };
    let lines = [
        json!({"status": format!("Pulling from {path}"), "id": tag}),
        json!({"status": format!("Digest: sha256:{}", crate::rng::hex_id(0, &format!("image/{short}:{tag}")))}),
        json!({"status": format!("Status: Image is up to date for {short}:{tag}")}),
    ];
    let mut body = Vec::new();
    for l in lines {
        body.extend(serde_json::to_vec(&l).expect("serialises"));
        body.extend_from_slice(b"\r\n");
    }
    let mut r = hyper::Response::new(http::full(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
