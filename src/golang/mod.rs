//! Go compatibility: the pieces of Go's standard library whose output Docker shows.
//!
//! A leaf: it depends on nothing of Docker, only on std and `serde_json` (the data Docker
//! hands a template is a value decoded from JSON). Each module mirrors one Go package:
//!
//! - [`template`]: `text/template` (lexer, parser, executor, builtin functions), with
//!   functions registered the way a `template.FuncMap` adds them.
//! - [`fmt`]: `fmt`'s verbs, as `print`, `printf` and `println` need them.
//! - [`json`]: `encoding/json`'s formatting and escaping (`Marshal`, `MarshalIndent`).
//! - [`sortorder`]: `github.com/fvbommel/sortorder`'s natural order, which docker/cli
//!   vendors and sorts names with.
//! - [`tabwriter`]: `text/tabwriter`'s column layout.
//! - [`strconv`]: `strconv.Quote` and `strconv.Unquote`.
//! - [`strings`]: `strings.Title` (docker/cli's `title` calls it).
//!
//! Docker's own template functions (docker/cli's `templates` package) are registered by
//! [`cli`](crate::cli).

pub mod fmt;
pub mod json;
pub mod sortorder;
pub mod strconv;
pub mod strings;
pub mod tabwriter;
pub mod template;
