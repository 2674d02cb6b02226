//! The template builtins, and the functions registered besides them.
//!
//! Mirrors Go's `text/template/funcs.go`: `and`, `or`, `not`, `len`, `index`, `slice`,
//! `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`,
//! `urlquery` (not `call`), with their argument counts and error texts, and the conversions
//! `exec.go` applies when a value is passed to a function's typed parameter. A [`Func`] is
//! one entry of a `template.FuncMap`.

use super::{MAX_VALUE, value_too_large};
use crate::golang::fmt::{int_of, sprint, sprintf_max, sprintln, type_name};
use crate::golang::strconv::{escape, quote};
use serde_json::{Number, Value};
use std::cmp::Ordering;

/// An evaluated value; `None` is Go's "no value" (e.g. a missing map key).
pub(super) type Val = Option<Value>;

/// Any number of arguments, for [`arity`].
pub(super) const MANY: usize = usize::MAX;

/// The builtins (Go's, less `call`).
const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery",
];

/// A function registered with a template, as one entry of Go's `template.FuncMap`: it takes
/// `args` arguments, evaluated (a missing value arrives as null), and returns a value or an
/// error message, which the executor reports as `error calling NAME: MESSAGE`.
#[derive(Clone, Copy, Debug)]
pub struct Func {
    /// The name templates call it by.
    pub name: &'static str,
    /// How many arguments it takes (a pipeline's value counts as the last one).
    pub args: usize,
    /// The function.
    pub call: fn(&[Value]) -> Result<Value, String>,
}

/// Whether `name` is a builtin.
pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// A builtin's argument count, least and most.
pub(super) fn arity(name: &str) -> (usize, usize) {
    match name {
        "not" | "len" => (1, 1),
        "ne" | "lt" | "le" | "gt" | "ge" => (2, 2),
        "eq" => (2, MANY),
        "print" | "println" | "html" | "js" | "urlquery" => (0, MANY),
        _ => (1, MANY),
    }
}

/// Go's truth of a value (`text/template`'s `isTrue`): false, 0, null, and empty strings,
/// arrays and objects are false.
pub(super) fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// Go's error for an argument of the wrong type: `wrong type for value; expected WANT; got T`.
pub fn wrong_type(want: &str, v: &Value) -> String {
    format!(
        "wrong type for value; expected {want}; got {}",
        type_name(v)
    )
}

/// An argument passed to a `string` parameter: Go's conversion, where nil becomes `""`
/// and another type is `wrong type for value; expected string; got T`.
pub fn string_arg(v: &Value) -> Result<&str, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Null => Ok(""),
        _ => Err(wrong_type("string", v)),
    }
}

/// A function's arguments, as many as it takes (the executor checked their number before
/// the call).
pub fn args<const N: usize>(v: &[Value]) -> Result<&[Value; N], String> {
    v.try_into()
        .map_err(|_| format!("wrong number of args: want {N} got {}", v.len()))
}

/// An argument passed to an `int` parameter (a whole float converts), else
/// `wrong type for value; expected int; got T`.
pub fn int_arg(v: &Value) -> Result<i64, String> {
    let n = v
        .as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
    n.ok_or_else(|| wrong_type("int", v))
}

/// Calls a builtin with evaluated arguments (the executor checked their number).
pub(super) fn builtin(name: &str, args: Vec<Val>) -> Result<Val, String> {
    if name == "index" {
        let mut it = args.into_iter();
        return index(it.next().flatten(), it.map(|v| v.unwrap_or(Value::Null)));
    }
    // Like Go passing a missing value to an `any` parameter: it becomes nil.
    let v: Vec<Value> = args.into_iter().map(|v| v.unwrap_or(Value::Null)).collect();
    // The executor checked the number of arguments; a missing one reads as nil.
    static NIL: Value = Value::Null;
    let (first, second) = (v.first().unwrap_or(&NIL), v.get(1).unwrap_or(&NIL));
    let rest = v.get(1..).unwrap_or_default();
    let cmp = |ok: fn(Ordering) -> bool| compare(first, second).map(|o| Value::Bool(ok(o)));
    Ok(Some(match name {
        "not" => Value::Bool(!truth(first)),
        "len" => match first {
            Value::String(s) => s.len(),
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            Value::Null => 0,
            x => return Err(format!("len of type {}", type_name(x))),
        }
        .into(),
        "slice" => slice(first, rest)?,
        "print" => sprint(&v).into(),
        "println" => sprintln(&v).into(),
        "printf" => sprintf_max(string_arg(first)?, rest, MAX_VALUE)
            .ok_or_else(value_too_large)?
            .into(),
        "eq" => {
            let hit = rest
                .iter()
                .map(|b| equal(first, b))
                .find(|r| r != &Ok(false));
            Value::Bool(hit.transpose()?.is_some())
        }
        "ne" => Value::Bool(!equal(first, second)?),
        "lt" => cmp(Ordering::is_lt)?,
        "le" => cmp(Ordering::is_le)?,
        "gt" => cmp(Ordering::is_gt)?,
        "ge" => cmp(Ordering::is_ge)?,
        "html" | "js" | "urlquery" => match v.as_slice() {
            [Value::String(text)] => escaper(name, text),
            _ => escaper(name, &sprint(&v)),
        }
        .into(),
        _ => return Err(format!("function {} not defined", quote(name))),
    }))
}

/// Go's `html`, `js` and `urlquery` escapers.
fn escaper(name: &str, text: &str) -> String {
    match name {
        "html" => escape(text, |c| {
            let e = match c {
                '"' => "&#34;",
                '\'' => "&#39;",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\0' => "\u{FFFD}",
                _ => return None,
            };
            Some(e.into())
        }),
        "js" => escape(text, |c| match c {
            '\\' | '\'' | '"' => Some(format!("\\{c}")),
            c if "<>&=`".contains(c) || c.is_control() => Some(format!("\\u{:04X}", c as u32)),
            _ => None,
        }),
        _ => text
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect(),
    }
}

/// Go's `index`: object keys, array and string indices; a missing key is no value.
fn index(item: Val, idx: impl Iterator<Item = Value>) -> Result<Val, String> {
    let mut cur = item;
    for i in idx {
        cur = match cur {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => match &i {
                Value::String(k) => m.get(k).cloned(),
                _ => {
                    return Err(format!(
                        "value has type {}; should be string",
                        type_name(&i)
                    ));
                }
            },
            Some(Value::Array(mut a)) => {
                let n = int_arg(&i)
                    .map_err(|_| format!("cannot index slice/array with type {}", type_name(&i)))?;
                let k = usize::try_from(n).ok().filter(|&k| k < a.len());
                Some(a.swap_remove(k.ok_or_else(|| format!("index out of range: {n}"))?))
            }
            Some(Value::String(s)) => {
                let n = int_arg(&i)?;
                let b = usize::try_from(n)
                    .ok()
                    .and_then(|k| s.as_bytes().get(k).copied());
                Some(b.ok_or_else(|| format!("index out of range: {n}"))?.into())
            }
            Some(x) => return Err(format!("can't index item of type {}", type_name(&x))),
        };
    }
    Ok(cur)
}

/// Go's `slice item [low [high [max]]]` on strings (bytes) and arrays.
fn slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let len = match item {
        _ if idx.len() > 3 => return Err(format!("too many slice indexes: {}", idx.len())),
        Value::String(_) if idx.len() > 2 => return Err("cannot 3-index slice a string".into()),
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        x => return Err(format!("can't slice item of type {}", type_name(x))),
    };
    let mut ix = [0, len, len];
    for (slot, v) in ix.iter_mut().zip(idx) {
        let i = int_arg(v)?;
        *slot = usize::try_from(i)
            .ok()
            .filter(|&u| u <= len)
            .ok_or_else(|| format!("index out of range: {i}"))?;
    }
    let [low, high, max] = ix;
    if low > high {
        return Err(format!("invalid slice index: {low} > {high}"));
    }
    if idx.len() == 3 && high > max {
        return Err(format!("invalid slice index: {high} > {max}"));
    }
    Ok(match item {
        Value::String(s) => {
            String::from_utf8_lossy(s.as_bytes().get(low..high).unwrap_or_default()).into()
        }
        Value::Array(a) => a.get(low..high).unwrap_or_default().into(),
        _ => Value::Null,
    })
}

/// `eq`: numbers compare by value, null equals only null, other kinds must match.
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => a.is_null() && b.is_null(),
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => a == b,
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => a == b,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn num_cmp(x: &Number, y: &Number) -> Option<Ordering> {
    match (int_of(x), int_of(y)) {
        (Some(i), Some(j)) => Some(i.cmp(&j)),
        _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
    }
}

/// `lt` and friends: numbers with numbers, strings with strings.
fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            num_cmp(x, y).ok_or_else(|| "invalid type for comparison".into())
        }
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            Err("incompatible types for comparison".into())
        }
        _ => Err("invalid type for comparison".into()),
    }
}
