//! JSON as Go's `encoding/json` writes it, which is what Docker prints.
//!
//! Mirrors `encoding/json` (`encode.go`'s string and float encoding, `indent.go`) for a
//! `serde_json::Value`. Differences from serde_json's writer that show in output: `<`, `>`
//! and `&` are escaped as `\u003c`, `\u003e`, `\u0026` where Go's HTML-safe default applies
//! (`json.Marshal`, which docker/cli's inspector uses; its template `json` function turns it
//! off), U+2028 and U+2029 are always escaped, floats print as Go prints them (`1e+21`), and
//! the indented form is `json.Indent` with four spaces, where empty objects and arrays stay
//! `{}` and `[]`. Key order is the value's own (serde_json's `preserve_order`), as Go keeps a
//! struct's field order.

use serde_json::Value;

/// Compact encoding; `escape_html` as Go's encoder option of that name.
pub fn encode(v: &Value, escape_html: bool) -> String {
    let mut out = String::new();
    write(v, None, 0, escape_html, &mut out);
    out
}

/// Indented encoding (`json.MarshalIndent(v, "", "    ")`, HTML-escaped).
pub fn encode_indent(v: &Value) -> String {
    let mut out = String::new();
    write(v, Some("    "), 0, true, &mut out);
    out
}

/// A number as Go's encoder writes a float64: integers plainly, exponents outside
/// [1e-6, 1e21).
fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
        return;
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f != 0.0 && !(1e-6..1e21).contains(&f.abs()) {
        out.push_str(&format!("{f:e}").replace('e', "e+").replace("e+-", "e-"));
    } else {
        out.push_str(&format!("{f}"));
    }
}

fn newline(indent: Option<&str>, depth: usize, out: &mut String) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

fn write(v: &Value, indent: Option<&str>, depth: usize, html: bool, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_str(s, html, out),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, depth + 1, out);
                write(x, indent, depth + 1, html, out);
            }
            newline(indent, depth, out);
            out.push(']');
        }
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, depth + 1, out);
                write_str(k, html, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(x, indent, depth + 1, html, out);
            }
            newline(indent, depth, out);
            out.push('}');
        }
    }
}

fn write_str(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            '<' | '>' | '&' if html => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_keeps_order_and_escapes() {
        let v = json!({"b": 1, "a": ["<x>", "&"], "e": {}, "f": []});
        assert_eq!(
            encode(&v, true),
            r#"{"b":1,"a":["\u003cx\u003e","\u0026"],"e":{},"f":[]}"#
        );
        assert_eq!(
            encode(&json!(["<&>", 1e21, 0.5]), false),
            r#"["<&>",1e+21,0.5]"#
        );
    }

    #[test]
    fn indented_like_docker_inspect() {
        let v = json!([{"Name": "n", "Containers": {}, "IPAM": {"Config": [{"Subnet": "10.0.0.0/8"}]}}]);
        assert_eq!(
            encode_indent(&v),
            "[\n    {\n        \"Name\": \"n\",\n        \"Containers\": {},\n        \"IPAM\": {\n            \"Config\": [\n                {\n                    \"Subnet\": \"10.0.0.0/8\"\n                }\n            ]\n        }\n    }\n]"
        );
    }
}
