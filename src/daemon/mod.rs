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
//! `api/server` and `httputils`), `api.rs` (request bodies: moby's `api/types`), `routes.rs`
//! (the routes: moby's `api/server/router/{system,network,container,image,swarm}`).
//! engine-api.md describes what the clients send and expect.
//!
//! The socket is created owner-only (bound under a temporary name, set to mode 0600, then
//! renamed into place), a live socket at the path is never replaced (a stale one is), and
//! SIGTERM or SIGINT stop the daemon: it stops accepting, lets requests in flight finish
//! (each saves before it answers), removes the socket and exits.

pub mod api;
pub mod http;
mod routes;

use crate::cluster::Cluster;
use crate::docker::{Daemon, Error, Kind};
use crate::store::Store;
use indexmap::IndexMap;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
}

/// An exec instance (`POST /containers/{id}/exec`), kept in the daemon's memory as moby
/// keeps them (they do not survive a restart).
#[derive(Clone, Debug)]
pub(crate) struct ExecInstance {
    pub id: String,
    pub container_id: String,
    pub argv: Vec<String>,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub started: bool,
    pub exit_code: Option<i32>,
}

/// How many exec instances the daemon remembers.
const MAX_EXECS: usize = 4096;

/// What every request shares: where the state lives, which simulated host it serves, and
/// the exec instances.
pub(crate) struct Host {
    dir: PathBuf,
    seed: Option<u64>,
    name: String,
    execs: Mutex<(u64, IndexMap<String, ExecInstance>)>,
    /// The last `state.json` parsed, and the served host's engine in it (global networks
    /// included, as a command sees them).
    parsed: Mutex<Option<(Vec<u8>, Arc<Daemon>)>>,
}

fn store_error(e: impl std::fmt::Display) -> Error {
    Error::new(Kind::System, e.to_string())
}

impl Host {
    fn new(dir: PathBuf, seed: Option<u64>, name: String) -> Host {
        Host {
            dir,
            seed,
            name,
            execs: Mutex::new((0, IndexMap::new())),
            parsed: Mutex::new(None),
        }
    }

    /// Loads the state under the lock: the bytes of `state.json` are read fresh every time,
    /// and parsed unless they are byte for byte the ones parsed last (then that parse is
    /// reused: same bytes, same state).
    fn load(&self, store: &Store) -> Result<(Cluster, Option<Vec<u8>>), Error> {
        match store.read().map_err(store_error)? {
            None => Ok((
                Cluster::new(self.seed.unwrap_or(crate::rng::DEFAULT_SEED)),
                None,
            )),
            Some(bytes) => Ok((
                store.decode(&bytes, self.seed).map_err(store_error)?,
                Some(bytes),
            )),
        }
    }

    /// The served host's engine, checked out of a cluster (which keeps the rest).
    fn engine(&self, mut c: Cluster) -> Result<(Cluster, Daemon), Error> {
        let d = c
            .checkout(&self.name)
            .map_err(|e| Error::new(Kind::NotFound, e.to_string()))?;
        Ok((c, d))
    }

    /// Runs `f` on the state, under the lock, without saving. The bytes of `state.json` are
    /// read fresh every time, and parsed unless they are byte for byte the ones parsed last
    /// (then that engine is reused: same bytes, same state).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Daemon) -> T) -> Result<T, Error> {
        let store = Store::open(&self.dir).map_err(store_error)?;
        let bytes = store.read().map_err(store_error)?;
        let mut cache = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(bytes), Some((b, d))) = (&bytes, cache.as_ref())
            && b == bytes
        {
            return Ok(f(d));
        }
        let (_, d) = self.engine(self.load(&store)?.0)?;
        let d = Arc::new(d);
        if let Some(bytes) = bytes {
            *cache = Some((bytes, d.clone()));
        }
        Ok(f(&d))
    }

    /// Runs `f` on the state, under the lock, and saves what it changed if it succeeded.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Daemon) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let store = Store::open(&self.dir).map_err(store_error)?;
        let (c, before) = self.load(&store)?;
        let (mut c, mut d) = self.engine(c)?;
        let out = f(&mut d)?;
        c.checkin(d);
        let after = Store::encode(&c);
        if before.as_deref() != Some(after.as_slice()) {
            store.save(&after).map_err(store_error)?;
        }
        Ok(out)
    }

    /// Stores a new exec instance and returns its ID (64 hex, derived from the seed and a
    /// counter, like every other ID).
    pub(crate) fn add_exec(&self, mut e: ExecInstance) -> String {
        let mut g = self.execs.lock().unwrap_or_else(|p| p.into_inner());
        let seed = self.seed.unwrap_or(crate::rng::DEFAULT_SEED);
        let id = crate::rng::hex_id(seed, &format!("exec/{}", g.0));
        g.0 += 1;
        e.id = id.clone();
        // moby forgets exec instances once they are done; keep the last ones only, so a
        // long-running daemon does not grow without bound.
        while g.1.len() >= MAX_EXECS {
            let Some(done) =
                g.1.values()
                    .position(|x| x.exit_code.is_some() || !x.started)
            else {
                break;
            };
            g.1.shift_remove_index(done);
        }
        g.1.insert(id.clone(), e);
        id
    }

    /// Runs `f` on an exec instance found by ID (or unique ID prefix, as moby's store).
    pub(crate) fn with_exec<T>(
        &self,
        term: &str,
        f: impl FnOnce(&mut ExecInstance) -> T,
    ) -> Result<T, Error> {
        let mut g = self.execs.lock().unwrap_or_else(|p| p.into_inner());
        let key = if g.1.contains_key(term) {
            Some(term.to_string())
        } else {
            let hits: Vec<&String> =
                g.1.keys()
                    .filter(|k| !term.is_empty() && k.starts_with(term))
                    .collect();
            (hits.len() == 1).then(|| hits[0].clone())
        };
        match key.and_then(|k| g.1.get_mut(&k)) {
            Some(e) => Ok(f(e)),
            None => Err(Error::new(
                Kind::NotFound,
                format!("No such exec instance: {term}"),
            )),
        }
    }
}

/// The default socket of a state directory.
pub fn default_socket(dir: &Path) -> PathBuf {
    dir.join("vnet.sock")
}

/// Binds the socket: refuses a live one, replaces a stale one, and makes it owner-only
/// before it appears at `path`.
fn bind(path: &Path) -> anyhow::Result<std::os::unix::net::UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            anyhow::bail!(
                "{} exists and is not a socket; remove it or choose another --socket",
                path.display()
            );
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => anyhow::bail!(
                "another daemon is listening on {}; stop it or choose another --socket",
                path.display()
            ),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path)?;
            }
            Err(e) => anyhow::bail!("cannot check the socket {}: {e}", path.display()),
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let listener = std::os::unix::net::UnixListener::bind(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&tmp, path)?;
    Ok(listener)
}

/// `vnet daemon`: serves until SIGTERM or SIGINT. `ready` is told the socket's path once it
/// accepts connections.
pub fn run(opts: Options, ready: impl FnOnce(&Path)) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.state_dir)?;
    // Fail now, not on the first request, on a state this vnet cannot use; and create it
    // (with the seed) if there is none, as any `vnet` command does, so that commands run
    // alongside find the same seed.
    {
        let store = Store::open(&opts.state_dir)?;
        let (c, before) = store.load(opts.seed)?;
        c.host(&opts.host)?;
        if before.is_none() {
            store.save(&Store::encode(&c))?;
        }
    }
    let socket = opts
        .socket
        .clone()
        .unwrap_or_else(|| default_socket(&opts.state_dir));
    let listener = bind(&socket)?;
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let host = Arc::new(Host::new(
        opts.state_dir.clone(),
        opts.seed,
        opts.host.clone(),
    ));
    let result = rt.block_on(async {
        let listener = tokio::net::UnixListener::from_std(listener)?;
        ready(&socket);
        serve(listener, host).await
    });
    let _ = std::fs::remove_file(&socket);
    // Dropping the runtime waits for blocking tasks (state writes) in flight.
    drop(rt);
    result
}

async fn serve(listener: tokio::net::UnixListener, host: Arc<Host>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((s, _)) => s,
                    // Out of descriptors or a connection reset before accept: keep serving.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let host = host.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let host = host.clone();
                        async move { Ok::<_, std::convert::Infallible>(routes::handle(host, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        }
    }
}
