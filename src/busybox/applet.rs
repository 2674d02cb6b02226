//! What every applet takes and gives, as busybox's libbb/appletlib.c is the frame its applets
//! run in: the options of the command ([`ExecOptions`]), what it printed and its status
//! ([`ExecResult`]), and the end of a command that used the wire (`finish`).

use crate::docker::sandbox::Sandbox;
use crate::engine::World;
use crate::time::Duration;
use std::sync::Arc;

/// How to run a command.
#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    /// `-t`: a terminal (`TERM=xterm` in the environment).
    pub tty: bool,
    /// Record a tcpdump-like line per frame.
    pub trace: bool,
    /// Record a pcapng capture.
    pub capture: bool,
    /// Where output goes as it is produced, and what interrupts the command; without one
    /// (scenarios, tests) the output is gathered into the result.
    pub terminal: Option<Console>,
    /// `--realtime`: every command is paced to the wall clock, not only those without an end.
    pub realtime: bool,
}

/// The user's end of a running command: its output as the simulation produces it, and the
/// interrupt (Ctrl-C, SIGINT, the client going away) that ends it as a signal ends the real
/// program. Implemented by each front end (the `vnet` binary's terminal, the daemon's
/// hijacked stream).
pub trait Terminal: Send + Sync {
    /// Writes to the command's standard output, now.
    fn write(&self, s: &str);
    /// Whether the command has been interrupted.
    fn interrupted(&self) -> bool;
    /// Blocks until `elapsed` of wall time has passed since the terminal was opened, or
    /// until an interrupt: what paces a command to the clock (one virtual second a second).
    fn pace(&self, elapsed: Duration);
}

/// What a front end's [`Terminal::pace`] does: sleeps until `elapsed` (virtual time, one
/// microsecond a microsecond) has passed on the wall clock since `opened`, waking often
/// enough to notice `interrupted`.
pub fn pace_wall_clock(
    opened: std::time::Instant,
    elapsed: Duration,
    interrupted: &dyn Fn() -> bool,
) {
    let until = opened + std::time::Duration::from_micros(elapsed.as_micros());
    while !interrupted() {
        let now = std::time::Instant::now();
        if now >= until {
            return;
        }
        std::thread::sleep((until - now).min(std::time::Duration::from_millis(20)));
    }
}

/// A shared [`Terminal`].
#[derive(Clone)]
pub struct Console(pub Arc<dyn Terminal>);

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Console")
    }
}

/// The most output a command gathers when no terminal takes it as it comes (a scenario, an
/// in-process run): past it the command is stopped, as an interrupt would.
pub const MAX_GATHERED_OUTPUT: usize = 64 << 20;

/// A running command's standard output: written through to the terminal, or gathered (up to
/// [`MAX_GATHERED_OUTPUT`]).
pub(super) struct Output {
    gathered: String,
    terminal: Option<Console>,
    full: bool,
}

impl Output {
    pub(super) fn new(opts: &ExecOptions) -> Output {
        Output {
            gathered: String::new(),
            terminal: opts.terminal.clone(),
            full: false,
        }
    }

    /// Writes `s`.
    pub(super) fn push(&mut self, s: &str) {
        match &self.terminal {
            Some(t) => t.0.write(s),
            None if self.gathered.len() + s.len() <= MAX_GATHERED_OUTPUT => {
                self.gathered.push_str(s)
            }
            None => self.full = true,
        }
    }

    /// Whether the command must stop: interrupted, or out of room for its output.
    pub(super) fn stopped(&self) -> bool {
        self.full || self.terminal.as_ref().is_some_and(|t| t.0.interrupted())
    }

    /// Waits for the wall clock to reach `elapsed` since the start (a no-op without a
    /// terminal).
    pub(super) fn pace(&self, elapsed: Duration) {
        if let Some(t) = &self.terminal {
            t.0.pace(elapsed);
        }
    }

    /// What was gathered, and why the command stopped early if it ran out of room.
    pub(super) fn finish(self) -> (String, Option<String>) {
        let why = self.full.then(|| {
            format!(
                "vnet: the command's output passed {} MiB and it was stopped; run it on a terminal (`vnet exec`) to stream it\n",
                MAX_GATHERED_OUTPUT >> 20
            )
        });
        (self.gathered, why)
    }
}

/// What a command printed, its status, and what the wire saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecResult {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
    /// Trace lines, when asked for.
    pub trace: Vec<String>,
    /// A pcapng file, when asked for.
    pub capture: Option<Vec<u8>>,
    /// The OCI runtime's error when the program could not be started at all (status 126).
    /// moby's exec start writes it on the attached output as the stdout stream, followed by
    /// CRLF (api/server/router/container/exec.go `postContainerExecStart`), so the docker CLI
    /// prints it on its standard output (docker/cli#2025, docker/cli#4847).
    pub start_error: Option<String>,
}

impl ExecResult {
    pub(super) fn out(stdout: String) -> ExecResult {
        ExecResult {
            stdout,
            ..Default::default()
        }
    }
    pub(super) fn err(stderr: String, code: i32) -> ExecResult {
        ExecResult {
            stderr,
            code,
            ..Default::default()
        }
    }
}

/// Ends a command that ran in `world`: the sandbox keeps what changed (counters, ARP caches,
/// the clock), and the result carries what the wire saw. A world that ran out of its budget
/// stopped the command: it says so after what the command printed, with status 1.
pub(super) fn finish(sb: &mut Sandbox, world: &World, mut r: ExecResult) -> ExecResult {
    if let Some(why) = world.budget_exceeded() {
        r.stderr.push_str(&format!("vnet: {why}\n"));
        r.code = 1;
    }
    sb.write_back(world);
    r.trace = world.trace_lines().to_vec();
    r.capture = world.capture_bytes();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathered_output_is_bounded() {
        let mut out = Output::new(&ExecOptions::default());
        let chunk = "x".repeat(1 << 20);
        while !out.stopped() {
            out.push(&chunk);
        }
        let (text, why) = out.finish();
        assert_eq!(text.len(), MAX_GATHERED_OUTPUT);
        assert!(why.is_some_and(|w| w.contains("passed 64 MiB")));
    }
}
