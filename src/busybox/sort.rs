//! `sort` (busybox coreutils/sort.c): the input's lines in order, `-r` reversed, `-n` by
//! leading number, `-u` without repeats, `-f` folding case, `-k N` from field N (blank
//! separated, or `-t C`).

use super::applet::{ExecResult, Getopt, OpenError, inputs, lines};
use crate::docker::sandbox::Sandbox;
use std::cmp::Ordering;

const USAGE: &str =
    "[-nrugMcszbdfiokt] [-o FILE] [-k START[.OFS][OPTS][,END[.OFS][OPTS]] [-t CHAR] [FILE]...";

/// The leading number of `s`, as `strtod` reads it (0 if none).
fn number(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
        .map_or(t.len(), |(i, _)| i);
    t.get(..end).and_then(|n| n.parse().ok()).unwrap_or(0.0)
}

/// `sort ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    // sort.c sets xfunc_error_retval = 2: every error ends it with 2.
    let g = match Getopt::parse("sort", args, "nrufbs", "kt", false, USAGE) {
        Ok(g) => g,
        Err(e) => return ExecResult { code: 2, ..*e },
    };
    let key = match g.value('k') {
        None => None,
        Some(k) => match k
            .split([',', '.'])
            .next()
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n > 0 => Some(n),
            _ => return ExecResult::err("sort: bad field specification\n".into(), 2),
        },
    };
    let sep = match g.value('t') {
        None => None,
        Some(t) if t.chars().count() == 1 => t.chars().next(),
        Some(_) => return ExecResult::err("sort: bad -t parameter\n".into(), 2),
    };
    let mut err = String::new();
    let files = inputs(
        sb,
        "sort",
        &g.operands,
        stdin,
        OpenError::CantOpen,
        &mut err,
    );
    if !err.is_empty() {
        // xfopen: the first file it cannot open ends sort.
        return ExecResult::err(err.lines().next().unwrap_or_default().to_string() + "\n", 2);
    }
    let mut all: Vec<&str> = files
        .iter()
        .filter_map(|(_, t)| t.as_deref())
        .flat_map(lines)
        .collect();
    let field = |l: &'_ str| -> String {
        let Some(k) = key else {
            return l.to_string();
        };
        match sep {
            Some(c) => l
                .split(c)
                .skip(k - 1)
                .collect::<Vec<_>>()
                .join(&c.to_string()),
            None => l
                .split_whitespace()
                .skip(k - 1)
                .collect::<Vec<_>>()
                .join(" "),
        }
    };
    let cmp = |a: &&str, b: &&str| -> Ordering {
        let (ka, kb) = (field(a), field(b));
        let o = if g.has('n') {
            number(&ka)
                .partial_cmp(&number(&kb))
                .unwrap_or(Ordering::Equal)
        } else if g.has('f') {
            ka.to_uppercase().cmp(&kb.to_uppercase())
        } else {
            ka.cmp(&kb)
        };
        // Equal keys fall back to the whole line (unless -s), as busybox does.
        let o = if o == Ordering::Equal && !g.has('s') && !g.has('u') {
            a.cmp(b)
        } else {
            o
        };
        if g.has('r') { o.reverse() } else { o }
    };
    all.sort_by(cmp);
    if g.has('u') {
        all.dedup_by(|a, b| cmp(&&**a, &&**b) == Ordering::Equal);
    }
    let mut r = ExecResult::default();
    for l in all {
        r.stdout.push_str(l);
        r.stdout.push('\n');
    }
    r
}
