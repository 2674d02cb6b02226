//! `docker logs`: what a container's main process printed, as moby's `json-file` log
//! driver keeps it (`daemon/logger/jsonfilelog`: one entry per line with its stream and
//! time) and `daemon/logs.go` (`ContainerLogs`) reads it back: the last `tail` lines, then
//! those from `since` up to `until`.
//!
//! An entry is a line ending in `\n` (`\r\n` on a terminal, where both streams are one), or the text the process wrote last without one;
//! like the driver, a line longer than [`MAX_LINE`] is cut into entries of that size. A
//! container keeps the last [`MAX_LOG_BYTES`] of entries, the oldest dropped first (the
//! driver's `max-size` rotation, with one file).

use super::*;

/// The most a container's log keeps, counting each entry's text and [`ENTRY_OVERHEAD`] (the
/// oldest lines go first).
pub const MAX_LOG_BYTES: usize = 256 << 10;
/// What an entry costs besides its text (its stream and time, as json-file's line does).
pub const ENTRY_OVERHEAD: usize = 40;
/// The longest entry: the log driver's buffer (`logger.defaultBufSize`, 16 KiB); a longer
/// line becomes several entries.
pub const MAX_LINE: usize = 16 << 10;

/// Which of the process's outputs a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One entry of a container's log (`jsonlog.JSONLog`: `log`, `stream`, `time`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The text, with its `\n` when it had one.
    pub log: String,
    /// stdout or stderr.
    pub stream: LogStream,
    /// When it was logged (virtual time).
    pub time: Instant,
}

impl LogLine {
    /// The line as the daemon writes it (`httputils.WriteLogStream`): with `timestamps`
    /// its time first (`RFC3339NanoFixed`), with `details` its attributes and a space (a
    /// container without log labels has none: the space alone).
    pub fn shown(&self, timestamps: bool, details: bool) -> String {
        let mut s = String::new();
        if timestamps {
            s.push_str(&self.time.rfc3339_nano_fixed());
            s.push(' ');
        }
        if details {
            s.push(' ');
        }
        s.push_str(&self.log);
        s
    }
}

/// What `GET /containers/{id}/logs` asks for (`container.LogsOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogsOptions {
    /// `stdout=1`.
    pub stdout: bool,
    /// `stderr=1`.
    pub stderr: bool,
    /// Lines from this instant on (`since`).
    pub since: Option<Instant>,
    /// Lines up to this instant (`until`).
    pub until: Option<Instant>,
    /// The last this many lines (`tail`; all when `None`).
    pub tail: Option<usize>,
    /// Only the entries logged after the first this many (a follower's place).
    pub after: Option<u64>,
}

/// A container's log as read: its lines, and how the container's output is framed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logs {
    /// The lines asked for, oldest first.
    pub lines: Vec<LogLine>,
    /// The container has a TTY (its output is one raw stream).
    pub tty: bool,
    /// The container runs (`--follow` goes on).
    pub running: bool,
    /// How many entries the container has logged in all (where a follower has got to).
    pub logged: u64,
}

impl Daemon {
    /// Adds what container `cid`'s main process printed now to its log.
    pub fn container_log(&mut self, cid: &str, stdout: &str, stderr: &str) {
        let now = self.now();
        let Ok(c) = self.state.container_mut(cid) else {
            return;
        };
        // On a terminal both streams are one, whose line ends are CRLF.
        let merged;
        let streams = if c.config.tty {
            merged = format!("{stdout}{stderr}")
                .replace("\r\n", "\n")
                .replace('\n', "\r\n");
            [
                (LogStream::Stdout, merged.as_str()),
                (LogStream::Stderr, ""),
            ]
        } else {
            [(LogStream::Stdout, stdout), (LogStream::Stderr, stderr)]
        };
        for (stream, text) in streams {
            for line in text.split_inclusive('\n') {
                let mut rest = line;
                while !rest.is_empty() {
                    let mut cut = rest.len().min(MAX_LINE);
                    while !rest.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let (head, tail) = rest.split_at(cut);
                    c.logs.push(LogLine {
                        log: head.to_string(),
                        stream,
                        time: now,
                    });
                    c.logged += 1;
                    rest = tail;
                }
            }
        }
        let cost = |l: &LogLine| l.log.len() + ENTRY_OVERHEAD;
        let mut total: usize = c.logs.iter().map(cost).sum();
        let mut drop = 0;
        for l in &c.logs {
            if total <= MAX_LOG_BYTES {
                break;
            }
            total -= cost(l);
            drop += 1;
        }
        c.logs.drain(..drop);
    }

    /// `GET /containers/{id}/logs` (moby's `ContainerLogs`): the last `tail` lines of the
    /// streams asked for, then those not before `since` and not after `until`.
    pub fn container_logs(&self, term: &str, opts: &LogsOptions) -> Result<Logs> {
        if !(opts.stdout || opts.stderr) {
            return Err(Error::new(
                crate::docker::Kind::InvalidParameter,
                "You must choose at least one stream",
            ));
        }
        let c = self.state.container(&self.find_container(term)?)?;
        let wanted = |l: &&LogLine| match l.stream {
            LogStream::Stdout => opts.stdout,
            LogStream::Stderr => opts.stderr,
        };
        // The entries before a follower's place are skipped.
        let first = c.logged.saturating_sub(c.logs.len() as u64);
        let skip = opts.after.map_or(0, |a| {
            usize::try_from(a.saturating_sub(first)).unwrap_or(usize::MAX)
        });
        let all: Vec<&LogLine> = c.logs.iter().skip(skip).filter(wanted).collect();
        let from = opts.tail.map_or(0, |n| all.len().saturating_sub(n));
        let lines = all
            .into_iter()
            .skip(from)
            .filter(|l| opts.since.is_none_or(|s| l.time >= s))
            .take_while(|l| opts.until.is_none_or(|u| l.time <= u))
            .cloned()
            .collect();
        Ok(Logs {
            lines,
            tty: c.config.tty,
            running: c.is_running(),
            logged: c.logged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon_with(name: &str) -> (Daemon, String) {
        let mut d = Daemon::new(1);
        let id = d
            .container_create(ContainerCreateRequest {
                name: Some(name.into()),
                image: "busybox".into(),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        (d, id)
    }

    #[test]
    fn lines_keep_their_stream_and_tail_counts_the_streams_asked_for() {
        let (mut d, id) = daemon_with("web");
        d.container_log(&id, "one\ntwo\nthree", "oops\n");
        let both = LogsOptions {
            stdout: true,
            stderr: true,
            ..Default::default()
        };
        let l = d
            .container_logs("web", &both)
            .unwrap_or_else(|e| panic!("{e}"));
        let texts: Vec<&str> = l.lines.iter().map(|l| l.log.as_str()).collect();
        assert_eq!(texts, ["one\n", "two\n", "three", "oops\n"]);
        let tail = LogsOptions {
            stdout: true,
            tail: Some(1),
            ..Default::default()
        };
        let l = d
            .container_logs("web", &tail)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.lines.first().map(|l| l.log.as_str()), Some("three"));
        let none = d.container_logs("web", &LogsOptions::default());
        assert_eq!(
            none.map_err(|e| e.message),
            Err("You must choose at least one stream".to_string())
        );
    }

    #[test]
    fn a_log_keeps_its_last_bytes_and_cuts_long_lines() {
        let (mut d, id) = daemon_with("web");
        let long = "x".repeat(MAX_LINE + 10);
        d.container_log(&id, &long, "");
        let c = d.container(&id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.logs.len(), 2);
        for _ in 0..40 {
            d.container_log(&id, &format!("{}\n", "y".repeat(10_000)), "");
        }
        let c = d.container(&id).unwrap_or_else(|e| panic!("{e}"));
        let total: usize = c.logs.iter().map(|l| l.log.len() + ENTRY_OVERHEAD).sum();
        assert!(total <= MAX_LOG_BYTES, "{total}");
        assert!(c.logs.iter().all(|l| l.log.starts_with('y')));
    }
}
