//! What every applet takes and gives, as busybox's libbb/appletlib.c is the frame its applets
//! run in: the options of the command ([`ExecOptions`]), what it printed and its status
//! ([`ExecResult`]), and the end of a command that used the wire (`finish`).

pub use crate::docker::sandbox::ExecConfig;
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
    /// How many shells deep the command runs (`sh -c 'sh -c …'`); see [`MAX_SHELL_DEPTH`].
    pub depth: u32,
    /// `exec -e/-w/-u/--privileged`: the exec's own settings over the container's.
    pub exec: ExecConfig,
    /// The container's own command, run by the daemon in the background: an interrupt is
    /// the container being stopped, which then ends it (not the command's status).
    pub background: bool,
}

/// The deepest a shell may start shells (ash has no limit but the stack's; vnet's shells
/// recurse, so it has one).
pub const MAX_SHELL_DEPTH: u32 = 64;

/// The most a pipe carries from one command to the next (the stages of a pipeline run one
/// after the other, so the whole of it is held), and the most an applet that makes up its
/// output (`seq`, `printf`) writes: what a lab pipes fits many times over.
pub const MAX_PIPE: usize = 8 << 20;

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

/// Waits `d` of wall time (one virtual microsecond a microsecond), waking often enough to
/// notice `interrupted`; returns how long it waited.
pub fn wait_wall_clock(d: Duration, interrupted: &dyn Fn() -> bool) -> Duration {
    let start = std::time::Instant::now();
    let until = start + std::time::Duration::from_micros(d.as_micros());
    loop {
        let now = std::time::Instant::now();
        if now >= until {
            return d;
        }
        if interrupted() {
            let spent = u64::try_from((now - start).as_micros()).unwrap_or(u64::MAX);
            return Duration::from_micros(spent).min(d);
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
    /// The start of a UTF-8 character [`Output::push_bytes`] has not seen the end of.
    partial: Vec<u8>,
}

impl Output {
    pub(super) fn new(opts: &ExecOptions) -> Output {
        Output {
            gathered: String::new(),
            terminal: opts.terminal.clone(),
            full: false,
            partial: Vec::new(),
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

    /// Writes bytes a program read from the network: whole UTF-8 characters as they come (a
    /// character split between two reads waits for its end), anything else as U+FFFD, as a
    /// terminal would show it.
    pub(super) fn push_bytes(&mut self, bytes: &[u8]) {
        let mut data = std::mem::take(&mut self.partial);
        data.extend_from_slice(bytes);
        let mut text = String::new();
        let mut rest: &[u8] = &data;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(t) => {
                    text.push_str(t);
                    rest = &[];
                }
                Err(e) => {
                    let (ok, after) = rest.split_at(e.valid_up_to());
                    text.push_str(std::str::from_utf8(ok).unwrap_or_default());
                    match e.error_len() {
                        // Cut short at the end: keep it for the next read.
                        None => {
                            rest = after;
                            break;
                        }
                        Some(n) => {
                            text.push(char::REPLACEMENT_CHARACTER);
                            rest = after.get(n..).unwrap_or_default();
                        }
                    }
                }
            }
        }
        let rest = rest.to_vec();
        self.partial = rest;
        if !text.is_empty() {
            self.push(&text);
        }
    }

    /// Writes what [`Output::push_bytes`] still holds (a character never completed).
    pub(super) fn flush_bytes(&mut self) {
        let rest = std::mem::take(&mut self.partial);
        if !rest.is_empty() {
            self.push(&String::from_utf8_lossy(&rest));
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

    /// The command's result: what it printed and `code`, or, stopped at the gathered
    /// output's bound, why (status 1).
    pub(super) fn result(self, code: i32) -> ExecResult {
        let (stdout, stopped) = self.finish();
        match stopped {
            Some(why) => ExecResult {
                stdout,
                stderr: why,
                code: 1,
                ..Default::default()
            },
            None => ExecResult {
                stdout,
                code,
                ..Default::default()
            },
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

/// An errno an applet reports, which it words with the image's C library's `strerror`:
/// glibc's (the busybox image's default variant, Debian's) or musl's (Alpine's and
/// netshoot's; musl's src/errno/__strerror.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// `ECONNREFUSED`.
    ConnRefused,
    /// `ETIMEDOUT`.
    TimedOut,
    /// `ENETUNREACH`.
    NetUnreach,
    /// `EHOSTUNREACH`.
    HostUnreach,
    /// `EADDRINUSE`.
    AddrInUse,
    /// `EADDRNOTAVAIL`.
    AddrNotAvail,
    /// `EINTR`.
    Intr,
}

impl Errno {
    /// `strerror`'s words for it, musl's or glibc's.
    pub fn text(self, musl: bool) -> &'static str {
        match (self, musl) {
            (Errno::ConnRefused, _) => "Connection refused",
            (Errno::TimedOut, false) => "Connection timed out",
            (Errno::TimedOut, true) => "Operation timed out",
            (Errno::NetUnreach, false) => "Network is unreachable",
            (Errno::NetUnreach, true) => "Network unreachable",
            (Errno::HostUnreach, false) => "No route to host",
            (Errno::HostUnreach, true) => "Host is unreachable",
            (Errno::AddrInUse, false) => "Address already in use",
            (Errno::AddrInUse, true) => "Address in use",
            (Errno::AddrNotAvail, false) => "Cannot assign requested address",
            (Errno::AddrNotAvail, true) => "Address not available",
            (Errno::Intr, _) => "Interrupted system call",
        }
    }
}

/// `strerror(e)` as the program in `sb`'s container words it.
pub(super) fn strerror(sb: &Sandbox, e: Errno) -> &'static str {
    e.text(sb.musl())
}

/// An applet vnet has, called with arguments (or, named by `what`, options) it does not
/// simulate: said plainly rather than passed off as busybox's answer, status 1.
pub(super) fn not_simulated(cmd: &str, what: Option<&str>, args: &[&str]) -> ExecResult {
    let line = std::iter::once(cmd)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let what = what.map(|w| format!("{w}: ")).unwrap_or_default();
    ExecResult::err(format!("{cmd}: {what}arguments not simulated: {line}\n"), 1)
}

/// What a networking applet answers in a `--network host` container: the host's own stack
/// is not simulated there.
pub(super) fn host_network() -> ExecResult {
    ExecResult::err(
        "vnet: a host-network container uses the host's own stack, which vnet does not simulate yet\n".into(),
        1,
    )
}

/// How an applet names a file it cannot open (busybox has both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OpenError {
    /// `fopen_or_warn`: `APPLET: FILE: No such file or directory`.
    Perror,
    /// `open_or_warn`/`xfopen`: `APPLET: can't open 'FILE': No such file or directory`.
    CantOpen,
}

/// The texts an applet reads: each of `files` (`-` is standard input), or `stdin` when
/// there are none. A file the container does not have is `None`, its error added to `err`.
pub(super) fn inputs<'a>(
    sb: &Sandbox,
    applet: &str,
    files: &[&'a str],
    stdin: &str,
    style: OpenError,
    err: &mut String,
) -> Vec<(&'a str, Option<String>)> {
    if files.is_empty() {
        return vec![("-", Some(stdin.to_string()))];
    }
    files
        .iter()
        .map(|f| {
            let text = if *f == "-" {
                Some(stdin.to_string())
            } else {
                sb.file(f)
            };
            if text.is_none() {
                err.push_str(&match style {
                    OpenError::Perror => format!("{applet}: {f}: No such file or directory\n"),
                    OpenError::CantOpen => {
                        format!("{applet}: can't open '{f}': No such file or directory\n")
                    }
                });
            }
            (*f, text)
        })
        .collect()
}

/// libbb's `bb_strtou`/`bb_strtoull` on a whole word: digits only (no sign, no space), and
/// the number if it fits.
pub(super) fn strtou(s: &str) -> Option<u64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse::<u64>().ok())
        .flatten()
}

/// busybox's `xatou`-style count for an option (`head -n N`): a non-negative integer, else
/// `APPLET: invalid number 'X'`, status 1.
pub(super) fn count(applet: &str, s: &str) -> Result<u64, Box<ExecResult>> {
    s.parse::<u64>().map_err(|_| {
        Box::new(ExecResult::err(
            format!("{applet}: invalid number '{s}'\n"),
            1,
        ))
    })
}

/// busybox's usage error for an option the applet does not know, as glibc's getopt (under
/// libbb's getopt32) words it (`invalid option -- 'X'`, `unrecognized option '--X'`),
/// followed by the usage line, status 1.
pub(super) fn bad_option(applet: &str, opt: &str, usage: &str) -> ExecResult {
    let o = opt.trim_start_matches('-');
    let msg = if opt.starts_with("--") {
        format!("{applet}: unrecognized option '{opt}'\n")
    } else {
        format!(
            "{applet}: invalid option -- '{}'\n",
            o.chars().next().unwrap_or('-')
        )
    };
    ExecResult::err(
        format!("{msg}BusyBox v1.36.1 multi-call binary.\n\nUsage: {applet} {usage}\n"),
        1,
    )
}

/// An applet's command line read as libbb's `getopt32` reads it: flags (`-vn`, in any
/// order, before or after operands), options with a value (`-n 5`, `-n5`), `--` ending the
/// options, `-` an operand.
pub(super) struct Getopt<'a> {
    /// The flags given, in order.
    pub flags: Vec<char>,
    /// The options with values, in order.
    pub values: Vec<(char, &'a str)>,
    /// The operands.
    pub operands: Vec<&'a str>,
}

impl<'a> Getopt<'a> {
    /// Reads `args`: `flags` are the option letters without a value, `valued` those with
    /// one; `numeric` lets `-N` stand for `-n N` (head's and tail's old form).
    pub(super) fn parse(
        applet: &str,
        args: &[&'a str],
        flags: &str,
        valued: &str,
        numeric: bool,
        usage: &str,
    ) -> Result<Getopt<'a>, Box<ExecResult>> {
        let mut g = Getopt {
            flags: Vec::new(),
            values: Vec::new(),
            operands: Vec::new(),
        };
        let mut it = args.iter().copied();
        while let Some(a) = it.next() {
            if a == "--" {
                g.operands.extend(it.by_ref());
                break;
            }
            let Some(body) = a.strip_prefix('-').filter(|b| !b.is_empty()) else {
                g.operands.push(a);
                continue;
            };
            if body.starts_with('-') {
                return Err(Box::new(bad_option(applet, a, usage)));
            }
            if numeric && body.chars().all(|c| c.is_ascii_digit()) {
                g.values.push(('n', body));
                continue;
            }
            for (i, c) in body.char_indices() {
                if flags.contains(c) {
                    g.flags.push(c);
                } else if valued.contains(c) {
                    let rest = body.get(i + c.len_utf8()..).unwrap_or_default();
                    let v = if rest.is_empty() {
                        it.next().ok_or_else(|| {
                            Box::new(ExecResult::err(
                                format!(
                                    "{applet}: option requires an argument -- '{c}'\nBusyBox v1.36.1 multi-call binary.\n\nUsage: {applet} {usage}\n"
                                ),
                                1,
                            ))
                        })?
                    } else {
                        rest
                    };
                    g.values.push((c, v));
                    break;
                } else {
                    return Err(Box::new(bad_option(applet, &format!("-{c}"), usage)));
                }
            }
        }
        Ok(g)
    }

    /// Whether flag `c` was given.
    pub(super) fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }

    /// The last value of option `c`.
    pub(super) fn value(&self, c: char) -> Option<&'a str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| *v)
    }
}

/// head's and tail's `==> FILE <==` before the `k`-th file's lines (a blank line first
/// after the first file), when `shown`.
pub(super) fn file_header(out: &mut String, shown: bool, k: usize, name: &str) {
    if shown {
        let name = if name == "-" { "standard input" } else { name };
        let gap = if k == 0 { "" } else { "\n" };
        out.push_str(&format!("{gap}==> {name} <==\n"));
    }
}

/// The lines of `text`, each without its newline (a last line without one counts).
pub(super) fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
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
    fn bytes_from_the_network_keep_characters_whole() {
        let mut out = Output::new(&ExecOptions::default());
        let e = "é".as_bytes();
        out.push_bytes(&[b'a', e[0]]);
        out.push_bytes(&[e[1], b'b', 0xff, b'c']);
        out.push_bytes(&[0xe2, 0x82]);
        out.flush_bytes();
        assert_eq!(out.finish().0, "aéb\u{fffd}c\u{fffd}");
    }

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
