//! `wc` (busybox coreutils/wc.c): lines, words and bytes (`-l`, `-w`, `-c`, `-m`, `-L`), in
//! busybox's columns: `%9u` each, a lone count unpadded, the file's name after.

use super::applet::{ExecResult, Getopt, OpenError, inputs};
use crate::docker::sandbox::Sandbox;

const USAGE: &str = "[-cmlwL] [FILE]...";

/// Counts as busybox's loop does: lines, words, characters, bytes, the longest line.
fn counts(text: &str) -> [u64; 5] {
    let mut c = [0u64; 5];
    let (mut pos, mut in_word, mut longest) = (0u64, false, 0u64);
    let bytes = text.as_bytes();
    for &b in bytes {
        c[3] += 1;
        if b & 0xc0 != 0x80 {
            c[2] += 1;
        }
        if (0x20..0x7f).contains(&b) {
            pos += 1;
            if b != b' ' {
                in_word = true;
                continue;
            }
        } else if (9..=13).contains(&b) {
            if b == b'\t' {
                pos = (pos | 7) + 1;
            } else {
                longest = longest.max(pos);
                if b == b'\n' {
                    c[0] += 1;
                }
                if b != 0x0b {
                    pos = 0;
                }
            }
        } else {
            continue;
        }
        c[1] += u64::from(in_word);
        in_word = false;
    }
    longest = longest.max(pos);
    c[1] += u64::from(in_word);
    c[4] = longest;
    c
}

/// `wc ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let g = match Getopt::parse("wc", args, "lwmcL", "", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    let which: Vec<usize> = {
        let picked: Vec<usize> = [('l', 0), ('w', 1), ('m', 2), ('c', 3), ('L', 4)]
            .iter()
            .filter(|(f, _)| g.has(*f))
            .map(|(_, i)| *i)
            .collect();
        if picked.is_empty() {
            vec![0, 1, 3]
        } else {
            picked
        }
    };
    let mut r = ExecResult::default();
    let files = inputs(
        sb,
        "wc",
        &g.operands,
        stdin,
        OpenError::Perror,
        &mut r.stderr,
    );
    let lone = g.operands.len() <= 1 && which.len() == 1;
    let mut totals = [0u64; 5];
    let mut shown = 0;
    let print = |c: &[u64; 5], name: Option<&str>, out: &mut String| {
        for (k, i) in which.iter().enumerate() {
            let v = c.get(*i).copied().unwrap_or(0);
            match (k, lone) {
                (0, true) => out.push_str(&v.to_string()),
                (0, false) => out.push_str(&format!("{v:9}")),
                _ => out.push_str(&format!(" {v:9}")),
            }
        }
        match name {
            Some(n) => out.push_str(&format!(" {n}\n")),
            None => out.push('\n'),
        }
    };
    for (name, text) in &files {
        let Some(text) = text else {
            r.code = 1;
            continue;
        };
        let c = counts(text);
        for (t, v) in totals.iter_mut().zip(c).take(4) {
            *t += v;
        }
        totals[4] = totals[4].max(c[4]);
        shown += 1;
        let name = (!g.operands.is_empty()).then_some(*name);
        print(&c, name, &mut r.stdout);
    }
    if files.len() > 1 && shown > 0 {
        print(&totals, Some("total"), &mut r.stdout);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::counts;

    #[test]
    fn counts_as_busybox() {
        assert_eq!(counts("a b\nc\n"), [2, 3, 6, 6, 3]);
        assert_eq!(counts("no newline"), [0, 2, 10, 10, 10]);
        assert_eq!(counts(""), [0, 0, 0, 0, 0]);
    }
}
