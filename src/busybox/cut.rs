//! `cut` (busybox coreutils/cut.c): fields (`-f LIST` with `-d DELIM`, `-s`) or characters
//! (`-c LIST`, `-b LIST`) of each input line; LIST is `N`, `N-M`, `N-`, `-M`, joined by
//! commas.

use super::applet::{ExecResult, Getopt, OpenError, inputs, lines};
use crate::docker::sandbox::Sandbox;

const USAGE: &str = "[OPTIONS] [FILE]...";

/// The positions a LIST selects, as 1-based inclusive ranges (`usize::MAX`: to the end).
fn ranges(list: &str) -> Result<Vec<(usize, usize)>, String> {
    let mut out = Vec::new();
    for part in list.split(',') {
        let num = |s: &str| -> Result<usize, String> {
            s.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("invalid number '{s}'"))
        };
        let (s, e) = match part.split_once('-') {
            None => {
                let n = num(part)?;
                (n, n)
            }
            Some(("", "")) => return Err("invalid number ''".into()),
            Some(("", e)) => (1, num(e)?),
            Some((s, "")) => (num(s)?, usize::MAX),
            Some((s, e)) => {
                let (s, e) = (num(s)?, num(e)?);
                // busybox compares the end with the zero-based start, so `3-2` passes
                // (and, as every range prints its first position, selects 3).
                if e < s - 1 {
                    return Err(format!("{e}<{}", s - 1));
                }
                (s, e.max(s))
            }
        };
        out.push((s, e));
    }
    if out.is_empty() {
        return Err("missing list of positions".into());
    }
    Ok(out)
}

fn selected(r: &[(usize, usize)], i: usize) -> bool {
    r.iter().any(|(s, e)| (*s..=*e).contains(&i))
}

/// `cut ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let g = match Getopt::parse("cut", args, "sn", "bcfdO", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    let die = |m: String| ExecResult::err(format!("cut: {m}\n"), 1);
    let fields = g.value('f');
    let chars = g.value('c').or(g.value('b'));
    let list = match (fields, chars) {
        (Some(f), _) => f,
        (None, Some(c)) => c,
        (None, None) => return die("expected a list of bytes, characters, or fields".into()),
    };
    if fields.is_none() {
        if g.has('s') {
            return die(
                "suppressing non-delimited lines makes sense only when operating on fields".into(),
            );
        }
        if g.value('d').is_some() {
            return die("a delimiter may be specified only when operating on fields".into());
        }
    }
    let ranges = match ranges(list) {
        Ok(r) => r,
        Err(m) => return die(m),
    };
    let delim = match g.value('d') {
        None | Some("") => "\t".to_string(),
        Some(d) if d.chars().count() == 1 => d.to_string(),
        Some(_) => return die("delimiter must be a single character".into()),
    };
    let out_delim = g.value('O').map_or(delim.clone(), str::to_string);
    let mut r = ExecResult::default();
    let files = inputs(
        sb,
        "cut",
        &g.operands,
        stdin,
        OpenError::Perror,
        &mut r.stderr,
    );
    for (_, text) in &files {
        let Some(text) = text else {
            r.code = 1;
            continue;
        };
        for line in lines(text) {
            if fields.is_some() {
                if !line.contains(delim.as_str()) {
                    if !g.has('s') {
                        r.stdout.push_str(&format!("{line}\n"));
                    }
                    continue;
                }
                let picked: Vec<&str> = line
                    .split(delim.as_str())
                    .enumerate()
                    .filter(|(i, _)| selected(&ranges, i + 1))
                    .map(|(_, f)| f)
                    .collect();
                r.stdout.push_str(&picked.join(&out_delim));
            } else {
                let picked: String = line
                    .chars()
                    .enumerate()
                    .filter(|(i, _)| selected(&ranges, i + 1))
                    .map(|(_, c)| c)
                    .collect();
                r.stdout.push_str(&picked);
            }
            r.stdout.push('\n');
        }
    }
    r
}
