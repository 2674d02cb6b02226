//! Go's `text/tabwriter`, as docker/cli lays out its tables.
//!
//! Mirrors `text/tabwriter` (`tabwriter.go`: cells, column blocks, `format`) for left-aligned
//! text padded with spaces and no flags, the way docker/cli's `formatter` configures it
//! (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`). Widths are counted in characters (Unicode
//! code points), as Go counts runes: a wide character counts one.

/// Lays out `text` as a `tabwriter.Writer` with `minwidth`, `padding`, padchar `' '` and no
/// flags writes it (tabwidth does not matter with a space padchar): tab-terminated cells form
/// columns, each column block as wide as its widest cell plus `padding`, at least
/// `minwidth`. A line's last cell is not part of a column. Text that does not end in a
/// newline keeps its last line unterminated.
pub fn align(text: &str, minwidth: usize, padding: usize) -> String {
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
    // The cell of `line` in this column, if the line goes on past it.
    let cell = |line: usize| {
        lines
            .get(line)
            .filter(|l| column + 1 < l.len())
            .and_then(|l| l.get(column))
    };
    let line1 = line1.min(lines.len());
    let mut this = line0;
    while this < line1 {
        if cell(this).is_none() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = minwidth;
        while this < line1
            && let Some(c) = cell(this)
        {
            width = width.max(cell_width(c) + padding);
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
    for line in lines.get(from..to).unwrap_or_default() {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&width) = widths.get(j)
                && j + 1 < line.len()
            {
                for _ in cell_width(cell)..width {
                    out.push(' ');
                }
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_ls_layout() {
        let t = "NETWORK ID\tNAME\tDRIVER\tSCOPE\n0123456789ab\tbridge\tbridge\tlocal\n";
        assert_eq!(
            align(t, 10, 3),
            "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   bridge    bridge    local\n"
        );
    }

    #[test]
    fn ragged_lines_form_blocks() {
        let t = "a\tb\nlonger cell\tc\nsingle\n";
        assert_eq!(align(t, 0, 1), "a           b\nlonger cell c\nsingle\n");
    }

    #[test]
    fn widths_count_code_points_as_go_counts_runes() {
        let t = "h\u{e9}llo\tx\n\u{4e16}\u{754c}\ty\n";
        assert_eq!(align(t, 0, 1), "h\u{e9}llo x\n\u{4e16}\u{754c}    y\n");
    }
}
