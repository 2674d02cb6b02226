//! Hostile `--format` templates through the real binary: each gives Go's output or a clear
//! error (Go's words where Go has the limit, `vnet:` where the limit is vnet's), never a
//! panic, a stack overflow or unbounded memory, and changes nothing.

mod common;

use common::Vnet;
use std::path::Path;

/// The most memory (resident) one command may take.
const RSS_LIMIT_KIB: u64 = 256 << 10;

/// What a command printed, its exit code, and its peak resident memory in KiB (when the
/// system's `time` can tell).
struct Measured {
    stdout: String,
    stderr: String,
    code: i32,
    rss_kib: Option<u64>,
}

fn measure(v: &Vnet, args: &[&str]) -> Measured {
    let time = Path::new("/usr/bin/time");
    let report = v.dir.with_extension("rss");
    let out = if time.exists() {
        let mut c = std::process::Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&report);
        c.arg(common::bin())
            .arg("--state-dir")
            .arg(&v.dir)
            .args(args);
        c.env_remove("VNET_SEED").env_remove("VNET_STATE_DIR");
        c.output().expect("vnet runs")
    } else {
        v.cmd(args).output().expect("vnet runs")
    };
    let rss_kib = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok());
    let _ = std::fs::remove_file(&report);
    Measured {
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        code: out.status.code().unwrap_or(-1),
        rss_kib,
    }
}

/// Runs `args`, insisting on this stdout, stderr and code, bounded memory, no panic, and
/// the state as it was.
fn check(v: &Vnet, args: &[&str], stdout: &str, stderr: &str, code: i32) {
    let before = v.state_bytes();
    let m = measure(v, args);
    let shown = |s: &str| s.chars().take(300).collect::<String>();
    assert!(!m.stderr.contains("panicked"), "{}", shown(&m.stderr));
    assert_eq!(
        (shown(&m.stdout), shown(&m.stderr), m.code),
        (shown(stdout), shown(stderr), code),
        "{}",
        shown(&args.join(" "))
    );
    assert_eq!(m.stdout.len(), stdout.len());
    if let Some(rss) = m.rss_kib {
        assert!(
            rss < RSS_LIMIT_KIB,
            "{rss} KiB for {}",
            shown(&args.join(" "))
        );
    }
    assert_eq!(v.state_bytes(), before, "the state changed");
}

/// A fresh state with one container, `c1`.
fn lab(tag: &str) -> Vnet {
    let v = Vnet::new(tag);
    v.ok(&["run", "-d", "--name", "c1", "busybox"]);
    v
}

#[test]
fn printf_width_and_precision() {
    let v = lab("tmpl-printf");
    check(
        &v,
        &[
            "ps",
            "-a",
            "--format",
            r#"{{printf "%99999999999999999999d" 1}}"#,
        ],
        "%!(NOVERB)%!(EXTRA int=1)\n",
        "",
        0,
    );
    check(
        &v,
        &["ps", "-a", "--format", r#"{{printf "%.70000f" 1.0}}"#],
        &format!("1.{}\n", "0".repeat(70000)),
        "",
        0,
    );
    check(
        &v,
        &[
            "ps",
            "-a",
            "--format",
            r#"{{printf "%*d|%.*f" 99999999 1 99999999 2.5}}"#,
        ],
        "%!(BADWIDTH)1|%!(BADPREC)2.500000\n",
        "",
        0,
    );
}

#[test]
fn range_over_a_huge_integer() {
    let v = lab("tmpl-range");
    let f = "{{range 9223372036854775807}}{{end}}";
    let err = "template: :1:8: executing \"\" at <9223372036854775807>: vnet: template execution over its limit of 10000000 steps\n";
    let ps_err = format!("failed to execute template: {err}");
    check(&v, &["ps", "-a", "--format", f], "", &ps_err, 1);
    let parsing = format!("template parsing error: {err}");
    check(&v, &["inspect", "--format", f, "c1"], "\n", &parsing, 1);
    check(&v, &["network", "ls", "--format", f], "", &parsing, 1);
}

#[test]
fn pad_with_huge_and_negative_counts() {
    let v = lab("tmpl-pad");
    check(
        &v,
        &["ps", "-a", "--format", r#"{{pad "x" 999999999999 0}}"#],
        "",
        "failed to execute template: template: :1:2: executing \"\" at <pad \"x\" 999999999999...>: error calling pad: vnet: template value over its limit of 16 MiB\n",
        1,
    );
    // docker/cli's `pad` is `strings.Repeat`, whose panic on a negative count the template
    // reports; an empty string is returned before any count is used.
    check(
        &v,
        &["ps", "-a", "--format", r#"{{pad "x" -1 0}}"#],
        "",
        "failed to execute template: template: :1:2: executing \"\" at <pad \"x\" -1 0>: error calling pad: strings: negative Repeat count\n",
        1,
    );
    check(
        &v,
        &["ps", "-a", "--format", r#"[{{pad "" -1 0}}]"#],
        "[]\n",
        "",
        0,
    );
}

#[test]
fn output_past_the_limit() {
    let v = lab("tmpl-output");
    check(
        &v,
        &[
            "ps",
            "-a",
            "--format",
            r#"{{range 200}}{{printf "%1000000d" 1}}{{end}}"#,
        ],
        "",
        "failed to execute template: template: :1:15: executing \"\" at <printf \"%1000000d\" 1>: vnet: template output and values over their limit of 64 MiB\n",
        1,
    );
}

#[test]
fn deep_nesting() {
    let v = lab("tmpl-deep");
    // As deep as one argument can hold (128 KiB), on the binary's own stack and a table's.
    let ifs = format!("{}x{}", "{{if 1}}".repeat(8000), "{{end}}".repeat(8000));
    check(&v, &["ps", "-a", "--format", &ifs], "x\n", "", 0);
    check(
        &v,
        &["ps", "-a", "--format", &format!("table {ifs}")],
        "x\nx\n",
        "",
        0,
    );
    let parens = |n| format!("{{{{{}1{}}}}}", "(".repeat(n), ")".repeat(n));
    check(&v, &["ps", "-a", "--format", &parens(10000)], "1\n", "", 0);
    check(
        &v,
        &["ps", "-a", "--format", &parens(10001)],
        "",
        "template: :1: max expression depth exceeded\n",
        1,
    );
}
