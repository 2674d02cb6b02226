//! The state directory: where a host's control plane lives between commands.
//!
//! One directory holds `state.json` (versioned) and `lock`. Every command takes an exclusive
//! lock on `lock` for its whole run, so parallel invocations are serialised and no update is
//! lost. A save writes a temporary file, syncs it, renames it over `state.json` and syncs the
//! directory, so a crash or SIGKILL at any moment leaves either the old or the new state,
//! never a torn one. A state that does not parse, or that a newer vnet wrote, is reported and
//! left untouched.

use crate::cluster::Cluster;
use crate::docker::{Daemon, State};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The format version this vnet writes. Version 1 (one host, before `vnet host`) still reads:
/// its state becomes the `default` host.
pub const FORMAT_VERSION: u32 = 2;
const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";

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
    #[error("state directory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// `state.json` does not parse.
    #[error(
        "state file {path} is corrupt ({detail}); it was left as it is: move it away, or run `vnet system reset -f` to start over"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        detail: String,
    },
    /// A newer vnet wrote the state.
    #[error(
        "state file {path} has format version {found}, newer than this vnet reads ({FORMAT_VERSION}); it was left as it is: use a newer vnet"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
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

/// Version 2: hosts and cluster stores.
#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    cluster: Cluster,
}

/// Version 1: one host.
#[derive(Deserialize)]
struct EnvelopeV1 {
    format: String,
    state: State,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
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

/// An open, locked state directory. The lock is held until the value is dropped.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    _lock: File,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Creates the directory if needed and takes the exclusive lock (waiting for it).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        lock.lock().map_err(io_err(&lock_path))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the state, or makes a fresh one (with `seed`, else the default) if there is none.
    /// Returns it and the bytes it was loaded from (`None` when fresh).
    pub fn load(&self, seed: Option<u64>) -> Result<(Cluster, Option<Vec<u8>>), StoreError> {
        match self.read()? {
            None => Ok((Cluster::new(seed.unwrap_or(crate::rng::DEFAULT_SEED)), None)),
            Some(bytes) => Ok((self.decode(&bytes, seed)?, Some(bytes))),
        }
    }

    /// The bytes of `state.json`, or `None` if there is none yet.
    pub fn read(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.dir.join(STATE_FILE);
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Parses the bytes of `state.json` (see [`Store::read`]), checking the format, its
    /// version and, when given, the seed.
    pub fn decode(&self, bytes: &[u8], seed: Option<u64>) -> Result<Cluster, StoreError> {
        let path = self.dir.join(STATE_FILE);
        let corrupt = |detail: String| StoreError::Corrupt {
            path: path.clone(),
            detail,
        };
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if version.version > FORMAT_VERSION {
            return Err(StoreError::TooNew {
                path,
                found: version.version,
            });
        }
        let (format, cluster) = if version.version < 2 {
            let env: EnvelopeV1 =
                serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
            (
                env.format,
                Cluster::from_daemon(Daemon::from_state(env.state)),
            )
        } else {
            let mut env: Envelope =
                serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
            env.cluster.reindex();
            (env.format, env.cluster)
        };
        if format != "vnet-state" {
            return Err(corrupt(format!("unknown format {format:?}")));
        }
        if let Some(s) = seed
            && s != cluster.seed
        {
            return Err(StoreError::SeedMismatch {
                dir: self.dir.clone(),
                existing: cluster.seed,
                requested: s,
            });
        }
        Ok(cluster)
    }

    /// Serialises a state as it is stored.
    pub fn encode(c: &Cluster) -> Vec<u8> {
        let env = Envelope {
            format: "vnet-state".to_string(),
            version: FORMAT_VERSION,
            cluster: c.clone(),
        };
        let mut v = serde_json::to_vec(&env).expect("state serialises");
        v.push(b'\n');
        v
    }

    /// Writes `bytes` as the new state, atomically.
    pub fn save(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        let path = self.dir.join(STATE_FILE);
        {
            let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
            f.write_all(bytes).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))?;
        Ok(())
    }

    /// `vnet system reset`: removes the state (the lock stays, held).
    pub fn reset(&self) -> Result<(), StoreError> {
        for name in [STATE_FILE.to_string(), format!("{STATE_FILE}.tmp")] {
            let p = self.dir.join(name);
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&p)(e)),
            }
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vnet-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip() {
        let dir = tempdir("rt");
        let s = Store::open(&dir).unwrap();
        let (d, before) = s.load(Some(7)).unwrap();
        assert!(before.is_none());
        s.save(&Store::encode(&d)).unwrap();
        let (d2, before) = s.load(None).unwrap();
        assert_eq!(d, d2);
        assert_eq!(before.unwrap(), Store::encode(&d));
        assert!(matches!(
            s.load(Some(8)),
            Err(StoreError::SeedMismatch { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_state_becomes_the_default_host() {
        let dir = tempdir("v1");
        let s = Store::open(&dir).unwrap();
        let mut d = Daemon::new(5);
        d.network_create(crate::docker::NetworkCreateRequest {
            name: "n1".into(),
            ..Default::default()
        })
        .unwrap();
        let v1 = serde_json::json!({"format": "vnet-state", "version": 1, "state": d.state});
        fs::write(dir.join(STATE_FILE), v1.to_string()).unwrap();
        let (c, _) = s.load(Some(5)).unwrap();
        assert_eq!(c.hosts.len(), 1);
        assert_eq!(c.hosts["default"].engine, d.state);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_and_newer_are_refused() {
        let dir = tempdir("bad");
        let s = Store::open(&dir).unwrap();
        fs::write(dir.join(STATE_FILE), b"{\"format\":\"vnet-state\",\"vers").unwrap();
        assert!(matches!(s.load(None), Err(StoreError::Corrupt { .. })));
        fs::write(
            dir.join(STATE_FILE),
            b"{\"format\":\"vnet-state\",\"version\":99,\"state\":{}}",
        )
        .unwrap();
        let e = s.load(None).unwrap_err();
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
        // Still there, untouched.
        assert!(
            fs::read(dir.join(STATE_FILE))
                .unwrap()
                .starts_with(b"{\"format\"")
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
