//! Tables and `--format`, as docker/cli renders them.
//!
//! Mirrors `cli/command/formatter` (docker/cli v28): a format is a Go template, `table `
//! in front of it adds a header row, and rows go through Go's `text/tabwriter` with
//! minwidth 10, tabwidth 1, padding 3 (`formatter.go`). The header row is the same template
//! executed over a context whose fields hold the column titles, as the CLI does.

use super::template::Template;
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

/// Renders rows: each a JSON object whose keys are the template's fields.
pub fn render(format: &Format, header: &Value, rows: &[Value]) -> Result<String, String> {
    match format {
        Format::Json => {
            let mut out = String::new();
            for r in rows {
                out.push_str(&super::gojson::encode(r, false));
                out.push('\n');
            }
            Ok(out)
        }
        Format::Raw(t) => {
            let tmpl = Template::parse(t).map_err(|e| e.to_string())?;
            let mut out = String::new();
            for r in rows {
                out.push_str(&tmpl.execute(r).map_err(|e| e.to_string())?);
                out.push('\n');
            }
            Ok(out)
        }
        Format::Table(t) => {
            let tmpl = Template::parse(t).map_err(|e| e.to_string())?;
            let mut text = String::new();
            text.push_str(&tmpl.execute(header).map_err(|e| e.to_string())?);
            text.push('\n');
            for r in rows {
                text.push_str(&tmpl.execute(r).map_err(|e| e.to_string())?);
                text.push('\n');
            }
            Ok(tabwriter(&text, 10, 3))
        }
    }
}

/// Go's `text/tabwriter` (left-aligned, space padding): tab-terminated cells form columns,
/// each column block as wide as its widest cell plus `padding`, at least `minwidth`.
pub fn tabwriter(text: &str, minwidth: usize, padding: usize) -> String {
    let trailing_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::new();
    let mut widths = Vec::new();
    format_block(
        &lines,
        0,
        lines.len(),
        &mut widths,
        minwidth,
        padding,
        &mut out,
    );
    if !trailing_newline {
        out.pop();
    }
    out
}

fn cell_width(s: &str) -> usize {
    s.chars().count()
}

fn format_block(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    minwidth: usize,
    padding: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = minwidth;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(cell_width(lines[this][column]) + padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, minwidth, padding, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for line in &lines[from..to] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() && j + 1 < line.len() {
                for _ in cell_width(cell)..widths[j] {
                    out.push(' ');
                }
            }
        }
        out.push('\n');
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_ls_layout() {
        let t = "NETWORK ID\tNAME\tDRIVER\tSCOPE\n0123456789ab\tbridge\tbridge\tlocal\n";
        assert_eq!(
            tabwriter(t, 10, 3),
            "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   bridge    bridge    local\n"
        );
    }

    #[test]
    fn ragged_lines_form_blocks() {
        let t = "a\tb\nlonger cell\tc\nsingle\n";
        assert_eq!(tabwriter(t, 0, 1), "a           b\nlonger cell c\nsingle\n");
    }

    #[test]
    fn ellipsis_cuts() {
        assert_eq!(
            ellipsis("\"docker-entrypoint.sh redis-server\"", 20),
            "\"docker-entrypoint.…"
        );
        assert_eq!(ellipsis("\"sh\"", 20), "\"sh\"");
    }
}
