//! The template executor: a tree of nodes run against data.
//!
//! Mirrors Go's `text/template/exec.go`: `walk` over the nodes with dot and the variable
//! stack, `range` over arrays, objects (in sorted key order), integers, `break` and
//! `continue`, pipelines feeding the previous command's value as the last argument, field
//! chains (a missing key is "no value", an error under `missingkey=error`), function calls
//! with their argument counts, and errors that read like Go's:
//! `template: :LINE:COL: executing "" at <CONTEXT>: message`.

use super::funcs::{Func, Val, arity, builtin, truth};
use super::parse::{Arg, Cmd, Error, Kind, Node, Pipe, Res, Span};
use crate::golang::fmt::{sprint_value, type_name, write_value};
use serde_json::Value;
use std::fmt;

/// Runs `root` against `data`; `strict` is `missingkey=error`.
pub(super) fn execute(
    src: &str,
    funcs: &[Func],
    root: &[Node],
    data: &Value,
    strict: bool,
) -> Res<String> {
    let mut st = State {
        src,
        funcs,
        vars: vec![("$".into(), Some(data.clone()))],
        out: String::new(),
        strict,
    };
    st.walk(data, root)?;
    Ok(st.out)
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
}

impl State<'_> {
    fn err(&self, at: Span, msg: impl fmt::Display) -> Error {
        let before = &self.src[..at.0];
        let line = 1 + before.matches('\n').count();
        let col = at.0 - before.rfind('\n').map_or(0, |i| i + 1);
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
            let mark = self.vars.len();
            let flow = match n {
                Node::Text(s) => {
                    self.out.push_str(s);
                    Flow::Next
                }
                Node::Action(p) => {
                    let v = self.pipe(dot, p)?;
                    if p.decl.is_empty() {
                        match v {
                            Some(v) => write_value(&mut self.out, &v),
                            None => self.out.push_str("<no value>"),
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
                (0..n.as_u64().unwrap_or(0))
                    .map(|i| (i.into(), i.into()))
                    .collect()
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
            let vals = if p.decl.len() == 2 {
                vec![k, e.clone()]
            } else {
                vec![e.clone()]
            };
            for (d, v) in p.decl.iter().zip(vals) {
                self.set_var(p, d, Some(v))?;
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
        let (first, has_args) = (&c.args[0], c.args.len() > 1 || fin.is_some());
        let msg = match &first.kind {
            Kind::Func(name) => return self.call(dot, name, c.at, &c.args[1..], fin),
            Kind::Nil => "nil is not a command".to_string(),
            Kind::Chain(_, f) if has_args => {
                format!("{} is not a method but has arguments", f[f.len() - 1])
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
            Kind::Dot => Some(dot.clone()),
            Kind::Nil => Some(Value::Null),
            Kind::Lit(v) => Some(v.clone()),
            Kind::Var(name) => self.lookup(a, name)?.cloned(),
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
                self.fields(a, start, names)?
            }
        })
    }

    /// Follows `.A.B`: a missing key gives no value; null stays null (lenient).
    fn fields(&self, a: &Arg, start: Option<&Value>, names: &[String]) -> Res<Val> {
        let mut cur = start;
        for n in names {
            cur = match cur {
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
        let mut vals = args
            .iter()
            .map(|a| self.arg(dot, a))
            .collect::<Res<Vec<_>>>()?;
        vals.extend(fin);
        let result = match registered {
            // Like Go passing a missing value to an `any` parameter: it becomes nil.
            Some(f) => {
                let vals: Vec<Value> = vals.into_iter().map(|v| v.unwrap_or(Value::Null)).collect();
                (f.call)(&vals).map(Some)
            }
            None => builtin(name, vals),
        };
        result.map_err(|m| self.err(at, format!("error calling {name}: {m}")))
    }
}
