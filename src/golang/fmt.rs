//! Go's `fmt` verbs, as a template's `print`, `printf` and `println` need them.
//!
//! Mirrors Go's `fmt` (`print.go`, `format.go`) for the values a template sees when Docker
//! hands it an object decoded from JSON (`serde_json::Value`): JSON null is Go's `nil`,
//! integral numbers print as `int`, other numbers as `float64`, arrays as `[]interface {}`
//! and objects as `map[string]interface {}` (keys sorted, as `fmt` sorts map keys). Verbs:
//! `%v %s %q %x %X %d %c %t %f %F %e %g` with the `-`, `+`, `0` flags, width and precision
//! (digits or `*`), and Go's error notations (`%!d(string=x)`, `%!v(MISSING)`,
//! `%!(EXTRA ...)`, `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`). Widths and precisions are
//! bounded as Go's `parsenum` and `tooLarge` bound them: a number in the format that passes
//! a million before its last digit takes the rest of the format with it (`%!(NOVERB)`), an
//! operand (`*`) past a million is BADWIDTH or BADPREC.

use super::strconv::quote;
use serde_json::{Number, Value};

/// Go's type name for a JSON-decoded value (as `%T` would print it, `<nil>` for null).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if int_of(n).is_some() => "int",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// The number as an integer, when it is one.
pub fn int_of(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Appends `v` as Go's `fmt.Print` prints one operand (`%v`).
pub fn write_value(out: &mut String, v: &Value) {
    fmt_value(out, v, &V, usize::MAX);
}

/// Go's `fmt.Sprintln`: operands `%v`, separated by spaces, and a newline.
pub fn sprintln(args: &[Value]) -> String {
    args.iter().map(sprint_value).collect::<Vec<_>>().join(" ") + "\n"
}

/// One printf directive: flags `-`, `+`, `0`, a width, a precision and the verb.
#[derive(Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
    verb: char,
}

/// Plain `%v`.
const V: Spec = Spec {
    minus: false,
    plus: false,
    zero: false,
    width: 0,
    prec: None,
    verb: 'v',
};

/// One operand as `%v` (Go's `fmt.Sprint(v)`).
pub fn sprint_value(v: &Value) -> String {
    let mut out = String::new();
    fmt_value(&mut out, v, &V, usize::MAX);
    out
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Value> = None;
    for a in args {
        if prev.is_some_and(|p| !p.is_string()) && !a.is_string() {
            out.push(' ');
        }
        prev = Some(a);
        fmt_value(&mut out, a, &V, usize::MAX);
    }
    out
}

/// Go's `tooLarge` (`fmt/print.go`): a width or precision past a million is refused.
fn too_large(x: i64) -> bool {
    const MAX: i64 = 1_000_000;
    !(-MAX..=MAX).contains(&x)
}

/// Go's `parsenum`: the decimal number at the start of `s`, and the bytes it took. A
/// number that grows too large is no number, and (as Go does) takes the rest of the format.
fn parse_num(s: &str) -> (Option<usize>, usize) {
    let mut num: i64 = 0;
    let mut taken = 0;
    for b in s.bytes().take_while(u8::is_ascii_digit) {
        if too_large(num) {
            return (None, s.len());
        }
        num = num * 10 + i64::from(b - b'0');
        taken += 1;
    }
    match taken {
        0 => (None, 0),
        // `num` is at most ten million and a few here.
        _ => (usize::try_from(num).ok(), taken),
    }
}

/// Go's `intFromArg`: a width or precision given as an operand (`*`); `None` when it is
/// not an int or is too large.
fn int_from_arg(v: Option<&Value>) -> Option<i64> {
    let i = match v? {
        Value::Number(n) => i64::try_from(int_of(n)?).ok()?,
        _ => return None,
    };
    (!too_large(i)).then_some(i)
}

/// Go's `fmt.Sprintf` for the common verbs, including its `%!` error notations.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    sprintf_max(format, args, usize::MAX).unwrap_or_default()
}

/// [`sprintf`] that gives up (`None`) once the result would pass `max` bytes: a width or
/// precision may be up to ten million (Go's `tooLarge`), for every directive.
pub fn sprintf_max(format: &str, args: &[Value], max: usize) -> Option<String> {
    let (mut out, mut used) = (String::new(), 0);
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let mut sp = V;
        while let Some(f) = rest.chars().next().filter(|c| "-+0 #".contains(*c)) {
            sp.minus |= f == '-';
            sp.plus |= f == '+';
            sp.zero |= f == '0';
            rest = &rest[1..];
        }
        if let Some(r) = rest.strip_prefix('*') {
            rest = r;
            match int_from_arg(args.get(used)) {
                Some(w) => {
                    sp.width = usize::try_from(w.unsigned_abs()).unwrap_or(0);
                    if w < 0 {
                        sp.minus = true;
                        sp.zero = false;
                    }
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            used += usize::from(used < args.len());
        } else {
            let (w, n) = parse_num(rest);
            sp.width = w.unwrap_or(0);
            rest = &rest[n..];
        }
        if rest.len() > 1 && rest.starts_with('.') {
            rest = &rest[1..];
            if let Some(r) = rest.strip_prefix('*') {
                rest = r;
                match int_from_arg(args.get(used)) {
                    Some(p) if p >= 0 => sp.prec = usize::try_from(p).ok(),
                    _ => out.push_str("%!(BADPREC)"),
                }
                used += usize::from(used < args.len());
            } else {
                let (p, n) = parse_num(rest);
                sp.prec = Some(p.unwrap_or(0));
                rest = &rest[n..];
            }
        }
        let Some(verb) = rest.chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        rest = &rest[verb.len_utf8()..];
        match args.get(used) {
            _ if verb == '%' => out.push('%'),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
            Some(a) => {
                used += 1;
                sp.verb = verb;
                sp.plus &= verb != 'v';
                if !fmt_value(&mut out, a, &sp, max) {
                    return None;
                }
            }
        }
        if out.len() > max {
            return None;
        }
    }
    out.push_str(rest);
    if used < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args.iter().skip(used).enumerate() {
            out.push_str(if i > 0 { ", " } else { "" });
            if a.is_null() {
                out.push_str("<nil>");
            } else {
                out.push_str(type_name(a));
                out.push('=');
                fmt_value(&mut out, a, &V, max);
            }
            if out.len() > max {
                return None;
            }
        }
        out.push(')');
    }
    (out.len() <= max).then_some(out)
}

/// Formats like Go's fmt with one verb; arrays and maps apply it to each element. False
/// when `out` passed `max` bytes (it stops there).
fn fmt_value(out: &mut String, v: &Value, sp: &Spec, max: usize) -> bool {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                if !fmt_value(out, e, sp, max) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, (k, e)) in keys
                .into_iter()
                .filter_map(|k| Some((k, m.get(k)?)))
                .enumerate()
            {
                out.push_str(if i > 0 { " " } else { "" });
                fmt_value(out, &Value::String(k.clone()), sp, max);
                out.push(':');
                if !fmt_value(out, e, sp, max) {
                    return false;
                }
            }
            out.push(']');
        }
        _ => match leaf(v, sp) {
            // An integer with a precision pads with spaces: the precision made its zeros.
            Some(s) => pad(
                out,
                &s,
                sp,
                v.is_f64() || (v.is_number() && sp.prec.is_none()),
            ),
            None if v.is_null() => out.push_str(&format!("%!{}(<nil>)", sp.verb)),
            None => out.push_str(&format!(
                "%!{}({}={})",
                sp.verb,
                type_name(v),
                sprint_value(v)
            )),
        },
    }
    out.len() <= max
}

/// Formats a scalar without padding; `None` when the verb does not apply to it.
fn leaf(v: &Value, sp: &Spec) -> Option<String> {
    let sign = |s: String| {
        if sp.plus && !s.starts_with('-') {
            format!("+{s}")
        } else {
            s
        }
    };
    Some(match (v, sp.verb) {
        (Value::Null, 'v') => "<nil>".into(),
        (Value::Bool(b), 'v' | 't') => b.to_string(),
        (Value::String(s), 'v' | 's') => s.chars().take(sp.prec.unwrap_or(usize::MAX)).collect(),
        (Value::String(s), 'q') => quote(s),
        (Value::String(s), 'x') => s.bytes().map(|b| format!("{b:02x}")).collect(),
        (Value::String(s), 'X') => s.bytes().map(|b| format!("{b:02X}")).collect(),
        (Value::Number(n), verb) => match (int_of(n), verb) {
            (Some(i), 'd' | 'v' | 'x' | 'X') => sign(integer(i, verb, sp.prec)),
            (Some(i), 'c') => char::from_u32(u32::try_from(i).ok()?)?.to_string(),
            (Some(_), _) => return None,
            (None, 'v' | 'g') => sign(fmt_g(n.as_f64()?, sp.prec)),
            (None, 'f' | 'F') => sign(fixed(n.as_f64()?, sp.prec.unwrap_or(6))),
            (None, 'e') => sign(go_exp(&exponent(n.as_f64()?, sp.prec.unwrap_or(6)))),
            (None, _) => return None,
        },
        _ => return None,
    })
}

/// Go's `fmtInteger`: the digits in the verb's base, zero-padded to the precision (a zero
/// precision prints nothing for zero), after the sign.
fn integer(i: i128, verb: char, prec: Option<usize>) -> String {
    let digits = match verb {
        'x' => format!("{:x}", i.unsigned_abs()),
        'X' => format!("{:X}", i.unsigned_abs()),
        _ => i.unsigned_abs().to_string(),
    };
    let digits = match prec {
        Some(0) if i == 0 => String::new(),
        Some(p) => "0".repeat(p.saturating_sub(digits.len())) + &digits,
        None => digits,
    };
    if i < 0 { format!("-{digits}") } else { digits }
}

/// Fraction digits past which a float64's exact decimal expansion has only zeros (it ends
/// within 1074); Rust's formatter takes no precision above 65535.
const EXACT_FRACTION: usize = 1100;

/// Significant digits past which a float64's exact decimal expansion has only zeros (767).
const EXACT_DIGITS: usize = 800;

/// `%.Nf`: the exact digits, then zeros to any precision Go allows.
fn fixed(f: f64, prec: usize) -> String {
    let mut s = format!("{:.*}", prec.min(EXACT_FRACTION), f);
    s.extend(std::iter::repeat_n(
        '0',
        prec.saturating_sub(EXACT_FRACTION),
    ));
    s
}

/// `%.Ne` in Rust's notation (`1.5e3`), to any precision Go allows.
fn exponent(f: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec.min(EXACT_DIGITS), f);
    match prec.checked_sub(EXACT_DIGITS).filter(|&z| z > 0) {
        Some(zeros) => {
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            format!("{m}{}e{e}", "0".repeat(zeros))
        }
        None => s,
    }
}

/// Rewrites Rust's `1.5e3` exponent notation as Go's `1.5e+03`.
fn go_exp(s: &str) -> String {
    let (m, e) = s.split_once('e').unwrap_or((s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Go's `%v`/`%g` for floats: shortest (or `prec` significant) digits, in exponent form
/// when the exponent is below -4 or at least the precision (6 when shortest).
fn fmt_g(f: f64, prec: Option<usize>) -> String {
    let s = match prec {
        Some(p) => exponent(f, p.max(1) - 1),
        None => format!("{f:e}"),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f == 0.0 || (-4..prec.map_or(6, |p| p.max(1) as i32)).contains(&exp) {
        let rounded: f64 = s.parse().unwrap_or(f);
        format!("{rounded}")
    } else {
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        go_exp(&format!("{mant}e{exp}"))
    }
}

/// Pads to the spec's width: on the left, on the right (`-`), or with zeros after the sign.
fn pad(out: &mut String, s: &str, sp: &Spec, numeric: bool) {
    let fill = sp.width.saturating_sub(s.chars().count());
    if sp.minus {
        out.push_str(s);
        out.push_str(&" ".repeat(fill));
    } else if sp.zero && numeric {
        let split = usize::from(s.starts_with(['-', '+']));
        out.push_str(&s[..split]);
        out.push_str(&"0".repeat(fill));
        out.push_str(&s[split..]);
    } else {
        out.push_str(&" ".repeat(fill));
        out.push_str(s);
    }
}
