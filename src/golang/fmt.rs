//! Go's `fmt` verbs, as a template's `print`, `printf` and `println` need them.
//!
//! Mirrors Go's `fmt` (`print.go`, `format.go`) for the values a template sees when Docker
//! hands it an object decoded from JSON (`serde_json::Value`): JSON null is Go's `nil`,
//! integral numbers print as `int`, other numbers as `float64`, arrays as `[]interface {}`
//! and objects as `map[string]interface {}` (keys sorted, as `fmt` sorts map keys). Verbs:
//! `%v %s %q %x %X %d %c %t %f %F %e %g` with the `-`, `+`, `0` flags, width and precision,
//! and Go's error notations (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA ...)`,
//! `%!(NOVERB)`).

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
    fmt_value(out, v, &V);
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
    fmt_value(&mut out, v, &V);
    out
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !a.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        fmt_value(&mut out, a, &V);
    }
    out
}

fn read_num(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n = None;
    while let Some(d) = it.next_if(char::is_ascii_digit) {
        n = Some(n.unwrap_or(0) * 10 + (d as usize - '0' as usize));
    }
    n
}

/// Go's `fmt.Sprintf` for the common verbs, including its `%!` error notations.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let (mut out, mut used) = (String::new(), 0);
    let mut it = format.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut sp = V;
        while let Some(f) = it.next_if(|c| "-+0 #".contains(*c)) {
            sp.minus |= f == '-';
            sp.plus |= f == '+';
            sp.zero |= f == '0';
        }
        sp.width = read_num(&mut it).unwrap_or(0);
        if it.next_if_eq(&'.').is_some() {
            sp.prec = Some(read_num(&mut it).unwrap_or(0));
        }
        match (it.next(), args.get(used)) {
            (None, _) => out.push_str("%!(NOVERB)"),
            (Some('%'), _) => out.push('%'),
            (Some(verb), None) => out.push_str(&format!("%!{verb}(MISSING)")),
            (Some(verb), Some(a)) => {
                used += 1;
                sp.verb = verb;
                sp.plus &= verb != 'v';
                fmt_value(&mut out, a, &sp);
            }
        }
    }
    if used < args.len() {
        let extra: Vec<String> = args[used..]
            .iter()
            .map(|a| {
                if a.is_null() {
                    "<nil>".into()
                } else {
                    format!("{}={}", type_name(a), sprint_value(a))
                }
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// Formats like Go's fmt with one verb; arrays and maps apply it to each element.
fn fmt_value(out: &mut String, v: &Value, sp: &Spec) {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                fmt_value(out, e, sp);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                fmt_value(out, &Value::String(k.clone()), sp);
                out.push(':');
                fmt_value(out, &m[k], sp);
            }
            out.push(']');
        }
        _ => match leaf(v, sp) {
            Some(s) => pad(out, &s, sp, v.is_number()),
            None if v.is_null() => out.push_str(&format!("%!{}(<nil>)", sp.verb)),
            None => out.push_str(&format!(
                "%!{}({}={})",
                sp.verb,
                type_name(v),
                sprint_value(v)
            )),
        },
    }
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
            (Some(i), 'd' | 'v') => sign(i.to_string()),
            (Some(i), 'x' | 'X') => {
                let h = format!("{}{:x}", if i < 0 { "-" } else { "" }, i.unsigned_abs());
                if verb == 'X' { h.to_uppercase() } else { h }
            }
            (Some(i), 'c') => char::from_u32(u32::try_from(i).ok()?)?.to_string(),
            (Some(_), _) => return None,
            (None, 'v' | 'g') => sign(fmt_g(n.as_f64()?, sp.prec)),
            (None, 'f' | 'F') => sign(format!("{:.*}", sp.prec.unwrap_or(6), n.as_f64()?)),
            (None, 'e') => sign(go_exp(&format!(
                "{:.*e}",
                sp.prec.unwrap_or(6),
                n.as_f64()?
            ))),
            (None, _) => return None,
        },
        _ => return None,
    })
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
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
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
