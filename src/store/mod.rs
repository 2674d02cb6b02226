//! The state directory: where the simulated hosts live between commands.
//!
//! One SQLite database, `state.db` (WAL mode), holds every host, network, endpoint,
//! container and cluster-store key as rows ([`schema`]). A command opens one transaction:
//! a writer takes SQLite's write lock (`BEGIN IMMEDIATE`, waiting up to [`busy_timeout`] for
//! another writer), a reader reads a consistent snapshot and never waits. It loads what it
//! touches ([`Scope`], [`rows::load`]) and saves what it changed as row updates
//! ([`rows::save`]); a crash or SIGKILL at any point leaves the last committed state.
//!
//! A `state.json` of an earlier vnet (the JSON document, [`document`]) is migrated on first
//! use and kept as `state.json.bak`. `vnet state export` prints the same document.

pub mod document;
pub mod merge;
pub mod rows;
pub mod schema;
pub mod scope;

pub use document::DOCUMENT_VERSION;
pub use rows::{SaveError, Snapshot};
pub use scope::{Scope, Want};

use crate::cluster::Cluster;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database's file name in the state directory.
pub const DB_FILE: &str = "state.db";
const LEGACY_FILE: &str = "state.json";
const MIGRATING_FILE: &str = "state.db.migrating";
/// How long a writer waits for another writer before giving up, unless
/// `VNET_BUSY_TIMEOUT` (whole seconds) says otherwise.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The busy timeout in force: `VNET_BUSY_TIMEOUT` seconds, else [`BUSY_TIMEOUT`].
pub fn busy_timeout() -> Duration {
    std::env::var("VNET_BUSY_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(BUSY_TIMEOUT, |s| Duration::from_secs(s.min(86_400)))
}

/// What can go wrong with the state directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No directory could be chosen.
    #[error(
        "cannot choose a state directory: set --state-dir, VNET_STATE_DIR, XDG_STATE_HOME or HOME"
    )]
    NoDirectory,
    /// A file system operation failed.
    #[error("state directory {path}: {reason}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        reason: io::Error,
    },
    /// A file or directory of the state is not one vnet may trust.
    #[error("state {path} {why}")]
    Unsafe {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong, and what to do.
        why: String,
    },
    /// The database refused an operation.
    #[error("state database {path}: {detail}")]
    Db {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// Another command held the write lock too long.
    #[error(
        "state database {path} is busy: another vnet command has held it for {}s; try again when it ends (VNET_BUSY_TIMEOUT sets how long to wait, in seconds)",
        waited.as_secs()
    )]
    Busy {
        /// The database.
        path: PathBuf,
        /// How long this command waited.
        waited: Duration,
    },
    /// The state does not parse or fails its integrity check.
    #[error(
        "state {path} is corrupt ({detail}); it was left as it is (vnet does not repair a state): `vnet state check` reports it; move it away, or run `vnet system reset -f` to start over"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A newer vnet wrote the state.
    #[error(
        "state {path} has format version {found}, newer than this vnet reads ({supported}); it was left as it is: use a newer vnet"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this vnet reads.
        supported: i64,
    },
    /// A command that ran without the write lock changed what another command changed
    /// meanwhile; its changes were not saved.
    #[error(
        "{object} changed in {path} while the command ran; what the command changed (counters, caches, the clock) was not saved"
    )]
    Conflict {
        /// The database.
        path: PathBuf,
        /// The object both changed.
        object: String,
    },
    /// The live cluster store (`vnet daemon --cluster-store etcd://…`) did not take the
    /// command's changes: unreachable, refusing, or changed by other daemons every time the
    /// command ran again. Nothing was saved.
    #[error("{0}")]
    ClusterStore(String),
    /// `--seed` disagrees with the state's seed.
    #[error(
        "the state in {dir} was created with seed {existing}, not {requested}; run `vnet system reset -f --seed {requested}` to start over with that seed"
    )]
    SeedMismatch {
        /// The directory.
        dir: PathBuf,
        /// The state's seed.
        existing: u64,
        /// The seed asked for.
        requested: u64,
    },
}

/// Picks the state directory: `--state-dir`, else `VNET_STATE_DIR`, else
/// `$XDG_STATE_HOME/vnet`, else `~/.local/state/vnet`.
pub fn resolve_dir(flag: Option<&Path>) -> Result<PathBuf, StoreError> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = env("VNET_STATE_DIR") {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = env("XDG_STATE_HOME") {
        return Ok(PathBuf::from(p).join("vnet"));
    }
    if let Some(h) = env("HOME") {
        return Ok(PathBuf::from(h).join(".local/state/vnet"));
    }
    Err(StoreError::NoDirectory)
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |reason| StoreError::Io {
        path: path.to_path_buf(),
        reason,
    }
}

/// An open state database.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    path: PathBuf,
    conn: Connection,
}

/// A whole state kept in memory between transactions (the daemon's copy), and the
/// database generation it is current at.
#[derive(Debug)]
pub struct Cached {
    /// The generation.
    pub generation: u64,
    /// The state.
    pub cluster: Cluster,
    /// What was read, to save against.
    pub snapshot: Snapshot,
}

/// What a detached command read ([`Store::read_detached`]), to save its result against.
#[derive(Debug)]
pub struct DetachedRead {
    scope: Scope,
    generation: u64,
    snapshot: Snapshot,
    base: Cluster,
}

/// A state loaded in a transaction: save it, then commit.
pub struct Loaded<'a> {
    tx: rusqlite::Transaction<'a>,
    path: PathBuf,
    generation: u64,
    /// The state.
    pub cluster: Cluster,
    /// What was read, to save against.
    pub snapshot: Snapshot,
}

impl Store {
    /// Opens the state in `dir`, creating the directory (0700) and the database (0600) if
    /// needed, migrating an earlier `state.json`, and making a fresh state (with `seed`, else
    /// the default) if there is none.
    pub fn open(dir: &Path, seed: Option<u64>) -> Result<Store, StoreError> {
        if let Ok(m) = fs::symlink_metadata(dir)
            && m.file_type().is_symlink()
            && fs::metadata(dir).is_err()
        {
            let to = fs::read_link(dir).unwrap_or_default();
            return Err(StoreError::Unsafe {
                path: dir.to_path_buf(),
                why: format!(
                    "is a symbolic link to {}, which does not exist: create that directory, or remove the link",
                    to.display()
                ),
            });
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir))?;
        check_dir(dir)?;
        let path = dir.join(DB_FILE);
        let legacy = dir.join(LEGACY_FILE);
        if !path.exists() && legacy.exists() {
            migrate_legacy(dir, &legacy, &path)?;
        }
        if !path.exists() {
            // Created here, so that SQLite's files take its mode.
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        let mut store = Store {
            dir: dir.to_path_buf(),
            conn: connect(&path)?,
            path,
        };
        store.prepare(seed)?;
        // A migration that stopped between its two renames leaves the old file beside.
        if legacy.exists() {
            let bak = dir.join(format!("{LEGACY_FILE}.bak"));
            if !bak.exists() {
                fs::rename(&legacy, &bak).map_err(io_err(&legacy))?;
            }
        }
        Ok(store)
    }

    /// Brings the schema up to date and makes a fresh state if there is none.
    fn prepare(&mut self, seed: Option<u64>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let db = |e: rusqlite::Error| db_error(&path, e);
        let version = schema::version(&self.conn).map_err(db)?;
        if version > schema::SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        if version == schema::SCHEMA_VERSION && rows::exists(&self.conn).map_err(db)? {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let version = schema::version(&tx).map_err(db)?;
        if version < schema::SCHEMA_VERSION {
            schema::migrate(&tx, version).map_err(db)?;
        }
        if !rows::exists(&tx).map_err(db)? {
            let mut c = Cluster::new(seed.unwrap_or(crate::rng::DEFAULT_SEED));
            rows::replace(&tx, &mut c).map_err(|e| save_error(&path, e))?;
        }
        tx.commit().map_err(db)?;
        Ok(())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins a transaction and loads what `scope` asks for. A `write` transaction holds the
    /// write lock until it is committed or dropped; a read never waits for a writer.
    pub fn load(
        &mut self,
        scope: &Scope,
        write: bool,
        seed: Option<u64>,
    ) -> Result<Loaded<'_>, StoreError> {
        self.begin(scope, write, seed, None)
    }

    /// Begins a transaction on the whole state, reusing `cached` if no command changed the
    /// database since it was read (else reading it anew).
    pub fn load_cached(
        &mut self,
        write: bool,
        seed: Option<u64>,
        cached: Option<Cached>,
    ) -> Result<Loaded<'_>, StoreError> {
        self.begin(&Scope::All, write, seed, cached)
    }

    fn begin(
        &mut self,
        scope: &Scope,
        write: bool,
        seed: Option<u64>,
        cached: Option<Cached>,
    ) -> Result<Loaded<'_>, StoreError> {
        let path = self.path.clone();
        let behavior = if write {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        let tx = self
            .conn
            .transaction_with_behavior(behavior)
            .map_err(|e| db_error(&path, e))?;
        let generation = rows::generation(&tx).map_err(|e| db_error(&path, e))?;
        let exists = rows::exists(&tx).map_err(|e| db_error(&path, e))?;
        let (cluster, snapshot, fresh) = match cached {
            Some(c) if c.generation == generation && c.snapshot.is_full() => {
                (c.cluster, c.snapshot, false)
            }
            // Reset since it was opened: a fresh state, saved by the first write.
            _ if !exists => (
                Cluster::new(seed.unwrap_or(crate::rng::DEFAULT_SEED)),
                Snapshot::whole_new(),
                false,
            ),
            _ => {
                let (c, s) = rows::load(&tx, scope).map_err(|e| db_error(&path, e))?;
                (c, s, true)
            }
        };
        if let Some(s) = seed
            && s != cluster.seed
        {
            return Err(StoreError::SeedMismatch {
                dir: self.dir.clone(),
                existing: cluster.seed,
                requested: s,
            });
        }
        if fresh {
            rows::check(&cluster, &snapshot).map_err(|detail| StoreError::Corrupt {
                path: path.clone(),
                detail,
            })?;
        }
        Ok(Loaded {
            tx,
            path,
            generation,
            cluster,
            snapshot,
        })
    }

    /// Runs one command: loads what `scope` names, runs `f` on it, and (for a `write`)
    /// saves what it changed. If the load was too narrow for what `f` changed, nothing is
    /// written and `f` runs again on the whole state; so `f` must be repeatable (it is the
    /// command, run on a fresh load each time).
    pub fn run<R>(
        &mut self,
        scope: &Scope,
        write: bool,
        seed: Option<u64>,
        mut f: impl FnMut(&mut Cluster) -> R,
    ) -> Result<R, StoreError> {
        let mut scope = scope.clone();
        let mut moved = 0;
        loop {
            let mut loaded = self.load(&scope, write, seed)?;
            let out = f(&mut loaded.cluster);
            if !write {
                return Ok(out);
            }
            match loaded.commit() {
                Ok(_) => return Ok(out),
                Err(CommitError::StoreMoved) if moved < STORE_RETRIES => {
                    store_backoff(moved);
                    moved += 1;
                }
                Err(CommitError::StoreMoved) => return Err(store_kept_moving()),
                Err(CommitError::ScopeMiss) if scope != Scope::All => scope = Scope::All,
                Err(CommitError::ScopeMiss) => {
                    return Err(save_error(&self.path, SaveError::ScopeMiss));
                }
                Err(CommitError::Store(e)) => return Err(e),
            }
        }
    }

    /// Runs one command that may take as long as its user wants (`exec`, `attach`): loads
    /// what `scope` names in a read transaction and lets go of the database, runs `f` with no
    /// lock held (other commands proceed), then takes the write lock and saves what `f`
    /// changed, merged with what other commands saved meanwhile ([`merge`]). `f` runs once
    /// (its output may already be on the user's terminal). The outer error is the load's;
    /// the inner one is the write-back's (a [`StoreError::Conflict`] leaves the database as
    /// the other commands left it).
    pub fn run_detached<R>(
        &mut self,
        scope: &Scope,
        seed: Option<u64>,
        f: impl FnOnce(&mut Cluster) -> R,
    ) -> Result<(R, Result<(), StoreError>), StoreError> {
        let (read, mut ours) = self.read_detached(scope, seed)?;
        let out = f(&mut ours);
        Ok((out, self.write_detached(read, ours, seed)))
    }

    /// The first half of [`Store::run_detached`]: what `scope` names, read in a transaction
    /// that has ended when this returns; run the command on the cluster, then hand both to
    /// [`Store::write_detached`].
    pub fn read_detached(
        &mut self,
        scope: &Scope,
        seed: Option<u64>,
    ) -> Result<(DetachedRead, Cluster), StoreError> {
        let Cached {
            generation,
            cluster,
            snapshot,
        } = self.load(scope, false, seed)?.keep();
        let read = DetachedRead {
            scope: scope.clone(),
            generation,
            snapshot,
            base: cluster.clone(),
        };
        Ok((read, cluster))
    }

    /// The second half of [`Store::run_detached`]: saves `ours`, the command's result from
    /// `read`, merging it with whatever was saved since.
    pub fn write_detached(
        &mut self,
        read: DetachedRead,
        ours: Cluster,
        seed: Option<u64>,
    ) -> Result<(), StoreError> {
        let DetachedRead {
            scope,
            generation,
            snapshot,
            base,
        } = read;
        if ours == base {
            return Ok(());
        }
        // What it writes to a live store goes with whichever state is saved (the commit
        // writes it there, last).
        let mut ours = ours;
        let live = std::mem::take(&mut ours.live);
        let mut snapshot = Some(snapshot);
        let mut scope = scope;
        let path = self.path.clone();
        loop {
            let mut loaded = self.load(&scope, true, seed)?;
            match snapshot.take() {
                // Nothing saved since: save against what was read.
                Some(s) if loaded.generation == generation => {
                    loaded.cluster = ours.clone();
                    loaded.snapshot = s;
                }
                _ => {
                    loaded.cluster = merge::merge(&base, &ours, &loaded.cluster).map_err(|c| {
                        StoreError::Conflict {
                            path: path.clone(),
                            object: c.object,
                        }
                    })?;
                }
            }
            loaded.cluster.live = live.clone();
            match loaded.commit() {
                Ok(_) => return Ok(()),
                Err(CommitError::ScopeMiss) if scope != Scope::All => scope = Scope::All,
                Err(CommitError::ScopeMiss) => {
                    return Err(save_error(&self.path, SaveError::ScopeMiss));
                }
                Err(CommitError::Store(e)) => return Err(e),
                // It ran once, its output shown: it cannot run again on the store as it is.
                Err(CommitError::StoreMoved) => {
                    return Err(StoreError::ClusterStore(
                        "the cluster store changed while the command ran; nothing it changed was saved".into(),
                    ));
                }
            }
        }
    }

    /// The change counter: it moves whenever any command changes the state.
    pub fn generation(&self) -> Result<u64, StoreError> {
        rows::generation(&self.conn).map_err(|e| db_error(&self.path, e))
    }

    /// `vnet system reset`: removes every object and the clock; with `seed`, starts a fresh
    /// state on it (else the next command starts one, on its own seed).
    pub fn reset(&mut self, seed: Option<u64>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, e))?;
        match seed {
            Some(seed) => {
                rows::replace(&tx, &mut Cluster::new(seed)).map_err(|e| save_error(&path, e))?
            }
            None => rows::clear(&tx).map_err(|e| db_error(&path, e))?,
        }
        tx.commit().map_err(|e| db_error(&path, e))?;
        Ok(())
    }

    /// `vnet state import`: replaces the state with a document's, after checking it.
    pub fn import(&mut self, bytes: &[u8], origin: &Path) -> Result<(), StoreError> {
        let mut c = decode_checked(bytes, origin)?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, e))?;
        rows::replace(&tx, &mut c).map_err(|e| save_error(&path, e))?;
        tx.commit().map_err(|e| db_error(&path, e))?;
        Ok(())
    }

    /// `vnet state check`: SQLite's integrity check and vnet's own cross-references over
    /// the whole state.
    pub fn check(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let faults: Vec<String> = {
            let mut st = self
                .conn
                .prepare("PRAGMA integrity_check")
                .map_err(|e| db_error(&path, e))?;
            st.query_map([], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect())
                .map_err(|e| db_error(&path, e))?
        };
        if faults != ["ok"] {
            return Err(StoreError::Corrupt {
                path,
                detail: faults.join("; "),
            });
        }
        self.load(&Scope::All, false, None).map(drop)
    }

    /// Serialises a state as one document (`vnet state export`, the earlier `state.json`).
    pub fn encode(c: &Cluster) -> Vec<u8> {
        document::encode(c)
    }
}

impl Loaded<'_> {
    /// Writes what the command changed (row updates) and commits. Returns whether anything
    /// changed. [`SaveError::ScopeMiss`] rolls back: run the command again on the whole
    /// state.
    pub fn commit(mut self) -> Result<bool, CommitError> {
        let changed =
            rows::save(&self.tx, &mut self.cluster, &mut self.snapshot).map_err(|e| match e {
                SaveError::ScopeMiss => CommitError::ScopeMiss,
                e => CommitError::Store(save_error(&self.path, e)),
            })?;
        // The live store last of all but the commit: a save that fails writes nothing there.
        publish(&mut self.cluster)?;
        self.tx
            .commit()
            .map_err(|e| CommitError::Store(db_error(&self.path, e)))?;
        Ok(changed)
    }

    /// Writes what changed and commits, keeping the state in memory (the daemon's copy
    /// stays current).
    pub fn commit_keep(self) -> Result<Cached, CommitError> {
        let Loaded {
            tx,
            path,
            generation,
            mut cluster,
            mut snapshot,
        } = self;
        let changed = rows::save(&tx, &mut cluster, &mut snapshot).map_err(|e| match e {
            SaveError::ScopeMiss => CommitError::ScopeMiss,
            e => CommitError::Store(save_error(&path, e)),
        })?;
        publish(&mut cluster)?;
        tx.commit()
            .map_err(|e| CommitError::Store(db_error(&path, e)))?;
        Ok(Cached {
            generation: generation + u64::from(changed),
            cluster,
            snapshot,
        })
    }

    /// Ends the transaction without writing, keeping the state in memory.
    pub fn keep(self) -> Cached {
        Cached {
            generation: self.generation,
            cluster: self.cluster,
            snapshot: self.snapshot,
        }
    }
}

/// Why a commit did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The command changed something its partial load did not read; nothing was written.
    #[error("the command reached beyond what it loaded")]
    ScopeMiss,
    /// Another daemon changed the live cluster store since the command read it; nothing was
    /// written: run the command again.
    #[error("the cluster store changed while the command ran")]
    StoreMoved,
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many times a command runs again because other daemons changed the live cluster store
/// under it before it gives up.
pub const STORE_RETRIES: usize = 24;

/// Waits before the `moved`th run again of a command another daemon's write overtook: a
/// random pause of up to 10 ms doubled with each retry (at most 640 ms), so that daemons
/// writing at once take turns instead of overtaking each other forever. (Live stores are
/// outside the deterministic simulation: the pause comes from the wall clock.)
pub fn store_backoff(moved: usize) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let ceiling = 10u64 << moved.min(6);
    let ms = u64::from(nanos) % ceiling.max(1);
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

/// The error of a command that other daemons' changes kept overtaking.
pub fn store_kept_moving() -> StoreError {
    StoreError::ClusterStore(format!(
        "the cluster store changed under the command {} times in a row; nothing was saved, try again",
        STORE_RETRIES + 1
    ))
}

/// Writes a command's changes to live cluster stores: the last thing a commit does before
/// the database's own commit.
fn publish(cluster: &mut Cluster) -> Result<(), CommitError> {
    cluster.publish().map_err(|e| match e {
        crate::cluster::PublishError::Moved(_) => CommitError::StoreMoved,
        crate::cluster::PublishError::Store(e) => {
            CommitError::Store(StoreError::ClusterStore(format!("{e}; nothing was saved")))
        }
    })
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NOFOLLOW
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| db_error(path, e))?;
    conn.busy_timeout(busy_timeout())
        .map_err(|e| db_error(path, e))?;
    // WAL: readers never wait for the writer. FULL: a commit is on disk before the command
    // answers.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| db_error(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| db_error(path, e))?;
    Ok(conn)
}

fn db_error(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, C::DatabaseBusy | C::DatabaseLocked) =>
        {
            StoreError::Busy {
                path: path.to_path_buf(),
                waited: busy_timeout(),
            }
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, C::DatabaseCorrupt | C::NotADatabase) =>
        {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }
        }
        rusqlite::Error::FromSqlConversionFailure(..) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => StoreError::Db {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
    }
}

fn save_error(path: &Path, e: SaveError) -> StoreError {
    match e {
        SaveError::Db(e) => db_error(path, e),
        SaveError::Inconsistent(detail) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
        SaveError::ScopeMiss => StoreError::Db {
            path: path.to_path_buf(),
            detail: "a whole-state save reached beyond its load".to_string(),
        },
    }
}

/// Parses a document and checks its cross-references.
fn decode_checked(bytes: &[u8], origin: &Path) -> Result<Cluster, StoreError> {
    let c = document::decode(bytes).map_err(|e| match e {
        document::DocumentError::Corrupt(detail) => StoreError::Corrupt {
            path: origin.to_path_buf(),
            detail,
        },
        document::DocumentError::TooNew(found) => StoreError::TooNew {
            path: origin.to_path_buf(),
            found: found.into(),
            supported: DOCUMENT_VERSION.into(),
        },
    })?;
    let snap = Snapshot::whole_new();
    rows::check(&c, &snap).map_err(|detail| StoreError::Corrupt {
        path: origin.to_path_buf(),
        detail,
    })?;
    Ok(c)
}

/// Removes the state database's files (and an earlier vnet's `state.json`): what `vnet
/// system reset` does to a state it cannot open.
pub fn remove(dir: &Path) -> Result<(), StoreError> {
    for name in [
        DB_FILE.to_string(),
        format!("{DB_FILE}-wal"),
        format!("{DB_FILE}-shm"),
        LEGACY_FILE.to_string(),
        format!("{LEGACY_FILE}.tmp"),
        MIGRATING_FILE.to_string(),
    ] {
        let p = dir.join(name);
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&p)(e)),
        }
    }
    Ok(())
}

/// Turns an earlier vnet's `state.json` into `state.db`: built beside under another name,
/// renamed into place when complete, then the old file renamed to `state.json.bak`. A crash
/// at any point leaves either the old file alone (the migration runs again) or the database
/// (and the old file, renamed on the next open).
/// The files vnet creates in the state directory, none of which may be a symbolic link.
const OWN_FILES: [&str; 5] = [
    DB_FILE,
    "state.db-wal",
    "state.db-shm",
    "state.db-journal",
    MIGRATING_FILE,
];

/// Refuses a state directory that another user owns (they could read or change every
/// container's state, or plant links), that is not a directory, or where one of vnet's own
/// files is a symbolic link (a write through it would land elsewhere).
fn check_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let unsafe_ = |path: &Path, why: String| StoreError::Unsafe {
        path: path.to_path_buf(),
        why,
    };
    let m = fs::metadata(dir).map_err(io_err(dir))?;
    if !m.is_dir() {
        return Err(unsafe_(dir, "is not a directory".into()));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if m.uid() != me {
        return Err(unsafe_(
            dir,
            format!(
                "is owned by user {}, not by you (user {me}): vnet keeps its state only in a directory of your own; choose another with --state-dir or VNET_STATE_DIR",
                m.uid()
            ),
        ));
    }
    for name in OWN_FILES {
        let p = dir.join(name);
        if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(unsafe_(
                &p,
                "is a symbolic link, and vnet follows no link in its state directory: remove it"
                    .into(),
            ));
        }
    }
    Ok(())
}

fn migrate_legacy(dir: &Path, legacy: &Path, path: &Path) -> Result<(), StoreError> {
    let bytes = fs::read(legacy).map_err(io_err(legacy))?;
    let mut c = decode_checked(&bytes, legacy)?;
    let tmp = dir.join(MIGRATING_FILE);
    for p in [tmp.clone(), dir.join(format!("{MIGRATING_FILE}-journal"))] {
        match fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&p)(e)),
        }
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    {
        let mut conn = Connection::open(&tmp).map_err(|e| db_error(&tmp, e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| db_error(&tmp, e))?;
        let tx = conn.transaction().map_err(|e| db_error(&tmp, e))?;
        schema::migrate(&tx, 0).map_err(|e| db_error(&tmp, e))?;
        rows::replace(&tx, &mut c).map_err(|e| save_error(&tmp, e))?;
        tx.commit().map_err(|e| db_error(&tmp, e))?;
        conn.close().map_err(|(_, e)| db_error(&tmp, e))?;
    }
    fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{ContainerCreateRequest, NetworkCreateRequest};

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vnet-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn run(c: &mut Cluster, name: &str, net: &str) -> String {
        c.with_host("default", |d| {
            let id = d
                .container_create(ContainerCreateRequest {
                    name: Some(name.into()),
                    image: "busybox".into(),
                    tty: true,
                    open_stdin: true,
                    network_mode: net.into(),
                    ..Default::default()
                })
                .unwrap();
            d.container_start(&id).unwrap();
            id
        })
        .unwrap()
    }

    #[test]
    fn round_trip_and_row_updates() {
        let dir = tempdir("rt");
        let mut s = Store::open(&dir, Some(7)).unwrap();
        let mut l = s.load(&Scope::All, true, None).unwrap();
        l.cluster
            .with_host("default", |d| {
                d.network_create(NetworkCreateRequest {
                    name: "n1".into(),
                    ..Default::default()
                })
            })
            .unwrap()
            .unwrap();
        run(&mut l.cluster, "c1", "n1");
        run(&mut l.cluster, "c2", "n1");
        let want = Store::encode(&l.cluster);
        assert!(l.commit().unwrap());
        let g = s.generation().unwrap();
        let l = s.load(&Scope::All, true, None).unwrap();
        assert_eq!(Store::encode(&l.cluster), want);
        // Nothing changed: nothing written.
        assert!(!l.commit().unwrap());
        assert_eq!(s.generation().unwrap(), g);
        assert!(matches!(
            s.load(&Scope::All, false, Some(8)),
            Err(StoreError::SeedMismatch { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_part_is_complete_for_its_command_and_a_miss_is_caught() {
        let dir = tempdir("part");
        let mut s = Store::open(&dir, Some(3)).unwrap();
        let mut l = s.load(&Scope::All, true, None).unwrap();
        for n in ["n1", "n2"] {
            l.cluster
                .with_host("default", |d| {
                    d.network_create(NetworkCreateRequest {
                        name: n.into(),
                        ..Default::default()
                    })
                })
                .unwrap()
                .unwrap();
        }
        run(&mut l.cluster, "a1", "n1");
        run(&mut l.cluster, "a2", "n1");
        run(&mut l.cluster, "b1", "n2");
        l.cluster
            .with_host("default", |d| {
                d.network_connect("n2", "a2", Default::default())
            })
            .unwrap()
            .unwrap();
        let whole = Store::encode(&l.cluster);
        l.commit().unwrap();
        // a1's part: its network with both endpoints, and a2's other network too, whole
        // (a running container on several networks answers for each of its addresses on
        // any of them), so b1 with it.
        let l = s.load(&Scope::of(&["a1".into()], &[]), true, None).unwrap();
        let e = &l.cluster.hosts["default"].engine;
        let names: Vec<&str> = e.containers.values().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a1", "a2", "b1"]);
        let nets: Vec<(&str, usize)> = e
            .networks
            .values()
            .map(|n| (n.name.as_str(), n.endpoints.len()))
            .collect();
        assert_eq!(nets, [("n1", 2), ("n2", 2)]);
        drop(l);
        // A container listed by name (`ps --filter`): its networks' own fields, without
        // their endpoints; the host still owns the bridges' gateways.
        let listed = Scope::Part(scope::Want {
            name_patterns: vec!["b1".into()],
            ..Default::default()
        });
        let l = s.load(&listed, true, None).unwrap();
        let e = &l.cluster.hosts["default"].engine;
        let nets: Vec<(&str, usize)> = e
            .networks
            .values()
            .map(|n| (n.name.as_str(), n.endpoints.len()))
            .collect();
        assert_eq!(nets, [("n2", 0)]);
        // The default bridge's and n1's.
        assert_eq!(e.unloaded_gateways.len(), 2);
        drop(l);
        // A new container on n2 joins a network read without its endpoints: caught.
        let mut l = s.load(&listed, true, None).unwrap();
        run(&mut l.cluster, "b2", "n2");
        assert!(matches!(l.commit(), Err(CommitError::ScopeMiss)));
        // The same on the whole state lands, and a part's change is a row update.
        let mut l = s
            .load(&Scope::of(&["b2".into()], &["n2".into()]), true, None)
            .unwrap();
        run(&mut l.cluster, "b2", "n2");
        assert!(l.commit().unwrap());
        let l = s.load(&Scope::All, false, None).unwrap();
        let mut c = crate::store::document::decode(&whole).unwrap();
        run(&mut c, "b2", "n2");
        assert_eq!(Store::encode(&l.cluster), Store::encode(&c));
        drop(l);
        // A name taken by a container the part did not read: caught by the index.
        let mut l = s.load(&listed, true, None).unwrap();
        l.cluster
            .with_host("default", |d| {
                d.container_create(ContainerCreateRequest {
                    name: Some("a1".into()),
                    image: "busybox".into(),
                    network_mode: "n2".into(),
                    ..Default::default()
                })
            })
            .unwrap()
            .unwrap();
        assert!(matches!(l.commit(), Err(CommitError::ScopeMiss)));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_reset_without_a_seed_leaves_the_seed_to_the_next_command() {
        let dir = tempdir("reset");
        let mut s = Store::open(&dir, Some(3)).unwrap();
        let g = s.generation().unwrap();
        s.reset(None).unwrap();
        assert!(s.generation().unwrap() > g, "the change counter moves on");
        drop(s);
        let mut s = Store::open(&dir, Some(5)).unwrap();
        let l = s.load(&Scope::All, false, Some(5)).unwrap();
        assert_eq!(l.cluster.seed, 5);
        drop(l);
        s.reset(Some(9)).unwrap();
        assert!(matches!(
            s.load(&Scope::All, false, Some(5)),
            Err(StoreError::SeedMismatch { existing: 9, .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_part_naming_a_new_container_reads_the_parents_linking_to_its_name() {
        let dir = tempdir("parents");
        let mut s = Store::open(&dir, Some(4)).unwrap();
        let mut l = s.load(&Scope::All, true, None).unwrap();
        run(&mut l.cluster, "child", "bridge");
        l.cluster
            .with_host("default", |d| {
                let id = d.container_create(ContainerCreateRequest {
                    name: Some("parent".into()),
                    image: "busybox".into(),
                    tty: true,
                    open_stdin: true,
                    network_mode: "bridge".into(),
                    links: vec!["child:kid".into()],
                    ..Default::default()
                })?;
                d.container_start(&id)?;
                d.container_stop("parent", None)?;
                d.container_remove("child", true)
            })
            .unwrap()
            .unwrap();
        // Another container takes the child's address: the next child gets a new one.
        run(&mut l.cluster, "filler", "bridge");
        l.commit().unwrap();
        let mut whole = s.load(&Scope::All, false, None).unwrap().cluster;
        run(&mut whole, "child", "bridge");
        // The stopped parent has no endpoint: only the link's name leads to it.
        let mut l = s
            .load(
                &Scope::of(&["child".into()], &["bridge".into()]),
                true,
                None,
            )
            .unwrap();
        let e = &l.cluster.hosts["default"].engine;
        assert!(e.containers.values().any(|c| c.name == "parent"));
        run(&mut l.cluster, "child", "bridge");
        l.commit().unwrap();
        let l = s.load(&Scope::All, false, None).unwrap();
        assert_eq!(Store::encode(&l.cluster), Store::encode(&whole));
        drop(l);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_document_becomes_the_default_host() {
        let mut d = crate::docker::Daemon::new(5);
        d.network_create(NetworkCreateRequest {
            name: "n1".into(),
            ..Default::default()
        })
        .unwrap();
        let v1 = serde_json::json!({"format": "vnet-state", "version": 1, "state": d.state});
        let c = document::decode(v1.to_string().as_bytes()).unwrap();
        assert_eq!(c.hosts.len(), 1);
        assert_eq!(c.hosts["default"].engine, d.state);
    }

    #[test]
    fn a_state_json_is_migrated_and_kept() {
        let dir = tempdir("mig");
        fs::create_dir_all(&dir).unwrap();
        let mut c = Cluster::new(9);
        c.with_host("default", |d| {
            d.network_create(NetworkCreateRequest {
                name: "n1".into(),
                ..Default::default()
            })
        })
        .unwrap()
        .unwrap();
        run(&mut c, "c1", "n1");
        let doc = Store::encode(&c);
        fs::write(dir.join("state.json"), &doc).unwrap();
        let mut s = Store::open(&dir, None).unwrap();
        assert!(!dir.join("state.json").exists());
        assert_eq!(fs::read(dir.join("state.json.bak")).unwrap(), doc);
        let l = s.load(&Scope::All, false, None).unwrap();
        assert_eq!(Store::encode(&l.cluster), doc);
        drop(l);
        drop(s);
        // A broken document is refused and left alone.
        let dir2 = tempdir("mig-bad");
        fs::create_dir_all(&dir2).unwrap();
        fs::write(dir2.join("state.json"), &doc[..doc.len() / 2]).unwrap();
        let e = Store::open(&dir2, None).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert_eq!(
            fs::read(dir2.join("state.json")).unwrap(),
            &doc[..doc.len() / 2]
        );
        assert!(!dir2.join(DB_FILE).exists());
        fs::remove_dir_all(&dir).unwrap();
        fs::remove_dir_all(&dir2).unwrap();
    }
}
