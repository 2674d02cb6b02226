//! `tail` (busybox coreutils/tail.c): the last lines of the input (`-n N`, `-N`; 10 by
//! default), or from line N on (`-n +N`).

use super::applet::{ExecResult, Getopt, OpenError, count, inputs};
use crate::docker::sandbox::Sandbox;

const USAGE: &str = "[OPTIONS] [FILE]...";

/// `tail ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let g = match Getopt::parse("tail", args, "qvf", "nc", true, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if g.has('f') || g.value('c').is_some() {
        return ExecResult::err("tail: -f, -c: arguments not simulated\n".into(), 1);
    }
    let spec = g.value('n').unwrap_or("10");
    let (from_start, digits) = match spec.strip_prefix('+') {
        Some(d) => (true, d),
        None => (false, spec.strip_prefix('-').unwrap_or(spec)),
    };
    let n = match count("tail", digits) {
        Ok(n) => usize::try_from(n).unwrap_or(usize::MAX),
        Err(e) => return *e,
    };
    let mut r = ExecResult::default();
    let files = inputs(
        sb,
        "tail",
        &g.operands,
        stdin,
        OpenError::CantOpen,
        &mut r.stderr,
    );
    let headers = (files.len() > 1 || g.has('v')) && !g.has('q');
    for (k, (name, text)) in files.iter().enumerate() {
        let Some(text) = text else {
            r.code = 1;
            continue;
        };
        super::applet::file_header(&mut r.stdout, headers, k, name);
        let all: Vec<&str> = text.split_inclusive('\n').collect();
        let skip = if from_start {
            n.saturating_sub(1)
        } else {
            all.len().saturating_sub(n)
        };
        for l in all.iter().skip(skip) {
            r.stdout.push_str(l);
        }
    }
    r
}
