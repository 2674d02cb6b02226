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
//!
//! # Limits
//!
//! Go's own: parenthesized pipelines nest at most [`MAX_PAREN_DEPTH`] deep (`maxStackDepth`,
//! "max expression depth exceeded") and a pipeline has at most [`MAX_PIPELINE_CMDS`]
//! commands (`maxPipelineCmds`, "pipeline too long"); a printf width or precision is at most
//! a million (see [`crate::golang::fmt`]). Go has nothing more: a template can ask for
//! unbounded work (`{{range 9223372036854775807}}`, `{{pad "x" 999999999999 0}}`) and Go
//! runs out of time or memory. vnet bounds it, with errors that start `vnet:`:
//!
//! - `if`/`with`/`range` nest at most [`MAX_CONTROL_DEPTH`] deep (Go's goroutine stacks
//!   grow; a deep template here runs on a thread with a stack sized to its depth).
//! - One value (a function's result, or the arguments of one call together) is at most
//!   [`MAX_VALUE`] bytes.
//! - All executions of one [`Template`] together (what one command renders with it) take at
//!   most [`MAX_STEPS`] steps (a node, a command, a `range` iteration) and make at most
//!   [`MAX_BYTES`] bytes (output written, values made or copied).

mod exec;
mod funcs;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

pub use funcs::{Func, args, int_arg, string_arg, wrong_type};
pub use parse::Error;

use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

/// Go's `maxStackDepth` (`text/template/parse`): how deep parenthesized pipelines nest.
pub const MAX_PAREN_DEPTH: usize = 10_000;

/// Go's `maxPipelineCmds` (`text/template/parse`): the commands of one pipeline.
pub const MAX_PIPELINE_CMDS: usize = 100_000;

/// vnet's limit on how deep `if`, `with` and `range` (and `else if` chains) nest.
pub const MAX_CONTROL_DEPTH: usize = 10_000;

// Fuzzing builds (cargo-fuzz's `--cfg fuzzing`) take a hundredth and less of each budget
// below: the code that enforces them is the same, and an input that reaches one then costs
// a millisecond rather than a second, which keeps a campaign's rate where the rest of its
// inputs set it (docs/fuzzing.md).

/// vnet's limit on one value's size in bytes (16 MiB).
#[cfg(not(fuzzing))]
pub const MAX_VALUE: usize = 16 << 20;
/// vnet's limit on one value's size in bytes (fuzzing builds: 256 KiB).
#[cfg(fuzzing)]
pub const MAX_VALUE: usize = 256 << 10;

/// vnet's limit on the steps of one template's executions together.
#[cfg(not(fuzzing))]
pub const MAX_STEPS: u64 = 10_000_000;
/// vnet's limit on the steps of one template's executions together (fuzzing builds).
#[cfg(fuzzing)]
pub const MAX_STEPS: u64 = 100_000;

/// vnet's limit on the bytes one template's executions together write or make (64 MiB).
#[cfg(not(fuzzing))]
pub const MAX_BYTES: u64 = 64 << 20;
/// vnet's limit on the bytes one template's executions together write or make (fuzzing
/// builds: 1 MiB).
#[cfg(fuzzing)]
pub const MAX_BYTES: u64 = 1 << 20;

/// The error for a value over [`MAX_VALUE`], as a function reports it.
pub fn value_too_large() -> String {
    format!(
        "vnet: template value over its limit of {} MiB",
        MAX_VALUE >> 20
    )
}

/// Nesting up to this deep runs on the caller's stack (2 MiB is enough, with a margin).
const INLINE_DEPTH: usize = 64;

/// The stack one level of nesting may take at most, in the parser, executor or drop
/// (measured below 8 KiB in a debug build).
const STACK_PER_LEVEL: usize = 16 << 10;

/// What executions of one template have spent, against [`MAX_STEPS`] and [`MAX_BYTES`].
#[derive(Debug, Default)]
struct Budget {
    steps: AtomicU64,
    bytes: AtomicU64,
}

/// A parsed template.
pub struct Template {
    src: String,
    root: Vec<parse::Node>,
    funcs: Vec<Func>,
    /// How deep its nodes nest (controls and parentheses).
    depth: usize,
    budget: Budget,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template").field("src", &self.src).finish()
    }
}

/// Runs `f` on the caller's stack when `depth` is shallow, else on a thread whose stack
/// holds that many levels: recursion as deep as the limits allow cannot overflow.
fn with_stack<T: Send>(depth: usize, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    if depth <= INLINE_DEPTH {
        return Ok(f());
    }
    let size = (depth + INLINE_DEPTH).saturating_mul(STACK_PER_LEVEL);
    std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .name("template".into())
            .stack_size(size)
            .spawn_scoped(s, f)
            .map_err(|e| Error(format!("template: vnet: no stack for its nesting: {e}")))?;
        t.join()
            .map_err(|_| Error("template: vnet: the template's thread failed".into()))
    })
}

impl Template {
    /// Parses a template that may call the builtins. Errors read like Go's, e.g.
    /// `template: :1: function "foo" not defined`.
    pub fn parse(src: &str) -> Result<Template, Error> {
        Template::parse_with(src, &[])
    }

    /// Parses a template that may also call `funcs` (Go's `New("").Funcs(m).Parse(src)`).
    pub fn parse_with(src: &str, funcs: &[Func]) -> Result<Template, Error> {
        // Each level of nesting opens with `{{` or `(`: their count bounds the depth.
        let most = src.matches("{{").count() + src.matches('(').count();
        let most = most.min(MAX_CONTROL_DEPTH + MAX_PAREN_DEPTH + 1);
        let (root, depth) = with_stack(most, || parse::parse(src, funcs))??;
        Ok(Template {
            src: src.into(),
            root,
            funcs: funcs.to_vec(),
            depth,
            budget: Budget::default(),
        })
    }

    /// Executes the template against `data`. Errors read like Go's, e.g.
    /// `template: :1:2: executing "" at <.X.Y>: can't evaluate field Y in type string`.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        self.run(data, false)
    }

    /// Executes with Go's `missingkey=error`: a field missing from an object is an error
    /// (`map has no entry for key "X"`), as docker/cli's inspector does when a field is not
    /// in the object.
    pub fn execute_strict(&self, data: &Value) -> Result<String, Error> {
        self.run(data, true)
    }

    /// Executes against `data` standing for Go structs: `types` names the struct at each
    /// path of object keys from the root (`""` the root itself, `"Actor"` a field of it), and
    /// a field missing from one of those is Go's error for a struct (`can't evaluate field X
    /// in type *formatter.ContainerContext`); other objects are maps (a missing key is no
    /// value). Only fields reached from the root through those objects are known as
    /// structs; inside `range` and `with` they read as maps.
    pub fn execute_typed(&self, data: &Value, types: &[(&str, &str)]) -> Result<String, Error> {
        let structs: Vec<(usize, String)> = types
            .iter()
            .filter_map(|(path, name)| {
                let mut cur = data;
                for k in path.split('.').filter(|k| !k.is_empty()) {
                    cur = cur.get(k)?;
                }
                Some((
                    std::ptr::from_ref(cur.as_object()?) as usize,
                    (*name).to_string(),
                ))
            })
            .collect();
        self.run_mode(
            data,
            exec::Mode {
                strict: false,
                structs: &structs,
            },
        )
    }

    fn run(&self, data: &Value, strict: bool) -> Result<String, Error> {
        self.run_mode(
            data,
            exec::Mode {
                strict,
                structs: &[],
            },
        )
    }

    fn run_mode(&self, data: &Value, mode: exec::Mode<'_>) -> Result<String, Error> {
        with_stack(self.depth, || {
            exec::execute(&self.src, &self.funcs, &self.root, data, mode, &self.budget)
        })?
    }
}

impl Drop for Template {
    /// Drops a deep tree where its recursion fits.
    fn drop(&mut self) {
        let mut root = Some(std::mem::take(&mut self.root));
        if with_stack(self.depth, || drop(root.take())).is_err() {
            // No thread for it: leak the tree rather than overflow the caller's stack.
            std::mem::forget(root);
        }
    }
}

impl Budget {
    /// Counts `n` steps; false once over [`MAX_STEPS`].
    fn step(&self, n: u64) -> bool {
        self.steps.fetch_add(n, Ordering::Relaxed) + n <= MAX_STEPS
    }

    /// Counts `n` bytes made; false once over [`MAX_BYTES`].
    fn spend(&self, n: usize) -> bool {
        let n = n as u64;
        self.bytes.fetch_add(n, Ordering::Relaxed) + n <= MAX_BYTES
    }
}
