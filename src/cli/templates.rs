//! The functions docker/cli adds to every `--format` template.
//!
//! Mirrors docker/cli's `templates/templates.go`: `Parse` is Go's `text/template` (see
//! [`crate::golang::template`]) with `basicFunctions` registered: `json` (an encoder with
//! HTML escaping off, no trailing newline), `split`, `join`, `title`, `lower`, `upper`,
//! `pad` and `truncate`. They are Docker's, so they live here; the Go behaviour they rely on
//! (`strings.Title`, `encoding/json`, `fmt`'s `%v`, the argument conversions) is in
//! [`crate::golang`].

use crate::golang::fmt::sprint_value;
use crate::golang::template::{Error, Func, Template, int_arg, string_arg, wrong_type};
use crate::golang::{json, strings};
use serde_json::Value;

/// docker/cli's `basicFunctions`.
pub const BASIC_FUNCTIONS: &[Func] = &[
    Func {
        name: "json",
        args: 1,
        call: |v| Ok(json::encode(&v[0], false).into()),
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
        call: |v| Ok(strings::title(string_arg(&v[0])?).into()),
    },
    Func {
        name: "lower",
        args: 1,
        call: |v| Ok(string_arg(&v[0])?.to_lowercase().into()),
    },
    Func {
        name: "upper",
        args: 1,
        call: |v| Ok(string_arg(&v[0])?.to_uppercase().into()),
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

fn count_arg(v: &Value) -> Result<usize, String> {
    usize::try_from(int_arg(v)?).map_err(|_| "negative count".to_string())
}

/// `strings.Split`; an empty separator splits after each character.
fn split(v: &[Value]) -> Result<Value, String> {
    let (text, sep) = (string_arg(&v[0])?, string_arg(&v[1])?);
    Ok(Value::Array(match sep {
        "" => text.chars().map(|c| c.to_string().into()).collect(),
        _ => text.split(sep).map(Value::from).collect(),
    }))
}

/// `strings.Join` over the elements' `%v`.
fn join(v: &[Value]) -> Result<Value, String> {
    match &v[0] {
        Value::Array(a) => Ok(a
            .iter()
            .map(sprint_value)
            .collect::<Vec<_>>()
            .join(string_arg(&v[1])?)
            .into()),
        Value::Null => Ok("".into()),
        x => Err(wrong_type("[]string", x)),
    }
}

/// Spaces before and after a non-empty string.
fn pad(v: &[Value]) -> Result<Value, String> {
    Ok(
        match (string_arg(&v[0])?, count_arg(&v[1])?, count_arg(&v[2])?) {
            ("", ..) => "".into(),
            (t, b, a) => format!("{}{t}{}", " ".repeat(b), " ".repeat(a)).into(),
        },
    )
}

/// At most that many characters.
fn truncate(v: &[Value]) -> Result<Value, String> {
    Ok(string_arg(&v[0])?
        .chars()
        .take(count_arg(&v[1])?)
        .collect::<String>()
        .into())
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
