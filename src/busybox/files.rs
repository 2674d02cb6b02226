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

/// `mkdir [-p] DIR...` (coreutils/mkdir.c): each directory in the container's layer.
pub fn mkdir(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    let g = match super::applet::Getopt::parse(
        "mkdir",
        args,
        "pv",
        "m",
        false,
        "[-m MODE] [-p] DIRECTORY...",
    ) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if g.operands.is_empty() {
        return ExecResult::err(
            "BusyBox v1.36.1 multi-call binary.\n\nUsage: mkdir [-m MODE] [-p] DIRECTORY...\n"
                .into(),
            1,
        );
    }
    let mut r = ExecResult::default();
    for d in &g.operands {
        match sb.make_dir(d, g.has('p')) {
            Ok(()) if g.has('v') => r.stdout.push_str(&format!("created directory: '{d}'\n")),
            Ok(()) => {}
            Err(e) => {
                r.stderr.push_str(&format!(
                    "mkdir: can't create directory '{d}': {}\n",
                    e.text()
                ));
                r.code = 1;
            }
        }
    }
    r
}

/// `rm [-f] FILE...` (coreutils/rm.c): files a command wrote.
pub fn rm(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    let g = match super::applet::Getopt::parse("rm", args, "firRv", "", false, "[-irf] FILE...") {
        Ok(g) => g,
        Err(e) => return *e,
    };
    let mut r = ExecResult::default();
    let root = sb.uid() == 0;
    for f in &g.operands {
        // Docker's and the image's files are in /etc, root's: another user may not
        // remove them; root is not let (the image's would come back from under it).
        let kept = sb.is_image_file(f) && sb.file(f).is_some();
        let why = if kept && !root {
            Some("Permission denied")
        } else if kept {
            Some("vnet does not let commands remove the image's own files")
        } else {
            match sb.remove_file(f) {
                Ok(true) => continue,
                Ok(false) => None,
                Err(e) => Some(e.text()),
            }
        };
        let why = if let Some(why) = why {
            why
        } else if sb.is_dir(f) {
            "Is a directory"
        } else if sb.file(f).is_some() && !root {
            "Permission denied"
        } else if sb.file(f).is_some() {
            "vnet does not let commands remove Docker's own files"
        } else if g.has('f') {
            continue;
        } else {
            "No such file or directory"
        };
        r.stderr
            .push_str(&format!("rm: can't remove '{f}': {why}\n"));
        r.code = 1;
    }
    r
}
