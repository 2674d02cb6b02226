//! Go `text/template` for `--format` strings, evaluated over `serde_json::Value`.
//!
//! Mirrors Go's `text/template` (actions, trim markers, comments, pipelines, variables,
//! `if`/`else if`/`with`/`range`/`break`/`continue`, the builtin functions) plus the
//! function map of docker/cli's `templates/templates.go` (`json`, `split`, `join`,
//! `title`, `lower`, `upper`, `pad`, `truncate`). Values print like Go's `fmt` `%v` on
//! data decoded from JSON; a missing object key is Go's "no value" (`<no value>`).
//! Not supported: `define`, `template`, `block`, `call`, custom delimiters.

use serde_json::{Number, Value};
use std::cmp::Ordering;
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

type Res<T> = Result<T, Error>;
/// An evaluated value; `None` is Go's "no value" (e.g. a missing map key).
type Val = Option<Value>;
/// A byte range of the source, used for error positions and contexts.
type Span = (usize, usize);

const MANY: usize = usize::MAX;
/// The functions templates may call: Go's builtins (less `call`) and docker/cli's.
const FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery", "json", "split", "join", "title", "lower", "upper",
    "pad", "truncate",
];
const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "break", "continue", "define", "template", "block",
];

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Text(String),
    Left,
    Right,
    /// An identifier or keyword.
    Word(String),
    /// `.Name`, and whether it directly follows the previous token (a chain).
    Field(String, bool),
    Var(String),
    Lit(Value),
    Dot,
    Nil,
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
    Char(char),
    Eof,
    Error(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
    end: usize,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Token>,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, pred: impl Fn(char) -> bool) -> bool {
        let c = self.peek().filter(|&c| pred(c));
        self.pos += c.map_or(0, char::len_utf8);
        c.is_some()
    }

    fn push(&mut self, tok: Tok, pos: usize) {
        let end = self.pos;
        self.toks.push(Token { tok, pos, end });
    }

    /// `}}` or ` -}}` at the cursor: its length and whether it trims the following text.
    fn right_delim(&self) -> Option<(usize, bool)> {
        let r = self.rest();
        if r.starts_with("}}") {
            Some((2, false))
        } else if r.starts_with(is_space) && r[1..].starts_with("-}}") {
            Some((4, true))
        } else {
            None
        }
    }

    fn run(mut self) -> Vec<Token> {
        let mut trim = false;
        loop {
            let start = self.pos;
            let open = self.rest().find("{{").map(|i| start + i);
            let stop = open.unwrap_or(self.src.len());
            let after = &self.src[stop..];
            let ltrim = after.starts_with("{{-") && after[3..].starts_with(is_space);
            let mut text = &self.src[start..stop];
            if trim {
                text = text.trim_start_matches(is_space);
            }
            if ltrim {
                text = text.trim_end_matches(is_space);
            }
            self.pos = stop;
            if !text.is_empty() {
                self.push(Tok::Text(text.to_string()), start);
            }
            if open.is_none() {
                self.push(Tok::Eof, stop);
                return self.toks;
            }
            self.pos = stop + if ltrim { 4 } else { 2 };
            match self.action(stop) {
                Ok(t) => trim = t,
                Err(msg) => {
                    self.push(Tok::Error(msg), self.pos);
                    return self.toks;
                }
            }
        }
    }

    /// Lexes a comment or an action; returns whether its right delimiter trims.
    fn action(&mut self, open: usize) -> Result<bool, String> {
        if self.rest().starts_with("/*") {
            self.pos += self.rest()[2..].find("*/").ok_or("unclosed comment")? + 4;
            let (n, trim) = self
                .right_delim()
                .ok_or("comment ends before closing delimiter")?;
            self.pos += n;
            return Ok(trim);
        }
        self.push(Tok::Left, open);
        let mut depth = 0;
        loop {
            let start = self.pos;
            if let Some((n, trim)) = self.right_delim() {
                if depth > 0 {
                    return Err("unclosed left paren".into());
                }
                self.pos += n;
                self.push(Tok::Right, start);
                return Ok(trim);
            }
            let c = self.peek().ok_or("unclosed action")?;
            self.pos += c.len_utf8();
            let tok = match c {
                _ if is_space(c) => continue,
                '=' => Tok::Assign,
                ':' if self.eat(|c| c == '=') => Tok::Declare,
                ':' => return Err("expected :=".into()),
                '|' => Tok::Pipe,
                ',' => Tok::Comma,
                '(' => {
                    depth += 1;
                    Tok::LParen
                }
                ')' if depth == 0 => return Err("unexpected right paren".into()),
                ')' => {
                    depth -= 1;
                    Tok::RParen
                }
                '"' | '\'' | '`' => self.quoted(c)?,
                '.' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => {
                    let glued = !self.src[..start].ends_with(is_space);
                    match self.word(start)? {
                        "." => Tok::Dot,
                        w => Tok::Field(w[1..].to_string(), glued),
                    }
                }
                '+' | '-' | '.' | '0'..='9' => {
                    while self.eat(|c| c.is_ascii_alphanumeric() || "_.".contains(c))
                        || (self.src[..self.pos].ends_with(['e', 'E'])
                            && self.eat(|c| "+-".contains(c)))
                    {}
                    let text = &self.src[start..self.pos];
                    let n = parse_number(text)
                        .ok_or_else(|| format!("bad number syntax: {}", go_quote(text)))?;
                    Tok::Lit(n)
                }
                '$' => Tok::Var(self.word(start)?.to_string()),
                c if is_alnum(c) => match self.word(start)? {
                    "true" => Tok::Lit(Value::Bool(true)),
                    "false" => Tok::Lit(Value::Bool(false)),
                    "nil" => Tok::Nil,
                    w => Tok::Word(w.to_string()),
                },
                c if c.is_ascii_graphic() => Tok::Char(c),
                c => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X}",
                        c as u32
                    ));
                }
            };
            self.push(tok, start);
        }
    }

    /// Finishes the word begun at `start`; it must end at a terminator.
    fn word(&mut self, start: usize) -> Result<&str, String> {
        while self.eat(is_alnum) {}
        match self.peek() {
            Some(c) if !(is_space(c) || ".,|:()}".contains(c)) => {
                Err(format!("bad character U+{:04X} '{c}'", c as u32))
            }
            _ => Ok(&self.src[start..self.pos]),
        }
    }

    /// Lexes a quoted string, raw string or char constant into its value.
    fn quoted(&mut self, q: char) -> Result<Tok, String> {
        let start = self.pos - 1;
        let what = match q {
            '"' => "unterminated quoted string",
            '\'' => "unterminated character constant",
            _ => "unterminated raw quoted string",
        };
        loop {
            let c = self.peek().filter(|&c| q == '`' || c != '\n').ok_or(what)?;
            self.pos += c.len_utf8();
            if c == q {
                break;
            }
            if c == '\\' && q != '`' && !self.eat(|e| e != '\n') {
                return Err(what.into());
            }
        }
        let s = unquote(&self.src[start..self.pos]).ok_or("invalid syntax")?;
        let mut chars = s.chars();
        Ok(Tok::Lit(match (q, chars.next(), chars.next()) {
            ('\'', Some(c), None) => Value::from(c as u32),
            ('\'', ..) => return Err("invalid syntax".into()),
            _ => Value::String(s),
        }))
    }
}

/// Go's `strconv.Unquote` for `"..."`, `'...'` and raw strings.
fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    if q == '`' {
        return Some(body.replace('\r', ""));
    }
    let mut out = String::new();
    let mut it = body.chars();
    while let Some(c) = it.next() {
        out.push(match c {
            '\\' => {
                let e = it.next()?;
                let (n, radix) = match e {
                    'x' => (2, 16),
                    'u' => (4, 16),
                    'U' => (8, 16),
                    '0'..='7' => (2, 8),
                    _ => (0, 0),
                };
                if n == 0 {
                    let i = "abfnrtv\\".find(e);
                    let simple = i.and_then(|i| "\x07\x08\x0c\n\r\t\x0b\\".chars().nth(i));
                    simple.or((e == q).then_some(e))?
                } else {
                    let mut digits = if radix == 8 {
                        e.to_string()
                    } else {
                        String::new()
                    };
                    for _ in 0..n {
                        digits.push(it.next().filter(|d| d.is_digit(radix))?);
                    }
                    char::from_u32(u32::from_str_radix(&digits, radix).ok()?)?
                }
            }
            c if c == q => return None,
            c => c,
        });
    }
    Some(out)
}

/// Parses a Go number literal: ints (also hex, octal, binary) stay ints, the rest are floats.
fn parse_number(text: &str) -> Option<Value> {
    let t = text.replace('_', "").to_ascii_lowercase();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (digits, radix) = match body.get(..2) {
        Some("0x") => (&body[2..], 16),
        Some("0o") => (&body[2..], 8),
        Some("0b") => (&body[2..], 2),
        _ if body.len() > 1 && body.starts_with('0') => (&body[1..], 8),
        _ => (body, 10),
    };
    if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
        let i = i128::from_str_radix(digits, radix).ok()?;
        let i = if neg { -i } else { i };
        return i64::try_from(i)
            .map(Value::from)
            .or_else(|_| u64::try_from(i).map(Value::from))
            .ok();
    }
    if radix == 16 || radix == 2 || body.starts_with(char::is_alphabetic) {
        return None;
    }
    let f: f64 = body.parse().ok()?;
    Number::from_f64(if neg { -f } else { f }).map(Value::Number)
}

// ---------------------------------------------------------------- parser

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Pipe),
    /// `if` (or `with` when the flag is set): pipeline, body, else body.
    If(bool, Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
struct Pipe {
    at: Span,
    decl: Vec<String>,
    assign: bool,
    cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
struct Cmd {
    at: Span,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
struct Arg {
    at: Span,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
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
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    loops: usize,
}

impl Parser<'_> {
    fn cur(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
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
        let last = &self.toks[self.i.saturating_sub(1).min(self.toks.len() - 1)];
        let line = 1 + self.src[..last.pos].matches('\n').count();
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
                return Err(self.error(format_args!("undefined variable {}", go_quote(&v))));
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
        }
        if cmds.is_empty() {
            return Err(self.error(format_args!("missing value for {ctx}")));
        }
        let literal = |c: &Cmd| matches!(c.args[0].kind, Kind::Lit(_) | Kind::Dot | Kind::Nil);
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
        let end = self.toks[self.i - 1].end;
        match arg.kind {
            Kind::Lit(_) | Kind::Nil | Kind::Dot => {
                let term = go_quote(&self.src[arg.at.0..arg.at.1]);
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
                return Err(self.error(format_args!("undefined variable {}", go_quote(&v))));
            }
            Tok::Word(w) if FUNCS.contains(&w.as_str()) => Kind::Func(w),
            Tok::Word(w) if !KEYWORDS.contains(&w.as_str()) => {
                return Err(self.error(format_args!("function {} not defined", go_quote(&w))));
            }
            Tok::LParen => {
                let p = self.pipeline("parenthesized pipeline")?;
                self.i += 1; // the `)`: the lexer guarantees parens balance
                Kind::Pipe(p)
            }
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        };
        Ok(Some(Arg {
            at: (t.pos, self.toks[self.i - 1].end),
            kind,
        }))
    }
}

fn quote10(s: &str) -> String {
    match s.char_indices().nth(10) {
        Some((i, _)) => go_quote(&s[..i]) + "...",
        None => go_quote(s),
    }
}

// ---------------------------------------------------------------- template

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    root: Vec<Node>,
}

impl Template {
    /// Parses a template. Errors read like Go's, e.g.
    /// `template: :1: function "foo" not defined`.
    pub fn parse(src: &str) -> Result<Template, Error> {
        let toks = Lexer {
            src,
            pos: 0,
            toks: vec![],
        }
        .run();
        let mut p = Parser {
            src,
            toks,
            i: 0,
            vars: vec!["$".into()],
            loops: 0,
        };
        match p.list()? {
            (root, Item::Eof) => Ok(Template {
                src: src.into(),
                root,
            }),
            (_, Item::End) => Err(p.error("unexpected {{end}}")),
            _ => Err(p.error("unexpected {{else}}")),
        }
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

    fn run(&self, data: &Value, strict: bool) -> Result<String, Error> {
        let vars = vec![("$".into(), Some(data.clone()))];
        let mut st = State {
            src: &self.src,
            vars,
            out: String::new(),
            strict,
        };
        st.walk(data, &self.root)?;
        Ok(st.out)
    }
}

// ---------------------------------------------------------------- executor

enum Flow {
    Next,
    Break,
    Continue,
}

struct State<'a> {
    src: &'a str,
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
                            Some(v) => fmt_value(&mut self.out, &v, &V),
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
                return Err(self.err(p.at, format!("range can't iterate over {}", sprint_v(&v))));
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
        let (lo, hi) = match name {
            "not" | "len" | "json" | "title" | "lower" | "upper" => (1, 1),
            "ne" | "lt" | "le" | "gt" | "ge" | "split" | "join" | "truncate" => (2, 2),
            "pad" => (3, 3),
            "eq" => (2, MANY),
            "print" | "println" | "html" | "js" | "urlquery" => (0, MANY),
            _ => (1, MANY),
        };
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
        builtin(name, vals).map_err(|m| self.err(at, format!("error calling {name}: {m}")))
    }
}

fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if int_of(n).is_some() => "int",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn int_of(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

// ---------------------------------------------------------------- functions

fn wrong_type(want: &str, v: &Value) -> String {
    format!(
        "wrong type for value; expected {want}; got {}",
        type_name(v)
    )
}

fn str_arg(v: &Value) -> Result<&str, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Null => Ok(""),
        _ => Err(wrong_type("string", v)),
    }
}

fn int_arg(v: &Value) -> Result<i64, String> {
    let n = v
        .as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
    n.ok_or_else(|| wrong_type("int", v))
}

fn count_arg(v: &Value) -> Result<usize, String> {
    usize::try_from(int_arg(v)?).map_err(|_| "negative count".to_string())
}

/// Calls a builtin with evaluated arguments (`call` checked their number).
fn builtin(name: &str, args: Vec<Val>) -> Result<Val, String> {
    if name == "index" {
        let mut it = args.into_iter();
        return index(it.next().flatten(), it.map(|v| v.unwrap_or(Value::Null)));
    }
    // Like Go passing a missing value to an `any` parameter: it becomes nil.
    let v: Vec<Value> = args.into_iter().map(|v| v.unwrap_or(Value::Null)).collect();
    let s = |i: usize| str_arg(&v[i]);
    let cmp = |ok: fn(Ordering) -> bool| compare(&v[0], &v[1]).map(|o| Value::Bool(ok(o)));
    Ok(Some(match name {
        "not" => Value::Bool(!truth(&v[0])),
        "len" => match &v[0] {
            Value::String(s) => s.len(),
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            Value::Null => 0,
            x => return Err(format!("len of type {}", type_name(x))),
        }
        .into(),
        "slice" => slice(&v[0], &v[1..])?,
        "print" => sprint(&v).into(),
        "println" => (v.iter().map(sprint_v).collect::<Vec<_>>().join(" ") + "\n").into(),
        "printf" => sprintf(s(0)?, &v[1..]).into(),
        "eq" => {
            let hit = v[1..]
                .iter()
                .map(|b| equal(&v[0], b))
                .find(|r| r != &Ok(false));
            Value::Bool(hit.transpose()?.is_some())
        }
        "ne" => Value::Bool(!equal(&v[0], &v[1])?),
        "lt" => cmp(Ordering::is_lt)?,
        "le" => cmp(Ordering::is_le)?,
        "gt" => cmp(Ordering::is_gt)?,
        "ge" => cmp(Ordering::is_ge)?,
        "html" | "js" | "urlquery" => match v.as_slice() {
            [Value::String(text)] => escaper(name, text),
            _ => escaper(name, &sprint(&v)),
        }
        .into(),
        "json" => json(&v[0]).into(),
        "split" => {
            let (text, sep) = (s(0)?, s(1)?);
            Value::Array(match sep {
                "" => text.chars().map(|c| c.to_string().into()).collect(),
                _ => text.split(sep).map(Value::from).collect(),
            })
        }
        "join" => match &v[0] {
            Value::Array(a) => a
                .iter()
                .map(sprint_v)
                .collect::<Vec<_>>()
                .join(s(1)?)
                .into(),
            Value::Null => "".into(),
            x => return Err(wrong_type("[]string", x)),
        },
        "title" => title(s(0)?).into(),
        "lower" => s(0)?.to_lowercase().into(),
        "upper" => s(0)?.to_uppercase().into(),
        "pad" => match (s(0)?, count_arg(&v[1])?, count_arg(&v[2])?) {
            ("", ..) => "".into(),
            (t, b, a) => format!("{}{t}{}", " ".repeat(b), " ".repeat(a)).into(),
        },
        "truncate" => s(0)?
            .chars()
            .take(count_arg(&v[1])?)
            .collect::<String>()
            .into(),
        _ => return Err(format!("function {} not defined", go_quote(name))),
    }))
}

/// Go's `html`, `js` and `urlquery` escapers.
fn escaper(name: &str, text: &str) -> String {
    match name {
        "html" => escape(text, |c| {
            let e = match c {
                '"' => "&#34;",
                '\'' => "&#39;",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\0' => "\u{FFFD}",
                _ => return None,
            };
            Some(e.into())
        }),
        "js" => escape(text, |c| match c {
            '\\' | '\'' | '"' => Some(format!("\\{c}")),
            c if "<>&=`".contains(c) || c.is_control() => Some(format!("\\u{:04X}", c as u32)),
            _ => None,
        }),
        _ => text
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect(),
    }
}

/// Go's `index`: object keys, array and string indices; a missing key is no value.
fn index(item: Val, idx: impl Iterator<Item = Value>) -> Result<Val, String> {
    let mut cur = item;
    for i in idx {
        cur = match cur {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => match &i {
                Value::String(k) => m.get(k).cloned(),
                _ => {
                    return Err(format!(
                        "value has type {}; should be string",
                        type_name(&i)
                    ));
                }
            },
            Some(Value::Array(mut a)) => {
                let n = int_arg(&i)
                    .map_err(|_| format!("cannot index slice/array with type {}", type_name(&i)))?;
                let k = usize::try_from(n).ok().filter(|&k| k < a.len());
                Some(a.swap_remove(k.ok_or_else(|| format!("index out of range: {n}"))?))
            }
            Some(Value::String(s)) => {
                let n = int_arg(&i)?;
                let b = usize::try_from(n)
                    .ok()
                    .and_then(|k| s.as_bytes().get(k).copied());
                Some(b.ok_or_else(|| format!("index out of range: {n}"))?.into())
            }
            Some(x) => return Err(format!("can't index item of type {}", type_name(&x))),
        };
    }
    Ok(cur)
}

/// Go's `slice item [low [high [max]]]` on strings (bytes) and arrays.
fn slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let len = match item {
        _ if idx.len() > 3 => return Err(format!("too many slice indexes: {}", idx.len())),
        Value::String(_) if idx.len() > 2 => return Err("cannot 3-index slice a string".into()),
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        x => return Err(format!("can't slice item of type {}", type_name(x))),
    };
    let mut ix = [0, len, len];
    for (k, v) in idx.iter().enumerate() {
        let i = int_arg(v)?;
        ix[k] = usize::try_from(i)
            .ok()
            .filter(|&u| u <= len)
            .ok_or_else(|| format!("index out of range: {i}"))?;
    }
    if let Some(w) = ix
        .windows(2)
        .take(idx.len().max(2) - 1)
        .find(|w| w[0] > w[1])
    {
        return Err(format!("invalid slice index: {} > {}", w[0], w[1]));
    }
    Ok(match item {
        Value::String(s) => String::from_utf8_lossy(&s.as_bytes()[ix[0]..ix[1]]).into(),
        Value::Array(a) => a[ix[0]..ix[1]].into(),
        _ => Value::Null,
    })
}

/// `eq`: numbers compare by value, null equals only null, other kinds must match.
fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => a.is_null() && b.is_null(),
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => a == b,
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => a == b,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn num_cmp(x: &Number, y: &Number) -> Option<Ordering> {
    match (int_of(x), int_of(y)) {
        (Some(i), Some(j)) => Some(i.cmp(&j)),
        _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
    }
}

/// `lt` and friends: numbers with numbers, strings with strings.
fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            num_cmp(x, y).ok_or_else(|| "invalid type for comparison".into())
        }
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            Err("incompatible types for comparison".into())
        }
        _ => Err("invalid type for comparison".into()),
    }
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
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

/// Replaces each char for which `map` returns a replacement.
fn escape(s: &str, map: impl Fn(char) -> Option<String>) -> String {
    s.chars()
        .map(|c| map(c).unwrap_or_else(|| c.to_string()))
        .collect()
}

/// docker/cli's `json` function: a JSON encoder with HTML escaping turned off.
fn json(v: &Value) -> String {
    super::gojson::encode(v, false)
}

// ---------------------------------------------------------------- fmt

/// One printf directive: flags `-`, `+`, `0`, a width, a precision and the verb.
#[derive(Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
    verb: char,
}

const V: Spec = Spec {
    minus: false,
    plus: false,
    zero: false,
    width: 0,
    prec: None,
    verb: 'v',
};

fn sprint_v(v: &Value) -> String {
    let mut out = String::new();
    fmt_value(&mut out, v, &V);
    out
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !a.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        fmt_value(&mut out, a, &V);
    }
    out
}

fn read_num(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n = None;
    while let Some(d) = it.next_if(char::is_ascii_digit) {
        n = Some(n.unwrap_or(0) * 10 + (d as usize - '0' as usize));
    }
    n
}

/// Go's `fmt.Sprintf` for the common verbs, including its `%!` error notations.
fn sprintf(format: &str, args: &[Value]) -> String {
    let (mut out, mut used) = (String::new(), 0);
    let mut it = format.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut sp = V;
        while let Some(f) = it.next_if(|c| "-+0 #".contains(*c)) {
            sp.minus |= f == '-';
            sp.plus |= f == '+';
            sp.zero |= f == '0';
        }
        sp.width = read_num(&mut it).unwrap_or(0);
        if it.next_if_eq(&'.').is_some() {
            sp.prec = Some(read_num(&mut it).unwrap_or(0));
        }
        match (it.next(), args.get(used)) {
            (None, _) => out.push_str("%!(NOVERB)"),
            (Some('%'), _) => out.push('%'),
            (Some(verb), None) => out.push_str(&format!("%!{verb}(MISSING)")),
            (Some(verb), Some(a)) => {
                used += 1;
                sp.verb = verb;
                sp.plus &= verb != 'v';
                fmt_value(&mut out, a, &sp);
            }
        }
    }
    if used < args.len() {
        let extra: Vec<String> = args[used..]
            .iter()
            .map(|a| {
                if a.is_null() {
                    "<nil>".into()
                } else {
                    format!("{}={}", type_name(a), sprint_v(a))
                }
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// Formats like Go's fmt with one verb; arrays and maps apply it to each element.
fn fmt_value(out: &mut String, v: &Value, sp: &Spec) {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                fmt_value(out, e, sp);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                out.push_str(if i > 0 { " " } else { "" });
                fmt_value(out, &Value::String(k.clone()), sp);
                out.push(':');
                fmt_value(out, &m[k], sp);
            }
            out.push(']');
        }
        _ => match leaf(v, sp) {
            Some(s) => pad(out, &s, sp, v.is_number()),
            None if v.is_null() => out.push_str(&format!("%!{}(<nil>)", sp.verb)),
            None => out.push_str(&format!("%!{}({}={})", sp.verb, type_name(v), sprint_v(v))),
        },
    }
}

/// Formats a scalar without padding; `None` when the verb does not apply to it.
fn leaf(v: &Value, sp: &Spec) -> Option<String> {
    let sign = |s: String| {
        if sp.plus && !s.starts_with('-') {
            format!("+{s}")
        } else {
            s
        }
    };
    Some(match (v, sp.verb) {
        (Value::Null, 'v') => "<nil>".into(),
        (Value::Bool(b), 'v' | 't') => b.to_string(),
        (Value::String(s), 'v' | 's') => s.chars().take(sp.prec.unwrap_or(usize::MAX)).collect(),
        (Value::String(s), 'q') => go_quote(s),
        (Value::String(s), 'x') => s.bytes().map(|b| format!("{b:02x}")).collect(),
        (Value::String(s), 'X') => s.bytes().map(|b| format!("{b:02X}")).collect(),
        (Value::Number(n), verb) => match (int_of(n), verb) {
            (Some(i), 'd' | 'v') => sign(i.to_string()),
            (Some(i), 'x' | 'X') => {
                let h = format!("{}{:x}", if i < 0 { "-" } else { "" }, i.unsigned_abs());
                if verb == 'X' { h.to_uppercase() } else { h }
            }
            (Some(i), 'c') => char::from_u32(u32::try_from(i).ok()?)?.to_string(),
            (Some(_), _) => return None,
            (None, 'v' | 'g') => sign(fmt_g(n.as_f64()?, sp.prec)),
            (None, 'f' | 'F') => sign(format!("{:.*}", sp.prec.unwrap_or(6), n.as_f64()?)),
            (None, 'e') => sign(go_exp(&format!(
                "{:.*e}",
                sp.prec.unwrap_or(6),
                n.as_f64()?
            ))),
            (None, _) => return None,
        },
        _ => return None,
    })
}

/// Rewrites Rust's `1.5e3` exponent notation as Go's `1.5e+03`.
fn go_exp(s: &str) -> String {
    let (m, e) = s.split_once('e').unwrap_or((s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Go's `%v`/`%g` for floats: shortest (or `prec` significant) digits, in exponent form
/// when the exponent is below -4 or at least the precision (6 when shortest).
fn fmt_g(f: f64, prec: Option<usize>) -> String {
    let s = match prec {
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
        None => format!("{f:e}"),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f == 0.0 || (-4..prec.map_or(6, |p| p.max(1) as i32)).contains(&exp) {
        let rounded: f64 = s.parse().unwrap_or(f);
        format!("{rounded}")
    } else {
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        go_exp(&format!("{mant}e{exp}"))
    }
}

/// Pads to the spec's width: on the left, on the right (`-`), or with zeros after the sign.
fn pad(out: &mut String, s: &str, sp: &Spec, numeric: bool) {
    let fill = sp.width.saturating_sub(s.chars().count());
    if sp.minus {
        out.push_str(s);
        out.push_str(&" ".repeat(fill));
    } else if sp.zero && numeric {
        let split = usize::from(s.starts_with(['-', '+']));
        out.push_str(&s[..split]);
        out.push_str(&"0".repeat(fill));
        out.push_str(&s[split..]);
    } else {
        out.push_str(&" ".repeat(fill));
        out.push_str(s);
    }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let body = escape(s, |c| {
        let named = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\x07' => "\\a",
            '\x08' => "\\b",
            '\x0c' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\x0b' => "\\v",
            c if c < ' ' || c == '\x7f' => return Some(format!("\\x{:02x}", c as u32)),
            c if c.is_control() => return Some(format!("\\u{:04x}", c as u32)),
            _ => return None,
        };
        Some(named.into())
    });
    format!("\"{body}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Checks one case per line, `template => expected`, where `⏎` stands for a newline and
    /// `⇥` for a tab; an error's message stands in for the output.
    fn check(data: &Value, spec: &str) {
        for line in spec.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
            let (src, want) = line.split_once(" => ").expect(line);
            let decode = |s: &str| s.replace('⏎', "\n").replace('⇥', "\t");
            let (src, want) = (decode(src), decode(want));
            let got = Template::parse(&src)
                .and_then(|t| t.execute(data))
                .unwrap_or_else(|e| e.0);
            assert_eq!(got, want, "template {src:?}");
        }
    }

    fn data() -> Value {
        json!({
            "Name": "web", "ID": "abc123", "Count": 16, "Ratio": 0.5, "On": true, "Nil": null,
            "Tags": ["a", "b", "c"], "Empty": [], "Labels": {"z": "1", "a": "2"},
            "NetworkSettings": {"Networks": {
                "bridge": {"IPAddress": "172.17.0.2"}, "alpha": {"IPAddress": "10.0.0.2"}}},
            "Containers": [{"Name": "c1"}, {"Name": "c2"}],
        })
    }

    #[test]
    fn text_and_fields() {
        let spec = r#"
            hello => hello
            {{.Name}} => web
            {{ .Name }}! => web!
            {{.NetworkSettings.Networks.bridge.IPAddress}} => 172.17.0.2
            {{.ID}}⇥{{.Name}} => abc123⇥web
            a⏎{{.Count}}⏎ => a⏎16⏎
        "#;
        check(&data(), spec);
    }

    #[test]
    fn field_lookup_is_case_sensitive() {
        let spec = "{{.name}}|{{.NAME}}|{{.Name}} => <no value>|<no value>|web";
        check(&data(), spec);
    }

    #[test]
    fn missing_key_is_no_value() {
        let spec = r#"
            {{.Missing}} => <no value>
            {{.Missing.Deeper}} => <no value>
            {{$.Missing}} => <no value>
            {{print .Missing}} => <nil>
        "#;
        check(&data(), spec);
    }

    #[test]
    fn null_prints_nil_and_field_on_null_is_lenient() {
        let spec = "{{.Nil}}|{{.Nil.Foo.Bar}}|{{.Tags}} => <nil>|<nil>|[a b c]";
        check(&data(), spec);
    }

    #[test]
    fn field_on_scalar_is_an_error() {
        let spec = r#"
            {{.Name.Foo}} => template: :1:2: executing "" at <.Name.Foo>: can't evaluate field Foo in type string
            x⏎ {{.Count.X}} => template: :2:3: executing "" at <.Count.X>: can't evaluate field X in type int
            {{.Ratio.X}} => template: :1:2: executing "" at <.Ratio.X>: can't evaluate field X in type float64
            {{$x := .Tags}}{{$x.X}} => template: :1:17: executing "" at <$x.X>: can't evaluate field X in type []interface {}
        "#;
        check(&data(), spec);
    }

    #[test]
    fn printing_numbers_and_bools() {
        let d = json!({"i": 16, "neg": -3, "f": 0.5, "big": 1e21, "whole": 2.0, "mil": 1234567.0,
            "small": 0.00001, "u": u64::MAX, "t": true, "f2": false});
        let spec = r#"
            {{.i}} {{.neg}} {{.f}} {{.whole}} {{.u}} => 16 -3 0.5 2 18446744073709551615
            {{.big}} {{.mil}} {{.small}} => 1e+21 1.234567e+06 1e-05
            {{.t}} {{.f2}} => true false
        "#;
        check(&d, spec);
    }

    #[test]
    fn printing_arrays_and_maps() {
        let d =
            json!({"arr": [1, null, {"y": 2, "x": [true]}], "obj": {"b": "x", "a": {}}, "e": []});
        let spec = r#"
            {{.arr}} => [1 <nil> map[x:[true] y:2]]
            {{.obj}} => map[a:map[] b:x]
            {{.}} => map[arr:[1 <nil> map[x:[true] y:2]] e:[] obj:map[a:map[] b:x]]
        "#;
        check(&d, spec);
    }

    #[test]
    fn string_literals() {
        let spec = r#"
            {{"a\tb\n\"q\" \u00e9 \x41 \101 \U0001F600"}} => a⇥b⏎"q" é A A 😀
            {{`raw \n "x"`}} => raw \n "x"
            {{'a'}} {{'\n'}} {{'é'}} => 97 10 233
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn number_and_constant_literals() {
        let spec = r#"
            {{1}} {{1.5}} {{-2}} {{+7}} {{1_000}} {{1e3}} {{.5}} {{2.0}} => 1 1.5 -2 7 1000 1000 0.5 2
            {{0x1F}} {{0o17}} {{017}} {{0b101}} => 31 15 15 5
            {{true}} {{false}} {{print nil}} => true false <nil>
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn dollar_and_variables() {
        let spec = r#"
            {{$.Name}} => web
            {{$x := .Name}}{{$x}} => web
            {{$n := .NetworkSettings}}{{$n.Networks.bridge.IPAddress}} => 172.17.0.2
            {{$x := 1}}{{$x = 2}}{{$x}} => 2
            {{$x := .Tags}}{{index $x 2}} => c
        "#;
        check(&data(), spec);
        check(&json!("root"), "{{$}} {{.}} => root root");
    }

    #[test]
    fn variable_scoping() {
        let spec = r#"
            {{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}} => 21
            {{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}} => 2
            {{$x := 0}}{{range .Tags}}{{$x = .}}{{end}}{{$x}} => c
            {{range .Tags}}{{$v := .}}{{end}}{{$v}} => template: :1: undefined variable "$v"
            {{with $w := 1}}{{end}}{{$w}} => template: :1: undefined variable "$w"
            {{$y = 1}} => template: :1: undefined variable "$y"
        "#;
        check(&data(), spec);
    }

    #[test]
    fn if_else_if_else() {
        let t = "{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}";
        for (n, want) in [(1, "one"), (2, "two"), (3, "many")] {
            assert_eq!(
                Template::parse(t)
                    .unwrap()
                    .execute(&json!({ "N": n }))
                    .unwrap(),
                want
            );
        }
        let spec = "{{if .Missing}}y{{else}}n{{end}}{{if .On}}Y{{end}} => nY";
        check(&data(), spec);
    }

    #[test]
    fn truthiness() {
        let d = json!({"a": 0, "b": "", "c": null, "d": [], "e": {}, "f": false, "g": 0.0,
            "h": "x", "i": [0], "j": 1, "k": {"x": 0}, "l": true});
        let t = "{{range $k, $v := .}}{{$k}}{{if $v}}T{{else}}F{{end}}{{end}}{{if .Nope}}T{{else}}F{{end}}";
        check(&d, &format!("{t} => aFbFcFdFeFfFgFhTiTjTkTlTF"));
    }

    #[test]
    fn with_and_else() {
        let spec = r#"
            {{with .NetworkSettings}}{{.Networks.bridge.IPAddress}}{{end}} => 172.17.0.2
            {{with .Missing}}x{{else}}none{{end}} => none
            {{with $v := .Name}}{{$v}}={{.}}{{end}} => web=web
            {{with .Empty}}a{{else with .Name}}{{.}}{{end}} => web
        "#;
        check(&data(), spec);
    }

    #[test]
    fn range_over_arrays() {
        let spec = r#"
            {{range .Tags}}{{.}},{{end}} => a,b,c,
            {{range $i, $v := .Tags}}{{$i}}:{{$v}};{{end}} => 0:a;1:b;2:c;
            {{range $v := .Tags}}{{$v}}{{end}} => abc
            {{range .Containers}}{{.Name}};{{end}} => c1;c2;
            {{range $i, $v = .Tags}}{{end}} => template: :1: undefined variable "$v"
        "#;
        check(&data(), spec);
    }

    #[test]
    fn range_over_maps_in_sorted_key_order() {
        let spec = r#"
            {{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}{{"\n"}}{{end}} => alpha=10.0.0.2⏎bridge=172.17.0.2⏎
            {{range .Labels}}{{.}}{{end}} => 21
        "#;
        check(&data(), spec);
    }

    #[test]
    fn range_over_empty_null_and_missing() {
        let spec = r#"
            {{range .Empty}}x{{else}}empty{{end}} => empty
            {{range .Nil}}x{{else}}null{{end}} => null
            {{range .Missing}}x{{end}}ok => ok
            {{range .Name}}{{end}} => template: :1:8: executing "" at <.Name>: range can't iterate over web
        "#;
        check(&data(), spec);
    }

    #[test]
    fn range_over_an_int() {
        let spec =
            "{{range $i := 3}}{{$i}}{{end}}|{{range .Count}}.{{end}} => 012|................";
        check(&data(), spec);
    }

    #[test]
    fn break_and_continue() {
        let spec = r#"
            {{range .n}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}} => 13
            {{range .n}}{{range $.n}}{{break}}{{end}}{{if gt . 2}}{{break}}{{end}}{{.}}{{end}} => 12
            {{break}} => template: :1: {{break}} outside {{range}}
            {{range .n}}{{continue 1}}{{end}} => template: :1: unexpected "1" in {{continue}}
        "#;
        check(&json!({"n": [1, 2, 3, 4, 5]}), spec);
    }

    #[test]
    fn nested_range_if_with_and_variables() {
        let d = json!({"Prefix": ">", "Groups": [{"Name": "g1", "Items": ["x", "y"]}, {"Name": "g2", "Items": []}]});
        let t = "{{range $g := .Groups}}{{$g.Name}}:{{range $i, $it := .Items}}{{with $}}{{.Prefix}}{{end}}\
                 {{$it}}{{if not $i}},{{end}}{{else}}-{{end}};{{end}}";
        check(&d, &format!("{t} => g1:>x,>y;g2:-;"));
    }

    #[test]
    fn trim_markers() {
        let spec = r#"
            a  {{- .Name -}}  ⏎ b => awebb
            a {{- 3}} => a3
            {{-3}} => -3
            {{range .Tags -}}⏎  {{.}}⏎{{- end}} => abc
            x⇥{{- "y" }}⇥z => xy⇥z
        "#;
        check(&data(), spec);
    }

    #[test]
    fn comments() {
        let spec = r#"
            x{{/* a comment */}}y => xy
            x ⏎{{- /* trimmed */ -}}⏎ y => xy
            {{/* x */ .Name}} => template: :1: comment ends before closing delimiter
        "#;
        check(&data(), spec);
    }

    #[test]
    fn pipelines_into_functions() {
        let spec = r#"
            {{.Name | printf "%s!"}} => web!
            {{"b" | printf "%s-%s" "a"}} => a-b
            {{.Name | upper | printf "[%s]"}} => [WEB]
            {{len (split .ID "1")}} => 2
            {{.Name | "x"}} => template: :1: non executable command in pipeline stage 2
        "#;
        check(&data(), spec);
    }

    #[test]
    fn field_access_on_parenthesized_pipelines() {
        let d =
            json!({"M": {"k": {"IPAddress": "1.2.3.4"}}, "P": {"80/tcp": [{"HostPort": "8080"}]}});
        let spec = r#"
            {{(index .M "k").IPAddress}} => 1.2.3.4
            {{range $p, $c := .P}}{{$p}}->{{(index $c 0).HostPort}}{{end}} => 80/tcp->8080
            {{(index .M "nope").IPAddress}} => <no value>
        "#;
        check(&d, spec);
    }

    #[test]
    fn and_or_not() {
        let spec = r#"
            {{or .a .b}} {{or .a .n}} {{and .b .a}}|{{and .b 1}} => B 0 |1
            {{not .a}} {{not .b}} {{or .a "default"}} => true false default
            {{and .a (index .b 9)}}x => x
            {{.b | or .a}} => B
        "#;
        check(&json!({"a": "", "b": "B", "n": 0}), spec);
    }

    #[test]
    fn len_and_index() {
        let spec = r#"
            {{len .Tags}} {{len .Name}} {{len .Labels}} {{len .Nil}} => 3 3 2 0
            {{index .Tags 1}} {{index .Labels "z"}} {{index .Name 0}} => b 1 119
            {{index . "NetworkSettings" "Networks" "alpha" "IPAddress"}} => 10.0.0.2
            {{index .Labels "nope"}} => <no value>
            {{index .Tags 5}} => template: :1:2: executing "" at <index .Tags 5>: error calling index: index out of range: 5
            {{index .Tags 1 2 3 4 5 6 7}} => template: :1:2: executing "" at <index .Tags 1 2 3 4 ...>: error calling index: index out of range: 2
        "#;
        check(&data(), spec);
    }

    #[test]
    fn slice_function() {
        let spec = r#"
            {{slice .Tags 1}} {{slice .Tags 1 2}} {{slice .Tags 0 1 2}} {{slice .Name 0 2}} {{slice .Name}} => [b c] [b] [a] we web
            {{slice .Tags 2 1}} => template: :1:2: executing "" at <slice .Tags 2 1>: error calling slice: invalid slice index: 2 > 1
            {{slice .Name 0 1 2}} => template: :1:2: executing "" at <slice .Name 0 1 2>: error calling slice: cannot 3-index slice a string
        "#;
        check(&data(), spec);
    }

    #[test]
    fn print_and_println() {
        let spec = r#"
            {{print 1 2 "a" "b" 3}} => 1 2ab3
            {{println .Name .Count}} => web 16⏎
            {{print .Tags .Missing}} => [a b c] <nil>
        "#;
        check(&data(), spec);
    }

    #[test]
    fn printf_verbs() {
        let spec = r#"
            {{printf "%s|%d|%v|%q|%t|%x|%%" .Name .Count .Ratio .Name .On 255}} => web|16|0.5|"web"|true|ff|%
            {{printf "%.2f %6.1f %e %g %X %x %c" 3.14159 2.25 1234.5 0.000012 255 "hi" 65}} => 3.14    2.2 1.234500e+03 1.2e-05 FF 6869 A
            {{printf "%v %s %d" .Tags .Labels .Tags}} => [a b c] map[a:2 z:1] [%!d(string=a) %!d(string=b) %!d(string=c)]
        "#;
        check(&data(), spec);
    }

    #[test]
    fn printf_width_and_flags() {
        let spec = r#"
            {{printf "[%-10s][%10s][%5d][%-5d][%05d][%+d][%.3s]" "ab" "cd" 42 42 -42 5 "abcdef"}} => [ab        ][        cd][   42][42   ][-0042][+5][abc]
            {{printf "%-8s|%8.2f|" .Name .Ratio}} => web     |    0.50|
            {{printf "%6.2v|%.3g|%.2g|%g|%.1f" 3.14159 1234.5678 1000.0 100000.0 0.25}} =>    3.1|1.23e+03|1e+03|100000|0.2
        "#;
        check(&data(), spec);
    }

    #[test]
    fn printf_bad_verbs_and_arg_counts() {
        let spec = r#"
            {{printf "%d %s %d %d" "x" 5 1}} => %!d(string=x) %!s(int=5) 1 %!d(MISSING)
            {{printf "%d" 1 "x" nil}} => 1%!(EXTRA string=x, <nil>)
            {{printf "%v %s %" .Nil .Nil}} => <nil> %!s(<nil>) %!(NOVERB)
        "#;
        check(&data(), spec);
    }

    #[test]
    fn eq_and_ne() {
        let spec = r#"
            {{eq .i 3}} {{eq .i .f}} {{eq .s "a" "b"}} {{eq .s "x" "y"}} {{ne .i 4}} {{ne .s "b"}} => true true true false true false
            {{eq .Missing nil}} {{eq .s nil}} => true false
            {{eq .i "3"}} => template: :1:2: executing "" at <eq .i "3">: error calling eq: incompatible types for comparison
        "#;
        check(&json!({"i": 3, "f": 3.0, "s": "b"}), spec);
    }

    #[test]
    fn ordering_comparisons() {
        let spec = r#"
            {{lt .i 4}} {{le .i 3}} {{gt .i 3}} {{ge .f 3}} {{lt .s "c"}} {{gt .s "c"}} {{lt 1.5 2}} => true true false true true false true
            {{lt true false}} => template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison
            {{lt 1 "a"}} => template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison
        "#;
        check(&json!({"i": 3, "f": 3.0, "s": "b"}), spec);
    }

    #[test]
    fn html_js_urlquery() {
        let spec = r#"
            {{html "<a href='x'>&\""}} => &lt;a href=&#39;x&#39;&gt;&amp;&#34;
            {{js "it's <b>"}} => it\'s \u003Cb\u003E
            {{urlquery "a b&c=d/é"}} {{urlquery 1 2}} => a+b%26c%3Dd%2F%C3%A9 1+2
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn json_keeps_key_order() {
        let d: Value =
            serde_json::from_str(r#"{"z": 1, "a": {"y": [1, 2.5, null, true], "b": "x"}}"#)
                .unwrap();
        check(
            &d,
            r#"{{json .}} => {"z":1,"a":{"y":[1,2.5,null,true],"b":"x"}}"#,
        );
        let nets = r#"{"bridge":{"IPAddress":"172.17.0.2"},"alpha":{"IPAddress":"10.0.0.2"}}"#;
        check(
            &data(),
            &format!("{{{{json .NetworkSettings.Networks}}}} => {nets}"),
        );
    }

    #[test]
    fn json_escaping_and_numbers() {
        let spec = r#"
            {{json .s}} => "<a>&\u2028\u2029\"\\\n\t\u0001é"
            {{json .Missing}}|{{json nil}}|{{json 1e21}}|{{json 0.5}}|{{json 2.0}}|{{json 1e-7}} => null|null|1e+21|0.5|2|1e-7
        "#;
        check(&json!({"s": "<a>&\u{2028}\u{2029}\"\\\n\t\u{1}é"}), spec);
        let out = Template::parse("{{json .}}")
            .unwrap()
            .execute(&json!([1]))
            .unwrap();
        assert_eq!(out, "[1]", "no trailing newline");
    }

    #[test]
    fn split_and_join() {
        let d = json!({"Image": "nginx:1.25", "Args": ["-g", "daemon off;"]});
        let spec = r#"
            {{split .Image ":"}} {{index (split .Image ":") 1}} {{split "ab" ""}} => [nginx 1.25] 1.25 [a b]
            {{join .Args ","}} {{join (split "a.b.c" ".") "/"}} => -g,daemon off; a/b/c
        "#;
        check(&d, spec);
    }

    #[test]
    fn title_lower_upper() {
        let spec = r#"
            {{title .s}} => Hello WORLD Foo_bar X-Y
            {{lower .s}}|{{upper .s}} => hello world foo_bar x-y|HELLO WORLD FOO_BAR X-Y
        "#;
        check(&json!({"s": "hello wORLD foo_bar x-y"}), spec);
    }

    #[test]
    fn pad_and_truncate() {
        let spec = r#"
            [{{pad .ID 2 3}}][{{pad "" 2 3}}] => [  abc123   ][]
            {{truncate .ID 3}} {{truncate .ID 99}} {{truncate "héllo" 2}} => abc abc123 hé
            {{truncate .ID "x"}} => template: :1:2: executing "" at <truncate .ID "x">: error calling truncate: wrong type for value; expected int; got string
        "#;
        check(&data(), spec);
    }

    #[test]
    fn parse_errors_from_the_brief() {
        let spec = r#"
            {{.Foo} => template: :1: unexpected "}" in operand
            {{foo}} => template: :1: function "foo" not defined
            {{if .X}} => template: :1: unexpected EOF
            {{range .X}}{{else}} => template: :1: unexpected EOF
            line1⏎line2 {{foo}} => template: :2: function "foo" not defined
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn parse_errors_for_structure() {
        let spec = r#"
            {{end}} => template: :1: unexpected {{end}}
            {{else}} => template: :1: unexpected {{else}}
            {{if 1}}{{else}}{{else}}{{end}} => template: :1: expected end; found {{else}}
            {{range .X}}{{else if 1}}{{end}} => template: :1: unexpected <if> in else
            {{if $a, $b := 1}}{{end}} => template: :1: too many declarations in if
            {{.X | if}} => template: :1: unexpected <if> in command
            {{}} => template: :1: missing value for command
            {{if}}{{end}} => template: :1: missing value for if
            {{$x}} => template: :1: undefined variable "$x"
            {{template "x"}} => template: :1: {{template}} is not supported
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn parse_errors_from_the_lexer() {
        let spec = r#"
            {{.X => template: :1: unclosed action
            {{"abc}} => template: :1: unterminated quoted string
            {{(1}} => template: :1: unclosed left paren
            {{1)}} => template: :1: unexpected right paren
            {{/* x }} => template: :1: unclosed comment
            {{3x}} => template: :1: bad number syntax: "3x"
            {{"x".Y}} => template: :1: unexpected . after term "\"x\""
            {{.X#}} => template: :1: bad character U+0023 '#'
        "#;
        check(&json!({}), spec);
    }

    #[test]
    fn runtime_errors() {
        let spec = r#"
            {{.Name 1}} => template: :1:2: executing "" at <.Name>: Name is not a method but has arguments
            {{1 2}} => template: :1:2: executing "" at <1>: can't give argument to non-function 1
            {{nil}} => template: :1:2: executing "" at <nil>: nil is not a command
            {{len 3}} => template: :1:2: executing "" at <len 3>: error calling len: len of type int
            {{lower 3}} => template: :1:2: executing "" at <lower 3>: error calling lower: wrong type for value; expected string; got int
            {{not 1 2}} => template: :1:2: executing "" at <not 1 2>: wrong number of args for not: want 1 got 2
            {{printf}} => template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0
        "#;
        check(&data(), spec);
    }

    #[test]
    fn docker_style_formats() {
        let d = json!({
            "Config": {"Labels": {"com.example.k": "v"}, "Env": ["A=1", "B=2"]},
            "State": {"ExitCode": 0, "Status": "running"}, "Name": "/web", "ID": "0123456789abcdef",
        });
        let spec = r#"
            {{index .Config.Labels "com.example.k"}} => v
            {{range $e := .Config.Env}}{{$e}};{{end}} => A=1;B=2;
            {{ if eq 0.0 .State.ExitCode }}{{.Name }} ok{{end }} => /web ok
            {{if eq .State.Status "running" "restarting"}}up{{end}} => up
            {{.Config.Env}} => [A=1 B=2]
            {{truncate .ID 12}}\t{{.Name}} => 0123456789ab\t/web
        "#;
        check(&d, spec);
    }

    #[test]
    fn error_type_and_template_reuse() {
        let e = Template::parse("{{foo}}").err().unwrap();
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), e.0);
        let t = Template::parse("{{.N}}").unwrap();
        assert_eq!(t.execute(&json!({"N": 1})).unwrap(), "1");
        assert_eq!(t.execute(&json!({"N": "two"})).unwrap(), "two");
        assert_eq!(
            Template::parse("").unwrap().execute(&json!(null)).unwrap(),
            ""
        );
    }
}
