//! `seq` (busybox coreutils/seq.c): numbers from FIRST (1) by INCREMENT (1) to LAST, one a
//! line (`-s SEP` between them, `-w` padded to equal width), printed as C's `%.*f` with the
//! arguments' decimals.

use super::applet::{ExecResult, MAX_PIPE};

const USAGE: &str =
    "BusyBox v1.36.1 multi-call binary.\n\nUsage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n";

/// `seq ARGS`.
pub fn run(args: &[&str]) -> ExecResult {
    let usage = || ExecResult::err(USAGE.to_string(), 1);
    // Options stop at the first operand, or at a negative number.
    let (mut sep, mut pad) = ("\n".to_string(), false);
    let mut rest = args;
    while let Some((a, more)) = rest.split_first() {
        let negative = a.len() > 1
            && a.starts_with('-')
            && a.chars()
                .nth(1)
                .is_some_and(|c| c == '.' || c.is_ascii_digit());
        if !a.starts_with('-') || negative || *a == "-" {
            break;
        }
        match *a {
            "--" => {
                rest = more;
                break;
            }
            "-w" => {
                pad = true;
                rest = more;
            }
            "-s" => match more.split_first() {
                Some((s, m)) => {
                    sep = s.to_string();
                    rest = m;
                }
                None => return usage(),
            },
            s if s.starts_with("-s") => {
                sep = s.get(2..).unwrap_or_default().to_string();
                rest = more;
            }
            _ => return usage(),
        }
    }
    let num = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    let (first, inc, last) = match rest {
        [l] => (Some(1.0), Some(1.0), num(l)),
        [f, l] => (num(f), Some(1.0), num(l)),
        [f, i, l] => (num(f), num(i), num(l)),
        _ => return usage(),
    };
    let (Some(first), Some(inc), Some(last)) = (first, inc, last) else {
        return usage();
    };
    // busybox's width and decimals: the widest integer part, the most decimals of all but
    // the last argument.
    let mut width = 0usize;
    let mut frac = 0usize;
    for (k, a) in rest.iter().enumerate() {
        let dot = a.find('.').unwrap_or(a.len());
        width = width.max(dot);
        if k + 1 < rest.len() {
            frac = frac.max(a.len() - dot);
        }
    }
    if frac > 0 {
        frac -= 1;
        if frac > 0 {
            width += frac + 1;
        }
    }
    if !pad {
        width = 0;
    }
    let mut r = ExecResult::default();
    let mut n = 0u64;
    loop {
        let v = first + n as f64 * inc;
        if (inc >= 0.0 && v > last) || (inc < 0.0 && v < last) {
            break;
        }
        let text = format!("{v:0width$.frac$}");
        if r.stdout.len() + sep.len() + text.len() > MAX_PIPE {
            r.stderr = format!(
                "seq: the output passed {} MiB (vnet's bound) and was cut there\n",
                MAX_PIPE >> 20
            );
            r.code = 1;
            break;
        }
        if n > 0 {
            r.stdout.push_str(&sep);
        }
        r.stdout.push_str(&text);
        n += 1;
    }
    if n > 0 {
        r.stdout.push('\n');
    }
    r
}

#[cfg(test)]
mod tests {
    use super::run;

    #[test]
    fn as_busybox_prints() {
        assert_eq!(run(&["3"]).stdout, "1\n2\n3\n");
        assert_eq!(run(&["2", "2", "7"]).stdout, "2\n4\n6\n");
        assert_eq!(run(&["-s", ",", "3"]).stdout, "1,2,3\n");
        assert_eq!(run(&["-w", "8", "10"]).stdout, "08\n09\n10\n");
        assert_eq!(run(&["1", "0.5", "2"]).stdout, "1.0\n1.5\n2.0\n");
        assert_eq!(run(&["3", "-1", "1"]).stdout, "3\n2\n1\n");
        assert_eq!(run(&["5", "1"]).stdout, "");
        assert_eq!(run(&["x"]).code, 1);
        // An increment of 0 never ends: the output bound stops it.
        assert_eq!(run(&["1", "0", "1"]).code, 1);
    }
}
