//! `printf` (busybox coreutils/printf.c, as ash's builtin): FORMAT with C's conversions
//! (`%d %i %o %u %x %X %c %s %b %%`, flags `-+ #0`, width and precision) and escapes (`\n`,
//! `\t`, `\\`, `\NNN`, ...), applied again while arguments remain.

use super::applet::{ExecResult, MAX_PIPE};

/// An escape after `\` in `s` (at the char after the backslash): the text it stands for and
/// how many chars it took; `None` for `\c` (stop all output).
fn escape(rest: &[char]) -> (Option<String>, usize) {
    let Some(&c) = rest.first() else {
        return (Some("\\".into()), 0);
    };
    let simple = |s: &str| (Some(s.to_string()), 1);
    match c {
        'n' => simple("\n"),
        't' => simple("\t"),
        'r' => simple("\r"),
        'a' => simple("\u{7}"),
        'b' => simple("\u{8}"),
        'f' => simple("\u{c}"),
        'v' => simple("\u{b}"),
        '\\' => simple("\\"),
        '"' => simple("\""),
        '\'' => simple("'"),
        'c' => (None, 1),
        '0'..='7' => {
            let digits: String = rest.iter().take(3).take_while(|c| c.is_digit(8)).collect();
            let v = u32::from_str_radix(&digits, 8).unwrap_or(0) & 0xff;
            (
                Some(char::from_u32(v).map(String::from).unwrap_or_default()),
                digits.len(),
            )
        }
        'x' => {
            let digits: String = rest
                .iter()
                .skip(1)
                .take(2)
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            if digits.is_empty() {
                return (Some("\\x".into()), 1);
            }
            let v = u32::from_str_radix(&digits, 16).unwrap_or(0);
            (
                Some(char::from_u32(v).map(String::from).unwrap_or_default()),
                1 + digits.len(),
            )
        }
        c => (Some(format!("\\{c}")), 1),
    }
}

/// `%b`'s argument: its escapes expanded; `false` if it held `\c`.
pub(super) fn expand_b(s: &str) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            let (text, used) = escape(chars.get(i + 1..).unwrap_or_default());
            match text {
                Some(t) => out.push_str(&t),
                None => return (out, false),
            }
            i += 1 + used;
        } else {
            out.push(c);
            i += 1;
        }
    }
    (out, true)
}

/// An integer argument as `strtoll` with busybox's check: `'c` is the character's code.
fn integer(name: &str, arg: &str, err: &mut String) -> i64 {
    if let Some(c) = arg.strip_prefix(['\'', '"']) {
        return c.chars().next().map_or(0, |c| i64::from(u32::from(c)));
    }
    let t = arg.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(digits, 8).ok()
    } else {
        digits.parse::<i64>().ok()
    };
    match parsed {
        Some(v) => {
            if neg {
                v.wrapping_neg()
            } else {
                v
            }
        }
        None => {
            err.push_str(&format!("{name}: invalid number '{arg}'\n"));
            0
        }
    }
}

/// Pads `body` (after `sign`) to `width` as the flags say.
fn pad(sign: &str, body: &str, width: usize, left: bool, zero: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    let fill = width.saturating_sub(len);
    if left {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if zero {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// The most a width or precision may ask for (C's printf would try; the output bound would
/// stop it anyway).
const MAX_WIDTH: usize = 1 << 16;

/// `printf FORMAT [ARGUMENT...]`; `name` is what its errors start with (`printf`, or `sh`
/// for ash's builtin).
pub fn run(name: &str, args: &[&str]) -> ExecResult {
    let args = match args.split_first() {
        Some((&"--", rest)) => rest,
        _ => args,
    };
    let Some((format, mut rest)) = args.split_first() else {
        return ExecResult::err(format!("{name}: usage: printf FORMAT [ARGUMENT...]\n"), 2);
    };
    let f: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut err = String::new();
    loop {
        let before = rest.len();
        let mut i = 0;
        while let Some(&c) = f.get(i) {
            if out.len() > MAX_PIPE {
                err.push_str(&format!(
                    "printf: the output passed {} MiB (vnet's bound) and was cut there\n",
                    MAX_PIPE >> 20
                ));
                return finish(out, err);
            }
            if c == '\\' {
                let (text, used) = escape(f.get(i + 1..).unwrap_or_default());
                match text {
                    Some(t) => out.push_str(&t),
                    None => return finish(out, err),
                }
                i += 1 + used;
                continue;
            }
            if c != '%' {
                out.push(c);
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            let mut flags = String::new();
            while let Some(&c) = f.get(i).filter(|c| "-+ #0".contains(**c)) {
                flags.push(c);
                i += 1;
            }
            let mut number = |i: &mut usize, rest: &mut &[&str]| -> Option<usize> {
                if f.get(*i) == Some(&'*') {
                    *i += 1;
                    let a = match rest.split_first() {
                        Some((a, r)) => {
                            *rest = r;
                            *a
                        }
                        None => "",
                    };
                    return Some(usize::try_from(integer(name, a, &mut err)).unwrap_or(0));
                }
                let s: String = f
                    .get(*i..)?
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                *i += s.len();
                (!s.is_empty()).then(|| s.parse().unwrap_or(MAX_WIDTH))
            };
            let width = number(&mut i, &mut rest).unwrap_or(0).min(MAX_WIDTH);
            let prec = if f.get(i) == Some(&'.') {
                i += 1;
                Some(number(&mut i, &mut rest).unwrap_or(0).min(MAX_WIDTH))
            } else {
                None
            };
            // Length modifiers are read and ignored, as busybox does.
            while f.get(i).is_some_and(|c| "hlLqjzt".contains(*c)) {
                i += 1;
            }
            let Some(&conv) = f.get(i) else {
                let text: String = f.get(start..).unwrap_or_default().iter().collect();
                err.push_str(&format!("{name}: {text}: invalid format\n"));
                return finish(out, err);
            };
            i += 1;
            let (left, zero) = (flags.contains('-'), flags.contains('0'));
            let mut next = || -> &str {
                match rest.split_first() {
                    Some((a, r)) => {
                        rest = r;
                        a
                    }
                    None => "",
                }
            };
            match conv {
                '%' => out.push('%'),
                's' => {
                    let a = next();
                    let a: String = match prec {
                        Some(p) => a.chars().take(p).collect(),
                        None => a.to_string(),
                    };
                    out.push_str(&pad("", &a, width, left, false));
                }
                'b' => {
                    let (a, go_on) = expand_b(next());
                    out.push_str(&pad("", &a, width, left, false));
                    if !go_on {
                        return finish(out, err);
                    }
                }
                'c' => {
                    let a: String = next().chars().take(1).collect();
                    out.push_str(&pad("", &a, width, left, false));
                }
                'd' | 'i' | 'o' | 'u' | 'x' | 'X' => {
                    let v = integer(name, next(), &mut err);
                    let (sign, mag) = if matches!(conv, 'd' | 'i') {
                        let sign = if v < 0 {
                            "-"
                        } else if flags.contains('+') {
                            "+"
                        } else if flags.contains(' ') {
                            " "
                        } else {
                            ""
                        };
                        (sign, v.unsigned_abs())
                    } else {
                        ("", v as u64)
                    };
                    let mut body = match conv {
                        'o' => format!("{mag:o}"),
                        'x' => format!("{mag:x}"),
                        'X' => format!("{mag:X}"),
                        _ => mag.to_string(),
                    };
                    if let Some(p) = prec
                        && body.len() < p
                    {
                        body = format!("{}{body}", "0".repeat(p - body.len()));
                    }
                    let prefix = match conv {
                        'x' if flags.contains('#') && mag != 0 => "0x",
                        'X' if flags.contains('#') && mag != 0 => "0X",
                        'o' if flags.contains('#') && !body.starts_with('0') => "0",
                        _ => "",
                    };
                    let sign = format!("{sign}{prefix}");
                    out.push_str(&pad(&sign, &body, width, left, zero && prec.is_none()));
                }
                other => {
                    let text: String = f.get(start..i).unwrap_or_default().iter().collect();
                    let _ = other;
                    err.push_str(&format!("{name}: {text}: invalid format\n"));
                    return finish(out, err);
                }
            }
        }
        if rest.is_empty() || rest.len() == before {
            break;
        }
    }
    finish(out, err)
}

fn finish(stdout: String, stderr: String) -> ExecResult {
    let code = i32::from(!stderr.is_empty());
    ExecResult {
        stdout,
        stderr,
        code,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::run;

    #[test]
    fn formats_as_c() {
        assert_eq!(run("printf", &["%s-%d\\n", "a", "5"]).stdout, "a-5\n");
        assert_eq!(
            run("printf", &["%5s|%-4d|%03d\\n", "ab", "7", "9"]).stdout,
            "   ab|7   |009\n"
        );
        assert_eq!(
            run("printf", &["%x %X %o %#x\\n", "255", "255", "8", "16"]).stdout,
            "ff FF 10 0x10\n"
        );
        assert_eq!(run("printf", &["%s\\n", "a", "b", "c"]).stdout, "a\nb\nc\n");
        assert_eq!(run("printf", &["%b", "x\\ty"]).stdout, "x\ty");
        assert_eq!(run("printf", &["100%%\\n"]).stdout, "100%\n");
        assert_eq!(run("printf", &["\\101\\x42\\n"]).stdout, "AB\n");
        let bad = run("printf", &["%d\\n", "x"]);
        assert_eq!((bad.stdout.as_str(), bad.code), ("0\n", 1));
        assert_eq!(bad.stderr, "printf: invalid number 'x'\n");
        assert_eq!(
            run("sh", &["%d %d\\n", "1"]).stderr,
            "sh: invalid number ''\n"
        );
        assert_eq!(run("printf", &[]).code, 2);
    }
}
