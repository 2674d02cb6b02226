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
    format(&lines, minwidth, padding, &mut out);
    if !trailing_newline {
        out.pop();
    }
    out
}

fn cell_width(s: &str) -> usize {
    s.chars().count()
}

/// One column block being laid out: lines `line0..line1`, scanned up to `this`.
struct Block {
    line0: usize,
    line1: usize,
    this: usize,
}

/// Go's `format`: each run of lines that have a cell in the current column is a block, as
/// wide as its widest cell, and within it the next column forms blocks of its own. Go
/// recurses a column at a time (its stacks grow); this keeps the blocks on a stack of its
/// own, so a line of a million cells cannot overflow the thread's.
fn format(lines: &[Vec<&str>], minwidth: usize, padding: usize, out: &mut String) {
    let mut widths: Vec<usize> = Vec::new();
    let mut blocks = vec![Block {
        line0: 0,
        line1: lines.len(),
        this: 0,
    }];
    while let Some(b) = blocks.last_mut() {
        let column = widths.len();
        // The cell of `line` in this column, if the line goes on past it.
        let cell = |line: usize| {
            lines
                .get(line)
                .filter(|l| column + 1 < l.len())
                .and_then(|l| l.get(column))
        };
        let mut inner = None;
        while b.this < b.line1 {
            if cell(b.this).is_none() {
                b.this += 1;
                continue;
            }
            write_lines(lines, b.line0, b.this, &widths, out);
            b.line0 = b.this;
            let mut width = minwidth;
            while b.this < b.line1
                && let Some(c) = cell(b.this)
            {
                width = width.max(cell_width(c) + padding);
                b.this += 1;
            }
            inner = Some((
                width,
                Block {
                    line0: b.line0,
                    line1: b.this,
                    this: b.line0,
                },
            ));
            // When the inner block is done, this one goes on after it.
            b.line0 = b.this;
            break;
        }
        match inner {
            Some((width, block)) => {
                widths.push(width);
                blocks.push(block);
            }
            None => {
                write_lines(lines, b.line0, b.line1, &widths, out);
                blocks.pop();
                widths.pop();
            }
        }
    }
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
    fn a_million_cells_on_one_line_do_not_recurse() {
        let line = "x\t".repeat(1_000_000);
        let t = format!("{line}\n{line}\n");
        let out = align(&t, 0, 1);
        assert_eq!(out.lines().count(), 2);
        assert!(out.starts_with("x x x "));
    }

    #[test]
    fn widths_count_code_points_as_go_counts_runes() {
        let t = "h\u{e9}llo\tx\n\u{4e16}\u{754c}\ty\n";
        assert_eq!(align(t, 0, 1), "h\u{e9}llo x\n\u{4e16}\u{754c}    y\n");
    }
}
