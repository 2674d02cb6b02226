//! `docker top`: moby's `daemon/top_unix.go` (`ContainerTop`), which runs the host's
//! `ps -ef` and keeps the rows of the container's processes. vnet's processes are the
//! container's command (its PID is the one `State.Pid` shows), the servers `exec -d` left
//! running and the captures left running, each numbered as it started; their rows are the
//! ones procps' `ps -ef` prints for them.

use super::*;

/// `container.TopResponse`: the titles and one row per process, as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Top {
    /// `Titles`: the columns.
    pub titles: Vec<String>,
    /// `Processes`: a row per process, in PID order.
    pub processes: Vec<Vec<String>>,
}

/// `ps -ef`'s columns.
const TITLES: [&str; 8] = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];

impl Daemon {
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
        let started = c.state.started_at.unwrap_or(now);
        // The runtime's shim is the parent of every process run in the container.
        let shim = c.state.pid.saturating_sub(1).to_string();
        let row = |pid: u32, at: Instant, tty: &str, cmd: String| {
            let stime = at.ps_stime(now);
            let cells = [
                "root",
                &pid.to_string(),
                &shim,
                "0",
                &stime,
                tty,
                "00:00:00",
            ];
            let mut row: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
            row.push(cmd);
            row
        };
        let main_tty = if c.config.tty { "pts/0" } else { "?" };
        let mut rows = Vec::new();
        // The main process, unless it is a server or capture it left running (which then
        // holds its PID).
        if c.main_pid_free().is_some() {
            let main = row(c.state.pid, started, main_tty, c.argv().join(" "));
            rows.push((c.state.pid, main));
        }
        for p in &c.processes {
            let at = p.started.unwrap_or(started);
            let tty = if p.pid == c.state.pid { main_tty } else { "?" };
            rows.push((p.pid, row(p.pid, at, tty, p.argv.join(" "))));
        }
        for k in c.captures.iter().filter(|k| k.ended.is_none()) {
            let at = k.started.unwrap_or(started);
            let tty = if k.pid == c.state.pid { main_tty } else { "?" };
            rows.push((k.pid, row(k.pid, at, tty, k.command.clone())));
        }
        // ps lists by PID.
        rows.sort_by_key(|(pid, _)| *pid);
        Ok(Top {
            titles: TITLES.iter().map(|s| s.to_string()).collect(),
            processes: rows.into_iter().map(|(_, r)| r).collect(),
        })
    }
}
