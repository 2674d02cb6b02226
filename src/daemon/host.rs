//! What every request shares: the state directory, the simulated host the daemon serves, and
//! the exec instances; and the per-request cycle on the state (a transaction on the state
//! database: reuse the daemon's copy unless another command changed the database, apply,
//! save what changed, commit) on a blocking thread, so a handler is its Docker logic only.
//!
//! The exec instances mirror moby v28.2.2 `daemon/exec/exec.go` (`Config` and its `Store`,
//! found by ID or unique ID prefix); the JSON helpers end as moby's `httputils.WriteJSON`.

use super::http::{self, Reply};
use crate::docker::{Daemon, Error, Kind};
use crate::store::{Cached, CommitError, Scope, Store};
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
    /// `Env`, `WorkingDir`, `User`, `Privileged`.
    pub config: crate::busybox::ExecConfig,
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
    /// The open database and the daemon's copy of the state (reused while no other command
    /// changed the database). Requests take turns on it.
    state: Mutex<(Option<Store>, Option<Cached>)>,
    /// What one request's simulation may spend.
    budget: crate::engine::budget::Budget,
    /// Clients attached to a created container, waiting for it to start (`docker run` in
    /// the foreground attaches first): its start wakes them.
    start_waiters: Mutex<std::collections::BTreeMap<String, Vec<tokio::sync::oneshot::Sender<()>>>>,
    /// The exit codes of containers `--rm` removed as they exited, for a
    /// `wait?condition=removed` that saw them go (the last ones only).
    removed_exits: Mutex<IndexMap<String, i32>>,
    /// The containers' own commands that take time, running in the background by
    /// container ID (`run -d busybox ping -c 3 web`).
    mains: Mutex<std::collections::BTreeMap<String, Arc<BackgroundMain>>>,
    /// How many `logs --follow` readers each container has: its removal lets them read
    /// its last lines first, as moby's log readers drain the file of a closed logger.
    followers: Mutex<std::collections::BTreeMap<String, usize>>,
}

/// A `logs --follow` reader of a container, counted while it reads.
pub(crate) struct Follower {
    host: Arc<Host>,
    id: String,
}

impl Drop for Follower {
    fn drop(&mut self) {
        let mut g = self
            .host
            .followers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = g.get_mut(&self.id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                g.remove(&self.id);
            }
        }
    }
}

/// The longest a removal waits for the container's log followers to read its end.
const FOLLOWERS_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// A container's command the daemon runs in the background: what stops it, and whether it
/// has ended (its changes saved).
pub(crate) struct BackgroundMain {
    /// Set by a stop, kill or removal of its container.
    pub stop: std::sync::atomic::AtomicBool,
    done: tokio::sync::watch::Sender<bool>,
}

/// How many containers' commands the daemon runs in the background at once (past it, a
/// container that takes time is left running without running its command).
pub(crate) const MAX_BACKGROUND_MAINS: usize = 256;

/// How many exit codes of removed containers the daemon remembers.
const MAX_REMOVED_EXITS: usize = 1024;

/// Why host `name` could not be served: not there (404), or its live cluster store did not
/// answer (500).
fn checkout_error(c: &crate::cluster::Cluster, name: &str, e: crate::cluster::HostError) -> Error {
    let kind = if c.hosts.contains_key(name) {
        Kind::System
    } else {
        Kind::NotFound
    };
    Error::new(kind, e.to_string())
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
            state: Mutex::new((None, None)),
            budget: Default::default(),
            start_waiters: Mutex::default(),
            removed_exits: Mutex::default(),
            mains: Mutex::default(),
            followers: Mutex::default(),
        }
    }

    /// Registers container `cid`'s command as running in the background; `None` when one
    /// runs already or [`MAX_BACKGROUND_MAINS`] do.
    pub(crate) fn begin_main(&self, cid: &str) -> Option<Arc<BackgroundMain>> {
        let mut g = self.mains.lock().unwrap_or_else(|p| p.into_inner());
        // One that was told to stop is on its way out: the new start replaces it.
        let stale = g
            .get(cid)
            .is_some_and(|m| m.stop.load(std::sync::atomic::Ordering::Relaxed));
        if (g.contains_key(cid) && !stale) || g.len() >= MAX_BACKGROUND_MAINS {
            return None;
        }
        let (done, _) = tokio::sync::watch::channel(false);
        let m = Arc::new(BackgroundMain {
            stop: std::sync::atomic::AtomicBool::new(false),
            done,
        });
        g.insert(cid.to_string(), m.clone());
        Some(m)
    }

    /// Container `cid`'s background command `main` ended, its changes saved (a newer one
    /// of the same container, started meanwhile, stays).
    pub(crate) fn end_main(&self, cid: &str, main: &Arc<BackgroundMain>) {
        let mut g = self.mains.lock().unwrap_or_else(|p| p.into_inner());
        if g.get(cid).is_some_and(|m| Arc::ptr_eq(m, main)) {
            g.remove(cid);
        }
        drop(g);
        main.done.send_replace(true);
    }

    /// Stops container `cid`'s background command, if one runs, and waits until its
    /// changes are saved (a stop, kill or removal then acts on a container whose command
    /// has let go).
    /// Counts a `logs --follow` reader of container `cid` until the returned guard drops.
    pub(crate) fn follow(self: &Arc<Self>, cid: &str) -> Follower {
        let mut g = self.followers.lock().unwrap_or_else(|p| p.into_inner());
        *g.entry(cid.to_string()).or_insert(0) += 1;
        Follower {
            host: self.clone(),
            id: cid.to_string(),
        }
    }

    /// Waits (a little, at most [`FOLLOWERS_DRAIN`]) for the log followers of container
    /// `cid` to finish: a removal right after the container's end would otherwise take
    /// the lines they have not read yet.
    pub(crate) async fn drain_followers(&self, cid: &str) {
        let start = std::time::Instant::now();
        while start.elapsed() < FOLLOWERS_DRAIN {
            let reading = self
                .followers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(cid)
                .is_some_and(|n| *n > 0);
            if !reading {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    pub(crate) async fn interrupt_main(&self, cid: &str) {
        let m = self
            .mains
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(cid)
            .cloned();
        if let Some(m) = m {
            let mut rx = m.done.subscribe();
            m.stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(30), rx.wait_for(|d| *d)).await;
        }
    }

    /// Interrupts every container command running in the background, as the daemon stops:
    /// each saves what it did and lets its container be, still running in the state (the
    /// simulation of its command ends with the daemon, as with dockerd's live restore).
    pub(crate) fn interrupt_all_mains(&self) {
        let g = self.mains.lock().unwrap_or_else(|p| p.into_inner());
        for m in g.values() {
            m.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Waits for container `cid`'s start (see `start_waiters`).
    pub(crate) fn wait_start(&self, cid: &str) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut g = self.start_waiters.lock().unwrap_or_else(|p| p.into_inner());
        // Clients that went away leave closed senders: drop them (what is left is bounded
        // by the connections served).
        g.retain(|_, waiting| {
            waiting.retain(|w| !w.is_closed());
            !waiting.is_empty()
        });
        g.entry(cid.to_string()).or_default().push(tx);
        rx
    }

    /// Whether a client attached to container `cid` waits for its start.
    pub(crate) fn start_awaited(&self, cid: &str) -> bool {
        let g = self.start_waiters.lock().unwrap_or_else(|p| p.into_inner());
        g.get(cid).is_some_and(|w| w.iter().any(|w| !w.is_closed()))
    }

    /// Container `cid` started (or failed to): wakes the clients waiting for it.
    pub(crate) fn started(&self, cid: &str) {
        let mut g = self.start_waiters.lock().unwrap_or_else(|p| p.into_inner());
        for w in g.remove(cid).unwrap_or_default() {
            let _ = w.send(());
        }
    }

    /// Container `cid` exited with `code` (and may be gone with `--rm`).
    pub(crate) fn note_exit(&self, cid: &str, code: i32) {
        let mut g = self.removed_exits.lock().unwrap_or_else(|p| p.into_inner());
        g.shift_remove(cid);
        if g.len() >= MAX_REMOVED_EXITS {
            g.shift_remove_index(0);
        }
        g.insert(cid.to_string(), code);
    }

    /// The code container `cid` last exited with, as [`Host::note_exit`] noted it.
    pub(crate) fn exit_noted(&self, cid: &str) -> Option<i32> {
        let g = self.removed_exits.lock().unwrap_or_else(|p| p.into_inner());
        g.get(cid).copied()
    }

    /// The same host, whose requests' simulations may spend `budget`.
    pub(crate) fn with_budget(self, budget: crate::engine::budget::Budget) -> Host {
        Host { budget, ..self }
    }

    /// Runs `f` on the served host's engine, in a transaction on the database: a read when
    /// `write` is false, else under the write lock, saving what `f` changed if it succeeded
    /// (committed before the answer goes out). The whole state is the daemon's copy, kept
    /// while no other command changes the database; a part (`scope`) is read for the one
    /// request, and one too narrow for what `f` changed is caught at the save: `f` runs
    /// again on the whole state.
    fn run_on<T>(
        &self,
        scope: &Scope,
        write: bool,
        mut f: impl FnMut(&mut Daemon) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (store, cached) = &mut *g;
        let store = match store {
            Some(s) => s,
            s => s.insert(Store::open(&self.dir, self.seed).map_err(store_error)?),
        };
        let mut scope = scope.clone();
        let mut moved = 0;
        loop {
            let whole = scope == Scope::All;
            let mut loaded = if whole {
                store.load_cached(write, self.seed, cached.take())
            } else {
                store.load(&scope, write, self.seed)
            }
            .map_err(store_error)?;
            loaded.cluster.budget = self.budget;
            let mut d = loaded
                .cluster
                .checkout(&self.name)
                .map_err(|e| checkout_error(&loaded.cluster, &self.name, e))?;
            let out = f(&mut d);
            // Noted before the removal is committed, so a waiter never sees it gone first.
            if out.is_ok() {
                for (cid, code) in std::mem::take(&mut d.removed_exits) {
                    self.note_exit(&cid, code);
                }
            }
            loaded.cluster.checkin(d);
            if !write || out.is_err() {
                // A failed request changed nothing (the engine's rule): keep the copy as read,
                // and write nothing to a live cluster store.
                loaded.cluster.live = Default::default();
                if whole {
                    *cached = Some(loaded.keep());
                }
                return out;
            }
            let committed = if whole {
                loaded.commit_keep().map(|c| *cached = Some(c))
            } else {
                loaded.commit().map(|_| ())
            };
            match committed {
                Ok(()) => return out,
                Err(CommitError::ScopeMiss) => scope = Scope::All,
                // Another daemon changed the live cluster store: run again on what is there.
                Err(CommitError::StoreMoved) if moved < crate::store::STORE_RETRIES => {
                    crate::store::store_backoff(moved);
                    moved += 1;
                }
                Err(CommitError::StoreMoved) => {
                    return Err(store_error(crate::store::store_kept_moving()));
                }
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    /// Runs `f` (an exec, which may run until its client goes away) on the part of the
    /// state `scope` names without holding the state while it runs: other requests, and
    /// other vnet commands, go on meanwhile. What `f` changed is then saved, merged with what
    /// they saved (see [`Store::run_detached`]); the inner result is that save's.
    pub(crate) fn run_detached<T>(
        &self,
        scope: &Scope,
        f: impl FnOnce(&mut Daemon) -> Result<T, Error>,
    ) -> Result<(T, Result<(), Error>), Error> {
        let (read, mut cluster) = self.with_store(|s| s.read_detached(scope, self.seed))?;
        cluster.budget = self.budget;
        let mut d = cluster
            .checkout(&self.name)
            .map_err(|e| checkout_error(&cluster, &self.name, e))?;
        let out = f(&mut d);
        if out.is_ok() {
            for (cid, code) in std::mem::take(&mut d.removed_exits) {
                self.note_exit(&cid, code);
            }
        }
        cluster.checkin(d);
        // A failed request changed nothing (the engine's rule).
        let out = out?;
        let saved = self.with_store(|s| s.write_detached(read, cluster, self.seed));
        Ok((out, saved))
    }

    /// Runs `f` on the open database, under the state's lock.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, crate::store::StoreError>,
    ) -> Result<T, Error> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let store = match &mut g.0 {
            Some(s) => s,
            s => s.insert(Store::open(&self.dir, self.seed).map_err(store_error)?),
        };
        f(store).map_err(store_error)
    }

    /// Runs `f` once on the whole state.
    fn with_state<T>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Daemon) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut f = Some(f);
        // A run on the whole state is never repeated (only a partial load that turns out too
        // narrow is).
        self.run_on(&Scope::All, write, |d| match f.take() {
            Some(f) => f(d),
            None => Err(Error::new(Kind::System, "a request ran twice")),
        })
    }

    /// Runs `f` on the part of the state `scope` names, without saving.
    pub(crate) fn read_part<T>(&self, scope: &Scope, f: impl Fn(&Daemon) -> T) -> Result<T, Error> {
        self.run_on(scope, false, |d| Ok(f(d)))
    }

    /// Runs `f` on the state, without saving.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Daemon) -> T) -> Result<T, Error> {
        self.with_state(false, |d| Ok(f(d)))
    }

    /// Runs `f` on the state and saves what it changed if it succeeded.
    /// (`f` runs again when another daemon changed the live cluster store under it.)
    pub(crate) fn write<T>(
        &self,
        f: impl FnMut(&mut Daemon) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.run_on(&Scope::All, true, f)
    }

    /// Stores a new exec instance and returns its ID (64 hex, derived from the seed and a
    /// counter, like every other ID).
    pub(crate) fn add_exec(&self, mut e: ExecInstance) -> String {
        let mut g = self.execs.lock().unwrap_or_else(|p| p.into_inner());
        // The daemon's state draws the ID as it logs the exec's creation.
        if e.id.is_empty() {
            let seed = self.seed.unwrap_or(crate::rng::DEFAULT_SEED);
            e.id = crate::rng::hex_id(seed, &format!("exec/{}", g.0));
        }
        g.0 += 1;
        let id = e.id.clone();
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
            match hits.as_slice() {
                [one] => Some((*one).clone()),
                _ => None,
            }
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
    f: impl FnMut(&mut Daemon) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    blocking(host, move |h| h.write(f)).await.and_then(|r| r)
}

/// [`read`] of the part of the state `scope` names (see [`Scope`]).
pub(crate) async fn read_in<T: Send + 'static>(
    host: &Arc<Host>,
    scope: Scope,
    f: impl Fn(&Daemon) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    blocking(host, move |h| h.run_on(&scope, false, |d| f(d)))
        .await
        .and_then(|r| r)
}

/// [`write`] on the part of the state `scope` names; the whole state if `f` reaches past it.
pub(crate) async fn write_in<T: Send + 'static>(
    host: &Arc<Host>,
    scope: Scope,
    f: impl Fn(&mut Daemon) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    blocking(host, move |h| h.run_on(&scope, true, f))
        .await
        .and_then(|r| r)
}

/// [`read_in`], answered as JSON with 200.
pub(crate) async fn read_json_in(
    host: &Arc<Host>,
    scope: Scope,
    f: impl Fn(&Daemon) -> Result<Value, Error> + Send + 'static,
) -> Result<Reply, Error> {
    Ok(http::json(200, &read_in(host, scope, f).await?))
}

/// [`write_in`], answered as JSON with `code`.
pub(crate) async fn write_json_in(
    host: &Arc<Host>,
    scope: Scope,
    code: u16,
    f: impl Fn(&mut Daemon) -> Result<Value, Error> + Send + 'static,
) -> Result<Reply, Error> {
    Ok(http::json(code, &write_in(host, scope, f).await?))
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
    f: impl FnMut(&mut Daemon) -> Result<Value, Error> + Send + 'static,
) -> Result<Reply, Error> {
    Ok(http::json(code, &write(host, f).await?))
}
