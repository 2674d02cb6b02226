//! A small busybox (1.36), the shell inside every simulated container, as `docker exec` and
//! `docker attach` reach it.
//!
//! One file per applet, as busybox has one per applet: [`ping`] (networking/ping.c) runs on
//! the simulated wire (the [`engine`](crate::engine)); [`ifconfig`] (networking/ifconfig.c,
//! libbb interface.c), [`ip`] (networking/libiproute, networking/arp.c) and [`files`]
//! (coreutils/cat.c, echo.c, env.c, hostname) print the container's state in busybox's
//! formats; [`nslookup`] (networking/nslookup.c) asks the embedded DNS over the loopback;
//! [`nc`] and [`wget`] (networking/nc_bloaty.c, wget.c) are TCP clients, over the
//! connect() of [`socket`], of the servers images run ([`crate::servers`]), and [`httpd`]
//! (networking/httpd.c) one such server, of the container's files; [`arping`]
//! (networking/arping.c) sends ARP from a packet socket;
//! [`traceroute`] (networking/traceroute.c) sends UDP probes through routing containers,
//! [`sysctl`] (procps/sysctl.c) reads `net.ipv4.ip_forward`, and [`netstat`]
//! (networking/netstat.c) lists what listens; [`id`] (coreutils/id.c, whoami.c) says who
//! a command runs as (`exec -u`, `run -u`);
//! the text filters a pipe feeds ([`grep`], [`head`], [`tail`], [`wc`], [`cut`], [`sort`],
//! [`printf`], [`seq`], [`sleep`]) are coreutils' and findutils' files of the same names.
//! [`sh`] is the shell (shell/ash.c) that `attach`, `exec -i c sh` and `sh -c` reach; its
//! redirections write the container's files, which [`files`] reads and makes (`mkdir`,
//! `rm`). [`tcpdump`] (tcpdump 4.99) is not busybox's: images made for labs carry it.
//! This file starts programs as `docker exec` does (no shell: a program the image lacks is
//! the runtime's error, 126) and as the shell does (by name or by path, `busybox APPLET`;
//! anything else is `sh: NAME: not found`, 127). What every applet takes and gives is in
//! [`applet`].
//!
//! Applets see the container through its [`Sandbox`] (interfaces, files, environment, the
//! simulated world to send frames in), not through the whole engine; [`exec`] and
//! [`attach_line`] are the ways in, for the CLI and the Engine API alike.

pub mod applet;
pub mod arping;
pub mod cut;
pub mod files;
pub mod grep;
pub mod head;
pub mod httpd;
pub mod id;
pub mod ifconfig;
pub mod ip;
pub mod nc;
pub mod netstat;
pub mod nslookup;
pub mod ping;
pub mod printf;
pub mod seq;
pub mod sh;
pub mod sleep;
pub mod socket;
pub mod sort;
pub mod stdio;
pub mod sysctl;
pub mod tail;
pub mod tcpdump;
pub mod telnet;
pub mod top;
pub mod traceroute;
pub mod wc;
pub mod wget;

pub use applet::{ExecConfig, ExecOptions, ExecResult};
pub use sh::Shell;

use crate::docker::container::MAX_LOG_BYTES;
use crate::docker::sandbox::Sandbox;
use crate::docker::{Daemon, Result};
use applet::Console;
use std::sync::Arc;

/// busybox sh's prompt as root, shown on a terminal before each line.
pub const PROMPT: &str = "/ # ";
/// ctrl-p ctrl-q, Docker's detach keys.
pub const DETACH_KEYS: &str = "\u{10}\u{11}";

/// What a line typed into an attached shell did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachLine {
    /// It ran as a command.
    Ran(ExecResult),
    /// `exit N` (or, without a terminal, a syntax error): the shell, and with it the
    /// container, ended with this status, after printing what the line printed.
    Exit(i32, ExecResult),
    /// The detach keys: the client lets go, the container keeps running.
    Detach,
}

/// `POST /containers/{id}/exec` + start: runs a program in a running container. No shell is
/// involved: the runtime looks `argv[0]` up in the image's `$PATH` (`sh -c "LINE"` is the way
/// to a shell), and a program the image lacks fails to start (runc's `exec: "X": executable
/// file not found in $PATH`, status 126: moby daemon/exec.go sets 126 when the start fails).
pub fn exec(d: &mut Daemon, term: &str, argv: &[String], opts: &ExecOptions) -> Result<ExecResult> {
    let cid = d.exec_target(term)?;
    let id = opts.exec.id.as_str();
    if !id.is_empty() {
        d.exec_start(&cid, id, argv);
    }
    let mut sb = d.sandbox(&cid);
    sb.set_exec_config(&opts.exec).map_err(user_error)?;
    let r = program(&mut sb, argv, opts);
    drop(sb);
    // The runtime's exit event; for a program that could not start, containerd's
    // (status 127, as moby#39434 reports it).
    if !id.is_empty() {
        let code = if r.start_error.is_some() { 127 } else { r.code };
        d.exec_die(&cid, id, code);
    }
    Ok(r)
}

/// A user the container does not have: moby's `ContainerExecCreate` refuses the exec
/// (`errdefs.InvalidParameter`).
fn user_error(e: String) -> crate::docker::Error {
    crate::docker::Error::new(crate::docker::Kind::InvalidParameter, e)
}

/// Why an exec in running container `term` with `config` cannot be made: its user is not
/// in the container's `/etc/passwd` (moby checks it as it creates the exec).
pub fn exec_config_error(d: &Daemon, term: &str, config: &ExecConfig) -> Option<String> {
    let c = d.container(&d.exec_target(term).ok()?).ok()?;
    d.process_user(c, config.user.as_deref()).err()
}

/// One line typed into the attached shell of running container `cid` (its main process,
/// busybox `sh`, whose variables `shell` keeps from line to line): ctrl-p ctrl-q detaches,
/// `exit [N]` ends the shell and so the container, anything else runs as shell commands.
pub fn attach_line(
    d: &mut Daemon,
    cid: &str,
    shell: &mut Option<Shell>,
    line: &str,
    opts: &ExecOptions,
) -> AttachLine {
    if line.contains(DETACH_KEYS) {
        return AttachLine::Detach;
    }
    let mut sb = d.sandbox(cid);
    // The container's shell is interactive on a terminal (`run -it`); without one
    // (`run -i`) it reads a script, which a syntax error ends, and the container with it.
    let sh = shell
        .get_or_insert_with(|| Shell::new(&sb.env(opts.tty), "sh", &[]).reading_input(opts.tty));
    let step = match sh.run_line(&mut sb, line, opts) {
        (r, sh::Flow::Continue) => AttachLine::Ran(r),
        (mut r, sh::Flow::Exit(code)) => {
            sh.end_jobs(&mut sb, &mut r);
            AttachLine::Exit(code, r)
        }
    };
    drop(sb);
    // The session is the main process's output: on a terminal, its prompt and the echo of
    // the line too.
    let echo = if opts.tty {
        format!("{PROMPT}{line}\n")
    } else {
        String::new()
    };
    if let AttachLine::Ran(r) | AttachLine::Exit(_, r) = &step {
        d.container_log(cid, &format!("{echo}{}", r.stdout), &r.stderr);
    }
    if let AttachLine::Exit(code, _) = &step {
        d.container_exit(cid, *code);
    }
    step
}

/// The end of the input of a shell attached with `StdinOnce` (`run -i`: the client's
/// input is the shell's, and its end closes it): the shell, and with it the container,
/// ends with its last status, its background captures interrupted.
pub fn attach_end(d: &mut Daemon, cid: &str, shell: &mut Option<Shell>) -> (i32, ExecResult) {
    let mut r = ExecResult::default();
    let code = shell.as_ref().map_or(0, Shell::status);
    if !d.is_running(cid) {
        return (code, r);
    }
    if let Some(sh) = shell.as_mut() {
        sh.end_jobs(&mut d.sandbox(cid), &mut r);
    }
    d.container_log(cid, &r.stdout, &r.stderr);
    d.container_exit(cid, code);
    (code, r)
}

/// Whether container `cid`'s command is a shell reading its input (`run -i busybox`,
/// `run -i ubuntu`), which the attached client drives.
pub fn main_reads_input(d: &Daemon, cid: &str) -> bool {
    d.container(cid)
        .is_ok_and(|c| c.config.open_stdin && is_interactive_shell(&main_argv(c)))
}

/// One line read by `docker exec -i c sh` (a shell reading its standard input, whose
/// variables `shell` keeps): what it printed, and whether the shell ended (`exit`, or a
/// syntax error when no terminal makes it interactive).
pub fn exec_shell_line(
    d: &mut Daemon,
    term: &str,
    shell: &mut Option<Shell>,
    line: &str,
    opts: &ExecOptions,
) -> Result<(ExecResult, Option<i32>)> {
    let cid = d.exec_target(term)?;
    let mut sb = d.sandbox(&cid);
    sb.set_exec_config(&opts.exec).map_err(user_error)?;
    let sh = shell
        .get_or_insert_with(|| Shell::new(&sb.env(opts.tty), "sh", &[]).reading_input(opts.tty));
    Ok(match sh.run_line(&mut sb, line, opts) {
        (r, sh::Flow::Continue) => (r, None),
        (mut r, sh::Flow::Exit(code)) => {
            sh.end_jobs(&mut sb, &mut r);
            (r, Some(code))
        }
    })
}

/// The end of `docker exec -i c sh`'s input: the shell ends, and with it its background
/// captures, as the end of the exec interrupts them (what they still print).
pub fn exec_shell_end(d: &mut Daemon, term: &str, shell: &mut Option<Shell>) -> Result<ExecResult> {
    let mut r = ExecResult::default();
    let Some(sh) = shell.as_mut().filter(|s| s.has_jobs()) else {
        return Ok(r);
    };
    let cid = d.exec_target(term)?;
    sh.end_jobs(&mut d.sandbox(&cid), &mut r);
    Ok(r)
}

/// `docker exec -d`: a program started in the background, its output discarded. What would
/// wait for ever, a server (`nc -l`, `httpd`) or a capture (`tcpdump`), is left running in
/// the container until it stops; a shell (`sh -c '...'`) runs its commands, leaving those
/// running. Anything else that would run on after the exec, with nobody to see it, is not
/// simulated.
pub fn exec_detached(
    d: &mut Daemon,
    term: &str,
    argv: &[String],
    config: &ExecConfig,
) -> Result<ExecResult> {
    let cid = d.exec_target(term)?;
    if !config.id.is_empty() {
        d.exec_start(&cid, &config.id, argv);
    }
    let mut sb = d.sandbox(&cid);
    sb.set_exec_config(config).map_err(user_error)?;
    let Some((cmd, rest)) = argv.split_first() else {
        return Ok(ExecResult::default());
    };
    let Some(name) = program_name(&sb, cmd) else {
        drop(sb);
        if !config.id.is_empty() {
            d.exec_die(&cid, &config.id, 127);
        }
        return Ok(not_in_image(cmd));
    };
    tcpdump::drain(&mut sb);
    // The program's own command line, as the shell would read it.
    let line = match (name, rest) {
        ("sh" | "ash", [c, line]) if c == "-c" => line.clone(),
        _ => argv
            .iter()
            .map(|a| sh::quote(a))
            .collect::<Vec<_>>()
            .join(" "),
    };
    if !matches!(name, "sh" | "ash") {
        let words: Vec<&str> = rest.iter().map(String::as_str).collect();
        let (prog, args) = through_busybox(name, &words);
        if prog != "tcpdump" && !is_server(prog, args) {
            return Ok(ExecResult::err(
                format!(
                    "exec -d is simulated for servers (nc -l, httpd) and captures (tcpdump); run {name} without -d\n"
                ),
                1,
            ));
        }
    }
    let running = sb.left_running();
    let mut shell = Shell::new(&sb.env(false), "sh", &[]).detached();
    let (mut r, _) = shell.run_line(&mut sb, &line, &ExecOptions::default());
    shell.end_jobs(&mut sb, &mut r);
    // A shell that left nothing running has ended (what it left ends with the container,
    // which vnet does not report as the exec's end).
    let ended = sb.left_running() == running;
    drop(sb);
    if ended && !config.id.is_empty() {
        d.exec_die(&cid, &config.id, r.code);
    }
    // What the program itself says (a port in use) goes where a detached exec's output
    // goes; what vnet does not simulate it says.
    let vnet: String = r
        .stderr
        .split_inclusive('\n')
        .filter(|l| {
            l.contains("not simulated")
                || l.contains("vnet's")
                || l.starts_with("vnet: ")
                || l.starts_with("exec -d is simulated")
        })
        .collect();
    if vnet.is_empty() {
        return Ok(ExecResult::default());
    }
    Ok(ExecResult::err(vnet, 1))
}

/// `busybox APPLET ARGS` as the applet it runs; any other program as it is.
pub(super) fn through_busybox<'a, 'b>(
    prog: &'a str,
    args: &'b [&'b str],
) -> (&'a str, &'b [&'b str])
where
    'b: 'a,
{
    match (prog, args.split_first()) {
        ("busybox", Some((applet, rest))) => match applet_name(applet) {
            Some(a) => (a, rest),
            None => (prog, args),
        },
        _ => (prog, args),
    }
}

/// Whether `prog ARGS` is a server a container can leave running (`nc -l`, `httpd`).
pub(super) fn is_server(prog: &str, args: &[&str]) -> bool {
    prog == "httpd" || (prog == "nc" && args.iter().any(|a| a.starts_with('-') && a.contains('l')))
}

/// Leaves server `prog ARGS` (one [`is_server`] knows) running in the container (`exec
/// -d`, `CMD &`): its ports serve later commands. Returns busybox's error when it could not
/// start (a port in use), or vnet's for what it does not simulate.
pub(super) fn start_server(sb: &mut Sandbox, prog: &str, args: &[&str]) -> ExecResult {
    let p = if prog == "httpd" {
        httpd::listen(sb, args)
    } else {
        nc::listen(sb, args)
    };
    match p {
        Ok(p) => keep_running(sb, p),
        Err(e) => *e,
    }
}

/// Keeps `p` running in the container, unless it holds its most already.
pub(super) fn keep_running(sb: &mut Sandbox, p: crate::docker::container::Process) -> ExecResult {
    if sb.start_process(p) {
        return ExecResult::default();
    }
    ExecResult::err(
        format!(
            "vnet: a container keeps at most {} background programs\n",
            crate::docker::container::MAX_PROCESSES
        ),
        1,
    )
}

/// `vnet host exec CMD [ARG...]`: a program run on the simulated Docker host itself, in
/// its own namespace (its bridges' gateway addresses, no outside world): the same applets,
/// where a published port leads to its container as Docker's DNAT does.
pub fn host_exec(d: &mut Daemon, argv: &[String], opts: &ExecOptions) -> ExecResult {
    let mut sb = d.host_sandbox();
    let Some((cmd, _)) = argv.split_first() else {
        return ExecResult::default();
    };
    if matches!(applet_name(cmd), Some("sh" | "ash")) && argv.len() == 1 {
        return ExecResult::default();
    }
    match applet_name(cmd) {
        Some(_) => program(&mut sb, argv, opts),
        None => ExecResult::err(
            format!("vnet: the host runs busybox's applets only; {cmd} is not one\n"),
            127,
        ),
    }
}

/// The command a container runs: its entrypoint and command, without the images'
/// `docker-entrypoint.sh`, which runs its arguments (`exec "$@"`). The shells of the images
/// that have one besides busybox's (`bash` in ubuntu and debian, `zsh` in netshoot) run as
/// busybox's `sh`, which is what vnet simulates of them.
fn main_argv(c: &crate::docker::container::Container) -> Vec<String> {
    let entry = c.config.entrypoint.iter().filter(|e| {
        !matches!(
            e.as_str(),
            "docker-entrypoint.sh"
                | "/docker-entrypoint.sh"
                | "/usr/local/bin/docker-entrypoint.sh"
        )
    });
    let mut argv: Vec<String> = entry.chain(&c.config.cmd).cloned().collect();
    if let Some(first) = argv.first_mut()
        && matches!(first.rsplit('/').next(), Some("bash" | "zsh"))
    {
        *first = "sh".to_string();
    }
    argv
}

/// Whether a container of `image` running `cmd` (the image's own when empty) runs its
/// image's servers, which go on until it is stopped (`nginx`, `redis`, a made image).
pub fn serves_until_stopped(d: &Daemon, image: &str, cmd: &[String]) -> bool {
    let Some(img) = d.image(image) else {
        return false;
    };
    let cmd = if cmd.is_empty() {
        img.cmd.as_slice()
    } else {
        cmd
    };
    (cmd == img.cmd.as_slice() && !img.listens.is_empty())
        || cmd.first().is_some_and(|c| c == "vnet-serve")
}

/// Runs the command of container `cid`, just started for a client that waits for it
/// (`run` in the foreground; `Daemon::container_start_attached`), to its end: the
/// container then exits with its status (and `--rm` removes it). What it printed comes
/// back. `None` when the command is not one that ends by itself: the image's servers, or
/// a shell reading its input (`run -i`, which the client's attach drives). A program the
/// image lacks leaves the container created, with runc's error and status 127.
pub fn run_main(d: &mut Daemon, cid: &str, opts: &ExecOptions) -> Option<ExecResult> {
    let c = d.container(cid).ok().filter(|c| c.is_running())?;
    let argv = main_argv(c);
    if serves_until_stopped(d, &c.config.image, &c.config.cmd) || main_reads_input(d, cid) {
        return None;
    }
    if let Some(e) = fail_missing_program(d, cid) {
        return Some(ExecResult {
            code: 127,
            start_error: Some(e),
            ..Default::default()
        });
    }
    // What goes to the client's terminal as it comes goes to the log too.
    let tee = opts
        .terminal
        .clone()
        .map(|inner| Arc::new(LogTee::new(inner)));
    let mut run_opts = opts.clone();
    if let Some(t) = &tee {
        run_opts.terminal = Some(Console(t.clone()));
    }
    let r = program(&mut d.sandbox(cid).running_main(), &argv, &run_opts);
    let streamed = tee.map(|t| t.take()).unwrap_or_default();
    d.container_log(cid, &format!("{streamed}{}", r.stdout), &r.stderr);
    // A background command interrupted is a container being stopped: the stop ends it.
    let stopped = opts.background && opts.terminal.as_ref().is_some_and(|t| t.0.interrupted());
    if !stopped {
        d.container_exit(cid, r.code);
    }
    Some(r)
}

/// Whether running container `cid`'s command is one [`start_detached`] left running
/// without running it: it takes time (`ping -c 3 web`, `sleep 5`). The daemon runs it in
/// the background ([`run_main`] with [`ExecOptions::background`]).
pub fn main_takes_time(d: &mut Daemon, cid: &str) -> bool {
    let Some(c) = d.container(cid).ok().filter(|c| c.is_running()) else {
        return false;
    };
    if serves_until_stopped(d, &c.config.image, &c.config.cmd) || main_reads_input(d, cid) {
        return false;
    }
    let argv = main_argv(c);
    if is_interactive_shell(&argv) {
        return false;
    }
    let line = main_line(&argv);
    let sb = d.sandbox(cid);
    let mut shell = Shell::new(&sb.env(false), "sh", &[]).detached();
    shell.first_slow(&sb, &line).is_some()
}

/// A container's command as the shell line a detached shell runs.
fn main_line(argv: &[String]) -> String {
    match argv {
        [sh, c, line] if c == "-c" && matches!(applet_name(sh), Some("sh" | "ash")) => line.clone(),
        _ => argv
            .iter()
            .map(|a| sh::quote(a))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A terminal that passes a command's output on and keeps a copy for the container's log
/// (the last [`MAX_LOG_BYTES`] of it).
struct LogTee {
    inner: Console,
    copy: std::sync::Mutex<String>,
}

impl LogTee {
    fn new(inner: Console) -> LogTee {
        LogTee {
            inner,
            copy: std::sync::Mutex::new(String::new()),
        }
    }

    fn take(&self) -> String {
        self.copy
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }
}

impl applet::Terminal for LogTee {
    fn write(&self, s: &str) {
        if let Ok(mut c) = self.copy.lock() {
            c.push_str(s);
            if c.len() > 2 * MAX_LOG_BYTES {
                let mut cut = c.len() - MAX_LOG_BYTES;
                while !c.is_char_boundary(cut) {
                    cut += 1;
                }
                c.drain(..cut);
            }
        }
        self.inner.0.write(s);
    }
    fn interrupted(&self) -> bool {
        self.inner.0.interrupted()
    }
    fn pace(&self, elapsed: crate::time::Duration) {
        self.inner.0.pace(elapsed);
    }
}

/// Starts container `cid`'s command for nobody in particular (`run -d`, `start`, the
/// Engine API's start), just after [`Daemon::container_start_attached`]: an image's
/// servers, a shell reading its input (`run -dit`) and a command that takes time (`ping`,
/// `sleep`, which vnet cannot run beside later commands) are left running; anything else
/// runs now, as a detached shell would (a server or capture it starts keeps the container
/// running), its output logged, and the container exits with its status unless something
/// it started goes on. A program the image lacks leaves it created: runc's error comes
/// back (see [`fail_missing_program`]).
pub fn start_detached(d: &mut Daemon, cid: &str) -> Option<String> {
    if let Some(e) = fail_missing_program(d, cid) {
        return Some(e);
    }
    let c = d.container(cid).ok().filter(|c| c.is_running())?;
    if serves_until_stopped(d, &c.config.image, &c.config.cmd) || main_reads_input(d, cid) {
        return None;
    }
    let argv = main_argv(c);
    let tty = c.config.tty;
    let interactive_shell = is_interactive_shell(&argv);
    if interactive_shell && tty {
        // `run -dt busybox`: the shell waits on its terminal.
        return None;
    }
    let line = main_line(&argv);
    let mut sb = d.sandbox(cid).running_main();
    let mut shell = Shell::new(&sb.env(tty), "sh", &[]).detached();
    if shell.first_slow(&sb, &line).is_some() {
        return None;
    }
    let before = sb.left_running();
    let (mut r, _) = shell.run_line(
        &mut sb,
        &line,
        &ExecOptions {
            tty,
            ..ExecOptions::default()
        },
    );
    let goes_on = shell.has_jobs() || sb.left_running() > before;
    if !goes_on {
        shell.end_jobs(&mut sb, &mut r);
    }
    drop(sb);
    d.container_log(cid, &r.stdout, &r.stderr);
    if !goes_on {
        d.container_exit(cid, r.code);
    }
    None
}

/// runc's error starting container `cid`'s command, when its image lacks the program
/// (moby then leaves it created with status 127: `Daemon::container_start_failed`).
pub fn main_start_error(d: &mut Daemon, cid: &str) -> Option<String> {
    let c = d.container(cid).ok()?;
    let argv = main_argv(c);
    if serves_until_stopped(d, &c.config.image, &c.config.cmd) {
        return None;
    }
    let cmd = argv.first()?.clone();
    let sb = d.sandbox(cid);
    // runc 1.1's wording under containerd, as moby#47847 reports it; not checked against
    // the runc Engine 28.2 ships, which may put "error during container init: " before
    // "exec:".
    program_name(&sb, &cmd).is_none().then(|| {
        format!(
            "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"{cmd}\": executable file not found in $PATH: unknown"
        )
    })
}

/// After a start: when the image lacks container `cid`'s program, the container is left
/// created with runc's error and status 127 (`Daemon::container_start_failed`), and the
/// error comes back for the client (moby's `translateContainerdStartErr`).
pub fn fail_missing_program(d: &mut Daemon, cid: &str) -> Option<String> {
    let e = main_start_error(d, cid)?;
    d.container_start_failed(cid, 127, &e);
    Some(e)
}

/// Whether `argv` starts a shell that reads its standard input (`sh`, `/bin/sh`, `ash`).
pub fn is_interactive_shell(argv: &[String]) -> bool {
    matches!(argv, [p] if matches!(applet_name(p), Some("sh" | "ash")))
}

/// A program started directly (`docker exec`, the runtime's `execve`): an applet of the
/// image (by name or by its path, `/bin/ping`), `sh`, or the runtime's error.
pub fn program(sb: &mut Sandbox, argv: &[String], opts: &ExecOptions) -> ExecResult {
    let Some((cmd, rest)) = argv.split_first() else {
        return ExecResult::default();
    };
    // What the captures left running in the container saw since a command last ran here.
    tcpdump::drain(sb);
    match program_name(sb, cmd) {
        // `sh` with no command reads its standard input, which `exec` without `-i` closes.
        Some("sh" | "ash") if rest.is_empty() => ExecResult::default(),
        Some(name) => {
            let words: Vec<String> = std::iter::once(name.to_string())
                .chain(rest.iter().cloned())
                .collect();
            command(sb, &words, "", opts, not_in_image)
        }
        None => not_in_image(cmd),
    }
}

/// The programs vnet's busybox image has: the applets it simulates, `sh` and `busybox`.
const APPLETS: &[&str] = &[
    "arp",
    "arping",
    "ash",
    "busybox",
    "cat",
    "cut",
    "echo",
    "env",
    "false",
    "grep",
    "head",
    "hostname",
    "httpd",
    "id",
    "ifconfig",
    "ip",
    "mkdir",
    "nc",
    "netstat",
    "nslookup",
    "ping",
    "ping6",
    "printf",
    "rm",
    "seq",
    "sh",
    "sleep",
    "sort",
    "sysctl",
    "tail",
    "telnet",
    "top",
    "traceroute",
    "true",
    "wc",
    "wget",
    "whoami",
];

/// The directories busybox installs its applet links in.
const APPLET_DIRS: &[&str] = &["/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"];

/// The program a name or path starts in the container: an applet, or another program its
/// image has (`tcpdump` in `nicolaka/netshoot`).
pub(super) fn program_name(sb: &Sandbox, program: &str) -> Option<&'static str> {
    applet_name(program).or_else(|| {
        let name = program.rsplit('/').next().unwrap_or(program);
        let dir_ok = !program.contains('/')
            || APPLET_DIRS
                .iter()
                .any(|d| program.strip_prefix(d) == Some(name));
        sb.image_programs()
            .iter()
            .copied()
            .find(|p| *p == name && dir_ok)
    })
}

/// The applet a program name or path starts, if the image has it.
fn applet_name(program: &str) -> Option<&'static str> {
    let name = if program.contains('/') {
        APPLET_DIRS
            .iter()
            .find_map(|d| program.strip_prefix(d))
            .filter(|n| !n.contains('/'))?
    } else {
        program
    };
    APPLETS.iter().copied().find(|a| *a == name)
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

/// What ash says of a program it cannot find: `sh: NAME: not found`, 127, with the name as
/// typed.
fn not_found(cmd: &str) -> ExecResult {
    ExecResult::err(format!("sh: {cmd}: not found\n"), 127)
}

/// A command the shell runs (its words expanded): an applet by name or path, with `stdin`.
pub(super) fn shell_command(
    sb: &mut Sandbox,
    words: &[String],
    stdin: &str,
    opts: &ExecOptions,
) -> ExecResult {
    command(sb, words, stdin, opts, not_found)
}

/// Runs `words`: `sh -c LINE [ARG0 ARG...]` as a new shell, `busybox APPLET ...`, an applet
/// by name or path, else what `missing` says of a program the image does not have.
fn command(
    sb: &mut Sandbox,
    words: &[String],
    stdin: &str,
    opts: &ExecOptions,
    missing: fn(&str) -> ExecResult,
) -> ExecResult {
    let Some((cmd, rest)) = words.split_first() else {
        return ExecResult::default();
    };
    let Some(name) = program_name(sb, cmd) else {
        return missing(cmd);
    };
    let args: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    if matches!(name, "sh" | "ash") && opts.depth >= applet::MAX_SHELL_DEPTH {
        return ExecResult::err(
            format!(
                "sh: shells nested more than {} deep (vnet's bound)\n",
                applet::MAX_SHELL_DEPTH
            ),
            2,
        );
    }
    let inner = ExecOptions {
        depth: opts.depth + 1,
        ..opts.clone()
    };
    let opts = if matches!(name, "sh" | "ash") {
        &inner
    } else {
        opts
    };
    match (name, args.as_slice()) {
        ("sh" | "ash", ["-c", line, params @ ..]) => {
            let (zero, params) = match params.split_first() {
                Some((z, p)) => (z.to_string(), p.iter().map(|s| s.to_string()).collect()),
                None => (name.to_string(), Vec::new()),
            };
            let mut sh = Shell::new(&sb.env(opts.tty), &zero, &params);
            let (mut r, flow) = sh.run_line(sb, line, opts);
            if let sh::Flow::Exit(code) = flow {
                r.code = code;
            }
            sh.end_jobs(sb, &mut r);
            r
        }
        // `sh` reading its standard input: the pipe's text, as a script.
        ("sh" | "ash", []) => {
            let mut sh = Shell::new(&sb.env(opts.tty), name, &[]);
            let (mut r, flow) = sh.run_line(sb, stdin, opts);
            if let sh::Flow::Exit(code) = flow {
                r.code = code;
            }
            sh.end_jobs(sb, &mut r);
            r
        }
        ("busybox", []) => ExecResult::out(format!(
            "BusyBox v1.36.1 (vnet) multi-call binary.\n\nCurrently defined functions:\n\t{}\n",
            APPLETS.join(", ")
        )),
        ("busybox", [applet, ..]) => match applet_name(applet) {
            Some(_) => command(sb, rest, stdin, opts, missing),
            None => ExecResult::err(format!("{applet}: applet not found\n"), 127),
        },
        _ => applet(sb, name, &args, stdin, opts)
            .unwrap_or_else(|| applet::not_simulated(name, None, &args)),
    }
}

/// `tcpdump` in the foreground: its options and filter are checked as it starts, but the
/// frames it would wait for come only from commands that run after it, which a foreground
/// capture would never let start; vnet says so rather than wait.
fn foreground_tcpdump(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    match tcpdump::Tcpdump::start(sb, args) {
        Err(r) => *r,
        Ok((capture, _)) => {
            capture.close(sb);
            ExecResult::err(
            "tcpdump: a capture sees the frames of the commands that run after it in the same exec: start it in the background first, as in sh -c 'tcpdump -n -c 4 & ping -c 1 web'\n".into(),
            1,
        )
        }
    }
}

/// The applets vnet has, by name, with the arguments it takes and what they read on their
/// standard input; `None` for arguments not simulated.
fn applet(
    sb: &mut Sandbox,
    cmd: &str,
    args: &[&str],
    stdin: &str,
    opts: &ExecOptions,
) -> Option<ExecResult> {
    Some(match (cmd, args) {
        ("ping", _) => ping::run(sb, args, opts),
        ("ping6", _) => ping::run6(sb, args, opts),
        ("arping", _) => arping::run(sb, args, opts),
        ("ifconfig", []) => ifconfig::run(sb, None),
        ("ifconfig", [name]) => ifconfig::run(sb, Some(name)),
        ("ip", _) => return ip::run(sb, args),
        ("arp", [] | ["-a"] | ["-n"] | ["-an"] | ["-na"]) => ip::arp(sb),
        ("hostname", []) => files::hostname(sb),
        ("id", _) => id::id(sb, args),
        ("whoami", _) => id::whoami(sb, args),
        ("cat", _) => files::cat(sb, args, stdin),
        ("mkdir", _) => files::mkdir(sb, args),
        ("rm", _) => files::rm(sb, args),
        ("env", []) => files::env(sb, opts.tty),
        ("nslookup", _) => return nslookup::main(sb, args, opts),
        ("true", _) => ExecResult::default(),
        ("false", _) => ExecResult::err(String::new(), 1),
        ("echo", words) => files::echo(words),
        ("printf", _) => printf::run("printf", args),
        ("grep", _) => grep::run(sb, args, stdin),
        ("head", _) => head::run(sb, args, stdin),
        ("tail", _) => tail::run(sb, args, stdin),
        ("wc", _) => wc::run(sb, args, stdin),
        ("cut", _) => cut::run(sb, args, stdin),
        ("sort", _) => sort::run(sb, args, stdin),
        ("seq", _) => seq::run(args),
        ("sleep", _) => sleep::run(sb, "sleep", args, opts),
        ("nc", _) => nc::run(sb, args, stdin, opts),
        ("httpd", _) => httpd::run(sb, args),
        ("wget", _) => wget::run(sb, args, opts),
        ("sysctl", _) => sysctl::run(sb, args),
        ("netstat", _) => netstat::run(sb, args),
        ("telnet", _) => telnet::run(sb, args, stdin, opts),
        ("traceroute", _) => traceroute::run(sb, args, opts),
        ("top", _) => top::run(sb, args, opts),
        ("tcpdump", _) => foreground_tcpdump(sb, args),
        _ => return None,
    })
}
