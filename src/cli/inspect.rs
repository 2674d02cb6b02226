//! `docker inspect`'s printing, shared by `inspect` and `network inspect`: docker/cli's
//! `cli/command/inspect/inspector.go`.

use super::Outcome;
use super::format;
use super::templates;
use crate::golang::json::{encode, encode_indent};
use serde_json::Value;

/// Prints inspect results as docker/cli's inspector (`cli/command/inspect/inspector.go`)
/// does: each lookup in order, found objects as one indented JSON array (`[]` when none;
/// compact with `--format json`: `NewJSONInspector`), or one template execution per object;
/// the errors of the lookups and executions after it, status 1. `TemplateInspector.Flush`
/// prints an empty line when no object was printed (every name missing). A template that
/// does not parse is `template parsing error: ...`, status 64.
pub(super) fn print_inspect(
    found: Vec<Result<Value, String>>,
    format: Option<&str>,
    o: &mut Outcome,
) {
    let mut errs = Vec::new();
    match format.filter(|f| !f.is_empty() && *f != "json") {
        None => {
            let mut values = Vec::new();
            for r in found {
                match r {
                    Ok(v) => values.push(v),
                    Err(e) => errs.push(e),
                }
            }
            if values.is_empty() {
                o.outln("[]");
            } else if format == Some("json") {
                o.outln(encode(&Value::Array(values), true));
            } else {
                o.outln(encode_indent(&Value::Array(values)));
            }
        }
        Some(f) => {
            let tmpl = match templates::parse(&format::unescape_tabs(f)) {
                Ok(t) => t,
                Err(e) => {
                    o.errln(format!("template parsing error: {e}"));
                    o.code = 64;
                    return;
                }
            };
            let mut printed = false;
            for r in found {
                // Fields missing from the object are errors (`missingkey=error`).
                match r.and_then(|v| {
                    tmpl.execute_strict(&v)
                        .map_err(|e| format!("template parsing error: {e}"))
                }) {
                    Ok(s) => {
                        o.outln(s);
                        printed = true;
                    }
                    Err(e) => errs.push(e),
                }
            }
            if !printed {
                o.outln("");
            }
        }
    }
    if !errs.is_empty() {
        o.fail(errs.join("\n"));
    }
}
