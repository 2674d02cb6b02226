//! The engine's cases, each template with the output (or the error) Go gives.

use super::Template;
use serde_json::{Value, json};

/// Checks one case per line, `template => expected`, where `⏎` stands for a newline and
/// `⇥` for a tab; an error's message stands in for the output.
fn check(data: &Value, spec: &str) {
    for line in spec.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
        let (src, want) = line.split_once(" => ").expect(line);
        let decode = |s: &str| s.replace('⏎', "\n").replace('⇥', "\t");
        let (src, want) = (decode(src), decode(want));
        let got = Template::parse(&src)
            .and_then(|t| t.execute(data))
            .unwrap_or_else(|e| e.0);
        assert_eq!(got, want, "template {src:?}");
    }
}

fn data() -> Value {
    json!({
        "Name": "web", "ID": "abc123", "Count": 16, "Ratio": 0.5, "On": true, "Nil": null,
        "Tags": ["a", "b", "c"], "Empty": [], "Labels": {"z": "1", "a": "2"},
        "NetworkSettings": {"Networks": {
            "bridge": {"IPAddress": "172.17.0.2"}, "alpha": {"IPAddress": "10.0.0.2"}}},
        "Containers": [{"Name": "c1"}, {"Name": "c2"}],
    })
}

#[test]
fn text_and_fields() {
    let spec = r#"
            hello => hello
            {{.Name}} => web
            {{ .Name }}! => web!
            {{.NetworkSettings.Networks.bridge.IPAddress}} => 172.17.0.2
            {{.ID}}⇥{{.Name}} => abc123⇥web
            a⏎{{.Count}}⏎ => a⏎16⏎
        "#;
    check(&data(), spec);
}

#[test]
fn field_lookup_is_case_sensitive() {
    let spec = "{{.name}}|{{.NAME}}|{{.Name}} => <no value>|<no value>|web";
    check(&data(), spec);
}

#[test]
fn missing_key_is_no_value() {
    let spec = r#"
            {{.Missing}} => <no value>
            {{.Missing.Deeper}} => <no value>
            {{$.Missing}} => <no value>
            {{print .Missing}} => <nil>
        "#;
    check(&data(), spec);
}

#[test]
fn null_prints_nil_and_field_on_null_is_lenient() {
    let spec = "{{.Nil}}|{{.Nil.Foo.Bar}}|{{.Tags}} => <nil>|<nil>|[a b c]";
    check(&data(), spec);
}

#[test]
fn field_on_scalar_is_an_error() {
    let spec = r#"
            {{.Name.Foo}} => template: :1:7: executing "" at <.Name.Foo>: can't evaluate field Foo in type string
            x⏎ {{.Count.X}} => template: :2:9: executing "" at <.Count.X>: can't evaluate field X in type int
            {{.Ratio.X}} => template: :1:8: executing "" at <.Ratio.X>: can't evaluate field X in type float64
            {{$x := .Tags}}{{$x.X}} => template: :1:19: executing "" at <$x.X>: can't evaluate field X in type []interface {}
        "#;
    check(&data(), spec);
}

#[test]
fn printing_numbers_and_bools() {
    let d = json!({"i": 16, "neg": -3, "f": 0.5, "big": 1e21, "whole": 2.0, "mil": 1234567.0,
            "small": 0.00001, "u": u64::MAX, "t": true, "f2": false});
    let spec = r#"
            {{.i}} {{.neg}} {{.f}} {{.whole}} {{.u}} => 16 -3 0.5 2 18446744073709551615
            {{.big}} {{.mil}} {{.small}} => 1e+21 1.234567e+06 1e-05
            {{.t}} {{.f2}} => true false
        "#;
    check(&d, spec);
}

#[test]
fn printing_arrays_and_maps() {
    let d = json!({"arr": [1, null, {"y": 2, "x": [true]}], "obj": {"b": "x", "a": {}}, "e": []});
    let spec = r#"
            {{.arr}} => [1 <nil> map[x:[true] y:2]]
            {{.obj}} => map[a:map[] b:x]
            {{.}} => map[arr:[1 <nil> map[x:[true] y:2]] e:[] obj:map[a:map[] b:x]]
        "#;
    check(&d, spec);
}

#[test]
fn string_literals() {
    let spec = r#"
            {{"a\tb\n\"q\" \u00e9 \x41 \101 \U0001F600"}} => a⇥b⏎"q" é A A 😀
            {{`raw \n "x"`}} => raw \n "x"
            {{'a'}} {{'\n'}} {{'é'}} => 97 10 233
        "#;
    check(&json!({}), spec);
}

#[test]
fn number_and_constant_literals() {
    let spec = r#"
            {{1}} {{1.5}} {{-2}} {{+7}} {{1_000}} {{1e3}} {{.5}} {{2.0}} => 1 1.5 -2 7 1000 1000 0.5 2
            {{0x1F}} {{0o17}} {{017}} {{0b101}} => 31 15 15 5
            {{true}} {{false}} {{print nil}} => true false <nil>
        "#;
    check(&json!({}), spec);
}

#[test]
fn dollar_and_variables() {
    let spec = r#"
            {{$.Name}} => web
            {{$x := .Name}}{{$x}} => web
            {{$n := .NetworkSettings}}{{$n.Networks.bridge.IPAddress}} => 172.17.0.2
            {{$x := 1}}{{$x = 2}}{{$x}} => 2
            {{$x := .Tags}}{{index $x 2}} => c
        "#;
    check(&data(), spec);
    check(&json!("root"), "{{$}} {{.}} => root root");
}

#[test]
fn variable_scoping() {
    let spec = r#"
            {{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}} => 21
            {{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}} => 2
            {{$x := 0}}{{range .Tags}}{{$x = .}}{{end}}{{$x}} => c
            {{range .Tags}}{{$v := .}}{{end}}{{$v}} => template: :1: undefined variable "$v"
            {{with $w := 1}}{{end}}{{$w}} => template: :1: undefined variable "$w"
            {{$y = 1}} => template: :1: undefined variable "$y"
        "#;
    check(&data(), spec);
}

#[test]
fn if_else_if_else() {
    let t = "{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}";
    for (n, want) in [(1, "one"), (2, "two"), (3, "many")] {
        assert_eq!(
            Template::parse(t)
                .unwrap()
                .execute(&json!({ "N": n }))
                .unwrap(),
            want
        );
    }
    let spec = "{{if .Missing}}y{{else}}n{{end}}{{if .On}}Y{{end}} => nY";
    check(&data(), spec);
}

#[test]
fn truthiness() {
    let d = json!({"a": 0, "b": "", "c": null, "d": [], "e": {}, "f": false, "g": 0.0,
            "h": "x", "i": [0], "j": 1, "k": {"x": 0}, "l": true});
    let t =
        "{{range $k, $v := .}}{{$k}}{{if $v}}T{{else}}F{{end}}{{end}}{{if .Nope}}T{{else}}F{{end}}";
    check(&d, &format!("{t} => aFbFcFdFeFfFgFhTiTjTkTlTF"));
}

#[test]
fn with_and_else() {
    let spec = r#"
            {{with .NetworkSettings}}{{.Networks.bridge.IPAddress}}{{end}} => 172.17.0.2
            {{with .Missing}}x{{else}}none{{end}} => none
            {{with $v := .Name}}{{$v}}={{.}}{{end}} => web=web
            {{with .Empty}}a{{else with .Name}}{{.}}{{end}} => web
        "#;
    check(&data(), spec);
}

#[test]
fn range_over_arrays() {
    let spec = r#"
            {{range .Tags}}{{.}},{{end}} => a,b,c,
            {{range $i, $v := .Tags}}{{$i}}:{{$v}};{{end}} => 0:a;1:b;2:c;
            {{range $v := .Tags}}{{$v}}{{end}} => abc
            {{range .Containers}}{{.Name}};{{end}} => c1;c2;
            {{range $i, $v = .Tags}}{{end}} => template: :1: undefined variable "$v"
        "#;
    check(&data(), spec);
}

#[test]
fn range_over_maps_in_sorted_key_order() {
    let spec = r#"
            {{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}{{"\n"}}{{end}} => alpha=10.0.0.2⏎bridge=172.17.0.2⏎
            {{range .Labels}}{{.}}{{end}} => 21
        "#;
    check(&data(), spec);
}

#[test]
fn range_over_empty_null_and_missing() {
    let spec = r#"
            {{range .Empty}}x{{else}}empty{{end}} => empty
            {{range .Nil}}x{{else}}null{{end}} => null
            {{range .Missing}}x{{end}}ok => ok
            {{range .Name}}{{end}} => template: :1:8: executing "" at <.Name>: range can't iterate over web
        "#;
    check(&data(), spec);
}

#[test]
fn range_over_an_int() {
    let spec = "{{range $i := 3}}{{$i}}{{end}}|{{range .Count}}.{{end}} => 012|................";
    check(&data(), spec);
}

#[test]
fn break_and_continue() {
    let spec = r#"
            {{range .n}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}} => 13
            {{range .n}}{{range $.n}}{{break}}{{end}}{{if gt . 2}}{{break}}{{end}}{{.}}{{end}} => 12
            {{break}} => template: :1: {{break}} outside {{range}}
            {{range .n}}{{continue 1}}{{end}} => template: :1: unexpected "1" in {{continue}}
        "#;
    check(&json!({"n": [1, 2, 3, 4, 5]}), spec);
}

#[test]
fn nested_range_if_with_and_variables() {
    let d = json!({"Prefix": ">", "Groups": [{"Name": "g1", "Items": ["x", "y"]}, {"Name": "g2", "Items": []}]});
    let t = "{{range $g := .Groups}}{{$g.Name}}:{{range $i, $it := .Items}}{{with $}}{{.Prefix}}{{end}}\
                 {{$it}}{{if not $i}},{{end}}{{else}}-{{end}};{{end}}";
    check(&d, &format!("{t} => g1:>x,>y;g2:-;"));
}

#[test]
fn trim_markers() {
    let spec = r#"
            a  {{- .Name -}}  ⏎ b => awebb
            a {{- 3}} => a3
            {{-3}} => -3
            {{range .Tags -}}⏎  {{.}}⏎{{- end}} => abc
            x⇥{{- "y" }}⇥z => xy⇥z
        "#;
    check(&data(), spec);
}

#[test]
fn comments() {
    let spec = r#"
            x{{/* a comment */}}y => xy
            x ⏎{{- /* trimmed */ -}}⏎ y => xy
            {{/* x */ .Name}} => template: :1: comment ends before closing delimiter
        "#;
    check(&data(), spec);
}

#[test]
fn pipelines_into_functions() {
    let spec = r#"
            {{.Name | printf "%s!"}} => web!
            {{"b" | printf "%s-%s" "a"}} => a-b
            {{.Name | "x"}} => template: :1: non executable command in pipeline stage 2
        "#;
    check(&data(), spec);
}

#[test]
fn field_access_on_parenthesized_pipelines() {
    let d = json!({"M": {"k": {"IPAddress": "1.2.3.4"}}, "P": {"80/tcp": [{"HostPort": "8080"}]}});
    let spec = r#"
            {{(index .M "k").IPAddress}} => 1.2.3.4
            {{range $p, $c := .P}}{{$p}}->{{(index $c 0).HostPort}}{{end}} => 80/tcp->8080
            {{(index .M "nope").IPAddress}} => <no value>
        "#;
    check(&d, spec);
}

#[test]
fn and_or_not() {
    let spec = r#"
            {{or .a .b}} {{or .a .n}} {{and .b .a}}|{{and .b 1}} => B 0 |1
            {{not .a}} {{not .b}} {{or .a "default"}} => true false default
            {{and .a (index .b 9)}}x => x
            {{.b | or .a}} => B
        "#;
    check(&json!({"a": "", "b": "B", "n": 0}), spec);
}

#[test]
fn len_and_index() {
    let spec = r#"
            {{len .Tags}} {{len .Name}} {{len .Labels}} {{len .Nil}} => 3 3 2 0
            {{index .Tags 1}} {{index .Labels "z"}} {{index .Name 0}} => b 1 119
            {{index . "NetworkSettings" "Networks" "alpha" "IPAddress"}} => 10.0.0.2
            {{index .Labels "nope"}} => <no value>
            {{index .Tags 5}} => template: :1:2: executing "" at <index .Tags 5>: error calling index: index out of range: 5
            {{index .Tags 1 2 3 4 5 6 7}} => template: :1:2: executing "" at <index .Tags 1 2 3 4 ...>: error calling index: index out of range: 2
        "#;
    check(&data(), spec);
}

#[test]
fn slice_function() {
    let spec = r#"
            {{slice .Tags 1}} {{slice .Tags 1 2}} {{slice .Tags 0 1 2}} {{slice .Name 0 2}} {{slice .Name}} => [b c] [b] [a] we web
            {{slice .Tags 2 1}} => template: :1:2: executing "" at <slice .Tags 2 1>: error calling slice: invalid slice index: 2 > 1
            {{slice .Name 0 1 2}} => template: :1:2: executing "" at <slice .Name 0 1 2>: error calling slice: cannot 3-index slice a string
        "#;
    check(&data(), spec);
}

#[test]
fn print_and_println() {
    let spec = r#"
            {{print 1 2 "a" "b" 3}} => 1 2ab3
            {{println .Name .Count}} => web 16⏎
            {{print .Tags .Missing}} => [a b c] <nil>
        "#;
    check(&data(), spec);
}

#[test]
fn printf_verbs() {
    let spec = r#"
            {{printf "%s|%d|%v|%q|%t|%x|%%" .Name .Count .Ratio .Name .On 255}} => web|16|0.5|"web"|true|ff|%
            {{printf "%.2f %6.1f %e %g %X %x %c" 3.14159 2.25 1234.5 0.000012 255 "hi" 65}} => 3.14    2.2 1.234500e+03 1.2e-05 FF 6869 A
            {{printf "%v %s %d" .Tags .Labels .Tags}} => [a b c] map[a:2 z:1] [%!d(string=a) %!d(string=b) %!d(string=c)]
        "#;
    check(&data(), spec);
}

#[test]
fn printf_width_and_flags() {
    let spec = r#"
            {{printf "[%-10s][%10s][%5d][%-5d][%05d][%+d][%.3s]" "ab" "cd" 42 42 -42 5 "abcdef"}} => [ab        ][        cd][   42][42   ][-0042][+5][abc]
            {{printf "%-8s|%8.2f|" .Name .Ratio}} => web     |    0.50|
            {{printf "%6.2v|%.3g|%.2g|%g|%.1f" 3.14159 1234.5678 1000.0 100000.0 0.25}} =>    3.1|1.23e+03|1e+03|100000|0.2
        "#;
    check(&data(), spec);
}

#[test]
fn printf_bad_verbs_and_arg_counts() {
    let spec = r#"
            {{printf "%d %s %d %d" "x" 5 1}} => %!d(string=x) %!s(int=5) 1 %!d(MISSING)
            {{printf "%d" 1 "x" nil}} => 1%!(EXTRA string=x, <nil>)
            {{printf "%v %s %" .Nil .Nil}} => <nil> %!s(<nil>) %!(NOVERB)
        "#;
    check(&data(), spec);
}

#[test]
fn eq_and_ne() {
    let spec = r#"
            {{eq .i 3}} {{eq .i .f}} {{eq .s "a" "b"}} {{eq .s "x" "y"}} {{ne .i 4}} {{ne .s "b"}} => true true true false true false
            {{eq .Missing nil}} {{eq .s nil}} => true false
            {{eq .i "3"}} => template: :1:2: executing "" at <eq .i "3">: error calling eq: incompatible types for comparison
        "#;
    check(&json!({"i": 3, "f": 3.0, "s": "b"}), spec);
}

#[test]
fn ordering_comparisons() {
    let spec = r#"
            {{lt .i 4}} {{le .i 3}} {{gt .i 3}} {{ge .f 3}} {{lt .s "c"}} {{gt .s "c"}} {{lt 1.5 2}} => true true false true true false true
            {{lt true false}} => template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison
            {{lt 1 "a"}} => template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison
        "#;
    check(&json!({"i": 3, "f": 3.0, "s": "b"}), spec);
}

#[test]
fn html_js_urlquery() {
    let spec = r#"
            {{html "<a href='x'>&\""}} => &lt;a href=&#39;x&#39;&gt;&amp;&#34;
            {{js "it's <b>"}} => it\'s \u003Cb\u003E
            {{urlquery "a b&c=d/é"}} {{urlquery 1 2}} => a+b%26c%3Dd%2F%C3%A9 1+2
        "#;
    check(&json!({}), spec);
}

#[test]
fn parse_errors_from_the_brief() {
    let spec = r#"
            {{.Foo} => template: :1: unexpected "}" in operand
            {{foo}} => template: :1: function "foo" not defined
            {{if .X}} => template: :1: unexpected EOF
            {{range .X}}{{else}} => template: :1: unexpected EOF
            line1⏎line2 {{foo}} => template: :2: function "foo" not defined
        "#;
    check(&json!({}), spec);
}

#[test]
fn parse_errors_for_structure() {
    let spec = r#"
            {{end}} => template: :1: unexpected {{end}}
            {{else}} => template: :1: unexpected {{else}}
            {{if 1}}{{else}}{{else}}{{end}} => template: :1: expected end; found {{else}}
            {{range .X}}{{else if 1}}{{end}} => template: :1: unexpected <if> in else
            {{if $a, $b := 1}}{{end}} => template: :1: too many declarations in if
            {{.X | if}} => template: :1: unexpected <if> in command
            {{}} => template: :1: missing value for command
            {{if}}{{end}} => template: :1: missing value for if
            {{$x}} => template: :1: undefined variable "$x"
            {{template "x"}} => template: :1: {{template}} is not supported
        "#;
    check(&json!({}), spec);
}

#[test]
fn parse_errors_from_the_lexer() {
    let spec = r#"
            {{.X => template: :1: unclosed action
            {{"abc}} => template: :1: unterminated quoted string
            {{(1}} => template: :1: unclosed left paren
            {{1)}} => template: :1: unexpected right paren
            {{/* x }} => template: :1: unclosed comment
            {{3x}} => template: :1: bad number syntax: "3x"
            {{"x".Y}} => template: :1: unexpected . after term "\"x\""
            {{.X#}} => template: :1: bad character U+0023 '#'
        "#;
    check(&json!({}), spec);
}

#[test]
fn runtime_errors() {
    let spec = r#"
            {{.Name 1}} => template: :1:2: executing "" at <.Name>: Name is not a method but has arguments
            {{1 2}} => template: :1:2: executing "" at <1>: can't give argument to non-function 1
            {{nil}} => template: :1:2: executing "" at <nil>: nil is not a command
            {{len 3}} => template: :1:2: executing "" at <len 3>: error calling len: len of type int
            {{not 1 2}} => template: :1:2: executing "" at <not 1 2>: wrong number of args for not: want 1 got 2
            {{printf}} => template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0
        "#;
    check(&data(), spec);
}

#[test]
fn error_type_and_template_reuse() {
    let e = Template::parse("{{foo}}").err().unwrap();
    let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
    assert_eq!(boxed.to_string(), e.0);
    let t = Template::parse("{{.N}}").unwrap();
    assert_eq!(t.execute(&json!({"N": 1})).unwrap(), "1");
    assert_eq!(t.execute(&json!({"N": "two"})).unwrap(), "two");
    assert_eq!(
        Template::parse("").unwrap().execute(&json!(null)).unwrap(),
        ""
    );
}

#[test]
fn printf_width_and_precision_as_go_bounds_them() {
    // fmt/print.go: `parsenum` gives up on a number past a million (`tooLarge`) and takes
    // the rest of the format; an operand width or precision (`*`) past it is BADWIDTH or
    // BADPREC.
    let spec = r#"
            {{printf "%99999999999999999999d" 1}} => %!(NOVERB)%!(EXTRA int=1)
            {{printf "%.99999999999f|" 1.0}} => %!(NOVERB)%!(EXTRA float64=1)
            {{printf "%*d|%*d|%-*d|" 3 1 -3 2 2 3}} =>   1|2  |3 |
            {{printf "%*d" 99999999 1}} => %!(BADWIDTH)1
            {{printf "%*d" "x" 7}} => %!(BADWIDTH)7
            {{printf "%.*f" 99999999 1.5}} => %!(BADPREC)1.500000
            {{printf "%.*d|%.*f" -1 5 1 2.25}} => %!(BADPREC)5|2.2
            {{printf "%*d"}} => %!(BADWIDTH)%!d(MISSING)
            {{printf "%." 1}} => %!.(int=1)
        "#;
    check(&data(), spec);
}

#[test]
fn printf_integer_precision() {
    let spec = r#"
            {{printf "%.5d|%8.5d|%08.5d|%-8.5d|" 42 42 42 42}} => 00042|   00042|   00042|00042   |
            {{printf "[%.0d][%3.0d][%.4x][%.3d][%+.3d]" 0 0 42 -7 7}} => [][   ][002a][-007][+007]
        "#;
    check(&data(), spec);
}

#[test]
fn printf_huge_float_precision_prints_all_the_digits() {
    let out = |f: &str| Template::parse(f).unwrap().execute(&data()).unwrap();
    assert_eq!(
        out(r#"{{printf "%.70000f" 1.0}}"#),
        format!("1.{}", "0".repeat(70000))
    );
    assert_eq!(
        out(r#"{{printf "%.70000e" 1.5}}"#),
        format!("1.5{}e+00", "0".repeat(69999))
    );
    assert_eq!(out(r#"{{printf "%.70000g|%.70000v" 1.5 2.5}}"#), "1.5|2.5");
    // The exact expansion of 0.1, then zeros.
    let tenth = out(r#"{{printf "%.1200f" 0.1}}"#);
    assert!(tenth.starts_with("0.1000000000000000055511151231257827"));
    assert!(tenth.ends_with(&"0".repeat(500)) && tenth.len() == 1202);
    // A width up to Go's bound pads; past one value's limit it is refused.
    assert_eq!(out(r#"{{printf "%1000000d" 7}}"#).len(), 1_000_000);
    let big = r#"{{printf "%10000000d%10000000d" 1 2}}"#;
    let err = Template::parse(big).unwrap().execute(&data()).unwrap_err();
    assert!(
        err.0
            .ends_with("vnet: template value over its limit of 16 MiB"),
        "{err}"
    );
}

/// `n` levels of `open`, `mid`, and `n` of `close`.
fn nested(open: &str, mid: &str, close: &str, n: usize) -> String {
    format!("{}{mid}{}", open.repeat(n), close.repeat(n))
}

#[test]
fn deep_nesting_runs_within_the_limits_and_is_refused_past_them() {
    // These run on the test thread's 2 MiB stack: a deep template gets its own.
    let run = |src: &str| {
        Template::parse(src)
            .and_then(|t| t.execute(&json!({"A": 1})))
            .unwrap_or_else(|e| e.0)
    };
    for (open, close) in [
        ("{{if 1}}", "{{end}}"),
        ("{{with .}}", "{{end}}"),
        ("{{range 1}}", "{{end}}"),
    ] {
        assert_eq!(run(&nested(open, "x", close, 10_000)), "x", "{open}");
        assert_eq!(
            run(&nested(open, "x", close, 10_001)),
            "template: :1: vnet: if, with and range nested deeper than its limit of 10000"
        );
    }
    let chain = format!("{{{{if 0}}}}{}y{{{{end}}}}", "{{else if 0}}".repeat(9_999));
    assert_eq!(run(&chain), "");
    // Go's `maxStackDepth` for parentheses, and its words past it.
    assert_eq!(
        run(&nested("{{", &nested("(", "1", ")", 10_000), "}}", 1)),
        "1"
    );
    assert_eq!(
        run(&nested("{{", &nested("(", ".A", ")", 10_001), "}}", 1)),
        "template: :1: max expression depth exceeded"
    );
    // Both at once: every if holds the deepest parentheses.
    let both = nested(
        "{{if 1}}",
        &format!("{{{{{}}}}}", nested("(", "1", ")", 10_000)),
        "{{end}}",
        10_000,
    );
    assert_eq!(run(&both), "1");
    // A deep template dropped unexecuted, or failing half-way, unwinds safely too.
    drop(Template::parse(&nested("{{if 1}}", "{{.A.B}}", "{{end}}", 10_000)).unwrap());
    let half = nested("{{if 1}}", "{{index 1 1}}", "{{end}}", 10_000);
    assert!(
        run(&half).ends_with("can't index item of type int"),
        "{}",
        run(&half)
    );
}

#[test]
fn pipeline_too_long_as_go() {
    let long = format!("{{{{1{}}}}}", "|print".repeat(99_999));
    assert_eq!(
        Template::parse(&long)
            .unwrap()
            .execute(&json!(null))
            .unwrap(),
        "1"
    );
    let longer = format!("{{{{1{}}}}}", "|print".repeat(100_000));
    assert_eq!(
        Template::parse(&longer).unwrap_err().0,
        "template: :1: pipeline too long"
    );
}

#[test]
fn range_over_a_huge_integer_stops_at_the_step_limit() {
    let t = Template::parse("{{range 9223372036854775807}}{{end}}").unwrap();
    assert_eq!(
        t.execute(&json!(null)).unwrap_err().0,
        "template: :1:8: executing \"\" at <9223372036854775807>: vnet: template execution over its limit of 10000000 steps"
    );
    // The budget is the template's, across executions: one command's whole rendering.
    let t = Template::parse("{{range 6000000}}{{end}}").unwrap();
    assert!(t.execute(&json!(null)).is_ok());
    assert!(t.execute(&json!(null)).is_err());
}

#[test]
fn values_and_output_stay_within_vnet_limits() {
    let run = |src: &str| {
        Template::parse(src)
            .and_then(|t| t.execute(&data()))
            .map(|s| s.len())
            .unwrap_or_else(|e| panic!("{src}: {e}"))
    };
    let fails = |src: &str, tail: &str| {
        let e = Template::parse(src).unwrap().execute(&data()).unwrap_err();
        assert!(e.0.ends_with(tail), "{src}: {e}");
    };
    let value = "vnet: template value over its limit of 16 MiB";
    let total = "vnet: template output and values over their limit of 64 MiB";
    // A value that doubles each time.
    fails(
        r#"{{$x := "ab"}}{{range 40}}{{$x = printf "%s%s" $x $x}}{{end}}"#,
        value,
    );
    // Arguments of one call together.
    let x = r#"{{$x := printf "%4000000d" 1}}"#;
    fails(&format!("{x}{{{{print $x $x $x $x $x}}}}"), value);
    assert_eq!(run(&format!("{x}{{{{print $x $x $x}}}}")), 12_000_000);
    // Escapers that multiply their input.
    fails(
        &format!("{{{{{}}}}}", nested("js (", r#""\\""#, ")", 30)),
        value,
    );
    // Many copies, each fine.
    fails(
        &format!("{x}{{{{range 100}}}}{{{{$y := $x}}}}{{{{end}}}}"),
        total,
    );
    fails(r#"{{range 100}}{{printf "%1000000d" 1}}{{end}}"#, total);
}

#[test]
fn lookup_methods() {
    let row = json!({"Name": "web", "Label()": {"tier": "front"}});
    let spec = r#"
            {{.Label "tier"}} => front
            [{{.Label "none"}}] => []
            {{"tier" | .Label}} => front
            {{.Label}} => template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0
            {{.Label "a" "b"}} => template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 2
            {{.Label 1}} => template: :1:9: executing "" at <1>: expected string; found 1
        "#;
    check(&row, spec);
    // The header row's: the column's title, from the key's last part.
    check(
        &json!({"Label()": "header"}),
        r#"{{.Label "com.example.my-label_x"}} => my label x"#,
    );
    check(&row, r#"{{$.Label "tier"}} => front"#);
    // A method without arguments.
    check(
        &json!({"From()": "busybox:latest"}),
        "{{.From}} => busybox:latest",
    );
}
