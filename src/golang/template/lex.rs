//! The template lexer: a source text as tokens.
//!
//! Mirrors Go's `text/template/parse/lex.go`: text between actions, `{{`/`}}` with the trim
//! markers `{{- ` and ` -}}`, comments, identifiers and keywords, fields, variables, string,
//! raw string, character and number constants (parsed as `parse/node.go`'s `newNumber`
//! does), and the punctuation of pipelines. A lexing error ends the token stream with an
//! [`Tok::Error`] carrying Go's message.

use crate::golang::strconv::{quote, unquote};
use serde_json::{Number, Value};

/// Lexes `src` to its tokens, the last one [`Tok::Eof`] or [`Tok::Error`].
pub(super) fn lex(src: &str) -> Vec<Token> {
    Lexer {
        src,
        pos: 0,
        toks: vec![],
    }
    .run()
}

/// A token's kind and value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

/// A token and the byte range of the source it covers.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
    pub(super) end: usize,
}

/// Go's `isSpace` in an action.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`.
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
                        .ok_or_else(|| format!("bad number syntax: {}", quote(text)))?;
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
