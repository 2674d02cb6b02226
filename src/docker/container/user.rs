//! Who a container's processes run as: `run -u`/`Config.User` and `exec -u`, looked up in
//! the image's `/etc/passwd` and `/etc/group`.
//!
//! Mirrors moby/sys/user `GetExecUser` (`user.go`, the lookup runc and moby's
//! `daemon/oci_linux.go` `getUser` use): `NAME|UID[:GROUP|GID]`; a name must be in the
//! passwd file, a number need not be; without a group the user's primary group and the
//! groups listing the user by name are its groups, with one only that group. moby adds
//! the primary group to the process's groups (`AdditionalGids`), which the kernel keeps
//! sorted.

/// A process's user: what `id` shows and what the kernel checks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExecUser {
    /// The user ID.
    pub uid: u32,
    /// The primary group ID.
    pub gid: u32,
    /// Its groups (`getgroups`): the primary group and the supplementary ones, sorted.
    pub groups: Vec<u32>,
    /// `HOME` when the environment sets none (runc: the passwd entry's, else `/`).
    pub home: String,
}

impl ExecUser {
    /// root, as a container runs without `-u`.
    pub fn root(passwd: &str, group: &str) -> ExecUser {
        lookup("", passwd, group).unwrap_or(ExecUser {
            uid: 0,
            gid: 0,
            groups: vec![0],
            home: "/".into(),
        })
    }

    /// Whether the process runs as root (and so keeps the container's capabilities).
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }
}

impl super::Daemon {
    /// Container `c`'s `/etc/passwd` and `/etc/group`: as its commands last wrote them,
    /// else its image's.
    pub fn user_files(&self, c: &super::Container) -> (String, String) {
        let users = self.image(&c.config.image).map(|i| i.users);
        let of = |path: &str, image: Option<String>| {
            c.layer
                .file(path)
                .map(str::to_string)
                .or(image)
                .unwrap_or_default()
        };
        (
            of("/etc/passwd", users.map(|u| u.passwd())),
            of("/etc/group", users.map(|u| u.group())),
        )
    }
}

impl super::Daemon {
    /// The user a process of container `c` runs as, looked up in its files now: `spec` (an
    /// exec's `-u`), else the container's `User` (moby's exec and start both call
    /// `getUser`); `None` for root, as neither names one.
    pub fn process_user(
        &self,
        c: &super::Container,
        spec: Option<&str>,
    ) -> Result<Option<ExecUser>, String> {
        let spec = spec.filter(|u| !u.is_empty()).unwrap_or(&c.config.user);
        if spec.is_empty() {
            return Ok(None);
        }
        let (passwd, group) = self.user_files(c);
        lookup(spec, &passwd, &group).map(Some)
    }
}

/// The largest user or group ID (moby/sys/user's `maxID`, `1<<31 - 1`).
const MAX_ID: u64 = (1 << 31) - 1;

/// One `/etc/passwd` line: `name:password:UID:GID:GECOS:home:shell`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswdEntry<'a> {
    /// The login name.
    pub name: &'a str,
    /// Its user ID.
    pub uid: u32,
    /// Its primary group ID.
    pub gid: u32,
    /// Its home directory.
    pub home: &'a str,
}

/// One `/etc/group` line: `name:password:GID:member,member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEntry<'a> {
    /// The group's name.
    pub name: &'a str,
    /// Its ID.
    pub gid: u32,
    /// The users listed as its members.
    pub members: Vec<&'a str>,
}

/// A number field as Go's `strconv.Atoi` reads it in moby/sys/user's `parseLine`
/// (a bad one leaves 0).
fn id_field(s: &str) -> u32 {
    s.parse::<i64>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The entries of a passwd file, in order (blank lines skipped).
pub fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split(':');
            let name = f.next().unwrap_or("");
            let _password = f.next();
            let uid = id_field(f.next().unwrap_or(""));
            let gid = id_field(f.next().unwrap_or(""));
            let _gecos = f.next();
            let home = f.next().unwrap_or("");
            PasswdEntry {
                name,
                uid,
                gid,
                home,
            }
        })
}

/// The entries of a group file, in order (blank lines and, as moby/sys/user's reader
/// skips them, comment lines skipped).
pub fn group_entries(text: &str) -> impl Iterator<Item = GroupEntry<'_>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split(':');
            let name = f.next().unwrap_or("");
            let _password = f.next();
            let gid = id_field(f.next().unwrap_or(""));
            let members = f
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|m| !m.is_empty())
                .collect();
            GroupEntry { name, gid, members }
        })
}

/// The name of user `uid` in a passwd file (`getpwuid`).
pub fn user_name(passwd: &str, uid: u32) -> Option<&str> {
    passwd_entries(passwd)
        .find(|e| e.uid == uid)
        .map(|e| e.name)
}

/// The name of group `gid` in a group file (`getgrgid`).
pub fn group_name(group: &str, gid: u32) -> Option<&str> {
    group_entries(group).find(|e| e.gid == gid).map(|e| e.name)
}

/// A user or group number as `strconv.Atoi` takes it: digits with an optional sign.
fn numeric(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// The range error (`ErrRange`).
fn range_error() -> String {
    format!("uids and gids must be in range 0-{MAX_ID}")
}

/// `GetExecUser(spec, root, passwd, group)`: the user `spec` (`NAME|UID[:GROUP|GID]`, empty
/// for root) names, or moby/sys/user's error.
pub fn lookup(spec: &str, passwd: &str, group: &str) -> Result<ExecUser, String> {
    let mut fields = spec.split(':');
    let user_arg = fields.next().unwrap_or("");
    let group_arg = fields.next().unwrap_or("");
    let uid_arg = numeric(user_arg);
    let gid_arg = numeric(group_arg);
    let mut user = ExecUser {
        uid: 0,
        gid: 0,
        groups: Vec::new(),
        home: "/".into(),
    };
    let found = passwd_entries(passwd).find(|e| match (user_arg, uid_arg) {
        ("", _) => e.uid == 0,
        (_, Some(n)) => i64::from(e.uid) == n,
        (name, None) => e.name == name,
    });
    let mut matched_name = None;
    match (found, uid_arg) {
        (Some(e), _) => {
            matched_name = Some(e.name);
            user.uid = e.uid;
            user.gid = e.gid;
            user.home = e.home.to_string();
        }
        (None, _) if user_arg.is_empty() => {}
        (None, None) => {
            return Err(format!(
                "unable to find user {user_arg}: no matching entries in passwd file"
            ));
        }
        (None, Some(n)) => {
            user.uid = u32::try_from(n)
                .ok()
                .filter(|&u| u64::from(u) <= MAX_ID)
                .ok_or_else(range_error)?;
        }
    }
    let mut supplementary = Vec::new();
    if !group_arg.is_empty() {
        match group_entries(group).find(|g| match gid_arg {
            Some(n) => i64::from(g.gid) == n,
            None => g.name == group_arg,
        }) {
            Some(g) => user.gid = g.gid,
            None => match gid_arg {
                None => {
                    return Err(format!(
                        "unable to find group {group_arg}: no matching entries in group file"
                    ));
                }
                Some(n) => {
                    user.gid = u32::try_from(n)
                        .ok()
                        .filter(|&g| u64::from(g) <= MAX_ID)
                        .ok_or_else(range_error)?;
                }
            },
        }
    } else if let Some(name) = matched_name {
        supplementary = group_entries(group)
            .filter(|g| g.members.contains(&name))
            .map(|g| g.gid)
            .collect();
    }
    // moby's AdditionalGids: the primary group, then the others, as `setgroups` keeps
    // them: sorted, a group listed twice (root in Alpine's `root` group) twice.
    user.groups = std::iter::once(user.gid).chain(supplementary).collect();
    user.groups.sort_unstable();
    // runc's HOME: the first passwd entry with the uid (`/` without one).
    user.home = passwd_entries(passwd)
        .find(|e| e.uid == user.uid)
        .map_or("/", |e| e.home)
        .to_string();
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\n";
    const GROUP: &str =
        "root:x:0:\nwheel:x:10:root\nwww-data:x:33:\nstaff:x:50:www-data,root\nnobody:x:65534:\n";

    fn user(spec: &str) -> Result<ExecUser, String> {
        lookup(spec, PASSWD, GROUP)
    }

    #[test]
    fn names_and_numbers_as_get_exec_user_reads_them() {
        let root = user("").unwrap();
        assert_eq!((root.uid, root.gid, root.groups), (0, 0, vec![0, 10, 50]));
        assert_eq!(root.home, "/root");
        let w = user("www-data").unwrap();
        assert_eq!((w.uid, w.gid, w.groups), (33, 33, vec![33, 50]));
        // A number need not be in the file; the group stays root's, HOME is `/`.
        let n = user("1000").unwrap();
        assert_eq!(
            (n.uid, n.gid, n.groups, n.home.as_str()),
            (1000, 0, vec![0], "/")
        );
        // A number in the file is that entry.
        assert_eq!(user("65534").unwrap().home, "/home");
        // An explicit group: that group only.
        let g = user("nobody:staff").unwrap();
        assert_eq!((g.uid, g.gid, g.groups), (65534, 50, vec![50]));
        assert_eq!(user("root:1234").unwrap().groups, vec![1234]);
    }

    #[test]
    fn moby_sys_user_errors() {
        assert_eq!(
            user("foo").unwrap_err(),
            "unable to find user foo: no matching entries in passwd file"
        );
        assert_eq!(
            user("nobody:nogroup").unwrap_err(),
            "unable to find group nogroup: no matching entries in group file"
        );
        assert_eq!(
            user("-1").unwrap_err(),
            "uids and gids must be in range 0-2147483647"
        );
        assert_eq!(
            user("0:4294967296").unwrap_err(),
            "uids and gids must be in range 0-2147483647"
        );
    }

    #[test]
    fn names_by_number() {
        assert_eq!(user_name(PASSWD, 33), Some("www-data"));
        assert_eq!(user_name(PASSWD, 1000), None);
        assert_eq!(group_name(GROUP, 10), Some("wheel"));
    }
}
