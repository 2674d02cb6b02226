//! Images: nothing is pulled; an image name only brings the defaults a real image would
//! (entrypoint, command, environment, exposed ports, how it reacts to SIGTERM).
//!
//! The defaults are those of the official images on Docker Hub (their Dockerfiles'
//! `ENTRYPOINT`, `CMD`, `EXPOSE`, `STOPSIGNAL`): the catalogue a host has, as if pulled
//! before it went offline. `vnet image create NAME --from IMAGE --listen tcp/PORT=KIND` adds
//! an image of the host's own (its base's defaults, and servers on more ports). Any other
//! name is not on the host, and the simulated host cannot reach a registry: `run` and
//! `create` fail as an offline Docker's do.

use super::passwd::UserFiles;

/// What an image contributes to a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `ENTRYPOINT`.
    pub entrypoint: &'static [&'static str],
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `ENV`.
    pub env: &'static [&'static str],
    /// `EXPOSE`, as `port/proto`.
    pub exposed: Vec<String>,
    /// The TCP servers its program runs, by port (what the program listens on, as
    /// `netstat -tln` in the container shows it).
    pub listens: Vec<(u16, Service)>,
    /// Whether PID 1 exits on the stop signal. A shell as PID 1 ignores SIGTERM, so
    /// `docker stop` waits out its timeout and kills it (exit 137).
    pub exits_on_stop_signal: bool,
    /// `STOPSIGNAL` (`SIGQUIT` for nginx); empty for the default, SIGTERM.
    pub stop_signal: &'static str,
    /// The user its server runs as: redis' and postgres' entrypoints start as root and
    /// drop to their own user (999, with gosu), and take being started as it; 0 for the
    /// others (nginx's master stays root).
    pub server_uid: u32,
    /// Programs it has besides busybox's applets (`tcpdump`).
    pub programs: &'static [&'static str],
    /// `WORKDIR`: where `exec` runs (relative paths start there); empty is `/`.
    pub workdir: &'static str,
    /// Whether its C library is musl (Alpine's), whose `strerror` words some errors
    /// otherwise than glibc's.
    pub musl: bool,
    /// `LABEL`s of its Dockerfile.
    pub labels: &'static [(&'static str, &'static str)],
    /// Its `/etc/passwd` and `/etc/group`.
    pub users: UserFiles,
}

/// A server an image's program runs (its behaviour is in [`crate::servers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// nginx serving its default page.
    Nginx,
    /// Apache httpd serving its default page.
    Httpd,
    /// redis-server.
    Redis,
    /// The PostgreSQL server.
    Postgres,
    /// A TCP echo service (RFC 862).
    Echo,
    /// A listener that reads what comes and answers nothing (`nc -l` with its output
    /// nowhere to be seen).
    Sink,
    /// busybox `httpd` serving a directory of the container's files.
    BusyboxHttpd,
}

impl Service {
    /// The kinds `vnet image create --listen tcp/PORT=KIND` takes (`http` is httpd's page).
    pub fn parse(kind: &str) -> Option<Service> {
        Some(match kind {
            "http" | "httpd" => Service::Httpd,
            "nginx" => Service::Nginx,
            "redis" => Service::Redis,
            "postgres" => Service::Postgres,
            "echo" => Service::Echo,
            _ => return None,
        })
    }

    /// Its name in `vnet image ls`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Nginx => "nginx",
            Service::Httpd => "http",
            Service::Redis => "redis",
            Service::Postgres => "postgres",
            Service::Echo => "echo",
            Service::Sink => "sink",
            Service::BusyboxHttpd => "busybox-httpd",
        }
    }
}

/// An image made with `vnet image create`, kept flat: the catalogue image at its root,
/// the image it was made from, and the servers it and its parents add.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreatedImage {
    /// The catalogue image at the root, as `RepoTags` names it.
    pub from: String,
    /// The image it was made from (`--from`), as `RepoTags` names it.
    pub parent: String,
    /// The TCP servers it adds (or moves) by port.
    pub listens: Vec<(u16, Service)>,
}

impl super::Daemon {
    /// The image `reference` names on this host: one it made, else one of the catalogue;
    /// `None` when the host has neither (an offline Docker would have to pull it).
    pub fn image(&self, reference: &str) -> Option<Image> {
        resolve(&self.state.images, reference)
    }
}

/// The image `reference` names on a host that made `images`: one of them, else one of the
/// catalogue.
pub fn resolve(
    images: &std::collections::BTreeMap<String, CreatedImage>,
    reference: &str,
) -> Option<Image> {
    let Some(c) = images.get(&familiar_tagged(reference)) else {
        return is_known(reference).then(|| lookup(reference));
    };
    let mut img = is_known(&c.from).then(|| lookup(&c.from))?;
    // A base whose program is a shell would exit at once with no input: an image that
    // serves runs its servers instead (what `ps` shows as its command).
    if !c.listens.is_empty()
        && img.entrypoint.is_empty()
        && matches!(
            img.cmd.first().map(|c| c.rsplit('/').next().unwrap_or(c)),
            Some("sh" | "ash" | "bash")
        )
    {
        img.cmd = std::iter::once("vnet-serve".to_string())
            .chain(
                c.listens
                    .iter()
                    .map(|(p, s)| format!("tcp/{p}={}", s.name())),
            )
            .collect();
        img.exits_on_stop_signal = true;
    }
    for &(port, service) in &c.listens {
        img.listens.retain(|(p, _)| *p != port);
        img.listens.push((port, service));
        let key = format!("{port}/tcp");
        if !img.exposed.contains(&key) {
            img.exposed.push(key);
        }
    }
    img.exposed
        .sort_by_key(|p| super::container::port_sort_key(p));
    Some(img)
}

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The defaults for an image reference (`busybox`, `redis:7`, `library/nginx:latest`).
pub fn lookup(reference: &str) -> Image {
    let repo = reference
        .rsplit('/')
        .next()
        .unwrap_or(reference)
        .split([':', '@'])
        .next()
        .unwrap_or(reference);
    // `nginx:alpine`, `redis:7-alpine`, `busybox:musl`: the same program on musl.
    let tag = reference
        .rsplit('/')
        .next()
        .and_then(|r| r.split('@').next())
        .and_then(|r| r.split_once(':'))
        .map_or("", |(_, t)| t);
    let mut image = defaults(repo);
    if (tag.contains("alpine") || tag.contains("musl")) && !image.musl {
        image.musl = true;
        image.users = image.users.on_alpine();
    }
    image
}

/// The defaults for repository `repo`, whatever its tag.
fn defaults(repo: &str) -> Image {
    match repo {
        "redis" => Image {
            entrypoint: &["docker-entrypoint.sh"],
            cmd: vec!["redis-server".into()],
            env: &[PATH],
            exposed: vec!["6379/tcp".into()],
            listens: vec![(6379, Service::Redis)],
            exits_on_stop_signal: true,
            stop_signal: "",
            server_uid: 999,
            programs: &[],
            workdir: "/data",
            musl: false,
            labels: &[],
            users: UserFiles::DEBIAN
                .with_user("redis:x:999:999::/home/redis:/bin/sh\n", "redis:x:999:\n"),
        },
        "nginx" => Image {
            entrypoint: &["/docker-entrypoint.sh"],
            cmd: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
            env: &[PATH],
            exposed: vec!["80/tcp".into()],
            listens: vec![(80, Service::Nginx)],
            exits_on_stop_signal: true,
            stop_signal: "SIGQUIT",
            server_uid: 0,
            programs: &[],
            workdir: "",
            musl: false,
            labels: &[(
                "maintainer",
                "NGINX Docker Maintainers <docker-maint@nginx.com>",
            )],
            users: UserFiles::DEBIAN.with_user(
                "nginx:x:101:101:nginx user:/nonexistent:/bin/false\n",
                "nginx:x:101:\n",
            ),
        },
        "postgres" => Image {
            entrypoint: &["docker-entrypoint.sh"],
            cmd: vec!["postgres".into()],
            env: &[PATH],
            exposed: vec!["5432/tcp".into()],
            listens: vec![(5432, Service::Postgres)],
            exits_on_stop_signal: true,
            stop_signal: "SIGINT",
            server_uid: 999,
            programs: &[],
            workdir: "",
            musl: false,
            labels: &[],
            users: UserFiles::DEBIAN.with_user(
                "postgres:x:999:999::/var/lib/postgresql:/bin/bash\n",
                "postgres:x:999:\n",
            ),
        },
        "httpd" => Image {
            entrypoint: &[],
            cmd: vec!["httpd-foreground".into()],
            env: &[
                "PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HTTPD_PREFIX=/usr/local/apache2",
            ],
            exposed: vec!["80/tcp".into()],
            listens: vec![(80, Service::Httpd)],
            exits_on_stop_signal: true,
            stop_signal: "SIGWINCH",
            server_uid: 0,
            programs: &[],
            workdir: "/usr/local/apache2",
            musl: false,
            labels: &[],
            users: UserFiles::DEBIAN,
        },
        "alpine" => Image {
            entrypoint: &[],
            cmd: vec!["/bin/sh".into()],
            env: &[PATH],
            exposed: Vec::new(),
            listens: Vec::new(),
            exits_on_stop_signal: false,
            stop_signal: "",
            server_uid: 0,
            programs: &[],
            workdir: "",
            musl: true,
            labels: &[],
            users: UserFiles::ALPINE,
        },
        // The network troubleshooting image (Alpine, busybox's applets, and tools such as
        // tcpdump); its command is an interactive zsh, its WORKDIR /root. vnet answers its
        // ping, nc and ip with busybox's applets, where netshoot has iputils', OpenBSD's
        // and iproute2's, whose words differ.
        "netshoot" => Image {
            entrypoint: &[],
            cmd: vec!["zsh".into()],
            env: &[PATH],
            exposed: Vec::new(),
            listens: Vec::new(),
            exits_on_stop_signal: false,
            stop_signal: "",
            server_uid: 0,
            programs: &["tcpdump"],
            workdir: "/root",
            musl: true,
            labels: &[],
            users: UserFiles::ALPINE,
        },
        "ubuntu" | "debian" => Image {
            entrypoint: &[],
            cmd: vec!["/bin/bash".into()],
            env: &[PATH],
            exposed: Vec::new(),
            listens: Vec::new(),
            exits_on_stop_signal: false,
            stop_signal: "",
            server_uid: 0,
            programs: &[],
            workdir: "",
            musl: false,
            labels: &[],
            users: UserFiles::DEBIAN,
        },
        // busybox and anything unknown: a shell.
        _ => Image {
            entrypoint: &[],
            cmd: vec!["sh".into()],
            env: &[PATH],
            exposed: Vec::new(),
            listens: Vec::new(),
            exits_on_stop_signal: false,
            stop_signal: "",
            server_uid: 0,
            programs: &[],
            workdir: "",
            musl: false,
            labels: &[],
            users: UserFiles::BUSYBOX,
        },
    }
}

/// The image's size in bytes (`Size` in `GET /images/{name}/json`, `SizeRootFs` of its
/// containers): busybox:latest (image 08ef35a1c3f0, busybox 1.37) as `docker images` lists it
/// on Engine 28, `4.43MB` (go-units' three significant digits; published listings give no
/// more, so the bytes are that figure). Other images count 0, shown as no size.
pub fn size(reference: &str) -> u64 {
    match official(reference) {
        Some(("busybox", "latest")) => 4_430_000,
        _ => 0,
    }
}

/// The repositories whose defaults [`lookup`] knows (Docker Hub's official images, and
/// one lab image of a user's namespace).
const KNOWN: [&str; 9] = [
    "alpine",
    "busybox",
    "debian",
    "httpd",
    "nginx",
    "nicolaka/netshoot",
    "postgres",
    "redis",
    "ubuntu",
];

/// The one image of the catalogue outside Docker Hub's official namespace.
const NETSHOOT: &str = "nicolaka/netshoot";

/// `busybox`, `busybox:1.36`, `library/busybox`, `docker.io/library/busybox:latest` → the
/// repository (`busybox`) and tag (`latest` when none), or `None` for another registry or
/// namespace (`nicolaka/netshoot[:TAG]` is let through, the catalogue having it).
fn official(reference: &str) -> Option<(&str, &str)> {
    let r = reference.strip_prefix("docker.io/").unwrap_or(reference);
    let r = r.strip_prefix("library/").unwrap_or(r);
    if r.contains('@') {
        return None;
    }
    if let Some(tag) = r.strip_prefix(NETSHOOT) {
        return match tag {
            "" => Some((NETSHOOT, "latest")),
            t => t.strip_prefix(':').map(|t| (NETSHOOT, t)),
        };
    }
    if r.contains('/') {
        return None;
    }
    Some(r.split_once(':').unwrap_or((r, "latest")))
}

/// Whether vnet knows the image, so that `GET /images/{name}/json` finds it.
pub fn is_known(reference: &str) -> bool {
    official(reference).is_some_and(|(repo, tag)| !tag.is_empty() && KNOWN.contains(&repo))
}

/// The reference as `RepoTags` shows it: `busybox:latest`, `example.com/app:latest`.
pub fn familiar_tagged(reference: &str) -> String {
    match official(reference) {
        Some((repo, tag)) => format!("{repo}:{tag}"),
        None if reference.contains('@') => reference.to_string(),
        None => {
            let last = reference.rsplit('/').next().unwrap_or(reference);
            if last.contains(':') {
                reference.to_string()
            } else {
                format!("{reference}:latest")
            }
        }
    }
}

/// The registry a pull of `reference` asks (docker/distribution's `splitDockerDomain`: a
/// first component with a `.` or `:`, or `localhost`, is a registry; else Docker Hub's).
pub fn registry(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((d, _)) if d.contains(['.', ':']) || d == "localhost" => {
            if d == "docker.io" {
                "registry-1.docker.io"
            } else {
                d
            }
        }
        _ => "registry-1.docker.io",
    }
}

/// The catalogue's images, as `RepoTags` names them (`vnet image ls`).
pub fn catalogue() -> impl Iterator<Item = String> {
    KNOWN.iter().map(|r| format!("{r}:latest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(lookup("redis").exposed, &["6379/tcp"]);
        assert_eq!(lookup("redis:7-alpine").exposed, &["6379/tcp"]);
        assert_eq!(lookup("library/nginx:latest").exposed, &["80/tcp"]);
        assert_eq!(lookup("busybox").cmd, ["sh"]);
        assert!(!lookup("busybox").exits_on_stop_signal);
        assert!(is_known("busybox"));
        assert!(is_known("docker.io/library/alpine:3.10"));
        assert!(!is_known("example.com/busybox"));
        assert!(!is_known("nosuchimage"));
        assert_eq!(size("busybox"), 4_430_000);
        assert_eq!(size("docker.io/library/busybox:latest"), 4_430_000);
        assert_eq!(size("redis"), 0);
        assert_eq!(
            familiar_tagged("docker.io/library/busybox"),
            "busybox:latest"
        );
    }
}
