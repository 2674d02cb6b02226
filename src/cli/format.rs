//! Tables and `--format`, as docker/cli renders them.
//!
//! Mirrors `cli/command/formatter` (docker/cli v28): a format is a Go template, `table `
//! in front of it adds a header row, and rows go through Go's `text/tabwriter` with
//! minwidth 10, tabwidth 1, padding 3 (`formatter.go`). The header row is the same template
//! executed over a context whose fields hold the column titles, as the CLI does.

use super::templates;
use crate::golang::{json, tabwriter};
use serde_json::Value;

/// How `--format` was given.
pub enum Format {
    /// `table ...` (or the default): a header row, then tab-aligned rows.
    Table(String),
    /// A raw template: one execution per row, no header, no alignment.
    Raw(String),
    /// `json`: each row's context as one line of JSON.
    Json,
}

impl Format {
    /// Parses `--format`; `default_table` is the command's default table template.
    pub fn parse(spec: Option<&str>, default_table: &str) -> Format {
        match spec {
            None | Some("") | Some("table") => Format::Table(
                default_table
                    .strip_prefix("table ")
                    .unwrap_or(default_table)
                    .to_string(),
            ),
            Some("json") => Format::Json,
            Some(s) => match s.strip_prefix("table ") {
                Some(t) => Format::Table(unescape_tabs(t)),
                None => Format::Raw(unescape_tabs(s)),
            },
        }
    }
}

/// The CLI turns a typed `\t` (backslash, t) into a tab before parsing a template.
pub fn unescape_tabs(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

/// The Go type a command's rows stand for, and how the CLI words an error executing the
/// template over one (`failed to execute template: ` for `ps`).
#[derive(Clone, Copy, Debug)]
pub struct RowType {
    /// `*formatter.ContainerContext`.
    pub name: &'static str,
    /// Put before the template's error.
    pub prefix: &'static str,
    /// Whether the error's column counts in the `--format` as typed (with its `table `
    /// and its typed `\t`), as `docker ps` reports it.
    pub typed_columns: bool,
}

/// A template error's `:1:COL:` counted in `typed` (the `--format` as given) rather than
/// in the template made of it (its `table ` prefix gone, typed `\t` and `\n` made one
/// character).
fn typed_column(err: &str, typed: &str) -> String {
    let Some(rest) = err.strip_prefix("template: :1:") else {
        return err.to_string();
    };
    let Some((col, tail)) = rest.split_once(':') else {
        return err.to_string();
    };
    let Ok(col) = col.parse::<usize>() else {
        return err.to_string();
    };
    let mut i = if typed.starts_with("table ") { 6 } else { 0 };
    let mut p = 0;
    while p < col {
        let Some(c) = typed.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        let escape = typed
            .get(i..)
            .is_some_and(|t| t.starts_with("\\t") || t.starts_with("\\n"));
        i += if escape { 2 } else { c.len_utf8() };
        p += if escape { 1 } else { c.len_utf8() };
    }
    format!("template: :1:{i}:{tail}")
}

/// Renders rows: each a JSON object whose keys are the template's fields; with `row_type`
/// a field the rows lack is Go's error for a struct, not `<no value>`.
pub fn render(
    format: &Format,
    header: &Value,
    rows: &[Value],
    row_type: Option<RowType>,
    typed: Option<&str>,
) -> Result<String, String> {
    let run = |tmpl: &crate::golang::template::Template, r: &Value| match row_type {
        Some(t) => tmpl.execute_typed(r, &[("", t.name)]).map_err(|e| {
            let e = e.to_string();
            let e = match typed.filter(|_| t.typed_columns) {
                Some(typed) => typed_column(&e, typed),
                None => e,
            };
            format!("{}{e}", t.prefix)
        }),
        None => tmpl.execute(r).map_err(|e| e.to_string()),
    };
    match format {
        Format::Json => {
            let mut out = String::new();
            for r in rows {
                // The context's own `MarshalJSON`: its fields (no methods, keys ending in
                // `()`), through `json.Marshal`, which escapes HTML.
                let mut r = r.clone();
                if let Some(m) = r.as_object_mut() {
                    m.retain(|k, _| !k.ends_with("()"));
                }
                out.push_str(&json::encode(&r, true));
                out.push('\n');
            }
            Ok(out)
        }
        Format::Raw(t) => {
            let tmpl = templates::parse(t).map_err(|e| e.to_string())?;
            let mut out = String::new();
            for r in rows {
                out.push_str(&run(&tmpl, r)?);
                out.push('\n');
            }
            Ok(out)
        }
        Format::Table(t) => {
            let tmpl = templates::parse(t).map_err(|e| e.to_string())?;
            let mut text = String::new();
            text.push_str(&tmpl.execute(header).map_err(|e| e.to_string())?);
            text.push('\n');
            for r in rows {
                text.push_str(&run(&tmpl, r)?);
                text.push('\n');
            }
            Ok(tabwriter::align(&text, 10, 3))
        }
    }
}

/// docker/cli `formatter.Ellipsis`: at most `max` characters, the last one `…` if cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut r: String = s.chars().take(max - 1).collect();
    r.push('…');
    r
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units (`B`, `kB`, `MB`, ...), Go's
/// `%.3g`.
pub fn human_size(bytes: u64) -> String {
    units_size(
        bytes,
        1000.0,
        &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
        "%.3g",
    )
}

/// go-units `HumanSizeWithPrecision(size, precision)` (`HumanSize` is precision 4).
pub fn human_size_precision(bytes: u64, precision: usize) -> String {
    units_size(
        bytes,
        1000.0,
        &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
        &format!("%.{precision}g"),
    )
}

/// go-units `BytesSize`: binary units (`B`, `KiB`, `MiB`, ...), Go's `%.4g`.
pub fn bytes_size(bytes: u64) -> String {
    units_size(
        bytes,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
        "%.4g",
    )
}

/// go-units `CustomSize`: `bytes` in the largest of `units` (each `base` times the last)
/// that keeps it at or above 1, printed with Go's `verb`.
fn units_size(bytes: u64, base: f64, units: &[&str], verb: &str) -> String {
    let mut size = bytes as f64;
    let mut unit = units.first().copied().unwrap_or("B");
    for next in units.iter().skip(1) {
        if size < base {
            break;
        }
        size /= base;
        unit = next;
    }
    let n = crate::golang::fmt::sprintf(verb, &[serde_json::json!(size)]);
    format!("{n}{unit}")
}

/// docker/cli `ContainerContext.Size` (formatter/container.go): the writable layer's size,
/// and the image's (`virtual`) when the daemon reports one.
pub fn container_size(size_rw: u64, size_root_fs: u64) -> String {
    let rw = human_size(size_rw);
    if size_root_fs > 0 {
        format!("{rw} (virtual {})", human_size(size_root_fs))
    } else {
        rw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_cuts() {
        assert_eq!(
            ellipsis("\"docker-entrypoint.sh redis-server\"", 20),
            "\"docker-entrypoint.…"
        );
        assert_eq!(ellipsis("\"sh\"", 20), "\"sh\"");
    }

    /// go-units `HumanSizeWithPrecision(size, 3)` (its size_test.go cases).
    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(1024), "1.02kB");
        assert_eq!(human_size(4_430_000), "4.43MB");
        assert_eq!(container_size(0, 0), "0B");
        assert_eq!(container_size(0, 4_430_000), "0B (virtual 4.43MB)");
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn go_units_sizes() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(4_430_000), "4.43MB");
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1536), "1.5KiB");
        assert_eq!(bytes_size(64 << 20), "64MiB");
    }
}
