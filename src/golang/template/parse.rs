//! The template parser: tokens to a tree of nodes.
//!
//! Mirrors Go's `text/template/parse` (`parse.go`, `node.go`): lists of text and actions,
//! `if`/`else if`/`with`/`else with`/`range`/`break`/`continue`, pipelines with variable
//! declarations and assignments, commands and their operands, field chains, variables in
//! scope, functions looked up at parse time (`function "x" not defined`). Errors read like
//! Go's: `template: :LINE: message`.

use super::funcs::{Func, is_builtin};
use super::lex::{Tok, Token, lex};
use super::{MAX_CONTROL_DEPTH, MAX_PAREN_DEPTH, MAX_PIPELINE_CMDS};
use crate::golang::strconv::quote;
use serde_json::Value;
use std::fmt;

/// A template error; the message reads like Go's (`template: :1: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub(super) type Res<T> = Result<T, Error>;
/// A byte range of the source, used for error positions and contexts.
pub(super) type Span = (usize, usize);

const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "break", "continue", "define", "template", "block",
];

/// Parses `src` into its top-level list, with `funcs` callable besides the builtins, and
/// how deep the list nests (controls and parentheses).
pub(super) fn parse(src: &str, funcs: &[Func]) -> Res<(Vec<Node>, usize)> {
    let mut p = Parser {
        src,
        funcs,
        toks: lex(src),
        i: 0,
        vars: vec!["$".into()],
        loops: 0,
        controls: 0,
        parens: 0,
        deepest: 0,
    };
    match p.list()? {
        (root, Item::Eof) => Ok((root, p.deepest)),
        (_, Item::End) => Err(p.error("unexpected {{end}}")),
        _ => Err(p.error("unexpected {{else}}")),
    }
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Text(String),
    Action(Pipe),
    /// `if` (or `with` when the flag is set): pipeline, body, else body.
    If(bool, Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(super) struct Pipe {
    pub(super) at: Span,
    pub(super) decl: Vec<String>,
    pub(super) assign: bool,
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(super) struct Cmd {
    pub(super) at: Span,
    pub(super) args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub(super) struct Arg {
    pub(super) at: Span,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
    Dot,
    Nil,
    Lit(Value),
    Var(String),
    Func(String),
    Pipe(Pipe),
    /// Field accesses on an operand: `.A.B` is `Chain(Dot, [A, B])`.
    Chain(Box<Arg>, Vec<String>),
}

/// What the parser found at a list position; all but `Node` end a list.
enum Item {
    Node(Node),
    Eof,
    End,
    /// `{{else}}`; `true` when an `if`/`with` follows (left for the caller).
    Else(bool),
}

struct Parser<'a> {
    src: &'a str,
    /// The functions registered besides the builtins.
    funcs: &'a [Func],
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    loops: usize,
    /// The `if`/`with`/`range` around the current position.
    controls: usize,
    /// The parentheses around the current position (Go's `stackDepth`).
    parens: usize,
    /// The most of `controls + parens` so far.
    deepest: usize,
}

impl Parser<'_> {
    // The lexer ends every token list with `Eof`, so it is never empty, and the index is
    // kept within it.
    #[allow(clippy::indexing_slicing)]
    fn cur(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len().saturating_sub(1))]
    }

    /// Where the token before the current one ends.
    fn prev_end(&self) -> usize {
        self.toks.get(self.i.wrapping_sub(1)).map_or(0, |t| t.end)
    }

    fn peek(&self) -> &Tok {
        &self.cur().tok
    }

    fn next(&mut self) -> Token {
        let t = self.cur().clone();
        self.i += 1;
        t
    }

    fn error(&self, msg: impl fmt::Display) -> Error {
        let last = self
            .toks
            .get(self.i.saturating_sub(1))
            .or(self.toks.last())
            .map_or(0, |t| t.pos);
        let line = 1 + self
            .src
            .get(..last)
            .unwrap_or_default()
            .matches('\n')
            .count();
        Error(format!("template: :{line}: {msg}"))
    }

    fn unexpected(&self, t: &Token, ctx: &str) -> Error {
        let what = match &t.tok {
            Tok::Error(msg) => return self.error(msg),
            Tok::Eof => "EOF".into(),
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) => format!("<{w}>"),
            Tok::Text(s) => quote10(s),
            _ => quote10(&self.src[t.pos..t.end]),
        };
        self.error(format_args!("unexpected {what} in {ctx}"))
    }

    fn expect_right(&mut self, ctx: &str) -> Res<()> {
        let t = self.next();
        match t.tok {
            Tok::Right => Ok(()),
            _ => Err(self.unexpected(&t, ctx)),
        }
    }

    fn list(&mut self) -> Res<(Vec<Node>, Item)> {
        let mut nodes = vec![];
        loop {
            let t = self.next();
            let item = match t.tok {
                Tok::Eof => Item::Eof,
                Tok::Text(s) => Item::Node(Node::Text(s)),
                Tok::Left => self.action()?,
                _ => return Err(self.unexpected(&t, "input")),
            };
            match item {
                Item::Node(n) => nodes.push(n),
                stop => return Ok((nodes, stop)),
            }
        }
    }

    fn action(&mut self) -> Res<Item> {
        let kw = match self.peek() {
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) => w.clone(),
            _ => return Ok(Item::Node(Node::Action(self.pipeline("command")?))),
        };
        self.i += 1;
        Ok(match kw.as_str() {
            "if" | "with" | "range" => Item::Node(self.control(&kw)?),
            "else" if matches!(self.peek(), Tok::Word(w) if w == "if" || w == "with") => {
                Item::Else(true)
            }
            "else" => {
                self.expect_right("else")?;
                Item::Else(false)
            }
            "end" => {
                self.expect_right("end")?;
                Item::End
            }
            "break" | "continue" if self.loops == 0 => {
                return Err(self.error(format_args!("{{{{{kw}}}}} outside {{{{range}}}}")));
            }
            "break" | "continue" => {
                self.expect_right(&format!("{{{{{kw}}}}}"))?;
                Item::Node(if kw == "break" {
                    Node::Break
                } else {
                    Node::Continue
                })
            }
            _ => return Err(self.error(format_args!("{{{{{kw}}}}} is not supported"))),
        })
    }

    fn control(&mut self, kw: &str) -> Res<Node> {
        if self.controls >= MAX_CONTROL_DEPTH {
            return Err(self.error(format_args!(
                "vnet: if, with and range nested deeper than its limit of {MAX_CONTROL_DEPTH}"
            )));
        }
        self.controls += 1;
        self.deepest = self.deepest.max(self.controls + self.parens);
        let node = self.control_body(kw);
        self.controls -= 1;
        node
    }

    fn control_body(&mut self, kw: &str) -> Res<Node> {
        let mark = self.vars.len();
        let pipe = self.pipeline(kw)?;
        let is_range = kw == "range";
        self.loops += usize::from(is_range);
        let (list, stop) = self.list()?;
        self.loops -= usize::from(is_range);
        let else_list = match stop {
            Item::End => vec![],
            Item::Else(true) if matches!(self.peek(), Tok::Word(w) if w == kw) => {
                self.i += 1;
                vec![self.control(kw)?]
            }
            Item::Else(false) => match self.list()? {
                (l, Item::End) => l,
                (_, Item::Eof) => return Err(self.error("unexpected EOF")),
                _ => return Err(self.error("expected end; found {{else}}")),
            },
            Item::Eof => return Err(self.error("unexpected EOF")),
            _ => {
                let t = self.next();
                return Err(self.unexpected(&t, "else"));
            }
        };
        self.vars.truncate(mark);
        Ok(match is_range {
            true => Node::Range(pipe, list, else_list),
            false => Node::If(kw == "with", pipe, list, else_list),
        })
    }

    fn pipeline(&mut self, ctx: &str) -> Res<Pipe> {
        let pos = self.cur().pos;
        let (mut decl, mut assign) = (vec![], false);
        while let (Tok::Var(v), Some(next)) = (self.peek(), self.toks.get(self.i + 1)) {
            let (v, next) = (v.clone(), next.tok.clone());
            match next {
                Tok::Declare | Tok::Assign | Tok::Comma => self.i += 2,
                _ => break,
            }
            if next == Tok::Assign && !self.vars.contains(&v) {
                return Err(self.error(format_args!("undefined variable {}", quote(&v))));
            }
            assign = next == Tok::Assign;
            decl.push(v.clone());
            self.vars.push(v);
            match next {
                Tok::Comma if ctx != "range" || decl.len() > 1 => {
                    return Err(self.error(format_args!("too many declarations in {ctx}")));
                }
                Tok::Comma if !matches!(self.peek(), Tok::Var(_)) => {
                    return Err(self.error("range can only initialize variables"));
                }
                Tok::Comma => {}
                _ => break,
            }
        }
        let mut cmds: Vec<Cmd> = vec![];
        loop {
            let t = self.next();
            match t.tok {
                Tok::Right | Tok::RParen => {
                    self.i -= usize::from(t.tok == Tok::RParen);
                    break;
                }
                Tok::Lit(_) | Tok::Dot | Tok::Nil | Tok::Field(..) | Tok::Var(_) | Tok::LParen => {}
                Tok::Word(ref w) if !KEYWORDS.contains(&w.as_str()) => {}
                _ => return Err(self.unexpected(&t, ctx)),
            }
            self.i -= 1;
            cmds.push(self.command()?);
            if cmds.len() > MAX_PIPELINE_CMDS {
                return Err(self.error("pipeline too long"));
            }
        }
        if cmds.is_empty() {
            return Err(self.error(format_args!("missing value for {ctx}")));
        }
        let literal = |c: &Cmd| {
            c.args
                .first()
                .is_some_and(|a| matches!(a.kind, Kind::Lit(_) | Kind::Dot | Kind::Nil))
        };
        if let Some(i) = cmds.iter().skip(1).position(literal) {
            let stage = i + 2;
            return Err(self.error(format_args!(
                "non executable command in pipeline stage {stage}"
            )));
        }
        let end = cmds.last().map_or(pos, |c| c.at.1);
        Ok(Pipe {
            at: (pos, end),
            decl,
            assign,
            cmds,
        })
    }

    fn command(&mut self) -> Res<Cmd> {
        let pos = self.cur().pos;
        let mut args = vec![];
        while let Some(a) = self.operand()? {
            args.push(a);
        }
        let t = self.next();
        match t.tok {
            Tok::Right | Tok::RParen => self.i -= 1,
            Tok::Pipe => {}
            _ => return Err(self.unexpected(&t, "operand")),
        }
        let end = args.last().map_or(pos, |a: &Arg| a.at.1);
        Ok(Cmd {
            at: (pos, end),
            args,
        })
    }

    fn operand(&mut self) -> Res<Option<Arg>> {
        let Some(mut arg) = self.term()? else {
            return Ok(None);
        };
        let mut names = vec![];
        while let Tok::Field(name, true) = self.peek() {
            names.push(name.clone());
            self.i += 1;
        }
        if names.is_empty() {
            return Ok(Some(arg));
        }
        let end = self.prev_end();
        match arg.kind {
            Kind::Lit(_) | Kind::Nil | Kind::Dot => {
                let term = quote(&self.src[arg.at.0..arg.at.1]);
                Err(self.error(format_args!("unexpected . after term {term}")))
            }
            Kind::Chain(_, ref mut fields) => {
                fields.extend(names);
                arg.at.1 = end;
                Ok(Some(arg))
            }
            _ => Ok(Some(Arg {
                at: (arg.at.0, end),
                kind: Kind::Chain(Box::new(arg), names),
            })),
        }
    }

    fn term(&mut self) -> Res<Option<Arg>> {
        let t = self.next();
        let kind = match t.tok {
            Tok::Error(msg) => return Err(self.error(msg)),
            Tok::Dot => Kind::Dot,
            Tok::Nil => Kind::Nil,
            Tok::Lit(v) => Kind::Lit(v),
            Tok::Field(name, _) => {
                let dot = Arg {
                    at: (t.pos, t.pos + 1),
                    kind: Kind::Dot,
                };
                Kind::Chain(Box::new(dot), vec![name])
            }
            Tok::Var(v) if self.vars.contains(&v) => Kind::Var(v),
            Tok::Var(v) => {
                return Err(self.error(format_args!("undefined variable {}", quote(&v))));
            }
            Tok::Word(w) if is_builtin(&w) || self.funcs.iter().any(|f| f.name == w) => {
                Kind::Func(w)
            }
            Tok::Word(w) if !KEYWORDS.contains(&w.as_str()) => {
                return Err(self.error(format_args!("function {} not defined", quote(&w))));
            }
            Tok::LParen => {
                if self.parens >= MAX_PAREN_DEPTH {
                    return Err(self.error("max expression depth exceeded"));
                }
                self.parens += 1;
                self.deepest = self.deepest.max(self.controls + self.parens);
                let p = self.pipeline("parenthesized pipeline");
                self.parens -= 1;
                self.i += 1; // the `)`: the lexer guarantees parens balance
                Kind::Pipe(p?)
            }
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        };
        Ok(Some(Arg {
            at: (t.pos, self.prev_end()),
            kind,
        }))
    }
}

fn quote10(s: &str) -> String {
    match s.char_indices().nth(10) {
        Some((i, _)) => quote(&s[..i]) + "...",
        None => quote(s),
    }
}
