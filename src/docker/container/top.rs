//! `docker top`: moby's `daemon/top_unix.go` (`ContainerTop`), which runs the host's
//! `ps -ef` and keeps the rows of the container's processes. vnet's processes are the
//! container's command (its PID is the one `State.Pid` shows), the servers `exec -d` left
//! running and the captures left running, each numbered as it started ([`Container::ps`]);
//! their rows are the ones procps' `ps -ef` prints for them. Inside the container, busybox
//! `top` lists the same processes as its PID namespace numbers them.

use super::*;

/// `container.TopResponse`: the titles and one row per process, as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Top {
    /// `Titles`: the columns.
    pub titles: Vec<String>,
    /// `Processes`: a row per process, in PID order.
    pub processes: Vec<Vec<String>>,
}

/// A process running in a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsEntry {
    /// Its PID on the host.
    pub pid: u32,
    /// When it started.
    pub started: Instant,
    /// It runs on the container's terminal (the command of a `-t` container).
    pub tty: bool,
    /// Its command line.
    pub command: String,
    /// The user it runs as.
    pub uid: u32,
}

/// `ps -ef`'s columns.
const TITLES: [&str; 8] = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];

impl Container {
    /// The processes running in it, by PID: its command (unless it is a server or capture
    /// it left running, which then holds its PID), the servers and captures left running.
    /// Empty when it does not run.
    pub fn ps(&self, main_uid: u32) -> Vec<PsEntry> {
        if !self.is_running() {
            return Vec::new();
        }
        let main = self.state.pid;
        let started = self.state.started_at.unwrap_or_default();
        let entry = |pid: u32, at: Option<Instant>, command: String, uid: u32| PsEntry {
            pid,
            started: at.unwrap_or(started),
            tty: pid == main && self.config.tty,
            command,
            uid,
        };
        let mut list = Vec::new();
        if self.main_pid_free().is_some() {
            list.push(entry(main, None, self.argv().join(" "), main_uid));
        }
        for p in &self.processes {
            list.push(entry(p.pid, p.started, p.argv.join(" "), p.uid));
        }
        for k in self.captures.iter().filter(|k| k.ended.is_none()) {
            list.push(entry(k.pid, k.started, k.command.clone(), k.uid));
        }
        list.sort_by_key(|e| e.pid);
        list
    }

    /// A host PID as the container's PID namespace numbers it: its command is PID 1, and
    /// the processes started after it follow in the order they started.
    pub fn namespace_pid(&self, pid: u32) -> u32 {
        pid.saturating_sub(self.state.pid).saturating_add(1)
    }
}

impl Daemon {
    /// The user container `c`'s command runs as: its `User` as its start found it, else
    /// the image's server's.
    pub fn main_uid(&self, c: &Container) -> u32 {
        if let Some(u) = &c.main_user {
            return u.uid;
        }
        // The image's server, which its entrypoint may have dropped to its own user.
        self.image(&c.config.image)
            .filter(|i| !i.listens.is_empty() && c.config.cmd == i.cmd)
            .map_or(0, |i| i.server_uid)
    }

    /// `GET /containers/{id}/top?ps_args=`: the processes running in the container, as
    /// `ps -ef` shows them (the default; other ps options are not modelled).
    pub fn container_top(&self, term: &str, ps_args: &str) -> Result<Top> {
        let c = self.state.container(&self.find_container(term)?)?;
        if !c.is_running() {
            return Err(Error::container_not_running(&c.id));
        }
        if !matches!(ps_args.trim(), "" | "-ef" | "-fe" | "-e -f" | "-f -e") {
            return Err(Error::ps_args_not_simulated(ps_args));
        }
        let now = self.now();
        // The runtime's shim is the parent of every process run in the container.
        let shim = c.state.pid.saturating_sub(1).to_string();
        let processes = c
            .ps(self.main_uid(c))
            .into_iter()
            .map(|p| {
                let tty = if p.tty { "pts/0" } else { "?" };
                let (pid, stime) = (p.pid.to_string(), p.started.ps_stime(now));
                // The host's ps names users by the host's /etc/passwd.
                let uid = super::user::user_name(crate::docker::passwd::HOST_PASSWD, p.uid)
                    .map_or_else(|| p.uid.to_string(), str::to_string);
                let cells = [&uid, &pid, &shim, "0", &stime, tty, "00:00:00", &p.command];
                cells.iter().map(|s| s.to_string()).collect()
            })
            .collect();
        Ok(Top {
            titles: TITLES.iter().map(|s| s.to_string()).collect(),
            processes,
        })
    }
}
