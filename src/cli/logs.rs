//! `docker logs [OPTIONS] CONTAINER`: docker/cli `cli/command/container/logs.go`
//! (`runLogs`: the container inspected first, then its log read with both streams), the
//! client's `ContainerLogs` (`--since`/`--until` turned into Unix timestamps by
//! `GetTimestamp`, from the host's virtual clock), and the daemon's answer
//! (`daemon/logs.go`, `api/server/httputils/write_log_stream.go`: `-t` puts the time
//! before each line, as `RFC3339NanoFixed`).
//!
//! `--follow` on a running container prints what comes until it stops or the user
//! interrupts: the `vnet` binary reads the state again every quarter of a second
//! ([`Follow`]); a replay (a scenario), which has nobody to wait for, prints what is there.

use super::{Outcome, Want, arity};
use crate::docker::container::{LogStream, Logs, LogsOptions};
use crate::docker::{Daemon, timestamp};
use clap::Args;

/// `logs` arguments.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct LogsArgs {
    /// Show extra details provided to logs
    #[arg(long)]
    details: bool,
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for
    /// 42 minutes)
    #[arg(long, value_name = "string")]
    since: Option<String>,
    /// Number of lines to show from the end of the logs
    #[arg(short = 'n', long, value_name = "string", default_value = "all")]
    tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m"
    /// for 42 minutes)
    #[arg(long, value_name = "string")]
    until: Option<String>,
    /// CONTAINER
    args: Vec<String>,
}

impl LogsArgs {
    /// The container named.
    pub(super) fn scope(&self) -> crate::store::Scope {
        crate::store::Scope::of(super::network::first(&self.args), &[])
    }
}

/// Where a `logs --follow` has got to: the `vnet` binary asks for what came after
/// ([`follow`]) until the container stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follow {
    /// The container's ID.
    pub container: String,
    /// How many entries it had logged when last read.
    pub logged: u64,
    /// `--until`, as the daemon reads it.
    pub until: Option<crate::time::Instant>,
    /// `-t`.
    pub timestamps: bool,
    /// `--details`.
    pub details: bool,
}

/// `runLogs`.
pub(super) fn logs(a: &LogsArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "logs", a.args.len(), Want::Exactly(1), o) {
        return;
    }
    let Some(term) = a.args.first() else {
        return;
    };
    let id = match d.find_container(term) {
        Ok(id) => id,
        Err(e) => return o.daemon_error(&e),
    };
    let now = d.now();
    let stamp = |flag: &str, v: &Option<String>| -> Result<Option<crate::time::Instant>, String> {
        let Some(v) = v else { return Ok(None) };
        let ts = timestamp::get_timestamp(v, now)
            .map_err(|e| format!("invalid value for \"{flag}\": {e}"))?;
        timestamp::parse_timestamps(&ts).map(Some)
    };
    let (since, until) = match (stamp("since", &a.since), stamp("until", &a.until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => return o.fail(e),
    };
    // The daemon reads `tail` as a number; anything else (`all`) is every line.
    let tail = a
        .tail
        .parse::<i64>()
        .ok()
        .and_then(|n| usize::try_from(n).ok());
    let opts = LogsOptions {
        stdout: true,
        stderr: true,
        since,
        until,
        tail,
        after: None,
    };
    match d.container_logs(&id, &opts) {
        Ok(l) => {
            print_lines(&l, a.timestamps, a.details, o);
            if a.follow && l.running {
                o.follow = Some(Box::new(Follow {
                    container: id,
                    logged: l.logged,
                    until,
                    timestamps: a.timestamps,
                    details: a.details,
                }));
            }
        }
        Err(e) => o.daemon_error(&e),
    }
}

/// What container `f.container` logged since `f` was taken, printed into `o`; `f` moves
/// on, and comes back while the container runs (`None` once it stopped or was removed).
pub fn follow(f: &Follow, d: &Daemon, o: &mut Outcome) -> Option<Follow> {
    let opts = LogsOptions {
        stdout: true,
        stderr: true,
        until: f.until,
        after: Some(f.logged),
        ..LogsOptions::default()
    };
    let l = d.container_logs(&f.container, &opts).ok()?;
    print_lines(&l, f.timestamps, f.details, o);
    l.running.then(|| Follow {
        logged: l.logged,
        ..f.clone()
    })
}

/// The lines as the CLI writes them: a TTY's raw stream to stdout, otherwise each to its
/// stream; `-t` puts each line's time first, `--details` the line's attributes and a space
/// (a container without log labels has none: the space alone).
fn print_lines(l: &Logs, timestamps: bool, details: bool, o: &mut Outcome) {
    for line in &l.lines {
        let out = match line.stream {
            LogStream::Stderr if !l.tty => &mut o.stderr,
            _ => &mut o.stdout,
        };
        out.push_str(&line.shown(timestamps, details));
    }
}
