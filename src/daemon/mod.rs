//! `vnet daemon`: the Docker Engine API on a unix socket, so the unmodified `docker` CLI and
//! docker-py drive vnet (`DOCKER_HOST=unix:///…/vnet.sock docker network ls`).
//!
//! A front end like [`cli`](crate::cli): every route calls the same
//! [`docker`](crate::docker) methods the CLI calls, on the same state directory, with the
//! same cycle per request as the `vnet` binary per command: take the directory's lock, load
//! the state fresh, apply, save if it changed, release the lock. Nothing is cached between
//! requests and the lock is never held between them, so the CLI and the daemon can share a
//! state directory at the same time without losing an update. A request that fails saves
//! nothing, so `state.json` stays byte for byte as it was.
//!
//! Files: `http.rs` (paths, versions, queries, bodies, errors and headers: moby's
//! `api/server` and `httputils`), `api.rs` (request bodies: moby's `api/types`), `host.rs`
//! (what requests share: the state's lock-load-save cycle and the exec instances),
//! `stream.rs` (hijacked streams: the 101 upgrade, stdcopy frames, TTY output), `routes/`
//! (the dispatch table in `mod.rs` and one file per moby router of `api/server/router`:
//! `system.rs`, `network.rs`, `container.rs`, `exec.rs`, `image.rs`). engine-api.md
//! describes what the clients send and expect.
//!
//! With `--cluster-store etcd://…` and `--cluster-advertise` (dockerd's classic flags) the
//! served host keeps its global networks in that etcd, shared with the daemons of other
//! processes and machines (see [`crate::cluster::etcd`]), and a thread registers it there
//! every heartbeat while the daemon runs.
//!
//! The socket is created owner-only (bound under a temporary name, set to mode 0600, then
//! renamed into place), a live socket at the path is never replaced (a stale one is, and
//! only a socket: a symlink or any other file there is refused, never followed), and
//! SIGTERM or SIGINT stop the daemon: it stops accepting, lets requests in flight finish
//! (each saves before it answers), removes the socket and exits. `conn.rs` keeps it serving
//! under load: header and idle timeouts, a connection limit, the client-gone signal.

pub mod api;
mod conn;
#[doc(hidden)]
pub mod fuzz;
mod host;
pub mod http;
mod routes;
mod stream;

pub use conn::{BadSetting, Limits, raise_fd_limit};

use crate::cluster::HostError;
use crate::store::{Store, StoreError};
use host::Host;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to run the daemon.
#[derive(Clone, Debug)]
pub struct Options {
    /// The state directory.
    pub state_dir: PathBuf,
    /// The seed of a state created by the first mutating request (`--seed`, `VNET_SEED`).
    pub seed: Option<u64>,
    /// The socket (default: `vnet.sock` in the state directory).
    pub socket: Option<PathBuf>,
    /// The simulated host whose engine it serves (`-H`; `default`).
    pub host: String,
    /// What one request's simulation may spend (`VNET_MAX_EVENTS` and the others).
    pub budget: crate::engine::budget::Budget,
    /// Timeouts and the connection limit ([`Limits::from_env`]).
    pub limits: Limits,
    /// `--cluster-store etcd://…`, `--cluster-advertise`, `--cluster-store-opt`: the host
    /// keeps its global networks in a real etcd and registers there while the daemon runs.
    pub cluster: Option<crate::cluster::HostConfig>,
}

/// Why the daemon cannot start or stopped serving (a request's own failure is its reply).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// Something other than a socket is at the socket's path.
    #[error("{} exists and is not a socket; remove it or choose another --socket", .0.display())]
    NotASocket(PathBuf),
    /// A daemon answers on the socket already.
    #[error(
        "another daemon is listening on {}; stop it or choose another --socket",
        .0.display()
    )]
    SocketInUse(PathBuf),
    /// Whether the socket is live cannot be told.
    #[error("cannot check the socket {}: {error}", path.display())]
    SocketCheck {
        /// The socket.
        path: PathBuf,
        /// What connecting to it said (part of the message, not a separate cause).
        error: io::Error,
    },
    /// The socket cannot be bound.
    #[error("cannot listen on {}: {error}", path.display())]
    Listen {
        /// The temporary name it is bound under.
        path: PathBuf,
        /// What binding said (part of the message, not a separate cause).
        error: io::Error,
    },
    /// A file operation on the socket's path failed.
    #[error("cannot {what} {}: {error}", path.display())]
    SocketFile {
        /// What was being done: `remove the stale socket`, `create the directory`, ….
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// What the system said (part of the message, not a separate cause).
        error: io::Error,
    },
    /// A daemon setting in the environment is not valid.
    #[error(transparent)]
    Setting(#[from] BadSetting),
    /// The state directory cannot be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state has no such host.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A file system, runtime or signal operation failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The default socket of a state directory.
pub fn default_socket(dir: &Path) -> PathBuf {
    dir.join("vnet.sock")
}

/// An error on the socket's path, naming it and the system's reason.
fn socket_file(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> DaemonError {
    let path = path.to_path_buf();
    move |error| DaemonError::SocketFile { what, path, error }
}

/// Binds the socket: refuses a live one, replaces a stale one, and makes it owner-only
/// before it appears at `path`. Nothing at `path` is followed: a symlink there is not a
/// socket, and only a socket is ever removed.
fn bind(path: &Path) -> Result<std::os::unix::net::UnixListener, DaemonError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            if !meta.file_type().is_socket() {
                return Err(DaemonError::NotASocket(path.to_path_buf()));
            }
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => return Err(DaemonError::SocketInUse(path.to_path_buf())),
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path)
                        .map_err(socket_file("remove the stale socket", path))?;
                }
                Err(error) => {
                    return Err(DaemonError::SocketCheck {
                        path: path.to_path_buf(),
                        error,
                    });
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(DaemonError::SocketCheck {
                path: path.to_path_buf(),
                error,
            });
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(socket_file("create the directory", parent))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    // A socket left by an earlier daemon of the same process ID; anything else stays and
    // makes the bind fail, with its path.
    if std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.file_type().is_socket()) {
        std::fs::remove_file(&tmp).map_err(socket_file("remove the stale socket", &tmp))?;
    }
    let listener =
        std::os::unix::net::UnixListener::bind(&tmp).map_err(|error| DaemonError::Listen {
            path: tmp.clone(),
            error,
        })?;
    let placed = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .map_err(socket_file("set the mode of", &tmp))
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(socket_file("rename the socket to", path))
        });
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(listener)
}

/// `vnet daemon`: serves until SIGTERM or SIGINT. `ready` is told the socket's path once it
/// accepts connections.
pub fn run(opts: Options, ready: impl FnOnce(&Path)) -> Result<(), DaemonError> {
    // Fail now, not on the first request, on a state this vnet cannot use; and create it
    // (with the seed) if there is none, as any `vnet` command does, so that commands run
    // alongside find the same seed.
    {
        let mut store = Store::open(&opts.state_dir, opts.seed)?;
        let hosts_only = crate::store::Scope::Part(crate::store::Want {
            networks_only: true,
            ..Default::default()
        });
        let loaded = store.load(&hosts_only, false, opts.seed)?;
        loaded.cluster.host(&opts.host)?;
    }
    let registration = match &opts.cluster {
        Some(cfg) => Some(join_cluster(&opts, cfg)?),
        None => None,
    };
    let socket = opts
        .socket
        .clone()
        .unwrap_or_else(|| default_socket(&opts.state_dir));
    let nofile = raise_fd_limit();
    let listener = bind(&socket)?;
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let host = Arc::new(
        Host::new(opts.state_dir.clone(), opts.seed, opts.host.clone()).with_budget(opts.budget),
    );
    let conns = conn::Conns::new(opts.limits, opts.limits.connections(nofile));
    let result = rt.block_on(async {
        let listener = tokio::net::UnixListener::from_std(listener)?;
        ready(&socket);
        serve(listener, host, conns).await
    });
    let _ = std::fs::remove_file(&socket);
    // Dropping the runtime waits for blocking tasks (state writes) in flight.
    drop(rt);
    // The registration is left to run out, as dockerd's is.
    drop(registration);
    result
}

/// Makes the served host keep its global networks in the etcd of `cfg` (saved in the state,
/// so the CLI on the same directory uses it too) and starts registering it there.
fn join_cluster(
    opts: &Options,
    cfg: &crate::cluster::HostConfig,
) -> Result<Registration, DaemonError> {
    let mut store = Store::open(&opts.state_dir, opts.seed)?;
    let host = opts.host.clone();
    let joined = store.run(&crate::store::Scope::All, true, opts.seed, |c| {
        c.join_live(&host, cfg)?;
        let h = c.host(&host)?;
        Ok::<_, HostError>((
            h.cluster_store.clone().unwrap_or_default(),
            h.cluster_advertise.clone().unwrap_or_default(),
            crate::cluster::discovery_timers(&h.cluster_store_opts).map_err(HostError)?,
        ))
    })??;
    let (url, advertise, (heartbeat, ttl)) = joined;
    Ok(Registration::start(&url, advertise, heartbeat, ttl))
}

/// pkg/discovery's heartbeat: the node's key put again, under a lease of the TTL, every
/// heartbeat, on a thread of its own until dropped.
struct Registration {
    stop: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

impl Registration {
    fn start(
        url: &str,
        advertise: String,
        heartbeat: std::time::Duration,
        ttl: std::time::Duration,
    ) -> Registration {
        let stop = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let etcd = crate::cluster::etcd::Etcd::new(url);
        if let Some(etcd) = etcd {
            let stop = stop.clone();
            // Not joined: a heartbeat in flight to an etcd that does not answer would hold
            // the daemon's exit for its retries.
            std::thread::spawn(move || {
                let mut failing = false;
                loop {
                    match etcd.register(&advertise, ttl) {
                        Ok(()) if failing => {
                            eprintln!(
                                "vnet daemon: registered {advertise} in {} again",
                                etcd.url()
                            );
                            failing = false;
                        }
                        Ok(()) => {}
                        Err(e) => {
                            if !failing {
                                eprintln!(
                                    "vnet daemon: registering {advertise}: {e}; retrying every heartbeat"
                                );
                            }
                            failing = true;
                        }
                    }
                    let (lock, cv) = &*stop;
                    let g = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (g, _) = cv
                        .wait_timeout_while(g, heartbeat, |stopped| !*stopped)
                        .unwrap_or_else(|p| p.into_inner());
                    if *g {
                        return;
                    }
                }
            });
        }
        Registration { stop }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }
}

async fn serve(
    listener: tokio::net::UnixListener,
    host: Arc<Host>,
    conns: Arc<conn::Conns>,
) -> Result<(), DaemonError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => conns.accept(stream, &host).await,
                // Out of descriptors or a connection reset before accept: keep serving.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
        }
    }
    // The containers' commands in the background would otherwise hold the runtime's end
    // until they finish (a `sleep 1000` for 1000 seconds).
    host.interrupt_all_mains();
    Ok(())
}
