//! Go's `text/template`, evaluated over `serde_json::Value`, for `--format` strings.
//!
//! Mirrors Go's `text/template` package, a file for each of its parts: `lex` (`parse/lex.go`),
//! `parse` (`parse/parse.go`, `parse/node.go`), `exec` (`exec.go`), `funcs` (`funcs.go`):
//! actions, trim markers, comments, pipelines, variables, `if`/`else if`/`with`/`range`/
//! `break`/`continue`, the builtin functions, and functions registered as a `FuncMap`
//! ([`Func`]). Values print like Go's `fmt` `%v` on data decoded from JSON (see
//! [`crate::golang::fmt`]); a missing object key is Go's "no value" (`<no value>`), or an
//! error with `missingkey=error` ([`Template::execute_strict`]). Errors read like Go's,
//! byte for byte. Not supported: `define`, `template`, `block`, `call`, custom delimiters.

mod exec;
mod funcs;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

pub use funcs::{Func, int_arg, string_arg, wrong_type};
pub use parse::Error;

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    root: Vec<parse::Node>,
    funcs: Vec<Func>,
}

impl Template {
    /// Parses a template that may call the builtins. Errors read like Go's, e.g.
    /// `template: :1: function "foo" not defined`.
    pub fn parse(src: &str) -> Result<Template, Error> {
        Template::parse_with(src, &[])
    }

    /// Parses a template that may also call `funcs` (Go's `New("").Funcs(m).Parse(src)`).
    pub fn parse_with(src: &str, funcs: &[Func]) -> Result<Template, Error> {
        Ok(Template {
            src: src.into(),
            root: parse::parse(src, funcs)?,
            funcs: funcs.to_vec(),
        })
    }

    /// Executes the template against `data`. Errors read like Go's, e.g.
    /// `template: :1:2: executing "" at <.X.Y>: can't evaluate field Y in type string`.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        exec::execute(&self.src, &self.funcs, &self.root, data, false)
    }

    /// Executes with Go's `missingkey=error`: a field missing from an object is an error
    /// (`map has no entry for key "X"`), as docker/cli's inspector does when a field is not
    /// in the object.
    pub fn execute_strict(&self, data: &Value) -> Result<String, Error> {
        exec::execute(&self.src, &self.funcs, &self.root, data, true)
    }
}
