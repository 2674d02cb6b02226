//! A small busybox (1.36), the shell inside every simulated container, as `docker exec` and
//! `docker attach` reach it.
//!
//! One file per applet, as busybox has one per applet: [`ping`] (networking/ping.c) runs on
//! the simulated wire (the [`engine`](crate::engine)); [`ifconfig`] (networking/ifconfig.c,
//! libbb interface.c), [`ip`] (networking/libiproute, networking/arp.c) and [`files`]
//! (coreutils/cat.c, echo.c, env.c, hostname) print the container's state in busybox's
//! formats; [`nslookup`] (networking/nslookup.c) asks the embedded DNS over the loopback.
//! This file starts programs as `docker exec` does (no shell: a program the image lacks is
//! the runtime's error, 126) and is the shell (shell/ash.c) that `attach` and `sh -c` reach:
//! it splits a command line and dispatches on the applet's name; anything else is
//! `sh: NAME: not found`, 127. What every applet takes and gives is in [`applet`].
//!
//! Applets see the container through its [`Sandbox`] (interfaces, files, environment, the
//! simulated world to send frames in), not through the whole engine; [`exec`] and
//! [`attach_line`] are the ways in, for the CLI and the Engine API alike.

pub mod applet;
pub mod files;
pub mod ifconfig;
pub mod ip;
pub mod nslookup;
pub mod ping;

pub use applet::{ExecOptions, ExecResult};

use crate::docker::sandbox::Sandbox;
use crate::docker::{Daemon, Result};

/// busybox sh's prompt as root, shown on a terminal before each line.
pub const PROMPT: &str = "/ # ";
/// ctrl-p ctrl-q, Docker's detach keys.
pub const DETACH_KEYS: &str = "\u{10}\u{11}";

/// What a line typed into an attached shell did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachLine {
    /// It ran as a command.
    Ran(ExecResult),
    /// `exit N`: the shell, and with it the container, ended with this status.
    Exit(i32),
    /// The detach keys: the client lets go, the container keeps running.
    Detach,
}

/// `POST /containers/{id}/exec` + start: runs a program in a running container. No shell is
/// involved: the runtime looks `argv[0]` up in the image's `$PATH` (`sh -c "LINE"` is the way
/// to a shell), and a program the image lacks fails to start (runc's `exec: "X": executable
/// file not found in $PATH`, status 126: moby daemon/exec.go sets 126 when the start fails).
pub fn exec(d: &mut Daemon, term: &str, argv: &[String], opts: &ExecOptions) -> Result<ExecResult> {
    let cid = d.exec_target(term)?;
    Ok(program(&mut d.sandbox(&cid), argv, opts))
}

/// One line typed into the attached shell of running container `cid` (its main process,
/// busybox `sh`): ctrl-p ctrl-q detaches, `exit [N]` ends the shell and so the container,
/// anything else runs as a command.
pub fn attach_line(d: &mut Daemon, cid: &str, line: &str, opts: &ExecOptions) -> AttachLine {
    if line.contains(DETACH_KEYS) {
        return AttachLine::Detach;
    }
    let words: Vec<String> = line.split_whitespace().map(String::from).collect();
    if words.first().map(|w| w.as_str()) == Some("exit") {
        let code = words.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        d.container_exit(cid, code);
        return AttachLine::Exit(code);
    }
    AttachLine::Ran(shell(&mut d.sandbox(cid), &words, opts))
}

/// A program started directly (`docker exec`, the runtime's `execve`): an applet of the
/// image, `sh`, or the runtime's error.
pub fn program(sb: &mut Sandbox, argv: &[String], opts: &ExecOptions) -> ExecResult {
    // `sh` with no command reads its standard input, which `exec` without `-i` closes.
    if argv == ["sh"] {
        return ExecResult::default();
    }
    run(sb, argv, opts, not_in_image)
}

/// The programs vnet's busybox image has: the applets it simulates, and `sh`.
const APPLETS: &[&str] = &[
    "arp", "cat", "echo", "env", "false", "hostname", "ifconfig", "ip", "nslookup", "ping", "sh",
    "true",
];

/// An applet vnet has, called with arguments it does not simulate: said plainly rather than
/// passed off as busybox's answer.
fn not_simulated(cmd: &str, args: &[&str]) -> ExecResult {
    let line = std::iter::once(cmd)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    ExecResult::err(format!("{cmd}: arguments not simulated: {line}\n"), 1)
}

/// The error runc gives for a program the image does not have, as moby passes it on
/// (runc libcontainer `exec: %q: executable file not found in $PATH`, wrapped by runc's
/// `exec failed: unable to start container process: ` and containerd's `OCI runtime exec
/// failed: `, with its `: unknown` code).
fn not_in_image(cmd: &str) -> ExecResult {
    ExecResult {
        code: 126,
        start_error: Some(format!(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{cmd}\": executable file not found in $PATH: unknown"
        )),
        ..Default::default()
    }
}

/// One command line of the shell (shell/ash.c), split into words: the applet it names runs;
/// a name the shell cannot find is `sh: NAME: not found`, 127.
pub fn shell(sb: &mut Sandbox, words: &[String], opts: &ExecOptions) -> ExecResult {
    run(sb, words, opts, |cmd| {
        ExecResult::err(format!("sh: {cmd}: not found\n"), 127)
    })
}

/// Runs `words`: `sh -c LINE` as a shell line, an applet by name, else what `missing` says
/// of a program the image does not have.
fn run(
    sb: &mut Sandbox,
    words: &[String],
    opts: &ExecOptions,
    missing: fn(&str) -> ExecResult,
) -> ExecResult {
    let Some((cmd, rest)) = words.split_first() else {
        return ExecResult::default();
    };
    let args: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    match (cmd.as_str(), args.as_slice()) {
        ("sh", ["-c", line, ..]) => {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            shell(sb, &words, opts)
        }
        _ => applet(sb, cmd, &args, opts).unwrap_or_else(|| {
            if APPLETS.contains(&cmd.as_str()) {
                not_simulated(cmd, &args)
            } else {
                missing(cmd)
            }
        }),
    }
}

/// The applets vnet has, by name, with the arguments it takes; `None` for anything else.
fn applet(sb: &mut Sandbox, cmd: &str, args: &[&str], opts: &ExecOptions) -> Option<ExecResult> {
    Some(match (cmd, args) {
        ("ping", _) => ping::run(sb, args, opts),
        ("ifconfig", []) => ifconfig::run(sb, None),
        ("ifconfig", [name]) => ifconfig::run(sb, Some(name)),
        ("ip", _) => return ip::run(sb, args),
        ("arp", [] | ["-a"] | ["-n"] | ["-an"] | ["-na"]) => ip::arp(sb),
        ("hostname", []) => files::hostname(sb),
        ("cat", [path]) => files::cat(sb, path),
        ("env", []) => files::env(sb, opts.tty),
        ("nslookup", [name]) => nslookup::run(sb, name, None, opts),
        ("nslookup", [name, server]) => nslookup::run(sb, name, Some(server), opts),
        ("true", _) => ExecResult::default(),
        ("false", _) => ExecResult::err(String::new(), 1),
        ("echo", words) => files::echo(words),
        _ => return None,
    })
}
