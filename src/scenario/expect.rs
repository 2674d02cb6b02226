//! Checking what a step showed against what it must show: the exit status, stdout and stderr
//! (`equals`, `contains`, `not_contains`, `regex`), values at paths in JSON output, and the
//! `reach`/`resolves` shorthands. Each check adds a failure message for the report; none
//! stops the others.

use super::report;
use super::schema::{Expect, Reach, Resolves, Text};
use crate::cli::Outcome;

/// A value at a path in JSON: `.Key` or `Key`, `[index]`, `["key with.dots"]`, chained.
pub fn json_at<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut cur = v;
    let mut rest = path.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let key = &r[..end];
            cur = match key.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(key.trim_matches('"'))?,
            };
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        }
    }
    Some(cur)
}

/// Checks a step's outcome against its `expect`. A command (`is_command`) must exit 0 unless
/// `expect` names another status.
pub fn check(expect: &Expect, is_command: bool, out: &Outcome, failures: &mut Vec<String>) {
    let want_exit = expect.exit.or(is_command.then_some(0));
    if let Some(code) = want_exit
        && out.code != code
    {
        failures.push(format!(
            "exit status {}, expected {code}\n  stderr:\n{}",
            out.code,
            report::indent(&out.stderr)
        ));
    }
    if let Some(t) = &expect.stdout {
        check_text("stdout", t, &out.stdout, failures);
    }
    if let Some(t) = &expect.stderr {
        check_text("stderr", t, &out.stderr, failures);
    }
    if !expect.json.is_empty() {
        match serde_json::from_str::<serde_json::Value>(&out.stdout) {
            Ok(v) => {
                for c in &expect.json {
                    match json_at(&v, &c.path) {
                        Some(got) if *got == c.equals => {}
                        got => failures.push(format!(
                            "json {}: expected {}, got {}",
                            c.path,
                            c.equals,
                            got.map_or("nothing".into(), |g| g.to_string())
                        )),
                    }
                }
            }
            Err(e) => failures.push(format!("stdout is not JSON ({e})")),
        }
    }
}

/// Checks one stream (`what`: `stdout` or `stderr`): equality first, then each substring that
/// must or must not appear, then the regular expression.
fn check_text(what: &str, t: &Text, actual: &str, failures: &mut Vec<String>) {
    let (equals, contains, not_contains, regex) = match t {
        Text::Equals(s) => (Some(s), Vec::new(), Vec::new(), None),
        Text::Match(m) => (
            m.equals.as_ref(),
            m.contains.as_ref().map(|c| c.items()).unwrap_or_default(),
            m.not_contains
                .as_ref()
                .map(|c| c.items())
                .unwrap_or_default(),
            m.regex.as_ref(),
        ),
    };
    if let Some(e) = equals
        && e != actual
    {
        failures.push(format!("{what} differs:\n{}", report::diff(e, actual)));
    }
    for s in contains {
        if !actual.contains(s) {
            failures.push(format!(
                "{what} does not contain {s:?}:\n{}",
                report::indent(actual)
            ));
        }
    }
    for s in not_contains {
        if actual.contains(s) {
            failures.push(format!(
                "{what} contains {s:?}:\n{}",
                report::indent(actual)
            ));
        }
    }
    if let Some(r) = regex {
        match regex::Regex::new(r) {
            Ok(re) if re.is_match(actual) => {}
            Ok(_) => failures.push(format!(
                "{what} does not match /{r}/:\n{}",
                report::indent(actual)
            )),
            Err(e) => failures.push(format!("bad regex /{r}/: {e}")),
        }
    }
}

/// `reach:`: whether the ping's exit status says what the step expects; a failure otherwise.
pub fn reach(r: &Reach, out: &Outcome) -> Option<String> {
    let ok = out.code == 0;
    (ok != r.ok).then(|| {
        format!(
            "{} {} {}:\n{}{}",
            r.from,
            if r.ok { "does not reach" } else { "reaches" },
            r.to,
            report::indent(&out.stdout),
            report::indent(&out.stderr)
        )
    })
}

/// `resolves:`: whether the first address `nslookup` answers is the expected one (or none); a
/// failure otherwise. The answer's lines are `Address: IP`; the server's own line has a tab.
pub fn resolves(r: &Resolves, out: &Outcome) -> Option<String> {
    let got = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Address: "))
        .map(String::from);
    (got != r.to).then(|| {
        format!(
            "{} resolves {} to {}, expected {}",
            r.from,
            r.name,
            got.as_deref().unwrap_or("nothing"),
            r.to.as_deref().unwrap_or("nothing")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let v: serde_json::Value =
            serde_json::from_str(r#"[{"IPAM":{"Config":[{"Subnet":"10.0.0.0/8"}]},"a.b":1}]"#)
                .unwrap();
        assert_eq!(
            json_at(&v, "[0].IPAM.Config[0].Subnet").unwrap(),
            "10.0.0.0/8"
        );
        assert_eq!(json_at(&v, "[0][\"a.b\"]").unwrap(), 1);
        assert!(json_at(&v, "[1]").is_none());
    }
}
