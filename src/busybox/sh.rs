//! The shell (busybox 1.36 shell/ash.c) for what a lab types: lists joined by `;`, `&&` and
//! `||`, pipelines of `|` (with `!` to negate one), words with `'…'`, `"…"` and `\` quoting,
//! `$NAME`, `${NAME}`, `$?`, `$0`…`$9`, `$#` expanded as ash expands them (unquoted
//! expansions split at blanks, quoted ones kept whole), `NAME=value` assignments, `export`,
//! `unset`, `exit [N]` and `#` comments. `sh -c`, `docker exec -i c sh` and `docker attach`
//! all run lines through one [`Shell`].
//!
//! Redirections (`>`, `>>`, `<`, `N>&M`, `>&-`, with a descriptor before them) are opened
//! first to last, as ash opens them, onto the container's files ([`Sandbox::write_file`]) or
//! `/dev/null`. `CMD &` starts a server (`nc -l`, `httpd`) or a capture (`tcpdump`) in the
//! background: a capture sees the frames of the commands after it and ends with the shell
//! (see [`super::tcpdump`]).
//!
//! What ash has beyond that (other background jobs, here-documents, `( )`, `` ` ``,
//! `if`/`for`/`while`/`case` and the other compound commands) is refused with a clear error
//! rather than misread.
//! Syntax errors use ash's words (`sh: syntax error: unexpected "&&"`, status 2).
//!
//! The stages of a pipeline run one after another, each reading what the one before wrote:
//! every command ends by itself in virtual time, except an endless `ping`, which in a
//! pipeline (where nothing reads its output as it comes) runs until the simulation's budget
//! stops it.

use super::applet::{ExecOptions, ExecResult, MAX_GATHERED_OUTPUT, MAX_PIPE};
use super::tcpdump::Tcpdump;
use crate::docker::container::fs::FsError;
use crate::docker::sandbox::Sandbox;

/// The longest command line the shell reads; ash has no limit, but nothing a lab types
/// comes near it.
pub const MAX_LINE: usize = 64 << 10;

/// A piece of a word, before expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Literal text (from quotes, escapes or plain characters).
    Lit(String),
    /// `$NAME`, `${NAME}`, `$?`, `$#`, `$0`…`$9`: expanded when the command runs; `quoted`
    /// inside `"…"` (not split at blanks).
    Param { name: String, quoted: bool },
}

/// A word: its parts, and whether any of it was quoted (`""` is an empty word; an unquoted
/// expansion that is empty is no word at all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Word {
    parts: Vec<Part>,
    quoted: bool,
}

/// The operators ash's lexer returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Semi,
    Newline,
    And,
    Or,
    Pipe,
    Amp,
    LParen,
    RParen,
    Backquote,
    DSemi,
}

impl Op {
    /// ash's `tokname`: the quoted operator.
    fn name(self) -> &'static str {
        match self {
            Op::Semi => "\";\"",
            Op::Newline => "newline",
            Op::And => "\"&&\"",
            Op::Or => "\"||\"",
            Op::Pipe => "\"|\"",
            Op::Amp => "\"&\"",
            Op::LParen => "\"(\"",
            Op::RParen => "\")\"",
            Op::Backquote => "\"`\"",
            Op::DSemi => "\";;\"",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    Op(Op),
    /// A redirection operator, with the descriptor written before it (`2>`).
    Redir(Option<u32>, Redir),
}

/// ash's redirection operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redir {
    /// `<` (and `<>`): read a file.
    In,
    /// `>` (and `>|`): create or truncate a file.
    Out,
    /// `>>`.
    Append,
    /// `>&` (and `<&`): a copy of another descriptor, or `-` to close.
    Dup,
}

/// A syntax error, in ash's words after `sh: `.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SyntaxError(String);

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Splits `line` into ash's tokens.
fn lex(line: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word: Option<Word> = None;
    fn lit(word: &mut Option<Word>, c: char) {
        let w = word.get_or_insert_with(Word::default);
        if let Some(Part::Lit(s)) = w.parts.last_mut() {
            s.push(c);
        } else {
            w.parts.push(Part::Lit(c.to_string()));
        }
    }
    fn end(word: &mut Option<Word>, out: &mut Vec<Token>) {
        if let Some(w) = word.take() {
            out.push(Token::Word(w));
        }
    }
    // `$…` after the `$`: the parameter it names, or a literal `$`.
    fn param(
        chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
        word: &mut Option<Word>,
        quoted: bool,
    ) -> Result<(), SyntaxError> {
        let name = match chars.peek().copied() {
            Some('{') => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(SyntaxError("syntax error: missing '}'".into())),
                    }
                }
                let valid = name.chars().next().is_some_and(is_name_start)
                    && name.chars().all(is_name_char)
                    || matches!(name.as_str(), "?" | "#")
                    || (name.len() == 1 && name.chars().all(|c| c.is_ascii_digit()));
                if !valid {
                    return Err(SyntaxError("syntax error: bad substitution".into()));
                }
                name
            }
            Some('(') => {
                let what = if chars.clone().nth(1) == Some('(') {
                    "arithmetic expansion $(( ))"
                } else {
                    "command substitution $( )"
                };
                return Err(SyntaxError(format!("{what} is not simulated")));
            }
            Some(c) if c == '?' || c == '#' || c.is_ascii_digit() => {
                chars.next();
                c.to_string()
            }
            Some(c) if is_name_start(c) => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_name_char(c) {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
                name
            }
            _ => {
                lit(word, '$');
                return Ok(());
            }
        };
        word.get_or_insert_with(Word::default)
            .parts
            .push(Part::Param { name, quoted });
        Ok(())
    }
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => end(&mut word, &mut out),
            '\n' => {
                end(&mut word, &mut out);
                out.push(Token::Op(Op::Newline));
            }
            '#' if word.is_none() => {
                // A comment, to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push(Token::Op(Op::Newline));
                        break;
                    }
                }
            }
            '<' | '>' => {
                // An unquoted number right before the operator is the descriptor.
                let fd = match &word {
                    Some(Word {
                        parts,
                        quoted: false,
                    }) => match parts.as_slice() {
                        [Part::Lit(n)] if n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()) => {
                            n.parse().ok()
                        }
                        _ => None,
                    },
                    _ => None,
                };
                if fd.is_some() {
                    word = None;
                }
                end(&mut word, &mut out);
                let r = match (c, chars.peek().copied()) {
                    ('>', Some('>')) => Redir::Append,
                    ('>' | '<', Some('&')) => Redir::Dup,
                    ('>', Some('|')) => Redir::Out,
                    ('<', Some('>')) => Redir::In,
                    ('<', Some('<')) => {
                        return Err(SyntaxError("here-documents (<<) are not simulated".into()));
                    }
                    ('>', _) => Redir::Out,
                    _ => Redir::In,
                };
                if matches!(chars.peek(), Some('>' | '&' | '|')) {
                    chars.next();
                }
                out.push(Token::Redir(fd, r));
            }
            ';' | '&' | '|' | '(' | ')' | '`' => {
                end(&mut word, &mut out);
                let op = match (c, chars.peek().copied()) {
                    (';', Some(';')) => Op::DSemi,
                    (';', _) => Op::Semi,
                    ('&', Some('&')) => Op::And,
                    ('&', _) => Op::Amp,
                    ('|', Some('|')) => Op::Or,
                    ('|', _) => Op::Pipe,
                    ('(', _) => Op::LParen,
                    (')', _) => Op::RParen,
                    _ => Op::Backquote,
                };
                if matches!(op, Op::DSemi | Op::And | Op::Or) {
                    chars.next();
                }
                out.push(Token::Op(op));
            }
            '\'' => {
                let w = word.get_or_insert_with(Word::default);
                w.quoted = true;
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => s.push(c),
                        None => {
                            return Err(SyntaxError(
                                "syntax error: unterminated quoted string".into(),
                            ));
                        }
                    }
                }
                for c in s.chars() {
                    lit(&mut word, c);
                }
            }
            '"' => {
                word.get_or_insert_with(Word::default).quoted = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('$' | '`' | '"' | '\\')) => lit(&mut word, e),
                            Some('\n') => {}
                            Some(e) => {
                                lit(&mut word, '\\');
                                lit(&mut word, e);
                            }
                            None => {
                                return Err(SyntaxError(
                                    "syntax error: unterminated quoted string".into(),
                                ));
                            }
                        },
                        Some('$') => param(&mut chars, &mut word, true)?,
                        Some('`') => {
                            return Err(SyntaxError(
                                "command substitution ` ` is not simulated".into(),
                            ));
                        }
                        Some(c) => lit(&mut word, c),
                        None => {
                            return Err(SyntaxError(
                                "syntax error: unterminated quoted string".into(),
                            ));
                        }
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(e) => {
                    word.get_or_insert_with(Word::default).quoted = true;
                    lit(&mut word, e);
                }
                None => lit(&mut word, '\\'),
            },
            '$' => param(&mut chars, &mut word, false)?,
            c => lit(&mut word, c),
        }
    }
    end(&mut word, &mut out);
    Ok(out)
}

/// One simple command: its assignments (`NAME=value` before the first word), its words
/// and its redirections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Simple {
    assigns: Vec<(String, Word)>,
    words: Vec<Word>,
    redirs: Vec<(Option<u32>, Redir, Word)>,
}

/// A pipeline: commands joined by `|`, `!` negating its status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Pipeline {
    negate: bool,
    commands: Vec<Simple>,
    /// Ended by `&`: run in the background.
    background: bool,
}

/// How a pipeline joins the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Join {
    /// The first of a list, or after `;` or a newline: always runs.
    Then,
    /// After `&&`: runs if the last status was 0.
    And,
    /// After `||`: runs if the last status was not 0.
    Or,
}

/// The words ash reads as the start of a compound command.
const KEYWORDS: &[&str] = &[
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in", "then",
    "until", "while", "{", "}",
];

/// A word with no quotes and no expansions, as written.
fn plain(w: &Word) -> Option<&str> {
    match w.parts.as_slice() {
        [Part::Lit(s)] if !w.quoted => Some(s),
        _ => None,
    }
}

/// `NAME=value` (unquoted name), split.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first)) = w.parts.first() else {
        return None;
    };
    let (name, rest) = first.split_once('=')?;
    if !name.chars().next().is_some_and(is_name_start) || !name.chars().all(is_name_char) {
        return None;
    }
    let mut value = Word {
        parts: w.parts.get(1..).unwrap_or_default().to_vec(),
        quoted: w.quoted,
    };
    if !rest.is_empty() {
        value.parts.insert(0, Part::Lit(rest.to_string()));
    }
    Some((name.to_string(), value))
}

/// What a line parsed into: the pipelines with how each joins the one before.
type List = Vec<(Join, Pipeline)>;

/// ash's `list`/`andor`/`pipeline` over the tokens, refusing what vnet's shell does not run.
fn parse(tokens: Vec<Token>) -> Result<List, String> {
    let unexpected = |t: Option<&Token>| -> String {
        match t {
            None => "syntax error: unexpected end of file".into(),
            Some(Token::Op(op)) => format!("syntax error: unexpected {}", op.name()),
            Some(Token::Word(_)) => "syntax error: unexpected word".into(),
            Some(Token::Redir(..)) => "syntax error: unexpected redirection".into(),
        }
    };
    let mut list = List::new();
    let mut toks = tokens.into_iter().peekable();
    let mut join = Join::Then;
    loop {
        // Blank lines and newlines between commands.
        while toks.peek() == Some(&Token::Op(Op::Newline)) && join == Join::Then {
            toks.next();
        }
        let Some(first) = toks.peek() else {
            if join == Join::Then {
                return Ok(list);
            }
            return Err(unexpected(None));
        };
        if let Token::Op(op) = first {
            return Err(unexpected(Some(&Token::Op(*op))));
        }
        let mut pipeline = Pipeline::default();
        loop {
            let mut cmd = Simple::default();
            loop {
                let w = match toks.peek() {
                    Some(Token::Word(w)) => w.clone(),
                    Some(Token::Redir(fd, r)) => {
                        let (fd, r) = (*fd, *r);
                        toks.next();
                        match toks.next() {
                            Some(Token::Word(target)) => cmd.redirs.push((fd, r, target)),
                            t => {
                                // ash: `echo x >` ends the file; `echo x > ;` is unexpected ";".
                                return Err(match t {
                                    Some(Token::Op(Op::Newline)) => {
                                        "syntax error: unexpected newline".into()
                                    }
                                    t => unexpected(t.as_ref()),
                                });
                            }
                        }
                        continue;
                    }
                    _ => break,
                };
                toks.next();
                if cmd.words.is_empty() {
                    if !pipeline.negate && pipeline.commands.is_empty() && plain(&w) == Some("!") {
                        pipeline.negate = true;
                        continue;
                    }
                    if let Some(a) = assignment(&w) {
                        cmd.assigns.push(a);
                        continue;
                    }
                    if let Some(k) = plain(&w).filter(|k| KEYWORDS.contains(k)) {
                        return Err(format!(
                            "{k}: compound commands (if, for, while, case, {{ }}) are not simulated"
                        ));
                    }
                }
                cmd.words.push(w);
            }
            if cmd.words.is_empty() && cmd.assigns.is_empty() && cmd.redirs.is_empty() {
                return Err(unexpected(toks.peek()));
            }
            pipeline.commands.push(cmd);
            match toks.peek() {
                Some(Token::Op(Op::Pipe)) => {
                    toks.next();
                    while toks.peek() == Some(&Token::Op(Op::Newline)) {
                        toks.next();
                    }
                }
                _ => break,
            }
        }
        list.push((join, pipeline));
        join = match toks.next() {
            None => return Ok(list),
            Some(Token::Op(Op::Semi | Op::Newline)) => Join::Then,
            Some(Token::Op(Op::And)) => Join::And,
            Some(Token::Op(Op::Or)) => Join::Or,
            Some(Token::Op(Op::Amp)) => {
                if let Some((_, p)) = list.last_mut() {
                    p.background = true;
                }
                if toks.peek().is_none() {
                    return Ok(list);
                }
                Join::Then
            }
            Some(Token::Op(Op::LParen | Op::RParen)) => {
                return Err("subshells ( ) are not simulated".into());
            }
            Some(Token::Op(Op::Backquote)) => {
                return Err("command substitution ` ` is not simulated".into());
            }
            Some(t) => return Err(unexpected(Some(&t))),
        };
        if join != Join::Then {
            while toks.peek() == Some(&Token::Op(Op::Newline)) {
                toks.next();
            }
        }
    }
}

/// What a line asks of whoever runs the shell next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// `exit N`, or a `-c` shell's error: the shell ends with this status.
    Exit(i32),
}

/// One shell process: its variables (the environment it started with, its own, which of
/// them are exported), its positional parameters and the last status.
#[derive(Clone, Debug)]
pub struct Shell {
    vars: Vec<(String, String, bool)>,
    args: Vec<String>,
    status: i32,
    /// Lines read so far, when it reads a script from its input (ash's `lineno`, which
    /// its errors name); 0 for `-c`.
    lineno: Option<usize>,
    /// Whether it reads from a terminal (ash's `-i`): errors do not end it and do not name
    /// a line.
    interactive: bool,
    /// Its background captures (`tcpdump ... &`), at most [`MAX_JOBS`].
    jobs: Vec<Job>,
    /// It runs for `docker exec -d`: what would wait for ever (a capture, a server) is
    /// left running in the container, and what it prints goes nowhere.
    detached: bool,
}

/// A background capture of the shell: where its standard output and error go, and what
/// its C library holds of the output it writes to a file.
#[derive(Clone, Debug)]
struct Job {
    dump: Tcpdump,
    fd1: Sink,
    fd2: Sink,
    out: super::stdio::Stdout,
}

/// Background captures one shell runs at once (vnet's bound).
pub const MAX_JOBS: usize = 16;

impl Shell {
    /// A shell started in the container with `env` (`NAME=value`, exported), named `$0`
    /// and given `args` as `$1`…
    pub fn new(env: &[String], zero: &str, args: &[String]) -> Shell {
        let mut vars: Vec<(String, String, bool)> = Vec::new();
        for e in env {
            if let Some((k, v)) = e.split_once('=') {
                vars.retain(|(n, _, _)| n != k);
                vars.push((k.to_string(), v.to_string(), true));
            }
        }
        Shell {
            vars,
            args: std::iter::once(zero.to_string())
                .chain(args.iter().cloned())
                .collect(),
            status: 0,
            lineno: None,
            interactive: false,
            jobs: Vec::new(),
            detached: false,
        }
    }

    /// The same shell run by `docker exec -d`: a capture or a server in the foreground is
    /// left running in the container, and its output is discarded.
    pub fn detached(mut self) -> Shell {
        self.detached = true;
        self
    }

    /// The same shell reading its standard input line by line (`docker exec -i c sh`,
    /// `attach`), interactive when a terminal is attached.
    pub fn reading_input(mut self, interactive: bool) -> Shell {
        self.lineno = Some(0);
        self.interactive = interactive;
        self
    }

    /// Where ash's errors from builtins name the line: `line N: `, unless interactive.
    fn line_prefix(&self) -> String {
        if self.interactive {
            String::new()
        } else {
            format!("line {}: ", self.lineno.unwrap_or(0))
        }
    }

    /// The last command's status (`$?`).
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The exported variables, `NAME=value`, as `env` prints them.
    pub fn environment(&self) -> Vec<String> {
        self.vars
            .iter()
            .filter(|(_, _, e)| *e)
            .map(|(k, v, _)| format!("{k}={v}"))
            .collect()
    }

    fn get(&self, name: &str) -> String {
        match name {
            "?" => self.status.to_string(),
            "#" => self.args.len().saturating_sub(1).to_string(),
            n if n.len() == 1 && n.chars().all(|c| c.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| self.args.get(i))
                .cloned()
                .unwrap_or_default(),
            n => self
                .vars
                .iter()
                .find(|(k, _, _)| k == n)
                .map(|(_, v, _)| v.clone())
                .unwrap_or_default(),
        }
    }

    fn set(&mut self, name: &str, value: String, export: bool) {
        if let Some(v) = self.vars.iter_mut().find(|(k, _, _)| k == name) {
            v.1 = value;
            v.2 |= export;
        } else {
            self.vars.push((name.to_string(), value, export));
        }
    }

    /// A word's fields: quoted text kept whole, unquoted expansions split at blanks.
    fn expand(&self, w: &Word) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        let mut cur: Option<String> = w.quoted.then(String::new);
        for p in &w.parts {
            match p {
                Part::Lit(s) => cur.get_or_insert_with(String::new).push_str(s),
                Part::Param { name, quoted: true } => cur
                    .get_or_insert_with(String::new)
                    .push_str(&self.get(name)),
                Part::Param {
                    name,
                    quoted: false,
                } => {
                    let v = self.get(name);
                    let starts_blank = v.starts_with([' ', '\t', '\n']);
                    let ends_blank = v.ends_with([' ', '\t', '\n']);
                    let mut pieces = v.split([' ', '\t', '\n']).filter(|s| !s.is_empty());
                    if let Some(first) = pieces.next() {
                        if starts_blank && let Some(c) = cur.take() {
                            fields.push(c);
                        }
                        cur.get_or_insert_with(String::new).push_str(first);
                        for piece in pieces {
                            if let Some(c) = cur.take() {
                                fields.push(c);
                            }
                            cur = Some(piece.to_string());
                        }
                    }
                    if ends_blank && let Some(c) = cur.take() {
                        fields.push(c);
                    }
                }
            }
        }
        fields.extend(cur);
        fields
    }

    /// A word expanded as one string (an assignment's value: no splitting).
    fn expand_whole(&self, w: &Word) -> String {
        w.parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.clone(),
                Part::Param { name, .. } => self.get(name),
            })
            .collect()
    }

    /// Runs one line: every pipeline it holds, in order, as `;`, `&&` and `||` join them.
    /// What they printed, and their status, come back in the result; `exit` (or, in a
    /// non-interactive shell, a syntax error) asks to end the shell.
    pub fn run_line(
        &mut self,
        sb: &mut Sandbox,
        line: &str,
        opts: &ExecOptions,
    ) -> (ExecResult, Flow) {
        let interactive = self.interactive;
        if let Some(n) = &mut self.lineno {
            *n += 1;
        }
        // A shell reading line by line gets a new sandbox for each: its captures go on.
        for j in &mut self.jobs {
            j.dump.reopen(sb);
        }
        // What the captures left running in the container saw since.
        super::tcpdump::drain(sb);
        let mut out = ExecResult::default();
        let parsed = if line.len() > MAX_LINE {
            Err(format!("the line is longer than {MAX_LINE} bytes"))
        } else {
            lex(line).map_err(|SyntaxError(e)| e).and_then(parse)
        };
        let list = match parsed {
            Ok(list) => list,
            // A line the shell cannot read: status 2, and a shell reading a script ends.
            Err(e) => {
                self.status = 2;
                out.stderr = format!("sh: {e}\n");
                out.code = 2;
                let flow = if interactive {
                    Flow::Continue
                } else {
                    Flow::Exit(2)
                };
                return (out, flow);
            }
        };
        // `exec -d` returns at once while its shell goes on; vnet runs the shell's commands
        // as it starts, which is right only for those that take no time: a line with one
        // that does is refused before anything of it runs.
        if self.detached
            && let Some(name) = self.slow_in(sb, &list)
        {
            {
                out.stderr.push_str(&format!(
                    "exec -d is simulated for servers (nc -l, httpd), captures (tcpdump) and commands that take no time; run {name} without -d\n"
                ));
                out.code = 1;
                self.status = 1;
                return (out, Flow::Exit(1));
            }
        }
        for (join, pipeline) in list {
            let run = match join {
                Join::Then => true,
                Join::And => self.status == 0,
                Join::Or => self.status != 0,
            };
            if !run {
                continue;
            }
            if pipeline.background || (self.detached && self.waits(sb, &pipeline)) {
                self.background(sb, &pipeline, &mut out);
                self.read_jobs(sb, &mut out);
                continue;
            }
            let flow = self.pipeline(sb, &pipeline, opts, &mut out);
            self.read_jobs(sb, &mut out);
            if let Flow::Exit(code) = flow {
                out.code = code;
                return (out, Flow::Exit(code));
            }
            if opts.terminal.as_ref().is_some_and(|t| t.0.interrupted()) {
                break;
            }
        }
        out.code = self.status;
        (out, Flow::Continue)
    }

    /// Starts a pipeline in the background (`CMD &`): a capture (`tcpdump`) that sees the
    /// frames of the commands after it, or a server (`nc -l`, `httpd`) that keeps serving in the
    /// container as `exec -d` leaves one. The shell does not wait, and its status is 0.
    fn background(&mut self, sb: &mut Sandbox, p: &Pipeline, out: &mut ExecResult) {
        self.status = 0;
        let (words, fd1, fd2) = match p.commands.as_slice() {
            [cmd] if !p.negate && cmd.assigns.is_empty() => {
                let words = cmd.words.iter().flat_map(|w| self.expand(w)).collect();
                match self.redirections(sb, cmd) {
                    Ok((fd1, fd2, _)) => (words, fd1, fd2),
                    Err(e) => {
                        out.stderr.push_str(&e.stderr);
                        return;
                    }
                }
            }
            _ => (Vec::new(), Sink::Out, Sink::Err),
        };
        // `exec -d`'s output goes nowhere.
        let nowhere = |s: Sink| match s {
            Sink::Out | Sink::Err if self.detached => Sink::Null,
            s => s,
        };
        let (fd1, fd2) = (nowhere(fd1), nowhere(fd2));
        let all: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        let program = words.first().and_then(|w| super::program_name(sb, w));
        let (program, args) = super::through_busybox(program.unwrap_or(""), &all);
        let args = args.to_vec();
        match words
            .first()
            .map(|_| Some(program).filter(|p| !p.is_empty()))
        {
            Some(Some("tcpdump")) => {
                if self.jobs.len() >= MAX_JOBS {
                    out.stderr.push_str(&format!(
                        "sh: a shell runs at most {MAX_JOBS} captures at once (vnet's bound)\n"
                    ));
                    return;
                }
                match Tcpdump::start(sb, &args) {
                    Ok((dump, header)) => {
                        deliver(sb, out, &header, &fd2);
                        let out = super::stdio::Stdout::new(dump.line_buffered(), sb.musl());
                        self.jobs.push(Job {
                            dump,
                            fd1,
                            fd2,
                            out,
                        });
                    }
                    Err(r) => {
                        let r = *r;
                        deliver(sb, out, &r.stdout, &fd1);
                        deliver(sb, out, &r.stderr, &fd2);
                    }
                }
            }
            Some(Some(name)) if super::is_server(name, &args) => {
                let r = super::start_server(sb, name, &args);
                out.stderr.push_str(&r.stderr);
            }
            _ => {
                let what = if words.is_empty() {
                    "a pipeline".to_string()
                } else {
                    words.join(" ")
                };
                out.stderr.push_str(&format!(
                    "sh: vnet's shell runs tcpdump and servers (nc -l, httpd) in the background, not: {what}\n"
                ));
                self.status = 2;
            }
        }
    }

    /// Whether pipeline `p` would wait for ever in the foreground: one command, a capture or
    /// a server.
    fn waits(&mut self, sb: &Sandbox, p: &Pipeline) -> bool {
        let [cmd] = p.commands.as_slice() else {
            return false;
        };
        let words: Vec<String> = cmd.words.iter().flat_map(|w| self.expand(w)).collect();
        let all: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        let program = words.first().and_then(|w| super::program_name(sb, w));
        let (program, args) = super::through_busybox(program.unwrap_or(""), &all);
        program == "tcpdump" || super::is_server(program, args)
    }

    /// The first program of `line` that takes virtual time to run in a detached shell (one
    /// it does not leave running in the background); `None` too when the line cannot be read.
    pub fn first_slow(&mut self, sb: &Sandbox, line: &str) -> Option<&'static str> {
        if line.len() > MAX_LINE {
            return None;
        }
        let list = lex(line).ok().and_then(|t| parse(t).ok())?;
        self.slow_in(sb, &list)
    }

    fn slow_in(&mut self, sb: &Sandbox, list: &[(Join, Pipeline)]) -> Option<&'static str> {
        list.iter().find_map(|(_, p)| {
            if p.background || self.waits(sb, p) {
                None
            } else {
                self.takes_time(sb, p)
            }
        })
    }

    /// The first program of `p` that takes virtual time to run (a client that waits for
    /// answers, `sleep`): what a detached shell cannot run as it starts.
    fn takes_time(&mut self, sb: &Sandbox, p: &Pipeline) -> Option<&'static str> {
        p.commands.iter().find_map(|cmd| {
            let words: Vec<String> = cmd.words.iter().flat_map(|w| self.expand(w)).collect();
            let all: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
            let program = words.first().and_then(|w| super::program_name(sb, w))?;
            let (name, args) = super::through_busybox(program, &all);
            let waits = matches!(
                name,
                "sleep"
                    | "ping"
                    | "ping6"
                    | "traceroute"
                    | "arping"
                    | "wget"
                    | "telnet"
                    | "nslookup"
                    | "top"
            ) || (name == "nc" && !super::is_server(name, args));
            waits.then_some(program)
        })
    }

    /// What the background captures printed since the last command; those that reached
    /// their count end, with their statistics.
    fn read_jobs(&mut self, sb: &mut Sandbox, out: &mut ExecResult) {
        super::tcpdump::drain(sb);
        let mut k = 0;
        while let Some(j) = self.jobs.get_mut(k) {
            let r = j.dump.read(sb);
            job_output(sb, out, &r, j);
            if r.done {
                self.jobs.remove(k);
            } else {
                k += 1;
            }
        }
    }

    /// Whether a background capture runs.
    pub fn has_jobs(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// The end of the `exec`: a background capture whose output goes to a file (or
    /// nowhere) is left running in the container, as a process that outlives its shell;
    /// one printing to the exec's output ends as an interrupt ends it (what it still had,
    /// and its statistics).
    pub fn end_jobs(&mut self, sb: &mut Sandbox, out: &mut ExecResult) {
        for mut j in std::mem::take(&mut self.jobs) {
            let file = |s: &Sink| match s {
                Sink::File(path) => Some(path.clone()),
                _ => None,
            };
            if matches!(j.fd1, Sink::File(_) | Sink::Null) {
                let (stdout, stderr) = (file(&j.fd1), file(&j.fd2));
                if let Err(e) = j.dump.leave(sb, stdout, stderr, j.out) {
                    out.stderr.push_str(&format!("sh: {e}\n"));
                }
                continue;
            }
            let r = j.dump.clone().interrupt(sb);
            job_output(sb, out, &r, &mut j);
        }
    }

    /// Runs a pipeline: each stage reads what the one before printed; the last one's
    /// output (and every stage's errors) go to the shell's.
    fn pipeline(
        &mut self,
        sb: &mut Sandbox,
        p: &Pipeline,
        opts: &ExecOptions,
        out: &mut ExecResult,
    ) -> Flow {
        let mut input = String::new();
        let n = p.commands.len();
        let mut status = 0;
        for (i, cmd) in p.commands.iter().enumerate() {
            let last = i + 1 == n;
            // Only the last stage writes to the terminal; the others write into the pipe.
            let stage_opts = if last {
                opts.clone()
            } else {
                ExecOptions {
                    terminal: None,
                    ..opts.clone()
                }
            };
            let (r, flow) = self.simple(sb, cmd, &input, &stage_opts, n == 1);
            if let Flow::Exit(code) = flow {
                out.stderr.push_str(&r.stderr);
                out.stdout.push_str(&r.stdout);
                return Flow::Exit(code);
            }
            status = r.code;
            out.stderr.push_str(&r.stderr);
            out.trace.extend(r.trace);
            if let Some(c) = r.capture {
                out.capture
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(&c);
            }
            if last {
                push_bounded(&mut out.stdout, &r.stdout, &mut out.stderr);
                if let Some(e) = r.start_error {
                    out.stderr.push_str(&format!("{e}\n"));
                }
            } else {
                input = r.stdout;
                if input.len() > MAX_PIPE {
                    let cut = input
                        .get(..MAX_PIPE)
                        .and_then(|s| s.rfind('\n'))
                        .map_or(0, |i| i + 1);
                    input.truncate(cut);
                    out.stderr.push_str(&format!(
                        "sh: a pipe holds at most {} MiB (vnet's bound); the rest was dropped\n",
                        MAX_PIPE >> 20
                    ));
                }
            }
        }
        self.status = if p.negate {
            i32::from(status == 0)
        } else {
            status
        };
        Flow::Continue
    }

    /// Runs one simple command with `stdin`; `alone` when it is not part of a pipeline
    /// (where `exit` ends the shell itself rather than a subshell).
    fn simple(
        &mut self,
        sb: &mut Sandbox,
        cmd: &Simple,
        stdin: &str,
        opts: &ExecOptions,
        alone: bool,
    ) -> (ExecResult, Flow) {
        if cmd.redirs.is_empty() {
            return self.command(sb, cmd, stdin, opts, alone);
        }
        let (fd1, fd2, input) = match self.redirections(sb, cmd) {
            Ok(r) => r,
            Err(e) => {
                self.status = 1;
                return (*e, Flow::Continue);
            }
        };
        // What goes elsewhere than the terminal is gathered, not streamed.
        let gathered = ExecOptions {
            terminal: None,
            ..opts.clone()
        };
        let run_opts = if fd1 == Sink::Out { opts } else { &gathered };
        let (mut r, flow) =
            self.command(sb, cmd, input.as_deref().unwrap_or(stdin), run_opts, alone);
        let (stdout, stderr) = (std::mem::take(&mut r.stdout), std::mem::take(&mut r.stderr));
        deliver(sb, &mut r, &stdout, &fd1);
        deliver(sb, &mut r, &stderr, &fd2);
        (r, flow)
    }

    /// Opens a command's redirections as ash does, first to last: where its standard
    /// output and error go, and what it reads, or the shell's error (status 1).
    fn redirections(
        &mut self,
        sb: &mut Sandbox,
        cmd: &Simple,
    ) -> Result<(Sink, Sink, Option<String>), Box<ExecResult>> {
        let mut fd1 = Sink::Out;
        let mut fd2 = Sink::Err;
        let mut input: Option<String> = None;
        let fail = |msg: String| Box::new(ExecResult::err(msg, 1));
        for (fd, r, target) in &cmd.redirs {
            let target = self.expand_whole(target);
            let fd = fd.unwrap_or(if *r == Redir::In { 0 } else { 1 });
            let sink = match r {
                Redir::In => {
                    if fd == 0 {
                        match read_file(sb, &target) {
                            Some(t) => input = Some(t),
                            None => {
                                return Err(fail(format!(
                                    "sh: can't open {target}: no such file\n"
                                )));
                            }
                        }
                    }
                    continue;
                }
                Redir::Out | Redir::Append if target == "/dev/null" => Sink::Null,
                // The descriptors' own files: where they point now.
                Redir::Out | Redir::Append
                    if matches!(target.as_str(), "/dev/stdout" | "/dev/fd/1") =>
                {
                    fd1.clone()
                }
                Redir::Out | Redir::Append
                    if matches!(target.as_str(), "/dev/stderr" | "/dev/fd/2") =>
                {
                    fd2.clone()
                }
                Redir::Out | Redir::Append => {
                    // `>` empties the file as it opens it.
                    if let Err(e) = sb.write_file(&target, "", *r == Redir::Append) {
                        let why = match e {
                            FsError::NoEntry => "nonexistent directory",
                            e => e.text(),
                        };
                        return Err(fail(format!("sh: can't create {target}: {why}\n")));
                    }
                    // Absolute: a job left running writes there whatever runs later.
                    Sink::File(crate::docker::container::fs::normalize(&sb.cwd(), &target))
                }
                Redir::Dup => match target.as_str() {
                    "1" => fd1.clone(),
                    "2" => fd2.clone(),
                    "-" => Sink::Null,
                    _ => return Err(fail(format!("sh: {target}: bad file descriptor\n"))),
                },
            };
            match fd {
                1 => fd1 = sink,
                2 => fd2 = sink,
                _ => {}
            }
        }
        Ok((fd1, fd2, input))
    }

    /// Runs a simple command whose redirections are set up.
    fn command(
        &mut self,
        sb: &mut Sandbox,
        cmd: &Simple,
        stdin: &str,
        opts: &ExecOptions,
        alone: bool,
    ) -> (ExecResult, Flow) {
        let words: Vec<String> = cmd.words.iter().flat_map(|w| self.expand(w)).collect();
        let assigns: Vec<(String, String)> = cmd
            .assigns
            .iter()
            .map(|(k, v)| (k.clone(), self.expand_whole(v)))
            .collect();
        let Some((name, rest)) = words.split_first() else {
            for (k, v) in assigns {
                self.set(&k, v, false);
            }
            self.status = 0;
            return (ExecResult::default(), Flow::Continue);
        };
        let args: Vec<&str> = rest.iter().map(String::as_str).collect();
        let r = match (name.as_str(), args.as_slice()) {
            ("exit", a) => {
                let code = match a.first() {
                    None => self.status,
                    Some(n) => match n.parse::<i64>() {
                        Ok(n) if n >= 0 => (n & 0xff) as i32,
                        _ => {
                            return (
                                ExecResult::err(
                                    format!(
                                        "sh: exit: {}Illegal number: {n}\n",
                                        self.line_prefix()
                                    ),
                                    2,
                                ),
                                if alone { Flow::Exit(2) } else { Flow::Continue },
                            );
                        }
                    },
                };
                if alone {
                    return (ExecResult::default(), Flow::Exit(code));
                }
                ExecResult::err(String::new(), code)
            }
            (":", _) => ExecResult::default(),
            // ash's builtins, whose errors carry the shell's name.
            ("printf", a) => super::printf::run("sh", a),
            ("sleep", a) => super::sleep::run(sb, "sh", a, opts),
            ("export", names) => {
                for a in names {
                    match a.split_once('=') {
                        Some((k, v)) => self.set(k, v.to_string(), true),
                        None => {
                            let v = self.get(a);
                            self.set(a, v, true);
                        }
                    }
                }
                ExecResult::default()
            }
            ("unset", names) => {
                self.vars.retain(|(k, _, _)| !names.contains(&k.as_str()));
                ExecResult::default()
            }
            ("env", []) => {
                let mut env = self.environment();
                env.extend(assigns.iter().map(|(k, v)| format!("{k}={v}")));
                ExecResult::out(env.iter().map(|v| format!("{v}\n")).collect())
            }
            _ => super::shell_command(sb, &words, stdin, opts),
        };
        (r, Flow::Continue)
    }
}

/// `word` as the shell reads it back as one word: in single quotes, each `'` as `'\\''`.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Where a descriptor of a command goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sink {
    /// The shell's standard output.
    Out,
    /// The shell's standard error.
    Err,
    /// `/dev/null`, or closed.
    Null,
    /// A file of the container.
    File(String),
}

/// What a background capture printed, where its descriptors go: into a file through its C
/// library's buffer (all of it once the capture ended).
fn job_output(sb: &mut Sandbox, out: &mut ExecResult, r: &super::tcpdump::Read, j: &mut Job) {
    match &j.fd1 {
        Sink::Out => push_bounded(&mut out.stdout, &r.stdout, &mut out.stderr),
        Sink::File(_) => {
            let mut text: String = r
                .stdout
                .split_inclusive('\n')
                .map(|l| j.out.write(l))
                .collect();
            if r.done {
                text.push_str(&j.out.flush());
            }
            let fd1 = j.fd1.clone();
            deliver(sb, out, &text, &fd1);
        }
        fd1 => {
            let fd1 = fd1.clone();
            deliver(sb, out, &r.stdout, &fd1);
        }
    }
    let fd2 = j.fd2.clone();
    deliver(sb, out, &r.stderr, &fd2);
}

/// Sends `text` a command wrote on one descriptor where it goes.
fn deliver(sb: &mut Sandbox, r: &mut ExecResult, text: &str, sink: &Sink) {
    match sink {
        Sink::Out => r.stdout.push_str(text),
        Sink::Err => r.stderr.push_str(text),
        Sink::Null => {}
        Sink::File(path) => {
            if let Err(e) = sb.append_opened(path, text) {
                r.stderr
                    .push_str(&format!("sh: write error: {}\n", e.text()));
            }
        }
    }
}

/// A file the shell reads (`< FILE`): the container's, or `/dev/null`'s nothing.
fn read_file(sb: &Sandbox, path: &str) -> Option<String> {
    if path == "/dev/null" {
        return Some(String::new());
    }
    sb.file(path)
}

/// Appends `s` to `out` unless that passes [`MAX_GATHERED_OUTPUT`], which `err` then says.
pub(super) fn push_bounded(out: &mut String, s: &str, err: &mut String) {
    if out.len() + s.len() <= MAX_GATHERED_OUTPUT {
        out.push_str(s);
    } else if !err.contains("sh: the output passed") {
        err.push_str(&format!(
            "sh: the output passed {} MiB (vnet's bound); the rest was dropped\n",
            MAX_GATHERED_OUTPUT >> 20
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        let sh = Shell::new(&["HOME=/root".into(), "X=a  b".into()], "sh", &[]);
        parse(lex(line).unwrap())
            .unwrap()
            .iter()
            .flat_map(|(_, p)| p.commands.iter())
            .map(|c| c.words.iter().flat_map(|w| sh.expand(w)).collect())
            .collect()
    }

    #[test]
    fn quotes_and_expansions() {
        assert_eq!(
            words("echo 'a b' \"c d\" e\\ f"),
            [["echo", "a b", "c d", "e f"]]
        );
        assert_eq!(words("echo $X \"$X\""), [["echo", "a", "b", "a  b"]]);
        assert_eq!(words("echo $NOPE \"\" x"), [["echo", "", "x"]]);
        assert_eq!(
            words("echo ${HOME}x $HOME/y"),
            [["echo", "/rootx", "/root/y"]]
        );
        assert_eq!(words("echo $ 5\\$ '$HOME'"), [["echo", "$", "5$", "$HOME"]]);
        assert_eq!(words("echo a # comment"), [["echo", "a"]]);
        assert_eq!(words("echo pre${X}post"), [["echo", "prea", "bpost"]]);
    }

    #[test]
    fn lists_and_pipelines() {
        let l = parse(lex("a | b && c || d; e\n f").unwrap()).unwrap();
        let joins: Vec<Join> = l.iter().map(|(j, _)| *j).collect();
        assert_eq!(
            joins,
            [Join::Then, Join::And, Join::Or, Join::Then, Join::Then]
        );
        assert_eq!(l[0].1.commands.len(), 2);
        assert!(parse(lex("! true").unwrap()).unwrap()[0].1.negate);
    }

    #[test]
    fn syntax_errors_in_ash_words() {
        let err = |line: &str| {
            lex(line)
                .map_err(|SyntaxError(e)| e)
                .and_then(parse)
                .unwrap_err()
        };
        assert_eq!(err("&& a"), "syntax error: unexpected \"&&\"");
        assert_eq!(err("a &&"), "syntax error: unexpected end of file");
        assert_eq!(err("a | | b"), "syntax error: unexpected \"|\"");
        assert_eq!(err(";"), "syntax error: unexpected \";\"");
        assert_eq!(err("echo 'a"), "syntax error: unterminated quoted string");
        assert_eq!(err("a ;; b"), "syntax error: unexpected \";;\"");
        assert!(err("cat <<EOF").contains("not simulated"));
        assert_eq!(err("echo >"), "syntax error: unexpected end of file");
        assert_eq!(err("echo > ;"), "syntax error: unexpected \";\"");
        assert!(err("if true; then a; fi").contains("not simulated"));
        assert!(parse(lex("a & b").unwrap()).unwrap()[0].1.background);
    }

    #[test]
    fn assignments() {
        let l = parse(lex("A=1 B=\"x y\"").unwrap()).unwrap();
        assert_eq!(l[0].1.commands[0].assigns.len(), 2);
        assert!(l[0].1.commands[0].words.is_empty());
    }
}
