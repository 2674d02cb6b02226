//! The exec routes: create, start (on a hijacked stream, or detached), inspect, resize.
//!
//! Mirrors moby v28.2.2 `api/server/router/container/exec.go` (`postContainerExecCreate`,
//! `postContainerExecStart`, `getExecByID`, `postContainerExecResize`); the instances live in
//! the daemon's memory, as moby's `daemon/exec` store (see [`Host`]).

use crate::busybox::applet::Console;
use crate::busybox::{self, ExecConfig, ExecOptions};
use crate::daemon::api;
use crate::daemon::conn::ClientGone;
use crate::daemon::host::{self, ExecInstance, Host};
use crate::daemon::http::{self, Reply};
use crate::daemon::stream::{self, Output, StreamTerminal};
use crate::docker::Error;
use crate::store::Scope;
use hyper::header::{self, HeaderValue};
use serde_json::json;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// `POST /containers/{id}/exec`: the container must be running.
pub(super) async fn create(host: &Arc<Host>, term: String, body: &[u8]) -> Result<Reply, Error> {
    let mut req = http::decode::<api::ExecCreate>(body)?;
    let argv = req.argv();
    if argv.is_empty() {
        return Err(Error::no_exec_command());
    }
    let scope = Scope::of(std::slice::from_ref(&term), &[]);
    let config = ExecConfig {
        env: req.env.take().unwrap_or_default(),
        workdir: req.working_dir.take(),
        user: req.user.take().filter(|u| !u.is_empty()),
        privileged: req.privileged.unwrap_or(false),
        id: String::new(),
    };
    let cfg = config.clone();
    let args = argv.clone();
    let (container_id, exec_id, user) = host::write_in(host, scope, move |d| {
        let cid = d.exec_target(&term)?;
        // ContainerExecCreate: the user must be the container's.
        if let Some(e) = busybox::exec_config_error(d, &cid, &cfg) {
            return Err(Error::new(crate::docker::Kind::InvalidParameter, e));
        }
        let id = d.exec_create(&cid, &args);
        // ContainerExecCreate: no `User` is the container's.
        let user = match cfg.user.clone() {
            Some(u) => Some(u),
            None => Some(d.container(&cid)?.config.user.clone()).filter(|u| !u.is_empty()),
        };
        Ok((cid, id, user))
    })
    .await?;
    let id = host.add_exec(ExecInstance {
        id: exec_id.clone(),
        container_id,
        argv,
        tty: req.tty.unwrap_or(false),
        attach_stdin: req.attach_stdin.unwrap_or(false),
        attach_stdout: req.attach_stdout.unwrap_or(false),
        attach_stderr: req.attach_stderr.unwrap_or(false),
        started: false,
        exit_code: None,
        config: ExecConfig {
            id: exec_id,
            user,
            ..config
        },
    });
    Ok(http::json(201, &json!({ "Id": id })))
}

/// `POST /exec/{id}/start`: runs the command to its end, then answers its output: on the
/// hijacked stream, in the body without an upgrade, or not at all when detached.
pub(super) async fn start(
    host: &Arc<Host>,
    term: String,
    body: &[u8],
    upgrade: Option<stream::Upgrade>,
) -> Result<Reply, Error> {
    let start = http::decode_or_default::<api::ExecStart>(body)?;
    let exec = host.with_exec(&term, |e| {
        if e.started {
            let how = if e.exit_code.is_some() {
                "has already run"
            } else {
                "is already running"
            };
            return Err(Error::exec_command(&e.id, how));
        }
        e.started = true;
        Ok(e.clone())
    })??;
    let (cid, argv, tty) = (exec.container_id.clone(), exec.argv.clone(), exec.tty);
    let config = exec.config.clone();
    let scope = Scope::of(std::slice::from_ref(&cid), &[]);
    // What the client reads: with a pseudo-terminal (the create's Tty) stdout and stderr
    // share it and lines end in CRLF; the framing follows the start's Tty.
    let output = Output {
        tty: exec.tty,
        raw: start.tty.unwrap_or(false),
        stdout: exec.attach_stdout,
        stderr: exec.attach_stderr,
    };
    if !start.detach.unwrap_or(false)
        && let Some(on_upgrade) = upgrade
    {
        // Errors the start answers before the upgrade (the container stopped meanwhile).
        let (c, id) = (cid.clone(), exec.id.clone());
        let checked = host::read_in(host, scope.clone(), move |d| d.exec_target(&c).map(drop));
        if let Err(e) = checked.await {
            let _ = host.with_exec(&id, |x| x.started = false);
            return Err(e);
        }
        let shell = exec.attach_stdin && busybox::is_interactive_shell(&argv);
        let run = Run {
            host: host.clone(),
            exec_id: exec.id,
            cid,
            argv,
            tty,
            config: config.clone(),
            scope,
            output,
            gone: on_upgrade.client_gone().clone(),
        };
        if shell {
            return Ok(stream::hijack(on_upgrade, output, move |io| run.shell(io)));
        }
        return Ok(stream::hijack(on_upgrade, output, move |io| {
            run.streamed(io)
        }));
    }
    let detach = start.detach.unwrap_or(false);
    let ran = host::write_in(host, scope, move |d| {
        if detach {
            // A server left listening (`nc -l`, `httpd`); anything else vnet refuses, and says why.
            let r = busybox::exec_detached(d, &cid, &argv, &config)?;
            if r.code != 0 && r.start_error.is_none() {
                return Err(Error::exec_failed(r.stderr.trim_end()));
            }
            return Ok(r);
        }
        busybox::exec(
            d,
            &cid,
            &argv,
            &ExecOptions {
                tty,
                exec: config.clone(),
                ..ExecOptions::default()
            },
        )
    })
    .await;
    let result = match ran {
        Ok(r) => r,
        Err(e) => {
            let _ = host.with_exec(&exec.id, |x| x.started = false);
            return Err(e);
        }
    };
    let _ = host.with_exec(&exec.id, |x| x.exit_code = Some(result.code));
    let mut out = output.encode(&result.stdout, &result.stderr);
    // A program that could not start: moby writes the error on the hijacked stream with its
    // stdout writer (a stdcopy frame unless the start asked for a raw stream), not through
    // the terminal, followed by CRLF; a detached start answers it as an error
    // (api/server/router/container/exec.go `postContainerExecStart`).
    if let Some(e) = &result.start_error {
        if start.detach.unwrap_or(false) {
            return Err(Error::exec_failed(e));
        }
        out.extend(start_error(&output, e));
    }
    if start.detach.unwrap_or(false) {
        return Ok(http::status(200));
    }
    let Some(on_upgrade) = upgrade else {
        let mut r = hyper::Response::new(http::full(out));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(output.content_type()),
        );
        return Ok(r);
    };
    Ok(stream::hijack(
        on_upgrade,
        output,
        move |mut io| async move {
            if !out.is_empty() {
                let _ = io.write_all(&out).await;
            }
            let _ = io.flush().await;
            // Half-close: the client reads the end of the output; its stdin (with -i) is dropped.
            let _ = io.shutdown().await;
            stream::drain(&mut io).await;
        },
    ))
}

/// An exec started on a hijacked connection.
struct Run {
    host: Arc<Host>,
    exec_id: String,
    cid: String,
    argv: Vec<String>,
    tty: bool,
    config: ExecConfig,
    scope: Scope,
    output: Output,
    gone: ClientGone,
}

impl Run {
    /// Runs the command with the connection as its terminal: output written as the
    /// simulation produces it, the state not held meanwhile, and the command interrupted
    /// (as Ctrl-C would) once the client has gone.
    async fn streamed<IO>(self, mut io: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let Run {
            host,
            exec_id,
            cid,
            argv,
            tty,
            config,
            scope,
            output,
            gone,
        } = self;
        let (terminal, mut rx) = StreamTerminal::open();
        let opts = ExecOptions {
            tty,
            exec: config,
            terminal: Some(Console(Arc::new(terminal))),
            ..ExecOptions::default()
        };
        let h = host.clone();
        let job = tokio::task::spawn_blocking(move || {
            h.run_detached(&scope, |d| busybox::exec(d, &cid, &argv, &opts))
        });
        // The channel ends when the command has (its terminal is dropped with it).
        // The client hanging up interrupts the command even while it prints nothing.
        let mut hung_up = false;
        loop {
            tokio::select! {
                chunk = rx.recv() => {
                    let Some(chunk) = chunk else { break };
                    let bytes = output.encode(&chunk, "");
                    if io.write_all(&bytes).await.is_err() || io.flush().await.is_err() {
                        rx.close();
                    }
                }
                () = gone.gone(), if !hung_up => {
                    hung_up = true;
                    rx.close();
                }
            }
        }
        let (code, tail) = match job.await {
            Ok(Ok((r, saved))) => {
                let mut tail = output.encode(&r.stdout, &r.stderr);
                if let Some(e) = &r.start_error {
                    tail.extend(start_error(&output, e));
                }
                if let Err(e) = saved {
                    tail.extend(output.encode("", &format!("vnet: {}\n", e.message)));
                }
                (r.code, tail)
            }
            Ok(Err(e)) => (126, start_error(&output, &e.message)),
            Err(e) => (126, start_error(&output, &e.to_string())),
        };
        // Before the end of the stream: the client asks for the exit code once it has it.
        let _ = host.with_exec(&exec_id, |x| x.exit_code = Some(code));
        let _ = io.write_all(&tail).await;
        let _ = io.flush().await;
        // Half-close: the client reads the end of the output; its stdin (with -i) is dropped.
        let _ = io.shutdown().await;
        stream::drain(&mut io).await;
    }
}

impl Run {
    /// `docker exec -i c sh`: the shell reads the client's stream line by line, as the
    /// attached shell does (prompt and echo on a terminal), until `exit` or the end of the
    /// client's input; the exec's exit code is the shell's.
    async fn shell<IO>(self, io: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let Run {
            host,
            exec_id,
            cid,
            argv,
            tty,
            config,
            scope,
            output,
            ..
        } = self;
        let (rd, mut wr) = tokio::io::split(io);
        let mut rd = tokio::io::BufReader::new(rd);
        let mut shell: Option<busybox::Shell> = None;
        let mut line = String::new();
        let (c, id, args) = (cid.clone(), config.id.clone(), argv.clone());
        let _ = host::write_in(&host, scope.clone(), move |d| {
            d.exec_start(&c, &id, &args);
            Ok(())
        })
        .await;
        let code = loop {
            if tty
                && wr
                    .write_all(&output.encode(busybox::PROMPT, ""))
                    .await
                    .is_err()
            {
                break 0;
            }
            line.clear();
            let n = tokio::io::AsyncBufReadExt::read_line(&mut rd, &mut line)
                .await
                .unwrap_or(0);
            if n == 0 {
                let code = shell.as_ref().map_or(0, busybox::Shell::status);
                // The exec's end interrupts the shell's background captures.
                if shell.as_ref().is_some_and(busybox::Shell::has_jobs) {
                    let sh = shell.clone();
                    let c = cid.clone();
                    let ended = host::write_in(&host, scope.clone(), move |d| {
                        busybox::exec_shell_end(d, &c, &mut sh.clone())
                    })
                    .await;
                    if let Ok(r) = ended {
                        let _ = wr.write_all(&output.encode(&r.stdout, &r.stderr)).await;
                    }
                }
                break code;
            }
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            if tty {
                let _ = wr.write_all(&output.encode(&format!("{text}\n"), "")).await;
            }
            // write_in may run the closure again (a conflicting write): each run starts
            // from the shell as it was.
            let before = shell.clone();
            let c = cid.clone();
            let config = config.clone();
            let ran = host::write_in(&host, scope.clone(), move |d| {
                let mut sh = before.clone();
                let opts = ExecOptions {
                    tty,
                    exec: config.clone(),
                    ..ExecOptions::default()
                };
                let r = busybox::exec_shell_line(d, &c, &mut sh, &text, &opts)?;
                Ok((r, sh))
            })
            .await;
            match ran {
                Ok(((r, exit), sh)) => {
                    shell = sh;
                    if wr
                        .write_all(&output.encode(&r.stdout, &r.stderr))
                        .await
                        .is_err()
                    {
                        break r.code;
                    }
                    if let Some(code) = exit {
                        break code;
                    }
                }
                Err(e) => {
                    let _ = wr.write_all(&start_error(&output, &e.message)).await;
                    break 126;
                }
            }
        };
        let _ = host.with_exec(&exec_id, |x| x.exit_code = Some(code));
        let (c, id) = (cid.clone(), config.id.clone());
        let _ = host::write_in(&host, scope.clone(), move |d| {
            d.exec_die(&c, &id, code);
            Ok(())
        })
        .await;
        let _ = wr.flush().await;
        let _ = wr.shutdown().await;
    }
}

/// An error starting the program as moby writes it on the stream: with its stdout writer
/// (a stdcopy frame unless raw), CRLF-ended.
fn start_error(output: &Output, e: &str) -> Vec<u8> {
    let text = format!("{e}\r\n");
    if output.raw {
        text.into_bytes()
    } else {
        stream::frame(1, text.as_bytes())
    }
}

/// `GET /exec/{id}/json`.
pub(super) fn inspect(host: &Arc<Host>, term: &str) -> Result<Reply, Error> {
    let e = host.with_exec(term, |e| e.clone())?;
    Ok(http::json(
        200,
        &json!({
            "ID": e.id,
            "Running": e.started && e.exit_code.is_none(),
            "ExitCode": e.exit_code,
            "ProcessConfig": {
                "arguments": e.argv.get(1..).unwrap_or_default(),
                "entrypoint": e.argv.first(),
                "privileged": e.config.privileged,
                "tty": e.tty,
                "user": e.config.user.as_deref().unwrap_or(""),
            },
            "OpenStdin": e.attach_stdin,
            "OpenStderr": e.attach_stderr,
            "OpenStdout": e.attach_stdout,
            "CanRemove": false,
            "ContainerID": e.container_id,
            "DetachKeys": "",
            "Pid": 0,
        }),
    ))
}

/// `POST /exec/{id}/resize`: there is no terminal to resize; the instance must exist.
pub(super) fn resize(host: &Arc<Host>, term: &str) -> Result<Reply, Error> {
    host.with_exec(term, |_| ())?;
    Ok(http::status(200))
}
