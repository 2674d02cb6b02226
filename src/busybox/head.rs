//! `head` (busybox coreutils/head.c): the first lines of the input (`-n N`, `-N`; 10 by
//! default), with `==> FILE <==` headers when there are several files.

use super::applet::{ExecResult, Getopt, OpenError, count, inputs};
use crate::docker::sandbox::Sandbox;

const USAGE: &str = "[OPTIONS] [FILE]...";

/// `head ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let g = match Getopt::parse("head", args, "qv", "nc", true, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if g.value('c').is_some() {
        return ExecResult::err("head: -c: arguments not simulated\n".into(), 1);
    }
    let n = match g.value('n').map(|n| count("head", n)).unwrap_or(Ok(10)) {
        Ok(n) => n,
        Err(e) => return *e,
    };
    let mut r = ExecResult::default();
    let files = inputs(
        sb,
        "head",
        &g.operands,
        stdin,
        OpenError::Perror,
        &mut r.stderr,
    );
    let headers = (files.len() > 1 || g.has('v')) && !g.has('q');
    for (k, (name, text)) in files.iter().enumerate() {
        let Some(text) = text else {
            r.code = 1;
            continue;
        };
        super::applet::file_header(&mut r.stdout, headers, k, name);
        for l in text
            .split_inclusive('\n')
            .take(usize::try_from(n).unwrap_or(usize::MAX))
        {
            r.stdout.push_str(l);
        }
    }
    r
}
