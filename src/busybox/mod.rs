//! A small busybox (1.36), the shell inside every simulated container, as `docker exec` and
//! `docker attach` reach it.
//!
//! One file per applet, as busybox has one per applet: [`ping`] (networking/ping.c) runs on
//! the simulated wire (the [`engine`](crate::engine)); [`ifconfig`] (networking/ifconfig.c,
//! libbb interface.c), [`ip`] (networking/libiproute, networking/arp.c) and [`files`]
//! (coreutils/cat.c, echo.c, env.c, hostname) print the container's state in busybox's
//! formats; [`nslookup`] (networking/nslookup.c, and `getent`) asks the embedded DNS over the
//! loopback. This file is the shell (shell/ash.c): it splits a command line and dispatches on
//! the applet's name; anything else is `sh: NAME: not found`, 127. What every applet takes
//! and gives is in [`applet`].
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

/// `POST /containers/{id}/exec` + start: runs a command in a running container.
pub fn exec(d: &mut Daemon, term: &str, argv: &[String], opts: &ExecOptions) -> Result<ExecResult> {
    let cid = d.exec_target(term)?;
    Ok(shell(&mut d.sandbox(&cid), argv, opts))
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
    if words.is_empty() {
        return AttachLine::Ran(ExecResult::default());
    }
    AttachLine::Ran(shell(&mut d.sandbox(cid), &words, opts))
}

/// One command line of the shell, split into words: the applet it names runs.
pub fn shell(sb: &mut Sandbox, argv: &[String], opts: &ExecOptions) -> ExecResult {
    let Some(cmd) = argv.first() else {
        return ExecResult::default();
    };
    let args: Vec<&str> = argv[1..].iter().map(|s| s.as_str()).collect();
    match (cmd.as_str(), args.as_slice()) {
        ("ping", _) => ping::run(sb, &args, opts),
        ("ifconfig", []) => ifconfig::run(sb, None),
        ("ifconfig", [name]) => ifconfig::run(sb, Some(name)),
        ("ip", ["-4", rest @ ..]) => {
            let words: Vec<String> = std::iter::once("ip")
                .chain(rest.iter().copied())
                .map(String::from)
                .collect();
            shell(sb, &words, opts)
        }
        (
            "ip",
            ["a" | "addr" | "address", "show" | "list", dev]
            | ["a" | "addr" | "address", "show" | "list", "dev", dev],
        ) => ip::addr(sb, Some(dev)),
        ("ip", [obj, rest @ ..]) if rest.is_empty() || rest == ["show"] || rest == ["list"] => {
            ip::show(sb, obj)
        }
        ("arp", [] | ["-a"] | ["-n"] | ["-an"] | ["-na"]) => ip::arp(sb),
        ("hostname", []) => files::hostname(sb),
        ("cat", [path]) => files::cat(sb, path),
        ("env", []) => files::env(sb, opts.tty),
        ("nslookup", [name]) => nslookup::run(sb, name, None, opts),
        ("nslookup", [name, server]) => nslookup::run(sb, name, Some(server), opts),
        ("getent", ["hosts", name]) => nslookup::getent_hosts(sb, name, opts),
        ("true", _) => ExecResult::default(),
        ("false", _) => ExecResult::err(String::new(), 1),
        ("echo", words) => files::echo(words),
        ("sh", ["-c", line]) => {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            shell(sb, &words, opts)
        }
        (other, _) => ExecResult::err(format!("sh: {other}: not found\n"), 127),
    }
}
