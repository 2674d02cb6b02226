//! What every request shares: the state directory, the simulated host the daemon serves, and
//! the exec instances; and the per-request cycle on the state (take the directory's lock,
//! load the state fresh, apply, save if it changed, release the lock) on a blocking thread,
//! so a handler is its Docker logic only.
//!
//! The exec instances mirror moby v28.2.2 `daemon/exec/exec.go` (`Config` and its `Store`,
//! found by ID or unique ID prefix); the JSON helpers end as moby's `httputils.WriteJSON`.

use super::http::{self, Reply};
use crate::cluster::Cluster;
use crate::docker::{Daemon, Error, Kind};
use crate::store::Store;
use indexmap::IndexMap;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
    pub(crate) fn new(dir: PathBuf, seed: Option<u64>, name: String) -> Host {
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
            None => Err(Error::no_such_exec(term)),
        }
    }
}

/// Runs blocking work (the state's lock, file reads and writes) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    host: &Arc<Host>,
    f: impl FnOnce(&Host) -> T + Send + 'static,
) -> Result<T, Error> {
    let host = host.clone();
    tokio::task::spawn_blocking(move || f(&host))
        .await
        .map_err(|e| Error::new(Kind::System, format!("request failed: {e}")))
}

/// [`Host::read`] on a blocking thread: what `f` answers from the state, or its error.
pub(crate) async fn read<T: Send + 'static>(
    host: &Arc<Host>,
    f: impl FnOnce(&Daemon) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    blocking(host, move |h| h.read(f))
        .await
        .and_then(|r| r)
        .and_then(|r| r)
}

/// [`Host::write`] on a blocking thread: `f` applied to the state, saved if it succeeded.
pub(crate) async fn write<T: Send + 'static>(
    host: &Arc<Host>,
    f: impl FnOnce(&mut Daemon) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    blocking(host, move |h| h.write(f)).await.and_then(|r| r)
}

/// [`read`], answered as JSON with 200.
pub(crate) async fn read_json(
    host: &Arc<Host>,
    f: impl FnOnce(&Daemon) -> Result<Value, Error> + Send + 'static,
) -> Result<Reply, Error> {
    Ok(http::json(200, &read(host, f).await?))
}

/// [`write`], answered as JSON with `code`.
pub(crate) async fn write_json(
    host: &Arc<Host>,
    code: u16,
    f: impl FnOnce(&mut Daemon) -> Result<Value, Error> + Send + 'static,
) -> Result<Reply, Error> {
    Ok(http::json(code, &write(host, f).await?))
}
