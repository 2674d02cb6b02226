//! Go's `strings`, where Docker's template functions rely on it.
//!
//! Mirrors `strings.Title` (deprecated in Go, still what docker/cli's `title` calls).

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub fn title(s: &str) -> String {
    let sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        match sep(prev) {
            true => out.extend(c.to_uppercase()),
            false => out.push(c),
        }
        prev = c;
    }
    out
}
