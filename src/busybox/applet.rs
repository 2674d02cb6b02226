//! What every applet takes and gives, as busybox's libbb/appletlib.c is the frame its applets
//! run in: the options of the command ([`ExecOptions`]), what it printed and its status
//! ([`ExecResult`]), and the end of a command that used the wire (`finish`).

use crate::docker::sandbox::Sandbox;
use crate::engine::World;

/// How to run a command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// `-t`: a terminal (`TERM=xterm` in the environment).
    pub tty: bool,
    /// Record a tcpdump-like line per frame.
    pub trace: bool,
    /// Record a pcapng capture.
    pub capture: bool,
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
/// the clock), and the result carries what the wire saw.
pub(super) fn finish(sb: &mut Sandbox, world: &World, mut r: ExecResult) -> ExecResult {
    sb.write_back(world);
    r.trace = world.trace_lines().to_vec();
    r.capture = world.capture_bytes();
    r
}
