//! A container's writable layer as vnet keeps it: the files a command wrote (`echo hi >
//! /tmp/f`) and the directories `mkdir` made, over the image's directories. Like a real
//! container's layer it outlives a stop and a restart and goes with the container.
//!
//! Paths are resolved from the image's working directory (`WORKDIR`, `/` for most), `.` and
//! `..` and repeated slashes removed. Everything of the image is root's, and `/tmp` is
//! sticky and open to all (1777): a user other than root (`exec -u`) makes files only in
//! `/tmp` and in directories it made, writes only its own files, and in `/tmp` removes
//! only its own (`Permission denied`, `Operation not permitted` otherwise); what it makes
//! is its own. The layer is bounded ([`MAX_ENTRIES`], [`MAX_BYTES`]): past it a write
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
    /// EACCES: the user may not write there.
    Access,
    /// EPERM: `/tmp`'s sticky bit keeps another user's file.
    Perm,
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
            FsError::Access => "Permission denied",
            FsError::Perm => "Operation not permitted",
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
    /// The owner of each file and directory a user other than root made (root's are not
    /// listed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub owners: BTreeMap<String, u32>,
}

/// The sticky directory open to every user (`/tmp`, mode 1777).
const STICKY_OPEN: &str = "/tmp";

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

    /// Who owns `path` (normalized): root unless a user made it.
    pub fn owner(&self, path: &str) -> u32 {
        self.owners.get(path).copied().unwrap_or(0)
    }

    /// Whether user `uid` may make or remove entries in directory `dir`.
    fn may_change(&self, dir: &str, uid: u32) -> bool {
        uid == 0 || dir == STICKY_OPEN || (self.owner(dir) == uid && self.is_dir(dir))
    }

    /// Whether user `uid` may write file `path` (normalized), or make it.
    fn permitted(&self, path: &str, uid: u32) -> Result<(), FsError> {
        if uid == 0 {
            return Ok(());
        }
        let exists = self.files.contains_key(path) || DOCKER_FILES.contains(&path);
        let ok = if exists {
            self.owner(path) == uid
        } else {
            !self.is_dir(parent(path)) || self.may_change(parent(path), uid)
        };
        if ok { Ok(()) } else { Err(FsError::Access) }
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

    /// Writes `text` to file `path` (normalized) as user `uid`: replacing it, or after it
    /// (`>>`), at `now` (seconds since the Unix epoch).
    pub fn write(
        &mut self,
        path: &str,
        text: &str,
        append: bool,
        now: u64,
        uid: u32,
    ) -> Result<(), FsError> {
        if !self.is_dir(path) {
            self.permitted(path, uid)?;
        }
        self.writable(path)?;
        let old = self.files.get(path).map_or(0, String::len);
        let new = if append { old + text.len() } else { text.len() };
        let adds_entry = !self.files.contains_key(path);
        if self.bytes() - old + new > MAX_BYTES || (adds_entry && self.entries() >= MAX_ENTRIES) {
            return Err(FsError::NoSpace);
        }
        if adds_entry && uid != 0 {
            self.owners.insert(path.to_string(), uid);
        }
        let f = self.files.entry(path.to_string()).or_default();
        if !append {
            f.clear();
        }
        f.push_str(text);
        self.mtimes.insert(path.to_string(), now);
        Ok(())
    }

    /// `mkdir [-p] PATH` (normalized) as user `uid`.
    pub fn mkdir(&mut self, path: &str, parents: bool, uid: u32) -> Result<(), FsError> {
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
            self.mkdir(dir, true, uid)?;
        }
        if !self.may_change(dir, uid) {
            return Err(FsError::Access);
        }
        if self.entries() >= MAX_ENTRIES {
            return Err(FsError::NoSpace);
        }
        self.dirs.push(path.to_string());
        if uid != 0 {
            self.owners.insert(path.to_string(), uid);
        }
        Ok(())
    }

    /// `rm FILE` as user `uid`: whether it was there, or why it stays.
    pub fn remove(&mut self, path: &str, uid: u32) -> Result<bool, FsError> {
        if !self.files.contains_key(path) {
            return Ok(false);
        }
        let dir = parent(path);
        if !self.may_change(dir, uid) {
            return Err(FsError::Access);
        }
        if uid != 0 && dir == STICKY_OPEN && self.owner(path) != uid {
            return Err(FsError::Perm);
        }
        self.mtimes.remove(path);
        self.owners.remove(path);
        Ok(self.files.remove(path).is_some())
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
        assert_eq!(
            l.write("/nodir/x", "hi", false, 0, 0),
            Err(FsError::NoEntry)
        );
        assert_eq!(l.write("/etc", "hi", false, 0, 0), Err(FsError::IsDir));
        assert_eq!(
            l.write("/etc/hosts", "hi", false, 0, 0),
            Err(FsError::DockerFile)
        );
        l.write("/tmp/f", "a\n", false, 0, 0).unwrap();
        l.write("/tmp/f", "b\n", true, 0, 0).unwrap();
        assert_eq!(l.file("/tmp/f"), Some("a\nb\n"));
        assert_eq!(l.write("/tmp/f/x", "", false, 0, 0), Err(FsError::NotDir));
        assert_eq!(l.mkdir("/www/html", false, 0), Err(FsError::NoEntry));
        l.mkdir("/www/html", true, 0).unwrap();
        assert_eq!(l.mkdir("/www", false, 0), Err(FsError::Exists));
        l.write("/www/html/index.html", "hi\n", false, 0, 0)
            .unwrap();
        assert!(l.is_dir("/www/html") && l.file("/www/html/index.html") == Some("hi\n"));
        assert_eq!(l.remove("/tmp/f", 0), Ok(true));
        assert_eq!(l.remove("/tmp/f", 0), Ok(false));
    }

    #[test]
    fn the_layer_is_bounded() {
        let mut l = Layer::default();
        let big = "x".repeat(MAX_BYTES);
        l.write("/tmp/a", &big, false, 0, 0).unwrap();
        assert_eq!(l.write("/tmp/a", "y", true, 0, 0), Err(FsError::NoSpace));
        l.write("/tmp/a", "small", false, 0, 0).unwrap();
        for k in 1..MAX_ENTRIES {
            l.write(&format!("/tmp/{k}"), "", false, 0, 0).unwrap();
        }
        assert_eq!(
            l.write("/tmp/one-more", "", false, 0, 0),
            Err(FsError::NoSpace)
        );
        assert_eq!(l.mkdir("/tmp/d", false, 0), Err(FsError::NoSpace));
    }

    #[test]
    fn other_users_write_in_tmp_and_their_own_directories() {
        let mut l = Layer::default();
        l.write("/tmp/roots", "r\n", false, 0, 0).unwrap();
        assert_eq!(l.write("/etc/x", "", false, 0, 65534), Err(FsError::Access));
        assert_eq!(
            l.write("/etc/hosts", "", false, 0, 65534),
            Err(FsError::Access)
        );
        assert_eq!(
            l.write("/tmp/roots", "", true, 0, 65534),
            Err(FsError::Access)
        );
        assert_eq!(l.mkdir("/srv/d", false, 65534), Err(FsError::Access));
        l.write("/tmp/mine", "m\n", false, 0, 65534).unwrap();
        l.mkdir("/tmp/d/e", true, 65534).unwrap();
        l.write("/tmp/d/e/f", "", false, 0, 65534).unwrap();
        assert_eq!(
            l.write("/tmp/d/g", "", false, 0, 1000),
            Err(FsError::Access)
        );
        assert_eq!(l.owner("/tmp/d/e/f"), 65534);
        // /tmp is sticky: only the owner (or root) removes.
        assert_eq!(l.remove("/tmp/roots", 65534), Err(FsError::Perm));
        assert_eq!(l.remove("/tmp/mine", 1000), Err(FsError::Perm));
        assert_eq!(l.remove("/tmp/mine", 65534), Ok(true));
        assert_eq!(l.remove("/tmp/d/e/f", 0), Ok(true));
        // Root writes anything, and keeps what it makes.
        l.write("/tmp/d/e/r", "", false, 0, 0).unwrap();
        assert_eq!(l.owner("/tmp/d/e/r"), 0);
    }
}
