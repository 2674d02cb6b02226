//! Reports of scenario runs: for people (with diffs, colour on a terminal), JUnit XML for CI
//! systems, and JSON. The text report ends with `N passed, N failed` (`, N skipped` for
//! pending files), as test runners do. [`FileReport`] and [`StepReport`] are what a replay
//! found, and what all three are made from.

use std::path::Path;

/// What one step did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    /// 1-based.
    pub index: usize,
    /// Line in the file.
    pub line: u64,
    /// The step as a command line.
    pub command: String,
    /// What failed; empty when it passed.
    pub failures: Vec<String>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
}

/// What one file did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// The scenario's name.
    pub name: String,
    /// Why it did not run, if pending.
    pub pending: Option<String>,
    /// A file that could not be read or parsed: `file:line:column: what`.
    pub error: Option<String>,
    /// The steps run (up to and including the first failing one).
    pub steps: Vec<StepReport>,
    /// Virtual seconds the replay took.
    pub virtual_seconds: f64,
    /// Whether a second replay matched the first byte for byte (when checked).
    pub deterministic: Option<bool>,
    /// Everything the replay printed and every frame it moved, for determinism checks.
    #[serde(skip)]
    pub transcript: String,
}

impl FileReport {
    /// Whether the file passed (pending files do not fail).
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.steps.iter().all(|s| s.failures.is_empty())
            && self.deterministic != Some(false)
    }

    /// The report of `path` before anything ran.
    pub(super) fn blank(path: &Path) -> FileReport {
        FileReport {
            path: path.display().to_string(),
            name: String::new(),
            pending: None,
            error: None,
            steps: Vec::new(),
            virtual_seconds: 0.0,
            deterministic: None,
            transcript: String::new(),
        }
    }

    /// The report of a file that could not be read or parsed.
    pub(super) fn broken(path: &Path, error: String) -> FileReport {
        FileReport {
            error: Some(error),
            ..FileReport::blank(path)
        }
    }
}

/// Indents a block for a report.
pub fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The longest-common-subsequence table is at most this many cells; past it (outputs of
/// many thousands of differing lines) the diff is the expected lines, then the actual ones.
const MAX_DIFF_CELLS: usize = 1 << 22;

/// `a` against `b`, line by line: ` ` in both, `-` only in `a`, `+` only in `b`.
fn lines_diff(a: &[&str], b: &[&str]) -> Vec<String> {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let cells = (n + 1).saturating_mul(width);
    if cells > MAX_DIFF_CELLS {
        let minus = a.iter().map(|l| format!("-{l}"));
        return minus.chain(b.iter().map(|l| format!("+{l}"))).collect();
    }
    // lcs[i * width + j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; cells];
    let at = |t: &[u32], i: usize, j: usize| t.get(i * width + j).copied().unwrap_or(0);
    for (i, x) in a.iter().enumerate().rev() {
        for (j, y) in b.iter().enumerate().rev() {
            let v = if x == y {
                at(&lcs, i + 1, j + 1) + 1
            } else {
                at(&lcs, i + 1, j).max(at(&lcs, i, j + 1))
            };
            if let Some(c) = lcs.get_mut(i * width + j) {
                *c = v;
            }
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(format!(" {x}"));
                i += 1;
                j += 1;
            }
            (Some(x), None) => {
                out.push(format!("-{x}"));
                i += 1;
            }
            (Some(x), Some(_)) if at(&lcs, i + 1, j) >= at(&lcs, i, j + 1) => {
                out.push(format!("-{x}"));
                i += 1;
            }
            (_, Some(y)) => {
                out.push(format!("+{y}"));
                j += 1;
            }
            (None, None) => return out,
        }
    }
}

/// A line diff: `-` expected, `+` actual, ` ` both (longest common subsequence).
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut out = String::from("    --- expected\n    +++ actual\n");
    for line in lines_diff(&a, &b) {
        out.push_str(&format!("    {line}\n"));
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("    (the final newline differs)\n");
    }
    out
}

/// The text report.
pub fn human(reports: &[FileReport], colour: bool) -> String {
    let paint = |code: &str, s: &str| {
        if colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for r in reports {
        if let Some(e) = &r.error {
            failed += 1;
            out.push_str(&format!("{} {}\n    {e}\n", paint("31", "FAIL"), r.path));
            continue;
        }
        if let Some(why) = &r.pending {
            skipped += 1;
            out.push_str(&format!("{} {} ({why})\n", paint("33", "PENDING"), r.path));
            continue;
        }
        if r.passed() {
            passed += 1;
            out.push_str(&format!(
                "{} {} ({} steps, {:.3} s virtual)\n",
                paint("32", "PASS"),
                r.path,
                r.steps.len(),
                r.virtual_seconds
            ));
            continue;
        }
        failed += 1;
        out.push_str(&format!(
            "{} {} ({})\n",
            paint("31", "FAIL"),
            r.path,
            r.name
        ));
        if let Some(s) = r.steps.iter().find(|s| !s.failures.is_empty()) {
            out.push_str(&format!(
                "  step {} (line {}): {}\n",
                s.index, s.line, s.command
            ));
            for f in &s.failures {
                for (k, l) in f.lines().enumerate() {
                    out.push_str(if k == 0 { "    " } else { "  " });
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        if r.deterministic == Some(false) {
            out.push_str("  a second replay printed something else: not deterministic\n");
        }
    }
    out.push_str(&format!("{passed} passed, {failed} failed"));
    if skipped > 0 {
        out.push_str(&format!(", {skipped} skipped"));
    }
    out.push('\n');
    out
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || *c == '\t' || *c >= ' ')
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: a test suite per file, a test case per step; times are virtual seconds.
pub fn junit(reports: &[FileReport]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"vnet scenarios\">\n",
    );
    for r in reports {
        let failures = usize::from(!r.passed() && r.pending.is_none());
        let tests = r.steps.len().max(1);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{}\" time=\"{:.6}\">\n",
            xml(&r.path),
            usize::from(r.pending.is_some()),
            r.virtual_seconds
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!(
                "    <testcase name=\"parse\" classname=\"{}\">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                xml(&r.path),
                xml(e)
            ));
        } else if let Some(why) = &r.pending {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml(&r.name),
                xml(&r.path),
                xml(why)
            ));
        }
        for s in &r.steps {
            out.push_str(&format!(
                "    <testcase name=\"step {} (line {}): {}\" classname=\"{}\">\n",
                s.index,
                s.line,
                xml(&s.command),
                xml(&r.path)
            ));
            if !s.failures.is_empty() {
                let first = s
                    .failures
                    .first()
                    .and_then(|f| f.lines().next())
                    .unwrap_or_default();
                out.push_str(&format!(
                    "      <failure message=\"{}\">{}</failure>\n",
                    xml(first),
                    xml(&s.failures.join("\n"))
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_diff_of_huge_outputs_is_bounded() {
        let a: Vec<String> = (0..3000).map(|i| format!("a{i}")).collect();
        let b: Vec<String> = (0..3000).map(|i| format!("b{i}")).collect();
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let d = super::lines_diff(&a, &b);
        assert_eq!(d.len(), 6000);
        assert_eq!((d[0].as_str(), d[3000].as_str()), ("-a0", "+b0"));
        // Small ones keep the common lines.
        assert_eq!(
            super::lines_diff(&["x", "y", "z"], &["x", "z", "w"]),
            [" x", "-y", " z", "+w"]
        );
    }

    use super::*;

    #[test]
    fn line_diff() {
        let d = diff("a\nb\nc\n", "a\nx\nc\n");
        assert!(d.contains("    -b\n    +x\n"), "{d}");
        assert!(d.contains("     a\n") && d.contains("     c\n"), "{d}");
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(xml("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
