//! The template executor: a tree of nodes run against data.
//!
//! Mirrors Go's `text/template/exec.go`: `walk` over the nodes with dot and the variable
//! stack, `range` over arrays, objects (in sorted key order), integers, `break` and
//! `continue`, pipelines feeding the previous command's value as the last argument, field
//! chains (a missing key is "no value", an error under `missingkey=error`), function calls
//! with their argument counts, and errors that read like Go's:
//! `template: :LINE:COL: executing "" at <CONTEXT>: message`. Every step and every byte
//! written or copied is counted against the template's [`Budget`] (vnet's limits).

use super::funcs::{Func, Val, arity, builtin, truth};
use super::parse::{Arg, Cmd, Error, Kind, Node, Pipe, Res, Span};
use super::{Budget, MAX_BYTES, MAX_STEPS, MAX_VALUE, value_too_large};
use crate::golang::fmt::{sprint_value, type_name, write_value};
use serde_json::Value;
use std::fmt;

/// How missing fields read.
pub(super) struct Mode<'a> {
    /// `missingkey=error`.
    pub strict: bool,
    /// The objects of the data that stand for Go structs (by address), and their types'
    /// names.
    pub structs: &'a [(usize, String)],
}

/// Runs `root` against `data`.
pub(super) fn execute(
    src: &str,
    funcs: &[Func],
    root: &[Node],
    data: &Value,
    mode: Mode<'_>,
    budget: &Budget,
) -> Res<String> {
    let mut st = State {
        src,
        funcs,
        vars: vec![("$".into(), Some(data.clone()))],
        out: String::new(),
        strict: mode.strict,
        structs: mode.structs,
        budget,
        at: None,
    };
    st.walk(data, root)?;
    Ok(st.out)
}

/// The bytes a value takes in memory, roughly: a `Value` for each node (32 bytes), its
/// text, and a key's for each object entry.
pub(super) fn size(v: &Value) -> usize {
    const NODE: usize = 32;
    match v {
        Value::String(s) => NODE + s.len(),
        Value::Array(a) => a.iter().fold(NODE, |n, e| n.saturating_add(size(e))),
        Value::Object(m) => m.iter().fold(NODE, |n, (k, e)| {
            n.saturating_add(NODE + k.len()).saturating_add(size(e))
        }),
        _ => NODE,
    }
}

/// How a list ended: normally, or by `{{break}}` or `{{continue}}`.
enum Flow {
    Next,
    Break,
    Continue,
}

struct State<'a> {
    src: &'a str,
    funcs: &'a [Func],
    vars: Vec<(String, Val)>,
    out: String,
    /// `missingkey=error`.
    strict: bool,
    /// The objects that stand for Go structs (see [`Mode`]).
    structs: &'a [(usize, String)],
    budget: &'a Budget,
    /// The last pipeline or range evaluated, for a limit's error.
    at: Option<Span>,
}

impl State<'_> {
    /// An error at the last place evaluated (Go's `s.node`), or without one.
    fn err_here(&self, msg: impl fmt::Display) -> Error {
        match self.at {
            Some(at) => self.err(at, msg),
            None => Error(format!("template: : {msg}")),
        }
    }

    /// Counts `n` steps against [`MAX_STEPS`].
    fn step(&self, n: u64) -> Res<()> {
        match self.budget.step(n) {
            true => Ok(()),
            false => Err(self.err_here(format_args!(
                "vnet: template execution over its limit of {MAX_STEPS} steps"
            ))),
        }
    }

    /// Counts `n` bytes written or made against [`MAX_BYTES`].
    fn spend(&self, n: usize) -> Res<()> {
        match self.budget.spend(n) {
            true => Ok(()),
            false => Err(self.err_here(format_args!(
                "vnet: template output and values over their limit of {} MiB",
                MAX_BYTES >> 20
            ))),
        }
    }

    /// Counts a value made or copied; refuses one over [`MAX_VALUE`].
    fn made(&self, v: Val) -> Res<Val> {
        let n = v.as_ref().map_or(0, size);
        if n > MAX_VALUE {
            return Err(self.err_here(value_too_large()));
        }
        self.spend(n)?;
        Ok(v)
    }

    /// Appends to the output, counted.
    fn write(&mut self, s: &str) -> Res<()> {
        self.spend(s.len())?;
        self.out.push_str(s);
        Ok(())
    }

    fn err(&self, at: Span, msg: impl fmt::Display) -> Error {
        // Go places a chain of fields (`.A.B`, `$x.A`) where its second field starts
        // (parse.go `operand`: the chain's position is the peeked token's).
        let text = self.src.get(at.0..at.1).unwrap_or("");
        let pos = match text.chars().next() {
            Some('.' | '$') => text
                .get(1..)
                .and_then(|t| t.find('.'))
                .map_or(at.0, |i| at.0 + 1 + i),
            _ => at.0,
        };
        let before = &self.src[..pos];
        let line = 1 + before.matches('\n').count();
        let col = pos - before.rfind('\n').map_or(0, |i| i + 1);
        let ctx = &self.src[at.0..at.1];
        let ctx = match ctx.char_indices().nth(20) {
            Some((i, _)) => format!("{}...", &ctx[..i]),
            None => ctx.to_string(),
        };
        Error(format!(
            "template: :{line}:{col}: executing \"\" at <{ctx}>: {msg}"
        ))
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node]) -> Res<Flow> {
        for n in nodes {
            self.step(1)?;
            let mark = self.vars.len();
            let flow = match n {
                Node::Text(s) => {
                    self.write(s)?;
                    Flow::Next
                }
                Node::Action(p) => {
                    let v = self.pipe(dot, p)?;
                    if p.decl.is_empty() {
                        match v {
                            Some(v) => {
                                let start = self.out.len();
                                write_value(&mut self.out, &v);
                                self.spend(self.out.len() - start)?;
                            }
                            None => self.write("<no value>")?,
                        }
                    }
                    Flow::Next
                }
                Node::If(with, p, list, else_list) => {
                    let r = match self.pipe(dot, p)? {
                        Some(x) if truth(&x) => self.walk(if *with { &x } else { dot }, list),
                        _ => self.walk(dot, else_list),
                    };
                    self.vars.truncate(mark);
                    r?
                }
                Node::Range(p, list, else_list) => {
                    let r = self.range(dot, p, list, else_list);
                    self.vars.truncate(mark);
                    r?
                }
                Node::Break => Flow::Break,
                Node::Continue => Flow::Continue,
            };
            if !matches!(flow, Flow::Next) {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    fn range(&mut self, dot: &Value, p: &Pipe, list: &[Node], else_list: &[Node]) -> Res<Flow> {
        let items: Vec<(Value, Value)> = match self.pipe_value(dot, p)? {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .into_iter()
                .enumerate()
                .map(|(i, e)| (i.into(), e))
                .collect(),
            Some(Value::Object(m)) => {
                let mut kv: Vec<_> = m.into_iter().map(|(k, v)| (Value::String(k), v)).collect();
                kv.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
                kv
            }
            Some(Value::Number(n)) if n.as_u64().is_some() && p.decl.len() < 2 => {
                return self.range_int(dot, p, n.as_u64().unwrap_or(0), list, else_list);
            }
            Some(v) => {
                return Err(self.err(
                    p.at,
                    format!("range can't iterate over {}", sprint_value(&v)),
                ));
            }
        };
        if items.is_empty() {
            return self.walk(dot, else_list);
        }
        if !p.assign {
            self.vars.extend(p.decl.iter().map(|d| (d.clone(), None)));
        }
        let base = self.vars.len();
        for (k, e) in items {
            self.at = Some(p.at);
            self.step(1)?;
            let vals = if p.decl.len() == 2 {
                vec![k, e.clone()]
            } else {
                vec![e.clone()]
            };
            for (d, v) in p.decl.iter().zip(vals) {
                let v = self.made(Some(v))?;
                self.set_var(p, d, v)?;
            }
            let flow = self.walk(&e, list);
            self.vars.truncate(base);
            if matches!(flow?, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Next)
    }

    /// `range` over an integer: 0 to n-1, one at a time (n may be as large as `u64`'s).
    fn range_int(
        &mut self,
        dot: &Value,
        p: &Pipe,
        n: u64,
        list: &[Node],
        else_list: &[Node],
    ) -> Res<Flow> {
        if n == 0 {
            return self.walk(dot, else_list);
        }
        if !p.assign {
            self.vars.extend(p.decl.iter().map(|d| (d.clone(), None)));
        }
        let base = self.vars.len();
        for i in 0..n {
            self.at = Some(p.at);
            self.step(1)?;
            let e = Value::from(i);
            for d in &p.decl {
                self.set_var(p, d, Some(e.clone()))?;
            }
            let flow = self.walk(&e, list);
            self.vars.truncate(base);
            if matches!(flow?, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Next)
    }

    fn set_var(&mut self, p: &Pipe, name: &str, v: Val) -> Res<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(p.at, format!("undefined variable: {name}"))),
        }
    }

    fn lookup(&self, a: &Arg, name: &str) -> Res<Option<&Value>> {
        let found = self.vars.iter().rev().find(|(n, _)| n == name);
        found
            .map(|(_, v)| v.as_ref())
            .ok_or_else(|| self.err(a.at, format!("undefined variable: {name}")))
    }

    fn pipe_value(&mut self, dot: &Value, p: &Pipe) -> Res<Val> {
        self.at = Some(p.at);
        let mut fin = None;
        for c in &p.cmds {
            fin = Some(self.cmd(dot, c, fin)?);
        }
        Ok(fin.flatten())
    }

    /// Evaluates a pipeline and binds its declared or assigned variables.
    fn pipe(&mut self, dot: &Value, p: &Pipe) -> Res<Val> {
        let v = self.pipe_value(dot, p)?;
        for d in &p.decl {
            match p.assign {
                true => self.set_var(p, d, v.clone())?,
                false => self.vars.push((d.clone(), v.clone())),
            }
        }
        Ok(v)
    }

    /// Evaluates one command; `fin` is the previous command's result in a pipeline.
    fn cmd(&mut self, dot: &Value, c: &Cmd, fin: Option<Val>) -> Res<Val> {
        self.step(1)?;
        // The parser makes no command without an operand.
        let Some((first, rest)) = c.args.split_first() else {
            return Err(self.err(c.at, "empty command"));
        };
        let has_args = !rest.is_empty() || fin.is_some();
        let msg = match &first.kind {
            Kind::Func(name) => return self.call(dot, name, c.at, rest, fin),
            Kind::Nil => "nil is not a command".to_string(),
            Kind::Chain(inner, f) if has_args && self.lookup_method(dot, inner, f).is_some() => {
                return self.call_lookup_method(dot, first, inner, f, rest, fin);
            }
            Kind::Chain(_, f) if has_args => {
                let field = f.last().map_or("", String::as_str);
                format!("{field} is not a method but has arguments")
            }
            _ if has_args => format!(
                "can't give argument to non-function {}",
                &self.src[first.at.0..first.at.1]
            ),
            _ => return self.arg(dot, first),
        };
        Err(self.err(first.at, msg))
    }

    fn arg(&mut self, dot: &Value, a: &Arg) -> Res<Val> {
        Ok(match &a.kind {
            Kind::Dot => self.made(Some(dot.clone()))?,
            Kind::Nil => Some(Value::Null),
            Kind::Lit(v) => self.made(Some(v.clone()))?,
            Kind::Var(name) => {
                let v = self.lookup(a, name)?.cloned();
                self.made(v)?
            }
            Kind::Func(name) => self.call(dot, name, a.at, &[], None)?,
            Kind::Pipe(p) => self.pipe(dot, p)?,
            Kind::Chain(inner, names) => {
                let owned;
                let start = match &inner.kind {
                    Kind::Dot => Some(dot),
                    Kind::Var(name) => self.lookup(inner, name)?,
                    _ => {
                        owned = self.arg(dot, inner)?;
                        owned.as_ref()
                    }
                };
                let v = self.fields(a, start, names)?;
                self.made(v)?
            }
        })
    }

    /// A lookup method of the chain's receiver: the data gives one under the method's name
    /// followed by `()` (`"Label()"`): an object it looks its one string argument up in
    /// (docker/cli's `ContainerContext.Label(name)` reads the container's labels), or the
    /// string `"header"` for the header row's, whose column title is made of the key. (A
    /// string under `Name()` is a method without arguments: `.Name` gives it.)
    fn lookup_method(&mut self, dot: &Value, inner: &Arg, names: &[String]) -> Option<Value> {
        let (method, path) = names.split_last()?;
        let start = match &inner.kind {
            Kind::Dot => Some(dot.clone()),
            Kind::Var(name) => self.lookup(inner, name).ok().flatten().cloned(),
            _ => return None,
        };
        let mut cur = start.as_ref();
        for n in path {
            cur = cur.and_then(|v| v.get(n));
        }
        cur?.get(format!("{method}()"))
            .filter(|v| v.is_object() || v.as_str() == Some("header"))
            .cloned()
    }

    /// Calls a lookup method with its one string argument: the value under that key, or
    /// the empty string.
    fn call_lookup_method(
        &mut self,
        dot: &Value,
        first: &Arg,
        inner: &Arg,
        names: &[String],
        args: &[Arg],
        fin: Option<Val>,
    ) -> Res<Val> {
        let table = self.lookup_method(dot, inner, names).unwrap_or_default();
        let method = names.last().map_or("", String::as_str);
        let n = args.len() + usize::from(fin.is_some());
        if n != 1 {
            return Err(self.err(
                first.at,
                format!("wrong number of args for {method}: want 1 got {n}"),
            ));
        }
        let (key, at) = match args.first() {
            Some(a) => (self.arg(dot, a)?, a.at),
            None => (fin.flatten(), first.at),
        };
        let Some(Value::String(key)) = key else {
            // Go's evalArg: a constant of another kind than the parameter's.
            let got = &self.src[at.0..at.1];
            return Err(self.err(at, format!("expected string; found {got}")));
        };
        let v = match &table {
            Value::Object(m) => m.get(&key).cloned().unwrap_or_default(),
            // docker/cli's `SubHeaderContext.Label`: the key's last dot-separated part, `-`
            // and `_` as spaces.
            _ => {
                let last = key.rsplit('.').next().unwrap_or(&key);
                Value::String(last.replace(['-', '_'], " "))
            }
        };
        let v = if v.is_null() {
            Value::String(String::new())
        } else {
            v
        };
        self.made(Some(v))
    }

    /// The Go struct type object `m` stands for, if it is one of the data's structs.
    fn struct_type(&self, m: &serde_json::Map<String, Value>) -> Option<&str> {
        self.structs
            .iter()
            .find(|(p, _)| *p == std::ptr::from_ref(m) as usize)
            .map(|(_, t)| t.as_str())
    }

    /// Follows `.A.B`: a missing key gives no value; null stays null (lenient).
    fn fields(&self, a: &Arg, start: Option<&Value>, names: &[String]) -> Res<Val> {
        let mut cur = start;
        for n in names {
            cur = match cur {
                // A method without arguments (a string under `Name()`): its value.
                Some(Value::Object(m))
                    if !m.contains_key(n)
                        && m.get(&format!("{n}()"))
                            .is_some_and(|v| v.is_string() && v.as_str() != Some("header")) =>
                {
                    m.get(&format!("{n}()"))
                }
                // A method called without its argument.
                Some(Value::Object(m))
                    if !m.contains_key(n) && m.contains_key(&format!("{n}()")) =>
                {
                    return Err(
                        self.err(a.at, format!("wrong number of args for {n}: want 1 got 0"))
                    );
                }
                Some(Value::Object(m)) if !m.contains_key(n) && self.struct_type(m).is_some() => {
                    let t = self.struct_type(m).unwrap_or_default();
                    return Err(self.err(a.at, format!("can't evaluate field {n} in type {t}")));
                }
                Some(Value::Object(m)) if self.strict && !m.contains_key(n) => {
                    return Err(self.err(a.at, format!("map has no entry for key {n:?}")));
                }
                Some(Value::Object(m)) => m.get(n),
                None | Some(Value::Null) => cur,
                Some(v) => {
                    return Err(self.err(
                        a.at,
                        format!("can't evaluate field {n} in type {}", type_name(v)),
                    ));
                }
            };
        }
        Ok(cur.cloned())
    }

    fn call(
        &mut self,
        dot: &Value,
        name: &str,
        at: Span,
        args: &[Arg],
        fin: Option<Val>,
    ) -> Res<Val> {
        let n = args.len() + usize::from(fin.is_some());
        let registered = self.funcs.iter().find(|f| f.name == name);
        let (lo, hi) = registered.map_or_else(|| arity(name), |f| (f.args, f.args));
        if n < lo || n > hi {
            let want = if lo == hi {
                lo.to_string()
            } else {
                format!("at least {lo}")
            };
            return Err(self.err(
                at,
                format!("wrong number of args for {name}: want {want} got {n}"),
            ));
        }
        if name == "and" || name == "or" {
            // Short-circuit: return the first falsy (and) / truthy (or) argument, else the last.
            let mut last = None;
            for a in args {
                last = self.arg(dot, a)?;
                if last.as_ref().is_some_and(truth) == (name == "or") {
                    return Ok(last);
                }
            }
            return Ok(fin.unwrap_or(last));
        }
        let mut vals = Vec::with_capacity(n);
        let mut total = fin.as_ref().map_or(0, |v| v.as_ref().map_or(0, size));
        for a in args {
            let v = self.arg(dot, a)?;
            total = total.saturating_add(v.as_ref().map_or(0, size));
            if total > MAX_VALUE {
                return Err(self.err(at, value_too_large()));
            }
            vals.push(v);
        }
        vals.extend(fin);
        let result = match registered {
            // Like Go passing a missing value to an `any` parameter: it becomes nil.
            Some(f) => {
                let vals: Vec<Value> = vals.into_iter().map(|v| v.unwrap_or(Value::Null)).collect();
                (f.call)(&vals).map(Some)
            }
            None => builtin(name, vals),
        };
        let v = result.map_err(|m| self.err(at, format!("error calling {name}: {m}")))?;
        self.at = Some(at);
        self.made(v)
    }
}
