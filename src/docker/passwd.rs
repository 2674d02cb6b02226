//! The user and group databases (`/etc/passwd`, `/etc/group`) of the catalogue images, as
//! their official builds leave them: what `run -u`/`exec -u` look names up in and `id`
//! names numbers by.
//!
//! - busybox: buildroot's `system/skeleton/etc/passwd` and `group`, which
//!   docker-library/busybox's `Dockerfile.builder` copies in (the same from buildroot
//!   2023.02 on; gid 65534 is `nobody`, there is no `nogroup`).
//! - alpine (and netshoot, built on it): alpine-baselayout-data 3.6 (Alpine 3.20, 3.21).
//! - debian and the images built on Debian (nginx, redis, postgres, httpd): base-passwd
//!   3.6.1 (Debian 12), with the user each image's Dockerfile adds (nginx's `nginx` 101,
//!   redis's and postgres's 999; httpd runs as `www-data`). ubuntu is given Debian's files
//!   (Ubuntu's base-passwd differs little; 24.04's `ubuntu` user is not modelled). An
//!   image's Alpine variant (`nginx:alpine`) is given Alpine's files with the same added
//!   user, which its own Dockerfile words differently (not modelled).

/// buildroot's skeleton `/etc/passwd`.
pub const BUSYBOX_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
";

/// buildroot's skeleton `/etc/group`.
pub const BUSYBOX_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
";

/// alpine-baselayout-data's `/etc/passwd`.
pub const ALPINE_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
uucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
";

/// alpine-baselayout-data's `/etc/group`.
pub const ALPINE_GROUP: &str = "root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
cron:x:16:cron
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
tape:x:26:root
video:x:27:root
netdev:x:28:
kvm:x:34:kvm
games:x:35:
shadow:x:42:
www-data:x:82:
users:x:100:games
ntp:x:123:
abuild:x:300:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
";

/// base-passwd's `/etc/passwd` (Debian 12).
pub const DEBIAN_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

/// base-passwd's `/etc/group` (Debian 12).
pub const DEBIAN_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
";

/// The simulated host's own (`vnet host exec`, the names `docker top` shows): root and
/// nobody, as every Linux host has them.
pub const HOST_PASSWD: &str =
    "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
/// The simulated host's `/etc/group`.
pub const HOST_GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// An image's databases: a base's, with the lines its Dockerfile adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserFiles {
    /// The base's `/etc/passwd`.
    pub passwd: &'static str,
    /// The base's `/etc/group`.
    pub group: &'static str,
    /// The image's own user (`nginx:x:101:101:...`), after the base's.
    pub user: &'static str,
    /// The image's own group (`nginx:x:101:`).
    pub user_group: &'static str,
}

impl UserFiles {
    /// busybox's.
    pub const BUSYBOX: UserFiles = UserFiles::of(BUSYBOX_PASSWD, BUSYBOX_GROUP);
    /// Alpine's.
    pub const ALPINE: UserFiles = UserFiles::of(ALPINE_PASSWD, ALPINE_GROUP);
    /// Debian's.
    pub const DEBIAN: UserFiles = UserFiles::of(DEBIAN_PASSWD, DEBIAN_GROUP);

    const fn of(passwd: &'static str, group: &'static str) -> UserFiles {
        UserFiles {
            passwd,
            group,
            user: "",
            user_group: "",
        }
    }

    /// These with an image's own user and group lines added.
    pub const fn with_user(self, user: &'static str, group: &'static str) -> UserFiles {
        UserFiles {
            user,
            user_group: group,
            ..self
        }
    }

    /// The same image built on Alpine (`nginx:alpine`): Alpine's files, the same user.
    pub const fn on_alpine(self) -> UserFiles {
        UserFiles {
            passwd: ALPINE_PASSWD,
            group: ALPINE_GROUP,
            ..self
        }
    }

    /// `/etc/passwd`'s text.
    pub fn passwd(&self) -> String {
        format!("{}{}", self.passwd, self.user)
    }

    /// `/etc/group`'s text.
    pub fn group(&self) -> String {
        format!("{}{}", self.group, self.user_group)
    }
}
