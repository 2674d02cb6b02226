//! The container routes: create, list, inspect, start, stop, restart, kill, wait, rename,
//! delete, resize, and attach (the container's main process, busybox `sh`, on a hijacked
//! stream).
//!
//! Mirrors moby v28.2.2 `api/server/router/container/container_routes.go`
//! (`postContainersCreate`, `getContainersJSON`, `getContainersByName`,
//! `postContainersStart`, `postContainersStop`, `postContainersRestart`,
//! `postContainersKill`, `postContainersWait`, `postContainerRename`, `deleteContainers`,
//! `postContainersResize`, `postContainersAttach`). The exec routes of the same router are
//! in `exec.rs`.

use crate::busybox::{self, ExecOptions};
use crate::daemon::api;
use crate::daemon::host::{self, Host};
use crate::daemon::http::{self, Query, Reply};
use crate::daemon::stream::{self, Output};
use crate::docker::Error;
use crate::store::Scope;
use bytes::Bytes;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// `POST /containers/create`.
pub(super) async fn create(host: &Arc<Host>, q: &Query, body: &[u8]) -> Result<Reply, Error> {
    let req =
        http::decode::<api::ContainerCreate>(body)?.into_request(q.get("name").map(str::to_string));
    let scope = create_scope(&req);
    host::write_json_in(host, scope, 201, move |d| {
        let id = d.container_create(req.clone())?;
        Ok(json!({ "Id": id, "Warnings": [] }))
    })
    .await
}

/// What a create reads: its name, the networks it joins, the container whose stack it
/// shares, its links' targets; publishing ports reads every container's.
fn create_scope(req: &crate::docker::ContainerCreateRequest) -> Scope {
    if !req.port_bindings.is_empty() || req.publish_all_ports {
        return Scope::All;
    }
    let mut containers: Vec<String> = req.name.iter().cloned().collect();
    let mut networks: Vec<String> = req.endpoints.keys().cloned().collect();
    match req.network_mode.as_str() {
        "" | "default" => networks.push("bridge".to_string()),
        m => match m.strip_prefix("container:") {
            Some(c) => containers.push(c.to_string()),
            None => networks.push(m.to_string()),
        },
    }
    for l in &req.links {
        let target = l.split(':').next().unwrap_or_default();
        containers.push(target.trim_start_matches('/').to_string());
    }
    Scope::of(&containers, &networks)
}

/// `GET /containers/json`.
pub(super) async fn list(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let terms = q.filters()?;
    let limit = q.int("limit")?.filter(|n| *n > 0).map(|n| n as usize);
    let all = q.bool("all");
    let size = q.bool("size");
    // Only name filters: the containers whose names match (and their links' parents).
    let names: Option<Vec<String>> = terms
        .iter()
        .map(|(k, v)| (k == "name").then(|| v.clone()))
        .collect();
    let scope = match names {
        Some(names) if !names.is_empty() && limit.is_none() => Scope::Part(crate::store::Want {
            name_patterns: names,
            ..Default::default()
        }),
        _ => Scope::All,
    };
    host::read_json_in(host, scope, move |d| {
        let list = d.container_ps(all, limit, &terms)?;
        let v: Vec<Value> = list
            .into_iter()
            .map(|c| d.container_summary(c, size))
            .collect();
        Ok(Value::Array(v))
    })
    .await
}

/// `GET /containers/{id}/json`.
pub(super) async fn inspect(host: &Arc<Host>, term: String) -> Result<Reply, Error> {
    host::read_json_in(
        host,
        Scope::of(std::slice::from_ref(&term), &[]),
        move |d| {
            let id = d.find_container(&term)?;
            Ok(d.container_inspect(d.container(&id)?))
        },
    )
    .await
}

/// `POST /containers/{id}/start`: 304 if it runs already. A container a client attached to
/// before (`docker run` in the foreground) starts for that client, which runs its command
/// (see [`attach`]); a command its image lacks leaves it created, with runc's error
/// (moby's `translateContainerdStartErr`: 400, status 127).
pub(super) async fn start(host: &Arc<Host>, term: String) -> Result<Reply, Error> {
    let scope = Scope::starting(std::slice::from_ref(&term));
    let h = host.clone();
    let (id, started, background) = host::write_in(host, scope, move |d| {
        let id = d.find_container(&term)?;
        if d.container(&id)?.is_running() {
            return Ok((id, Ok(304), false));
        }
        // A start that fails past the networking (its user, its program) leaves the
        // container with the error, and any failed start removes a `--rm` one: the state is
        // kept, the error answered.
        let keep = d.user_error(&id).is_some() || d.container(&id)?.host_config.auto_remove;
        if let Err(e) = d.container_start_attached(&id) {
            return if keep {
                Ok((id, Err(e), false))
            } else {
                Err(e)
            };
        }
        let awaited = h.start_awaited(&id);
        let failed = if awaited {
            // The attached client runs the command.
            busybox::fail_missing_program(d, &id)
        } else {
            busybox::start_detached(d, &id)
        };
        let background = !awaited && failed.is_none() && busybox::main_takes_time(d, &id);
        match failed {
            Some(e) => Ok((
                id,
                Err(Error::new(crate::docker::Kind::InvalidParameter, e)),
                false,
            )),
            None => Ok((id, Ok(204), background)),
        }
    })
    .await?;
    host.started(&id);
    if background {
        run_in_background(host, id.clone());
    }
    match started {
        Ok(code) => Ok(http::status(code)),
        Err(e) => Err(e),
    }
}

/// A terminal for a container's command run in the background: nobody reads its output
/// (the container's log keeps it), it is paced to the wall clock, and a stop interrupts it.
struct BackgroundTerminal {
    opened: std::time::Instant,
    main: Arc<host::BackgroundMain>,
    /// What the command printed (its last [`MAX_LOG_BYTES`](crate::docker::container::MAX_LOG_BYTES)),
    /// should its changes have to be saved again.
    copy: std::sync::Mutex<String>,
}

impl crate::busybox::applet::Terminal for BackgroundTerminal {
    fn write(&self, s: &str) {
        const KEEP: usize = crate::docker::container::MAX_LOG_BYTES;
        if let Ok(mut c) = self.copy.lock() {
            c.push_str(s);
            if c.len() > 2 * KEEP {
                let mut cut = c.len() - KEEP;
                while !c.is_char_boundary(cut) {
                    cut += 1;
                }
                c.drain(..cut);
            }
        }
    }
    fn interrupted(&self) -> bool {
        self.main.stop.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn pace(&self, elapsed: crate::time::Duration) {
        crate::busybox::applet::pace_wall_clock(self.opened, elapsed, &|| self.interrupted());
    }
}

/// Runs container `cid`'s command, one that takes time, in the background as a process
/// runs in Docker (`run -d busybox ping -c 3 web`): paced to the wall clock, the state not
/// held meanwhile, its output logged and the container exited with its status when it
/// ends; a stop, kill or removal interrupts it first ([`let_go`]).
fn run_in_background(host: &Arc<Host>, cid: String) {
    let Some(main) = host.begin_main(&cid) else {
        return;
    };
    let h = host.clone();
    tokio::task::spawn_blocking(move || {
        use crate::busybox::applet::Console;
        let terminal = Arc::new(BackgroundTerminal {
            opened: std::time::Instant::now(),
            main: main.clone(),
            copy: std::sync::Mutex::default(),
        });
        let opts = ExecOptions {
            terminal: Some(Console(terminal.clone())),
            realtime: true,
            background: true,
            ..ExecOptions::default()
        };
        let scope = Scope::of(std::slice::from_ref(&cid), &[]);
        let ran = h.run_detached(&scope, |d| Ok(busybox::run_main(d, &cid, &opts)));
        if let Ok((Some(r), Err(_))) = ran {
            // Its changes met others to the container (a connect, a rename) and were not
            // saved: its end goes in on the state as it is now (the frames it moved are
            // lost with the rest of its simulation).
            let streamed = terminal.copy.lock().map(|c| c.clone()).unwrap_or_default();
            let stopped = main.stop.load(std::sync::atomic::Ordering::Relaxed);
            let _ = h.write(|d| {
                if d.is_running(&cid) {
                    d.container_log(&cid, &format!("{streamed}{}", r.stdout), &r.stderr);
                    if !stopped {
                        d.container_exit(&cid, r.code);
                    }
                }
                Ok(())
            });
        }
        h.end_main(&cid, &main);
    });
}

/// Stops the background command of the container `term` names, if one runs, so that a
/// stop, kill or removal acts on the container once the command's changes are saved.
async fn let_go(host: &Arc<Host>, term: &str) {
    let t = term.to_string();
    let scope = Scope::of(std::slice::from_ref(&t), &[]);
    if let Ok(id) = host::read_in(host, scope, move |d| d.find_container(&t)).await {
        host.interrupt_main(&id).await;
    }
}

/// `POST /containers/{id}/stop` (304 if it is not running) and `/restart`.
pub(super) async fn stop(
    host: &Arc<Host>,
    term: String,
    q: &Query,
    restart: bool,
) -> Result<Reply, Error> {
    let t = q.int("t")?;
    let_go(host, &term).await;
    let scope = if restart {
        Scope::starting(std::slice::from_ref(&term))
    } else {
        Scope::of(std::slice::from_ref(&term), &[])
    };
    let (id, code, background) = host::write_in(host, scope, move |d| {
        let id = d.find_container(&term)?;
        if restart {
            d.container_restart(&term, t)?;
            // The command runs again, as for a start.
            if let Some(e) = busybox::start_detached(d, &id) {
                return Err(Error::new(crate::docker::Kind::InvalidParameter, e));
            }
            let background = busybox::main_takes_time(d, &id);
            return Ok((id, 204, background));
        }
        if !d.container(&id)?.is_running() {
            return Ok((id, 304, false));
        }
        d.container_stop(&term, t)?;
        Ok((id, 204, false))
    })
    .await?;
    if background {
        run_in_background(host, id);
    }
    Ok(http::status(code))
}

/// `POST /containers/{id}/kill?signal=S` (SIGKILL by default).
pub(super) async fn kill(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let signal = q.get("signal").unwrap_or_default().to_string();
    // Only SIGKILL ends a command that is no server (PID 1 handles no other).
    if signal.is_empty() || crate::docker::container::parse_signal(&signal).is_ok_and(|s| s == 9) {
        let_go(host, &term).await;
    }
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    host::write_in(host, scope, move |d| d.container_kill(&term, Some(&signal))).await?;
    Ok(http::status(204))
}

/// `POST /containers/{id}/rename`.
pub(super) async fn rename(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let name = q.get("name").unwrap_or_default().to_string();
    host::write(host, move |d| d.container_rename(&term, &name)).await?;
    Ok(http::status(204))
}

/// `DELETE /containers/{id}`.
pub(super) async fn remove(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let force = q.bool("force");
    if force {
        let_go(host, &term).await;
    }
    // A stopped container's log followers read its last lines before it goes.
    let t = term.clone();
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    if let Ok((id, false)) = host::read_in(host, scope, move |d| {
        let id = d.find_container(&t)?;
        let running = d.is_running(&id);
        Ok((id, running))
    })
    .await
    {
        host.drain_followers(&id).await;
    }
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    host::write_in(host, scope, move |d| d.container_remove(&term, force)).await?;
    Ok(http::status(204))
}

/// `POST /containers/{id}/resize`: there is no terminal to resize; the container must exist.
pub(super) async fn resize(host: &Arc<Host>, term: String) -> Result<Reply, Error> {
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    host::read_in(host, scope, move |d| d.find_container(&term)).await?;
    Ok(http::status(200))
}

/// What `wait` watches: whether the container exists, runs, and when it last stopped.
type Seen = Option<(bool, Option<crate::time::Instant>, i32)>;

/// `POST /containers/{id}/wait`: the headers at once, the exit code when the condition
/// holds.
pub(super) async fn wait(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let condition = q.get("condition").unwrap_or_default().to_string();
    if !matches!(
        condition.as_str(),
        "" | "not-running" | "next-exit" | "removed"
    ) {
        return Err(Error::invalid_wait_condition(&condition));
    }
    // Each look reads the one container (a poll must not read a large state whole).
    let probe = move |h: &Host, id: &str| -> Result<Seen, Error> {
        h.read_part(&Scope::of(&[id.to_string()], &[]), |d| {
            d.get_container(id)
                .map(|c| (c.is_running(), c.state.finished_at, c.state.exit_code))
        })
    };
    let (id, first) = host::blocking(host, move |h| {
        let id = h.read_part(&Scope::of(std::slice::from_ref(&term), &[]), |d| {
            d.find_container(&term)
        })??;
        let seen = probe(h, &id)?;
        Ok::<_, Error>((id, seen))
    })
    .await??;
    // moby sends the headers at once (API ≥ 1.30), then the result when the condition
    // holds; `docker run` waits for them before it starts the container.
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let host = host.clone();
    tokio::spawn(async move {
        let first_finish = first.and_then(|s| s.1);
        let mut last_code = first.map_or(0, |s| s.2);
        loop {
            let id2 = id.clone();
            let seen = match host::blocking(&host, move |h| probe(h, &id2)).await {
                Ok(Ok(s)) => s,
                _ => return,
            };
            match seen {
                Some((_, _, code)) => last_code = code,
                // Gone with `--rm` as it exited, perhaps before this looked again.
                None => last_code = host.exit_noted(&id).unwrap_or(last_code),
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
                let mut body = json!({"StatusCode": last_code, "Error": null})
                    .to_string()
                    .into_bytes();
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
    Ok(http::streamed(rx, "application/json"))
}

/// `POST /containers/{id}/attach`: the container's main process, busybox `sh`, on the
/// hijacked stream. With `stdin=1` each line the client sends runs in the shell (with a
/// TTY the prompt and the echo show, lines end in CRLF; without one the output comes in
/// stdcopy frames); `exit [N]` ends the shell and the container; the end of the input or
/// ctrl-p ctrl-q detaches. Without stdin the stream stays open until the container stops.
/// A client may attach to a created container (`docker run` in the foreground attaches, then
/// starts it): once it starts, a command that ends by itself runs for that client, its
/// output streamed as it comes, and the stream ends with it; a shell or the image's servers
/// go on as above.
pub(super) async fn attach(
    host: &Arc<Host>,
    term: String,
    q: &Query,
    upgrade: Option<stream::Upgrade>,
) -> Result<Reply, Error> {
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    let (cid, tty, created) = host::read_in(host, scope, move |d| {
        let id = d.find_container(&term)?;
        let c = d.container(&id)?;
        let created = c.state.status == crate::docker::container::Status::Created;
        if !created {
            d.attach_target(&id)?;
        }
        Ok((id, c.config.tty, created))
    })
    .await?;
    let Some(on_upgrade) = upgrade else {
        return Err(Error::attach_needs_upgrade());
    };
    let waiter = created.then(|| host.wait_start(&cid));
    let gone = on_upgrade.client_gone().clone();
    let stdin = q.bool("stdin");
    let output = Output {
        tty,
        raw: tty,
        stdout: q.bool("stdout"),
        stderr: q.bool("stderr"),
    };
    let host = host.clone();
    Ok(stream::hijack(on_upgrade, output, move |io| async move {
        let (rd, mut wr) = tokio::io::split(io);
        let mut rd = tokio::io::BufReader::new(rd);
        if let Some(waiter) = waiter {
            tokio::select! {
                started = waiter => if started.is_err() { return },
                () = gone.gone() => return,
            }
            if run_main_streamed(&host, &cid, tty, output, &gone, &mut wr).await {
                let _ = wr.shutdown().await;
                stream::drain(&mut rd).await;
                return;
            }
        }
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
                        let scope = Scope::of(std::slice::from_ref(&id), &[]);
                        let running = host::read_in(&host, scope, move |d| {
                            Ok(d.is_running(&id))
                        })
                        .await;
                        if !matches!(running, Ok(true)) {
                            let _ = wr.shutdown().await;
                            return;
                        }
                    }
                }
            }
        }
        use crate::busybox::{AttachLine, PROMPT};
        let mut line = String::new();
        // The shell's variables, from line to line.
        let mut shell: Option<crate::busybox::Shell> = None;
        loop {
            if tty && wr.write_all(&output.encode(PROMPT, "")).await.is_err() {
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
                let _ = wr.write_all(&output.encode(&format!("{text}\n"), "")).await;
            }
            let step = if n == 0 && created && !line.contains(crate::busybox::DETACH_KEYS) {
                // Attached before the start (`docker run -i`, StdinOnce): the end of the
                // input ends the shell, with its last status.
                let id = cid.clone();
                let scope = Scope::of(std::slice::from_ref(&id), &[]);
                let sh = shell.clone();
                host::write_in(&host, scope, move |d| {
                    let mut sh = sh.clone();
                    Ok(busybox::attach_end(d, &id, &mut sh))
                })
                .await
                .map(|(code, r)| AttachLine::Exit(code, r))
            } else if n == 0 {
                Ok(AttachLine::Detach)
            } else {
                let id = cid.clone();
                let scope = Scope::of(std::slice::from_ref(&id), &[]);
                // write_in may run the closure again (a conflicting write): each run starts
                // from the shell as it was.
                let before = shell.clone();
                let ran = host::write_in(&host, scope, move |d| {
                    let mut sh = before.clone();
                    if !d.is_running(&id) {
                        return Ok((None, sh));
                    }
                    let opts = ExecOptions {
                        tty,
                        ..ExecOptions::default()
                    };
                    let step = busybox::attach_line(d, &id, &mut sh, &text, &opts);
                    Ok((Some(step), sh))
                })
                .await;
                ran.map(|(step, sh)| {
                    shell = sh;
                    step.unwrap_or(AttachLine::Exit(0, Default::default()))
                })
            };
            match step {
                Ok(AttachLine::Ran(r)) => {
                    if wr
                        .write_all(&output.encode(&r.stdout, &r.stderr))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(AttachLine::Detach) => {
                    if tty {
                        let _ = wr.write_all(&output.encode("\n", "")).await;
                    }
                    break;
                }
                Ok(AttachLine::Exit(_, r)) => {
                    let _ = wr.write_all(&output.encode(&r.stdout, &r.stderr)).await;
                    break;
                }
                // `exit`, or the container stopped meanwhile.
                _ => break,
            }
        }
        // Half-close, then drop what the client still sends until it closes (see exec).
        let _ = wr.shutdown().await;
        stream::drain(&mut rd).await;
    }))
}

/// Runs container `cid`'s command for the client attached to its start (see [`attach`]),
/// streaming what it prints as the simulation produces it, the state not held meanwhile,
/// and interrupting it when the client goes (as docker's signal proxy passes on Ctrl-C).
/// False when the command is not one that ends by itself (a shell, the image's servers),
/// or the container no longer runs.
async fn run_main_streamed<W: tokio::io::AsyncWrite + Unpin>(
    host: &Arc<Host>,
    cid: &str,
    tty: bool,
    output: Output,
    gone: &crate::daemon::conn::ClientGone,
    wr: &mut W,
) -> bool {
    use crate::busybox::applet::Console;
    let (terminal, mut rx) = stream::StreamTerminal::open();
    let opts = ExecOptions {
        tty,
        terminal: Some(Console(Arc::new(terminal))),
        ..ExecOptions::default()
    };
    let (h, id) = (host.clone(), cid.to_string());
    let scope = Scope::of(std::slice::from_ref(&id), &[]);
    let job = tokio::task::spawn_blocking(move || {
        h.run_detached(&scope, |d| Ok(busybox::run_main(d, &id, &opts)))
    });
    let mut hung_up = false;
    loop {
        tokio::select! {
            chunk = rx.recv() => {
                let Some(chunk) = chunk else { break };
                if wr.write_all(&output.encode(&chunk, "")).await.is_err() || wr.flush().await.is_err() {
                    rx.close();
                }
            }
            () = gone.gone(), if !hung_up => {
                hung_up = true;
                rx.close();
            }
        }
    }
    match job.await {
        Ok(Ok((Some(r), saved))) => {
            let mut tail = output.encode(&r.stdout, &r.stderr);
            if let Err(e) = saved {
                tail.extend(output.encode("", &format!("vnet: {}\n", e.message)));
            }
            let _ = wr.write_all(&tail).await;
            let _ = wr.flush().await;
            true
        }
        Ok(Ok((None, _))) => false,
        Ok(Err(e)) => {
            let _ = wr
                .write_all(&output.encode("", &format!("vnet: {}\n", e.message)))
                .await;
            true
        }
        Err(_) => true,
    }
}

/// `GET /containers/{id}/logs` (moby's `getContainersLogs`): the container's log in the
/// container's framing (raw with a TTY, stdcopy frames from API 1.42 without one), each
/// line its own write; `-t` times and `--details` spaces put before the lines. With
/// `follow=1` on a running container the answer goes on, the container's log read again
/// every tenth of a second, until it stops, is removed, or the client goes.
pub(super) async fn logs(
    host: &Arc<Host>,
    term: String,
    q: &Query,
    version: Option<&str>,
) -> Result<Reply, Error> {
    use crate::docker::container::{LogStream, LogsOptions};
    let (stdout, stderr) = (q.bool("stdout"), q.bool("stderr"));
    if !(stdout || stderr) {
        return Err(http::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let mut opts = LogsOptions {
        stdout,
        stderr,
        since: q.timestamp("since")?,
        // `until=0` is no limit (daemon/logs.go).
        until: match q.get("until") {
            Some("0") => None,
            _ => q.timestamp("until")?,
        },
        // moby's Atoi of `tail`: anything but a number (`all`) is every line.
        tail: q
            .get("tail")
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|n| usize::try_from(n).ok()),
        after: None,
    };
    let (timestamps, details, follow) = (q.bool("timestamps"), q.bool("details"), q.bool("follow"));
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    let read = opts.clone();
    let (id, first) = host::read_in(host, scope, move |d| {
        let id = d.find_container(&term)?;
        let logs = d.container_logs(&id, &read)?;
        Ok((id, logs))
    })
    .await?;
    // Framed unless the container has a TTY; before API 1.42 the framed stream is still
    // labelled raw.
    let output = Output {
        tty: false,
        raw: first.tty,
        stdout: true,
        stderr: true,
    };
    let content_type =
        if version.is_some_and(|v| http::compare_versions(v, "1.42") == std::cmp::Ordering::Less) {
            "application/vnd.docker.raw-stream"
        } else {
            output.content_type()
        };
    let encode = move |l: &crate::docker::container::Logs| -> Vec<u8> {
        let mut out = Vec::new();
        for line in &l.lines {
            let text = line.shown(timestamps, details);
            let (o, e) = match line.stream {
                LogStream::Stderr if !l.tty => ("", text.as_str()),
                _ => (text.as_str(), ""),
            };
            out.extend(output.encode(o, e));
        }
        out
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    // A removal waits for this reader to have read the container's end.
    let reader = (follow && first.running).then(|| host.follow(&id));
    let host = host.clone();
    tokio::spawn(async move {
        let _reader = reader;
        let mut logs = first;
        loop {
            let bytes = encode(&logs);
            if !bytes.is_empty() && tx.send(Bytes::from(bytes)).await.is_err() {
                return;
            }
            if !(follow && logs.running) || tx.is_closed() {
                return;
            }
            opts.after = Some(logs.logged);
            opts.tail = None;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (id, read) = (id.clone(), opts.clone());
            let scope = Scope::of(std::slice::from_ref(&id), &[]);
            match host::read_in(&host, scope, move |d| d.container_logs(&id, &read)).await {
                Ok(l) => logs = l,
                Err(_) => return,
            }
        }
    });
    Ok(http::streamed(rx, content_type))
}

/// `POST /containers/prune` (moby's `postContainersPrune`): the stopped containers removed,
/// `ContainersDeleted` null when none; nothing is reclaimed (no container writes bytes).
pub(super) async fn prune(host: &Arc<Host>, q: &Query) -> Result<Reply, Error> {
    let filters = q.filters()?;
    host::write_json(host, 200, move |d| {
        let ids = d.container_prune(&filters)?;
        let deleted = if ids.is_empty() {
            Value::Null
        } else {
            json!(ids)
        };
        Ok(json!({ "ContainersDeleted": deleted, "SpaceReclaimed": 0 }))
    })
    .await
}

/// `GET /containers/{id}/stats` (moby's `getContainersStats`): one sample with
/// `stream=false`, else a sample a second (wall clock) while the container runs and the
/// client reads.
pub(super) async fn stats(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let stream = q
        .get("stream")
        .is_none_or(|v| !matches!(v, "0" | "false" | "False"));
    let (first, running) = stats_sample(host, term.clone()).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(2);
    let host = host.clone();
    tokio::spawn(async move {
        let (mut sample, mut running) = (first, running);
        loop {
            let mut line = crate::golang::json::encode(&sample, false).into_bytes();
            line.push(b'\n');
            if tx.send(Bytes::from(line)).await.is_err() || !stream || !running {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            match stats_sample(&host, term.clone()).await {
                Ok((s, r)) => (sample, running) = (s, r),
                Err(_) => return,
            }
        }
    });
    Ok(http::streamed(rx, "application/json"))
}

/// `GET /containers/{id}/top?ps_args=` (moby's `getContainersTop`).
pub(super) async fn top(host: &Arc<Host>, term: String, q: &Query) -> Result<Reply, Error> {
    let ps_args = q.get("ps_args").unwrap_or_default().to_string();
    host::read_json_in(
        host,
        Scope::of(std::slice::from_ref(&term), &[]),
        move |d| {
            let t = d.container_top(&term, &ps_args)?;
            Ok(json!({ "Processes": t.processes, "Titles": t.titles }))
        },
    )
    .await
}

/// One stats sample of the container `term` names, and whether it runs.
async fn stats_sample(host: &Arc<Host>, term: String) -> Result<(Value, bool), Error> {
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    host::read_in(host, scope, move |d| {
        let id = d.find_container(&term)?;
        Ok((d.container_stats(&id)?, d.is_running(&id)))
    })
    .await
}
