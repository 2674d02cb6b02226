//! Go's `strconv` quoting, as templates need it.
//!
//! Mirrors `strconv.Quote` (the `%q` verb, and the quoted names in template error messages)
//! and `strconv.Unquote` (string, character and raw string literals in template actions).

/// Go's `strconv.Quote`: double quotes, Go escapes for the control characters.
pub fn quote(s: &str) -> String {
    let body = escape(s, |c| {
        let named = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\x07' => "\\a",
            '\x08' => "\\b",
            '\x0c' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\x0b' => "\\v",
            c if c < ' ' || c == '\x7f' => return Some(format!("\\x{:02x}", c as u32)),
            c if c.is_control() => return Some(format!("\\u{:04x}", c as u32)),
            _ => return None,
        };
        Some(named.into())
    });
    format!("\"{body}\"")
}

/// Go's `strconv.Unquote` for `"..."`, `'...'` and raw (backquoted) strings; `None` where
/// Go reports `invalid syntax`.
pub fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    if q == '`' {
        return Some(body.replace('\r', ""));
    }
    let mut out = String::new();
    let mut it = body.chars();
    while let Some(c) = it.next() {
        out.push(match c {
            '\\' => {
                let e = it.next()?;
                let (n, radix) = match e {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => (2, 8),
                    _ => (0, 0),
                };
                if n == 0 {
                    let i = "abfnrtv\\".find(e);
                    let simple = i.and_then(|i| "\x07\x08\x0c\n\r\t\x0b\\".chars().nth(i));
                    simple.or((e == q).then_some(e))?
                } else {
                    let mut digits = if radix == 8 {
                        e.to_string()
                    } else {
                        String::new()
                    };
                    for _ in 0..n {
                        digits.push(it.next().filter(|d| d.is_digit(radix))?);
                    }
                    char::from_u32(u32::from_str_radix(&digits, radix).ok()?)?
                }
            }
            c if c == q => return None,
            c => c,
        });
    }
    Some(out)
}

/// Replaces each char for which `map` returns a replacement.
pub(crate) fn escape(s: &str, map: impl Fn(char) -> Option<String>) -> String {
    s.chars()
        .map(|c| map(c).unwrap_or_else(|| c.to_string()))
        .collect()
}
