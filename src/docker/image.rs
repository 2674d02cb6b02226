//! Images: nothing is pulled; an image name only brings the defaults a real image would
//! (entrypoint, command, environment, exposed ports, how it reacts to SIGTERM).
//!
//! The defaults are those of the official images on Docker Hub (their Dockerfiles'
//! `ENTRYPOINT`, `CMD`, `EXPOSE`, `STOPSIGNAL`). Any other name is accepted and behaves like
//! a minimal image whose command is a shell.

/// What an image contributes to a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `ENTRYPOINT`.
    pub entrypoint: &'static [&'static str],
    /// `CMD`.
    pub cmd: &'static [&'static str],
    /// `ENV`.
    pub env: &'static [&'static str],
    /// `EXPOSE`, as `port/proto`.
    pub exposed: &'static [&'static str],
    /// The TCP servers its program runs, by port (what the program listens on, as
    /// `netstat -tln` in the container shows it).
    pub listens: &'static [(u16, Service)],
    /// Whether PID 1 exits on the stop signal. A shell as PID 1 ignores SIGTERM, so
    /// `docker stop` waits out its timeout and kills it (exit 137).
    pub exits_on_stop_signal: bool,
}

/// A server an image's program runs (its behaviour is in [`crate::servers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// nginx serving its default page.
    Nginx,
    /// Apache httpd serving its default page.
    Httpd,
    /// redis-server.
    Redis,
    /// The PostgreSQL server.
    Postgres,
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
    match repo {
        "redis" => Image {
            entrypoint: &["docker-entrypoint.sh"],
            cmd: &["redis-server"],
            env: &[PATH],
            exposed: &["6379/tcp"],
            listens: &[(6379, Service::Redis)],
            exits_on_stop_signal: true,
        },
        "nginx" => Image {
            entrypoint: &["/docker-entrypoint.sh"],
            cmd: &["nginx", "-g", "daemon off;"],
            env: &[PATH],
            exposed: &["80/tcp"],
            listens: &[(80, Service::Nginx)],
            exits_on_stop_signal: true,
        },
        "postgres" => Image {
            entrypoint: &["docker-entrypoint.sh"],
            cmd: &["postgres"],
            env: &[PATH],
            exposed: &["5432/tcp"],
            listens: &[(5432, Service::Postgres)],
            exits_on_stop_signal: true,
        },
        "httpd" => Image {
            entrypoint: &[],
            cmd: &["httpd-foreground"],
            env: &[
                "PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HTTPD_PREFIX=/usr/local/apache2",
            ],
            exposed: &["80/tcp"],
            listens: &[(80, Service::Httpd)],
            // STOPSIGNAL SIGWINCH: a graceful stop.
            exits_on_stop_signal: true,
        },
        "alpine" => Image {
            entrypoint: &[],
            cmd: &["/bin/sh"],
            env: &[PATH],
            exposed: &[],
            listens: &[],
            exits_on_stop_signal: false,
        },
        "ubuntu" | "debian" => Image {
            entrypoint: &[],
            cmd: &["/bin/bash"],
            env: &[PATH],
            exposed: &[],
            listens: &[],
            exits_on_stop_signal: false,
        },
        // busybox and anything unknown: a shell.
        _ => Image {
            entrypoint: &[],
            cmd: &["sh"],
            env: &[PATH],
            exposed: &[],
            listens: &[],
            exits_on_stop_signal: false,
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

/// The repositories whose defaults [`lookup`] knows (Docker Hub's official images).
const KNOWN: [&str; 8] = [
    "alpine", "busybox", "debian", "httpd", "nginx", "postgres", "redis", "ubuntu",
];

/// `busybox`, `busybox:1.36`, `library/busybox`, `docker.io/library/busybox:latest` → the
/// repository (`busybox`) and tag (`latest` when none), or `None` for another registry or
/// namespace.
fn official(reference: &str) -> Option<(&str, &str)> {
    let r = reference.strip_prefix("docker.io/").unwrap_or(reference);
    let r = r.strip_prefix("library/").unwrap_or(r);
    if r.contains('/') || r.contains('@') {
        return None;
    }
    Some(r.split_once(':').unwrap_or((r, "latest")))
}

/// Whether vnet knows the image, so that `GET /images/{name}/json` finds it.
pub fn is_known(reference: &str) -> bool {
    official(reference).is_some_and(|(repo, tag)| !tag.is_empty() && KNOWN.contains(&repo))
}

/// The reference as `RepoTags` shows it: `busybox:latest`.
pub fn familiar_tagged(reference: &str) -> String {
    match official(reference) {
        Some((repo, tag)) => format!("{repo}:{tag}"),
        None => reference.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(lookup("redis").exposed, &["6379/tcp"]);
        assert_eq!(lookup("redis:7-alpine").exposed, &["6379/tcp"]);
        assert_eq!(lookup("library/nginx:latest").exposed, &["80/tcp"]);
        assert_eq!(lookup("busybox").cmd, &["sh"]);
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
