//! `grep` (busybox findutils/grep.c): lines of the input that match a pattern, POSIX basic
//! regular expressions by default (`-E` extended, `-F` fixed strings), with `-i`, `-v`,
//! `-c`, `-n`, `-q`, `-x`, `-w`, `-l`, `-h`, `-s`, `-o` and `-e PATTERN`; status 0 if a line
//! was selected, 1 if none, 2 if a file could not be read.

use super::applet::{ExecResult, Getopt, OpenError, inputs, lines};
use crate::docker::sandbox::Sandbox;

const USAGE: &str =
    "[-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...";

/// A POSIX basic regular expression in the `regex` crate's syntax: `\(`, `\)`, `\{`, `\}`,
/// `\|`, `\+` and `\?` are the operators (GNU's extensions, which busybox's libc has), and
/// the bare characters are literal; `\<` and `\>` are word boundaries.
fn from_bre(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if in_class {
            if c == ']' {
                in_class = false;
            }
            if c == '\\' || c == '[' && chars.peek() != Some(&':') {
                out.push('\\');
            }
            out.push(c);
            continue;
        }
        match c {
            '\\' => match chars.next() {
                Some(o @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(o),
                Some('<' | '>') => out.push_str("\\b"),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push('[');
                // `[]…]` and `[^]…]`: a leading `]` is literal.
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `grep ARGS` over `stdin` or the named files.
pub fn run(sb: &Sandbox, args: &[&str], stdin: &str) -> ExecResult {
    let g = match Getopt::parse("grep", args, "HhnlLoqvsriwxFEc", "em", false, USAGE) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    let mut operands = g.operands.clone();
    let mut patterns: Vec<&str> = g
        .values
        .iter()
        .filter(|(k, _)| *k == 'e')
        .map(|(_, v)| *v)
        .collect();
    if patterns.is_empty() {
        if operands.is_empty() {
            return ExecResult::err(
                format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: grep {USAGE}\n"),
                1,
            );
        }
        patterns.push(operands.remove(0));
    }
    // Each pattern line is a pattern of its own.
    let patterns: Vec<&str> = patterns.iter().flat_map(|p| p.split('\n')).collect();
    let body = |p: &str| {
        if g.has('F') {
            regex::escape(p)
        } else if g.has('E') {
            p.to_string()
        } else {
            from_bre(p)
        }
    };
    let alts: Vec<String> = patterns
        .iter()
        .map(|p| {
            let b = body(p);
            match (g.has('x'), g.has('w')) {
                (true, _) => format!("^(?:{b})$"),
                (false, true) => format!("\\b(?:{b})\\b"),
                _ => format!("(?:{b})"),
            }
        })
        .collect();
    let re = regex::RegexBuilder::new(&alts.join("|"))
        .case_insensitive(g.has('i'))
        .size_limit(1 << 20)
        .build();
    let Ok(re) = re else {
        return ExecResult::err(format!("grep: bad regex '{}'\n", patterns.join("\n")), 2);
    };
    let max = match g.value('m').map(|m| super::applet::count("grep", m)) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => return *e,
        None => None,
    };
    let mut r = ExecResult::default();
    let mut err = String::new();
    let files = inputs(sb, "grep", &operands, stdin, OpenError::Perror, &mut err);
    let prefix = files.len() > 1 && !g.has('h') || g.has('H');
    let mut matched = false;
    let mut open_errors = false;
    for (name, text) in &files {
        let Some(text) = text else {
            open_errors = true;
            continue;
        };
        let shown = if *name == "-" {
            "(standard input)"
        } else {
            name
        };
        let mut n_sel = 0u64;
        for (i, line) in lines(text).enumerate() {
            if max.is_some_and(|m| n_sel >= m) {
                break;
            }
            if re.is_match(line) == g.has('v') {
                continue;
            }
            n_sel += 1;
            matched = true;
            if g.has('q') {
                return ExecResult::default();
            }
            if g.has('c') || g.has('l') {
                continue;
            }
            let mut head = String::new();
            if prefix {
                head.push_str(&format!("{shown}:"));
            }
            if g.has('n') {
                head.push_str(&format!("{}:", i + 1));
            }
            if g.has('o') && !g.has('v') {
                for m in re.find_iter(line).filter(|m| !m.as_str().is_empty()) {
                    r.stdout.push_str(&format!("{head}{}\n", m.as_str()));
                }
            } else {
                r.stdout.push_str(&format!("{head}{line}\n"));
            }
        }
        if g.has('c') {
            if prefix {
                r.stdout.push_str(&format!("{shown}:"));
            }
            r.stdout.push_str(&format!("{n_sel}\n"));
        } else if g.has('l') && n_sel > 0 {
            r.stdout.push_str(&format!("{shown}\n"));
        }
    }
    if !g.has('s') {
        r.stderr = err;
    }
    r.code = if open_errors { 2 } else { i32::from(!matched) };
    r
}

#[cfg(test)]
mod tests {
    use super::from_bre;

    #[test]
    fn basic_regular_expressions() {
        assert_eq!(from_bre("a+b"), "a\\+b");
        assert_eq!(from_bre("a\\+b"), "a+b");
        assert_eq!(from_bre("\\(ab\\)*"), "(ab)*");
        assert_eq!(from_bre("x{2}"), "x\\{2\\}");
        assert_eq!(from_bre("[]a]"), "[\\]a]");
        assert_eq!(from_bre("\\<eth0\\>"), "\\beth0\\b");
        assert_eq!(from_bre("1.2.3"), "1.2.3");
    }
}
