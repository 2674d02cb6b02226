//! The functions docker/cli adds to every `--format` template.
//!
//! Mirrors docker/cli's `templates/templates.go`: `Parse` is Go's `text/template` (see
//! [`crate::golang::template`]) with `basicFunctions` registered: `json` (an encoder with
//! HTML escaping off, no trailing newline), `split`, `join`, `title`, `lower`, `upper`,
//! `pad` and `truncate`. They are Docker's, so they live here; the Go behaviour they rely on
//! (`strings.Title`, `encoding/json`, `fmt`'s `%v`, the argument conversions) is in
//! [`crate::golang`].

use crate::golang::fmt::sprint_value;
use crate::golang::template::{
    Error, Func, MAX_VALUE, Template, args, int_arg, string_arg, value_too_large, wrong_type,
};
use crate::golang::{json, strings};
use serde_json::Value;

/// `json`'s encoding: a command's row (an object with methods, keys ending in `()`) as the
/// CLI's context marshals itself (`json.Marshal` of its fields: HTML escaped, no methods);
/// any other value as the encoder with HTML escaping off writes it.
pub fn encode_value(x: &Value) -> String {
    match x.as_object() {
        Some(m) if m.keys().any(|k| k.ends_with("()")) => {
            let fields: serde_json::Map<String, Value> = m
                .iter()
                .filter(|(k, _)| !k.ends_with("()"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            json::encode(&Value::Object(fields), true)
        }
        _ => json::encode(x, false),
    }
}

/// docker/cli's `basicFunctions`.
pub const BASIC_FUNCTIONS: &[Func] = &[
    Func {
        name: "json",
        args: 1,
        call: |v| {
            let [x] = args(v)?;
            Ok(encode_value(x).into())
        },
    },
    Func {
        name: "split",
        args: 2,
        call: split,
    },
    Func {
        name: "join",
        args: 2,
        call: join,
    },
    Func {
        name: "title",
        args: 1,
        call: |v| {
            let [x] = args(v)?;
            Ok(strings::title(string_arg(x)?).into())
        },
    },
    Func {
        name: "lower",
        args: 1,
        call: |v| {
            let [x] = args(v)?;
            Ok(string_arg(x)?.to_lowercase().into())
        },
    },
    Func {
        name: "upper",
        args: 1,
        call: |v| {
            let [x] = args(v)?;
            Ok(string_arg(x)?.to_uppercase().into())
        },
    },
    Func {
        name: "pad",
        args: 3,
        call: pad,
    },
    Func {
        name: "truncate",
        args: 2,
        call: truncate,
    },
];

/// docker/cli's `templates.Parse`: a template with [`BASIC_FUNCTIONS`].
pub fn parse(format: &str) -> Result<Template, Error> {
    Template::parse_with(format, BASIC_FUNCTIONS)
}

/// `strings.Split`; an empty separator splits after each character. The parts (a value
/// of 32 bytes each, and their text) fit vnet's [`MAX_VALUE`].
fn split(v: &[Value]) -> Result<Value, String> {
    let [text, sep] = args(v)?;
    let (text, sep) = (string_arg(text)?, string_arg(sep)?);
    let parts = match sep {
        "" => text.chars().count(),
        _ => text.matches(sep).count() + 1,
    };
    if parts.saturating_mul(32).saturating_add(text.len()) > MAX_VALUE {
        return Err(value_too_large());
    }
    Ok(Value::Array(match sep {
        "" => text.chars().map(|c| c.to_string().into()).collect(),
        _ => text.split(sep).map(Value::from).collect(),
    }))
}

/// `strings.Join` over the elements' `%v`, within vnet's [`MAX_VALUE`].
fn join(v: &[Value]) -> Result<Value, String> {
    let [list, sep] = args(v)?;
    match list {
        Value::Array(a) => {
            let sep = string_arg(sep)?;
            let mut out = String::new();
            for (i, e) in a.iter().enumerate() {
                out.push_str(if i > 0 { sep } else { "" });
                out.push_str(&sprint_value(e));
                if out.len() > MAX_VALUE {
                    return Err(value_too_large());
                }
            }
            Ok(out.into())
        }
        Value::Null => Ok("".into()),
        x => Err(wrong_type("[]string", x)),
    }
}

/// Spaces before and after a non-empty string. A negative count fails as Go's
/// `strings.Repeat` does (its panic, which the template reports); the result fits vnet's
/// [`MAX_VALUE`].
fn pad(v: &[Value]) -> Result<Value, String> {
    let [text, before, after] = args(v)?;
    let (text, before, after) = (string_arg(text)?, int_arg(before)?, int_arg(after)?);
    if text.is_empty() {
        return Ok("".into());
    }
    let count = |n: i64| usize::try_from(n).map_err(|_| "strings: negative Repeat count");
    let (before, after) = (count(before)?, count(after)?);
    if before.saturating_add(text.len()).saturating_add(after) > MAX_VALUE {
        return Err(value_too_large());
    }
    Ok(format!("{}{text}{}", " ".repeat(before), " ".repeat(after)).into())
}

/// At most that many characters; a negative length fails as Go's slice expression does.
fn truncate(v: &[Value]) -> Result<Value, String> {
    let [text, n] = args(v)?;
    let (text, n) = (string_arg(text)?, int_arg(n)?);
    let n = usize::try_from(n)
        .map_err(|_| format!("runtime error: slice bounds out of range [:{n}]"))?;
    Ok(text.chars().take(n).collect::<String>().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Checks one case per line, `template => expected` (`⏎` a newline, `⇥` a tab); an
    /// error's message stands in for the output.
    fn check(data: &Value, spec: &str) {
        for line in spec.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
            let (src, want) = line.split_once(" => ").expect(line);
            let decode = |s: &str| s.replace('⏎', "\n").replace('⇥', "\t");
            let (src, want) = (decode(src), decode(want));
            let got = parse(&src)
                .and_then(|t| t.execute(data))
                .unwrap_or_else(|e| e.0);
            assert_eq!(got, want, "template {src:?}");
        }
    }

    fn data() -> Value {
        json!({
            "Name": "web", "ID": "abc123", "Count": 16,
            "NetworkSettings": {"Networks": {
                "bridge": {"IPAddress": "172.17.0.2"}, "alpha": {"IPAddress": "10.0.0.2"}}},
        })
    }

    #[test]
    fn pipelines_through_docker_functions() {
        let spec = r#"
            {{.Name | upper | printf "[%s]"}} => [WEB]
            {{len (split .ID "1")}} => 2
        "#;
        check(&data(), spec);
    }

    #[test]
    fn json_keeps_key_order() {
        let d: Value =
            serde_json::from_str(r#"{"z": 1, "a": {"y": [1, 2.5, null, true], "b": "x"}}"#)
                .unwrap();
        check(
            &d,
            r#"{{json .}} => {"z":1,"a":{"y":[1,2.5,null,true],"b":"x"}}"#,
        );
        let nets = r#"{"bridge":{"IPAddress":"172.17.0.2"},"alpha":{"IPAddress":"10.0.0.2"}}"#;
        check(
            &data(),
            &format!("{{{{json .NetworkSettings.Networks}}}} => {nets}"),
        );
    }

    #[test]
    fn json_escaping_and_numbers() {
        let spec = r#"
            {{json .s}} => "<a>&\u2028\u2029\"\\\n\t\u0001é"
            {{json .Missing}}|{{json nil}}|{{json 1e21}}|{{json 0.5}}|{{json 2.0}}|{{json 1e-7}} => null|null|1e+21|0.5|2|1e-7
        "#;
        check(&json!({"s": "<a>&\u{2028}\u{2029}\"\\\n\t\u{1}é"}), spec);
        let out = parse("{{json .}}").unwrap().execute(&json!([1])).unwrap();
        assert_eq!(out, "[1]", "no trailing newline");
    }

    #[test]
    fn split_and_join() {
        let d = json!({"Image": "nginx:1.25", "Args": ["-g", "daemon off;"]});
        let spec = r#"
            {{split .Image ":"}} {{index (split .Image ":") 1}} {{split "ab" ""}} => [nginx 1.25] 1.25 [a b]
            {{join .Args ","}} {{join (split "a.b.c" ".") "/"}} => -g,daemon off; a/b/c
        "#;
        check(&d, spec);
    }

    #[test]
    fn split_and_join_within_the_value_limit() {
        let spec = r#"
            {{len (split (printf "%100000d" 1) "")}} => 100000
            {{join (split (printf "%100000d" 1) "") (printf "%200d" 1)}} => template: :1:2: executing "" at <join (split (printf ...>: error calling join: vnet: template value over its limit of 16 MiB
            {{split (printf "%1000000d" 1) ""}} => template: :1:2: executing "" at <split (printf "%1000...>: error calling split: vnet: template value over its limit of 16 MiB
        "#;
        check(&data(), spec);
    }

    #[test]
    fn title_lower_upper() {
        let spec = r#"
            {{title .s}} => Hello WORLD Foo_bar X-Y
            {{lower .s}}|{{upper .s}} => hello world foo_bar x-y|HELLO WORLD FOO_BAR X-Y
        "#;
        check(&json!({"s": "hello wORLD foo_bar x-y"}), spec);
    }

    #[test]
    fn pad_and_truncate() {
        let spec = r#"
            [{{pad .ID 2 3}}][{{pad "" 2 3}}] => [  abc123   ][]
            {{truncate .ID 3}} {{truncate .ID 99}} {{truncate "héllo" 2}} => abc abc123 hé
            {{truncate .ID "x"}} => template: :1:2: executing "" at <truncate .ID "x">: error calling truncate: wrong type for value; expected int; got string
            {{truncate .ID -1}} => template: :1:2: executing "" at <truncate .ID -1>: error calling truncate: runtime error: slice bounds out of range [:-1]
            {{pad .ID 0 -2}} => template: :1:2: executing "" at <pad .ID 0 -2>: error calling pad: strings: negative Repeat count
            [{{pad "" -1 -2}}] => []
            {{pad "x" 16777216 0}} => template: :1:2: executing "" at <pad "x" 16777216 0>: error calling pad: vnet: template value over its limit of 16 MiB
        "#;
        check(&data(), spec);
    }

    #[test]
    fn argument_type_errors() {
        let spec = r#"
            {{lower 3}} => template: :1:2: executing "" at <lower 3>: error calling lower: wrong type for value; expected string; got int
        "#;
        check(&data(), spec);
    }

    #[test]
    fn docker_style_formats() {
        let d = json!({
            "Config": {"Labels": {"com.example.k": "v"}, "Env": ["A=1", "B=2"]},
            "State": {"ExitCode": 0, "Status": "running"}, "Name": "/web", "ID": "0123456789abcdef",
        });
        let spec = r#"
            {{index .Config.Labels "com.example.k"}} => v
            {{range $e := .Config.Env}}{{$e}};{{end}} => A=1;B=2;
            {{ if eq 0.0 .State.ExitCode }}{{.Name }} ok{{end }} => /web ok
            {{if eq .State.Status "running" "restarting"}}up{{end}} => up
            {{.Config.Env}} => [A=1 B=2]
            {{truncate .ID 12}}\t{{.Name}} => 0123456789ab\t/web
        "#;
        check(&d, spec);
    }
}
