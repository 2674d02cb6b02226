//! A small busybox (1.36), the shell inside every simulated container, as `docker exec` and
//! `docker attach` reach it.
//!
//! One file per applet, as busybox has one per applet: [`ping`] (networking/ping.c) runs on
//! the simulated wire (the [`engine`](crate::engine)); [`ifconfig`] (networking/ifconfig.c,
//! libbb interface.c), [`ip`] (networking/libiproute, networking/arp.c) and [`files`]
//! (coreutils/cat.c, echo.c, env.c, hostname) print the container's state in busybox's
//! formats; [`nslookup`] (networking/nslookup.c, and `getent`) asks the embedded DNS over the
//! loopback. This file is the shell (shell/ash.c): it splits a command line and dispatches on
//! the applet's name; anything else is `sh: NAME: not found`, 127. The container's network
//! namespace the applets run in is [`docker::sandbox`](crate::docker::sandbox).

pub mod files;
pub mod ifconfig;
pub mod ip;
pub mod nslookup;
pub mod ping;

use crate::docker::{Daemon, Error, Kind, Result};
use crate::engine::World;
use crate::time::Instant;

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
}
impl ExecResult {
    pub(crate) fn out(stdout: String) -> ExecResult {
        ExecResult {
            stdout,
            ..Default::default()
        }
    }
    pub(crate) fn err(stderr: String, code: i32) -> ExecResult {
        ExecResult {
            stderr,
            code,
            ..Default::default()
        }
    }
}

/// `POST /containers/{id}/exec` + start: runs a command in a running container.
pub fn exec(d: &mut Daemon, term: &str, argv: &[String], opts: &ExecOptions) -> Result<ExecResult> {
    let cid = d.find_container(term)?;
    if !d.state.containers[&cid].is_running() {
        return Err(Error::new(
            Kind::Conflict,
            format!("container {cid} is not running"),
        ));
    }
    Ok(shell(d, &cid, argv, opts))
}

/// One line typed into the attached shell of a running container (its main process,
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
    AttachLine::Ran(shell(d, cid, &words, opts))
}

/// One command line of the shell of a running container.
pub fn shell(d: &mut Daemon, cid: &str, argv: &[String], opts: &ExecOptions) -> ExecResult {
    let Some(cmd) = argv.first() else {
        return ExecResult::default();
    };
    let args: Vec<&str> = argv[1..].iter().map(|s| s.as_str()).collect();
    match (cmd.as_str(), args.as_slice()) {
        ("ping", _) => d.ping_cmd(cid, &args, opts),
        ("ifconfig", []) => ExecResult::out(d.ifconfig(cid, None)),
        ("ifconfig", [name]) => {
            let out = d.ifconfig(cid, Some(name));
            if out.is_empty() {
                ExecResult::err(
                    format!(
                        "ifconfig: {name}: error fetching interface information: Device not found\n"
                    ),
                    1,
                )
            } else {
                ExecResult::out(out)
            }
        }
        ("ip", ["-4", rest @ ..]) => {
            let words: Vec<String> = std::iter::once("ip")
                .chain(rest.iter().copied())
                .map(String::from)
                .collect();
            shell(d, cid, &words, opts)
        }
        (
            "ip",
            ["a" | "addr" | "address", "show" | "list", dev]
            | ["a" | "addr" | "address", "show" | "list", "dev", dev],
        ) => {
            let out = d.ip_addr(cid, Some(dev));
            if out.is_empty() {
                ExecResult::err(format!("ip: can't find device '{dev}'\n"), 1)
            } else {
                ExecResult::out(out)
            }
        }
        ("ip", [obj, rest @ ..]) if rest.is_empty() || rest == ["show"] || rest == ["list"] => {
            match *obj {
                "a" | "addr" | "address" => ExecResult::out(d.ip_addr(cid, None)),
                "r" | "ro" | "route" => ExecResult::out(d.ip_route(cid)),
                "n" | "neigh" | "neighbor" | "neighbour" => ExecResult::out(d.ip_neigh(cid)),
                _ => ExecResult::err(format!("ip: unknown command \"{obj}\"\n"), 1),
            }
        }
        ("arp", [] | ["-a"] | ["-n"] | ["-an"] | ["-na"]) => ExecResult::out(d.arp(cid)),
        ("hostname", []) => {
            ExecResult::out(format!("{}\n", d.state.containers[cid].config.hostname))
        }
        ("cat", ["/etc/hosts"]) => ExecResult::out(d.etc_hosts(cid)),
        ("cat", ["/etc/resolv.conf"]) => ExecResult::out(d.resolv_conf(cid)),
        ("cat", ["/etc/hostname"]) => {
            ExecResult::out(format!("{}\n", d.state.containers[cid].config.hostname))
        }
        ("cat", [path]) => ExecResult::err(
            format!("cat: can't open '{path}': No such file or directory\n"),
            1,
        ),
        ("env", []) => ExecResult::out(d.env(cid, opts.tty)),
        ("nslookup", [name]) => d.nslookup(cid, name, None, opts),
        ("nslookup", [name, server]) => d.nslookup(cid, name, Some(server), opts),
        ("getent", ["hosts", name]) => d.getent_hosts(cid, name, opts),
        ("true", _) => ExecResult::default(),
        ("false", _) => ExecResult::err(String::new(), 1),
        ("echo", words) => ExecResult::out(format!("{}\n", words.join(" "))),
        ("sh", ["-c", line]) => {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            shell(d, cid, &words, opts)
        }
        (other, _) => ExecResult::err(format!("sh: {other}: not found\n"), 127),
    }
}

impl Daemon {
    /// Ends a command: the clock moves to where the world's is, and the result carries what
    /// the wire saw.
    pub(crate) fn finish(&mut self, world: &World, mut r: ExecResult) -> ExecResult {
        self.state.clock = Instant(world.now()).max(self.state.clock);
        r.trace = world.trace_lines().to_vec();
        r.capture = world.capture_bytes();
        r
    }
}
