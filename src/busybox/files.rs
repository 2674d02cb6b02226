//! The files and names a container reads: `cat FILE` (coreutils/cat.c) of what Docker wrote
//! into it (`/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`), `hostname`
//! (networking/hostname.c), `env` (coreutils/env.c) and `echo` (coreutils/echo.c).

use super::applet::{ExecResult, OpenError, inputs};
use crate::docker::sandbox::Sandbox;

/// `cat [FILE]...`: each file (`-` or none: standard input) in turn.
pub fn cat(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let files: Vec<&str> = args.iter().copied().filter(|a| *a != "-u").collect();
    if let Some(opt) = files.iter().find(|a| a.starts_with('-') && a.len() > 1) {
        return super::applet::bad_option("cat", opt, "[-nbvteA] [FILE]...");
    }
    let mut r = ExecResult::default();
    for (_, text) in inputs(sb, "cat", &files, stdin, OpenError::CantOpen, &mut r.stderr) {
        match text {
            Some(t) => r.stdout.push_str(&t),
            None => r.code = 1,
        }
    }
    r
}

/// `hostname`.
pub fn hostname(sb: &Sandbox) -> ExecResult {
    ExecResult::out(format!("{}\n", sb.hostname()))
}

/// `env`: one `NAME=VALUE` a line; `tty` when the command has a terminal.
pub fn env(sb: &Sandbox, tty: bool) -> ExecResult {
    ExecResult::out(sb.env(tty).iter().map(|v| format!("{v}\n")).collect())
}

/// `echo [-neE] WORD...` (coreutils/echo.c with FANCY_ECHO: `-n` drops the newline, `-e`
/// reads `printf`'s escapes, `\c` stops the output).
pub fn echo(words: &[&str]) -> ExecResult {
    let mut newline = true;
    let mut escapes = false;
    let mut rest = words;
    // Leading options, each of only n, e and E; anything else is the first word.
    while let Some((w, more)) = rest.split_first() {
        let Some(flags) = w.strip_prefix('-').filter(|f| !f.is_empty()) else {
            break;
        };
        if !flags.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for c in flags.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        rest = more;
    }
    let mut text = rest.join(" ");
    if escapes {
        let (t, go_on) = super::printf::expand_b(&text);
        text = t;
        if !go_on {
            return ExecResult::out(text);
        }
    }
    if newline {
        text.push('\n');
    }
    ExecResult::out(text)
}
