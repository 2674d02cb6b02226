//! The files and names a container reads: `cat FILE` (coreutils/cat.c) of what Docker wrote
//! into it (`/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`), `hostname`
//! (networking/hostname.c), `env` (coreutils/env.c) and `echo` (coreutils/echo.c).

use super::applet::ExecResult;
use crate::docker::sandbox::Sandbox;

/// `cat FILE`.
pub fn cat(sb: &Sandbox, path: &str) -> ExecResult {
    match sb.file(path) {
        Some(text) => ExecResult::out(text),
        None => ExecResult::err(
            format!("cat: can't open '{path}': No such file or directory\n"),
            1,
        ),
    }
}

/// `hostname`.
pub fn hostname(sb: &Sandbox) -> ExecResult {
    ExecResult::out(format!("{}\n", sb.hostname()))
}

/// `env`: one `NAME=VALUE` a line; `tty` when the command has a terminal.
pub fn env(sb: &Sandbox, tty: bool) -> ExecResult {
    ExecResult::out(sb.env(tty).iter().map(|v| format!("{v}\n")).collect())
}

/// `echo WORD...`.
pub fn echo(words: &[&str]) -> ExecResult {
    ExecResult::out(format!("{}\n", words.join(" ")))
}
