//! A container's writable layer as vnet keeps it: the files a command wrote (`echo hi >
//! /tmp/f`) and the directories `mkdir` made, over the image's directories. Like a real
//! container's layer it outlives a stop and a restart and goes with the container.
//!
//! Paths are resolved from the image's working directory (`WORKDIR`, `/` for most), `.` and
//! `..` and repeated slashes removed. The layer is bounded ([`MAX_ENTRIES`], [`MAX_BYTES`]): past it a write
//! fails as a full file system does (`No space left on device`).

use std::collections::BTreeMap;

/// Files and directories a container's layer holds at most (vnet's bound).
pub const MAX_ENTRIES: usize = 256;
/// Bytes its files hold at most, together (vnet's bound).
pub const MAX_BYTES: usize = 4 << 20;

/// The directories of the catalogue images' root file systems, together (busybox's and
/// Alpine's `/`, and the images' working directories): a directory one image has is there
/// in the others too.
const IMAGE_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/data",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/local",
    "/usr/local/apache2",
    "/usr/sbin",
    "/var",
    "/var/www",
];

/// The files Docker writes into every container (and keeps writing): vnet serves them
/// from the container's state and does not take writes to them.
pub const DOCKER_FILES: &[&str] = &["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"];

/// Why a write or a `mkdir` failed, as the kernel's errno names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    /// ENOENT: a directory on the way does not exist.
    NoEntry,
    /// EEXIST.
    Exists,
    /// EISDIR.
    IsDir,
    /// ENOTDIR: a file on the way.
    NotDir,
    /// ENOSPC: the layer is full (vnet's bound).
    NoSpace,
    /// One of Docker's own files ([`DOCKER_FILES`]).
    DockerFile,
    /// Not a container (the simulated host keeps no files).
    NoLayer,
}

impl FsError {
    /// The kernel's words for it (`strerror`), or vnet's where vnet is the reason.
    pub fn text(self) -> &'static str {
        match self {
            FsError::NoEntry => "No such file or directory",
            FsError::Exists => "File exists",
            FsError::IsDir => "Is a directory",
            FsError::NotDir => "Not a directory",
            FsError::NoSpace => "No space left on device",
            FsError::DockerFile => "Docker's own file, which vnet does not let commands write",
            FsError::NoLayer => "vnet keeps no files on the host",
        }
    }
}

/// A container's written files and made directories.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layer {
    /// Files by absolute path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Directories `mkdir` made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<String>,
    /// When each file was last written, seconds since the Unix epoch (its `st_mtime`; a
    /// file written before vnet kept them has the clock's start).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mtimes: BTreeMap<String, u64>,
}

/// `path` made absolute (from `cwd` when relative), without `.`, `..` or repeated slashes.
pub fn normalize(cwd: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let from = if path.starts_with('/') { "" } else { cwd };
    for p in from.split('/').chain(path.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl Layer {
    /// Whether `path` (normalized) is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        IMAGE_DIRS.contains(&path) || self.dirs.iter().any(|d| d == path)
    }

    /// The text of file `path` (normalized), if written.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    fn bytes(&self) -> usize {
        self.files.values().map(String::len).sum()
    }

    fn entries(&self) -> usize {
        self.files.len() + self.dirs.len()
    }

    /// Whether a file can be made or written at `path` (normalized).
    fn writable(&self, path: &str) -> Result<(), FsError> {
        if DOCKER_FILES.contains(&path) {
            return Err(FsError::DockerFile);
        }
        if self.is_dir(path) {
            return Err(FsError::IsDir);
        }
        let dir = parent(path);
        if self.files.contains_key(dir) {
            return Err(FsError::NotDir);
        }
        if !self.is_dir(dir) {
            return Err(FsError::NoEntry);
        }
        Ok(())
    }

    /// When file `path` (normalized) was last written, seconds since the Unix epoch.
    pub fn mtime(&self, path: &str) -> u64 {
        self.mtimes
            .get(path)
            .copied()
            .unwrap_or(crate::time::EPOCH.unix_secs())
    }

    /// Writes `text` to file `path` (normalized): replacing it, or after it (`>>`), at
    /// `now` (seconds since the Unix epoch).
    pub fn write(&mut self, path: &str, text: &str, append: bool, now: u64) -> Result<(), FsError> {
        self.writable(path)?;
        let old = self.files.get(path).map_or(0, String::len);
        let new = if append { old + text.len() } else { text.len() };
        let adds_entry = !self.files.contains_key(path);
        if self.bytes() - old + new > MAX_BYTES || (adds_entry && self.entries() >= MAX_ENTRIES) {
            return Err(FsError::NoSpace);
        }
        let f = self.files.entry(path.to_string()).or_default();
        if !append {
            f.clear();
        }
        f.push_str(text);
        self.mtimes.insert(path.to_string(), now);
        Ok(())
    }

    /// `mkdir [-p] PATH` (normalized).
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        if self.is_dir(path) {
            return if parents {
                Ok(())
            } else {
                Err(FsError::Exists)
            };
        }
        if self.files.contains_key(path) || DOCKER_FILES.contains(&path) {
            return Err(FsError::Exists);
        }
        let dir = parent(path);
        if !self.is_dir(dir) {
            if !parents {
                return Err(if self.files.contains_key(dir) {
                    FsError::NotDir
                } else {
                    FsError::NoEntry
                });
            }
            self.mkdir(dir, true)?;
        }
        if self.entries() >= MAX_ENTRIES {
            return Err(FsError::NoSpace);
        }
        self.dirs.push(path.to_string());
        Ok(())
    }

    /// `rm FILE`: whether it was there.
    pub fn remove(&mut self, path: &str) -> bool {
        self.mtimes.remove(path);
        self.files.remove(path).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_files_and_directories() {
        assert_eq!(normalize("/", "tmp//a/./b/../c"), "/tmp/a/c");
        assert_eq!(normalize("/root", "f"), "/root/f");
        assert_eq!(normalize("/root", "/.."), "/");
        let mut l = Layer::default();
        assert_eq!(l.write("/nodir/x", "hi", false, 0), Err(FsError::NoEntry));
        assert_eq!(l.write("/etc", "hi", false, 0), Err(FsError::IsDir));
        assert_eq!(
            l.write("/etc/hosts", "hi", false, 0),
            Err(FsError::DockerFile)
        );
        l.write("/tmp/f", "a\n", false, 0).unwrap();
        l.write("/tmp/f", "b\n", true, 0).unwrap();
        assert_eq!(l.file("/tmp/f"), Some("a\nb\n"));
        assert_eq!(l.write("/tmp/f/x", "", false, 0), Err(FsError::NotDir));
        assert_eq!(l.mkdir("/www/html", false), Err(FsError::NoEntry));
        l.mkdir("/www/html", true).unwrap();
        assert_eq!(l.mkdir("/www", false), Err(FsError::Exists));
        l.write("/www/html/index.html", "hi\n", false, 0).unwrap();
        assert!(l.is_dir("/www/html") && l.file("/www/html/index.html") == Some("hi\n"));
        assert!(l.remove("/tmp/f") && !l.remove("/tmp/f"));
    }

    #[test]
    fn the_layer_is_bounded() {
        let mut l = Layer::default();
        let big = "x".repeat(MAX_BYTES);
        l.write("/tmp/a", &big, false, 0).unwrap();
        assert_eq!(l.write("/tmp/a", "y", true, 0), Err(FsError::NoSpace));
        l.write("/tmp/a", "small", false, 0).unwrap();
        for k in 1..MAX_ENTRIES {
            l.write(&format!("/tmp/{k}"), "", false, 0).unwrap();
        }
        assert_eq!(
            l.write("/tmp/one-more", "", false, 0),
            Err(FsError::NoSpace)
        );
        assert_eq!(l.mkdir("/tmp/d", false), Err(FsError::NoSpace));
    }
}
