//! Scenarios: YAML files of the commands a person types and what each must show, replayed
//! in one in-process simulation per file.
//!
//! A scenario goes through the same command layer as the `vnet` binary ([`cli::run_line`]),
//! on a fresh [`Cluster`] with the file's seed and no state directory, so replaying it is fast
//! and changes nothing on disk. The schema is documented in `docs/scenarios.md` (and
//! `docs/scenario.schema.json` for editors); YAML comments are the teaching text.

pub mod report;

use crate::cli::{self, Outcome};
use crate::cluster::{Cluster, DEFAULT_HOST};
use crate::engine::rule::LinkConfig;
use crate::time::parse_duration;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

/// A scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short title.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// The seed (IDs, MACs, jitter); 0 when absent.
    #[serde(default)]
    pub seed: u64,
    /// Why the file cannot run yet (a feature it needs is missing): reported, not run.
    #[serde(default)]
    pub pending: Option<String>,
    /// Engine options.
    #[serde(default)]
    pub options: Options,
    /// The steps, in order.
    pub steps: Vec<Spanned<Step>>,
}

/// Engine options of a scenario.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `registration` (default) or `shuffle`: the order of a shared name's addresses.
    #[serde(default)]
    pub dns_order: Option<String>,
}

/// One step: an action and what it must show.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A command line as typed: `docker ...` or `vnet ...`.
    #[serde(default)]
    pub run: Option<String>,
    /// Lines answering the command's prompts.
    #[serde(default)]
    pub input: Vec<String>,
    /// A command inside a container.
    #[serde(default)]
    pub exec: Option<ExecStep>,
    /// Lines typed into a container's attached shell.
    #[serde(default)]
    pub attach: Option<AttachStep>,
    /// Let virtual time pass (`5s`, `300ms`).
    #[serde(default)]
    pub advance: Option<String>,
    /// Loss, delay, jitter on a network's links.
    #[serde(default)]
    pub link: Option<LinkStep>,
    /// Shorthand: does `from` get a ping reply from `to`?
    #[serde(default)]
    pub reach: Option<Reach>,
    /// Shorthand: what does `name` resolve to for `from` (`to: null`: nothing)?
    #[serde(default)]
    pub resolves: Option<Resolves>,
    /// What the step must show. Without it, a command must exit 0.
    #[serde(default)]
    pub expect: Option<Expect>,
}

/// `exec:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container.
    pub container: String,
    /// The command line inside it.
    pub command: String,
}

/// `attach:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container.
    pub container: String,
    /// Lines typed at its prompt.
    pub input: Vec<String>,
}

/// `link:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkStep {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The network.
    pub network: String,
    /// Lost share, `10%`.
    #[serde(default)]
    pub loss: Option<String>,
    /// Extra delay, `5ms`.
    #[serde(default)]
    pub delay: Option<String>,
    /// Extra random delay, `1ms`.
    #[serde(default)]
    pub jitter: Option<String>,
}

/// `reach:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container that pings.
    pub from: String,
    /// An address or name.
    pub to: String,
    /// Whether a reply must come back.
    pub ok: bool,
}

/// `resolves:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolves {
    /// The host it runs on (`-H`); `default` when absent.
    #[serde(default)]
    pub host: Option<String>,
    /// The container that asks.
    pub from: String,
    /// The name.
    pub name: String,
    /// The address it must resolve to; null when it must not resolve.
    pub to: Option<String>,
}

/// `expect:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exit status.
    #[serde(default)]
    pub exit: Option<i32>,
    /// Standard output.
    #[serde(default)]
    pub stdout: Option<Text>,
    /// Standard error.
    #[serde(default)]
    pub stderr: Option<Text>,
    /// Checks on standard output read as JSON.
    #[serde(default)]
    pub json: Vec<JsonCheck>,
}

/// A text expectation: a string (equals), or a map.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// The whole text.
    Equals(String),
    /// Detailed.
    Match(TextMatch),
}

/// `{equals, contains, regex}`; `contains` may be a list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextMatch {
    /// The whole text.
    #[serde(default)]
    pub equals: Option<String>,
    /// Substrings that must appear.
    #[serde(default)]
    pub contains: Option<OneOrMany>,
    /// Substrings that must not appear.
    #[serde(default)]
    pub not_contains: Option<OneOrMany>,
    /// A regular expression that must match.
    #[serde(default)]
    pub regex: Option<String>,
}

/// One string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(|s| s.as_str()).collect(),
        }
    }
}

/// `{path, equals}`: a value in the JSON output (`[0].IPAM.Config[0].Subnet`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    /// Where: `.Key`, `[index]`, chained; `Key` alone for the first level.
    pub path: String,
    /// The value there.
    pub equals: serde_json::Value,
}

/// What one step did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    /// 1-based.
    pub index: usize,
    /// Line in the file.
    pub line: u64,
    /// The step as a command line.
    pub command: String,
    /// What failed; empty when it passed.
    pub failures: Vec<String>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
}

/// What one file did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// The file.
    pub path: String,
    /// The scenario's name.
    pub name: String,
    /// Why it did not run, if pending.
    pub pending: Option<String>,
    /// A file that could not be read or parsed: `file:line:column: what`.
    pub error: Option<String>,
    /// The steps run (up to and including the first failing one).
    pub steps: Vec<StepReport>,
    /// Virtual seconds the replay took.
    pub virtual_seconds: f64,
    /// Whether a second replay matched the first byte for byte (when checked).
    pub deterministic: Option<bool>,
    /// Everything the replay printed and every frame it moved, for determinism checks.
    #[serde(skip)]
    pub transcript: String,
}

impl FileReport {
    /// Whether the file passed (pending files do not fail).
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.steps.iter().all(|s| s.failures.is_empty())
            && self.deterministic != Some(false)
    }
}

/// Parses a scenario; errors are `file:line:column: message`.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, String> {
    serde_saphyr::from_str::<Scenario>(text).map_err(|e| {
        let msg = e.to_string();
        let mut msg = msg.lines().next().unwrap_or_default();
        // serde-saphyr says where too; the position goes in front, once.
        msg = msg.strip_prefix("error: ").unwrap_or(msg);
        if let Some(rest) = msg.strip_prefix("line ")
            && let Some((_, after)) = rest.split_once(": ")
        {
            msg = after;
        }
        let msg = msg.to_string();
        match e.location() {
            Some(l) => format!("{}:{}:{}: {msg}", path.display(), l.line(), l.column()),
            None => format!("{}: {msg}", path.display()),
        }
    })
}

/// Splits a command line as a POSIX shell would: words, `'...'`, `"..."`, `\x`.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err(format!("unterminated ' in: {line}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err(format!("unterminated \" in: {line}")),
                        },
                        Some(x) => cur.push(x),
                        None => return Err(format!("unterminated \" in: {line}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=%@,+".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// Runs one command line in process: `docker ...` or `vnet ...`, with the frame trace on.
/// When the line itself asks for `--trace`, the lines also follow its stderr, as the binary
/// prints them, so a step can expect them.
fn command(d: &mut Cluster, argv: &[String], input: &[String]) -> Outcome {
    let mut argv = argv.to_vec();
    let asked = argv.iter().any(|a| a == "--trace");
    if !asked {
        argv.insert(1, "--trace".to_string());
    }
    let text: String = input.iter().map(|l| format!("{l}\n")).collect();
    let mut reader = std::io::Cursor::new(text.into_bytes());
    let mut o = cli::run_line(&argv, d, &mut reader);
    if asked {
        for l in &o.trace {
            o.stderr.push_str(l);
            o.stderr.push('\n');
        }
    }
    o
}

/// A value at a path in JSON.
pub fn json_at<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut cur = v;
    let mut rest = path.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let key = &r[..end];
            cur = match key.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(key.trim_matches('"'))?,
            };
            rest = &r[end + 1..];
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        }
    }
    Some(cur)
}

fn check_text(what: &str, t: &Text, actual: &str, failures: &mut Vec<String>) {
    let m = match t {
        Text::Equals(s) => TextMatch {
            equals: Some(s.clone()),
            ..Default::default()
        },
        Text::Match(m) => TextMatch {
            equals: m.equals.clone(),
            contains: m
                .contains
                .as_ref()
                .map(|c| OneOrMany::Many(c.items().iter().map(|s| s.to_string()).collect())),
            not_contains: m
                .not_contains
                .as_ref()
                .map(|c| OneOrMany::Many(c.items().iter().map(|s| s.to_string()).collect())),
            regex: m.regex.clone(),
        },
    };
    if let Some(e) = &m.equals
        && e != actual
    {
        failures.push(format!("{what} differs:\n{}", report::diff(e, actual)));
    }
    if let Some(c) = &m.contains {
        for s in c.items() {
            if !actual.contains(s) {
                failures.push(format!(
                    "{what} does not contain {s:?}:\n{}",
                    report::indent(actual)
                ));
            }
        }
    }
    if let Some(c) = &m.not_contains {
        for s in c.items() {
            if actual.contains(s) {
                failures.push(format!(
                    "{what} contains {s:?}:\n{}",
                    report::indent(actual)
                ));
            }
        }
    }
    if let Some(r) = &m.regex {
        match regex::Regex::new(r) {
            Ok(re) if re.is_match(actual) => {}
            Ok(_) => failures.push(format!(
                "{what} does not match /{r}/:\n{}",
                report::indent(actual)
            )),
            Err(e) => failures.push(format!("bad regex /{r}/: {e}")),
        }
    }
}

/// Replays a scenario on a fresh daemon.
pub fn replay(path: &Path, sc: &Scenario) -> FileReport {
    let mut d = Cluster::new(sc.seed);
    if sc.options.dns_order.as_deref() == Some("shuffle") {
        d.hosts[DEFAULT_HOST].engine.dns_shuffle = true;
    }
    let start = d.now();
    let mut rep = FileReport {
        path: path.display().to_string(),
        name: sc.name.clone(),
        pending: None,
        error: None,
        steps: Vec::new(),
        virtual_seconds: 0.0,
        deterministic: None,
        transcript: String::new(),
    };
    for (i, step) in sc.steps.iter().enumerate() {
        let line = step.referenced.line();
        let s = &step.value;
        let mut failures = Vec::new();
        let (cmd, out) = match run_step(&mut d, s, &mut failures) {
            Ok(x) => x,
            Err(e) => {
                failures.push(e);
                (String::new(), Outcome::default())
            }
        };
        let default_expect = Expect::default();
        let expect = s.expect.as_ref().unwrap_or(&default_expect);
        let is_command = s.run.is_some() || s.exec.is_some() || s.attach.is_some();
        let want_exit = expect.exit.or(is_command.then_some(0));
        if let Some(code) = want_exit
            && out.code != code
        {
            failures.push(format!(
                "exit status {}, expected {code}\n  stderr:\n{}",
                out.code,
                report::indent(&out.stderr)
            ));
        }
        if let Some(t) = &expect.stdout {
            check_text("stdout", t, &out.stdout, &mut failures);
        }
        if let Some(t) = &expect.stderr {
            check_text("stderr", t, &out.stderr, &mut failures);
        }
        if !expect.json.is_empty() {
            match serde_json::from_str::<serde_json::Value>(&out.stdout) {
                Ok(v) => {
                    for c in &expect.json {
                        match json_at(&v, &c.path) {
                            Some(got) if *got == c.equals => {}
                            got => failures.push(format!(
                                "json {}: expected {}, got {}",
                                c.path,
                                c.equals,
                                got.map_or("nothing".into(), |g| g.to_string())
                            )),
                        }
                    }
                }
                Err(e) => failures.push(format!("stdout is not JSON ({e})")),
            }
        }
        rep.transcript.push_str(&format!(
            "## {cmd}\n{}{}[{}]\n{}\n",
            out.stdout,
            out.stderr,
            out.code,
            out.trace.join("\n")
        ));
        let failed = !failures.is_empty();
        rep.steps.push(StepReport {
            index: i + 1,
            line,
            command: cmd,
            failures,
            stdout: out.stdout,
            stderr: out.stderr,
            code: out.code,
        });
        if failed {
            break;
        }
    }
    rep.virtual_seconds = (d.now() - start).0 as f64 / 1e6;
    rep
}

/// `docker [-H HOST] WORDS...`.
fn docker_argv(host: &Option<String>, words: &[&str]) -> Vec<String> {
    let mut argv = vec!["docker".to_string()];
    if let Some(h) = host {
        argv.extend(["-H".to_string(), h.clone()]);
    }
    argv.extend(words.iter().map(|w| w.to_string()));
    argv
}

fn run_step(
    d: &mut Cluster,
    s: &Step,
    failures: &mut Vec<String>,
) -> Result<(String, Outcome), String> {
    let actions = [
        s.run.is_some(),
        s.exec.is_some(),
        s.attach.is_some(),
        s.advance.is_some(),
        s.link.is_some(),
        s.reach.is_some(),
        s.resolves.is_some(),
    ]
    .iter()
    .filter(|a| **a)
    .count();
    if actions != 1 {
        return Err(format!(
            "a step needs exactly one of run, exec, attach, advance, link, reach, resolves; this one has {actions}"
        ));
    }
    if let Some(line) = &s.run {
        let argv = split_words(line)?;
        match argv.first().map(|s| s.as_str()) {
            Some("docker" | "vnet") => {}
            _ => return Err(format!("a command starts with docker or vnet: {line}")),
        }
        return Ok((line.clone(), command(d, &argv, &s.input)));
    }
    if let Some(e) = &s.exec {
        let mut argv = docker_argv(&e.host, &["exec", &e.container]);
        argv.extend(split_words(&e.command)?);
        let shown = argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
        return Ok((shown, command(d, &argv, &[])));
    }
    if let Some(a) = &s.attach {
        let argv = docker_argv(&a.host, &["attach", &a.container]);
        return Ok((
            format!("docker attach {}", a.container),
            command(d, &argv, &a.input),
        ));
    }
    if let Some(t) = &s.advance {
        let dur = parse_duration(t).ok_or_else(|| format!("advance: bad duration {t:?}"))?;
        d.advance(dur);
        return Ok((format!("advance {t}"), Outcome::default()));
    }
    if let Some(l) = &s.link {
        let mut cfg = LinkConfig::default();
        if let Some(p) = &l.loss {
            cfg.loss = p
                .trim_end_matches('%')
                .parse::<f64>()
                .map_err(|_| format!("link: bad loss {p:?}"))?
                / 100.0;
        }
        for (v, slot) in [(&l.delay, &mut cfg.delay), (&l.jitter, &mut cfg.jitter)] {
            if let Some(v) = v {
                *slot = parse_duration(v)
                    .ok_or_else(|| format!("link: bad duration {v:?}"))?
                    .0;
            }
        }
        let host = l.host.as_deref().unwrap_or(DEFAULT_HOST);
        d.with_host(host, |d| d.link_set(&l.network, cfg))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.message)?;
        return Ok((format!("link {}", l.network), Outcome::default()));
    }
    if let Some(r) = &s.reach {
        let argv = docker_argv(
            &r.host,
            &["exec", &r.from, "ping", "-c", "1", "-W", "1", &r.to],
        );
        let out = command(d, &argv, &[]);
        let ok = out.code == 0;
        if ok != r.ok {
            failures.push(format!(
                "{} {} {}:\n{}{}",
                r.from,
                if r.ok { "does not reach" } else { "reaches" },
                r.to,
                report::indent(&out.stdout),
                report::indent(&out.stderr)
            ));
        }
        let shown = format!(
            "reach {} -> {} ({})",
            r.from,
            r.to,
            if r.ok { "ok" } else { "blocked" }
        );
        return Ok((shown, Outcome { code: 0, ..out }));
    }
    if let Some(r) = &s.resolves {
        let argv = docker_argv(&r.host, &["exec", &r.from, "getent", "hosts", &r.name]);
        let out = command(d, &argv, &[]);
        let got = out.stdout.split_whitespace().next().map(String::from);
        if got != r.to {
            failures.push(format!(
                "{} resolves {} to {}, expected {}",
                r.from,
                r.name,
                got.as_deref().unwrap_or("nothing"),
                r.to.as_deref().unwrap_or("nothing")
            ));
        }
        let shown = format!("resolves {} from {}", r.name, r.from);
        return Ok((shown, Outcome { code: 0, ..out }));
    }
    unreachable!("one action was counted")
}

/// Reads, parses and replays one file (twice when `determinism` is asked for).
pub fn run_file(path: &Path, determinism: bool) -> FileReport {
    let blank = |error: Option<String>| FileReport {
        path: path.display().to_string(),
        name: String::new(),
        pending: None,
        error,
        steps: Vec::new(),
        virtual_seconds: 0.0,
        deterministic: None,
        transcript: String::new(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return blank(Some(format!("{}: {e}", path.display()))),
    };
    let sc = match parse(path, &text) {
        Ok(s) => s,
        Err(e) => return blank(Some(e)),
    };
    if let Some(why) = &sc.pending {
        let mut r = blank(None);
        r.name = sc.name.clone();
        r.pending = Some(why.clone());
        return r;
    }
    let mut rep = replay(path, &sc);
    if determinism {
        let again = replay(path, &sc);
        rep.deterministic = Some(again.transcript == rep.transcript);
    }
    rep
}

/// The `.yaml`/`.yml` files named or under the directories named, sorted.
pub fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                walk(&e, out);
            }
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else {
            walk(p, &mut out);
        }
    }
    out
}

/// `vnet scenario run`: replays the files (in parallel with `--jobs`), prints the report,
/// writes JUnit if asked; status 1 if anything failed.
pub fn main(args: &cli::ScenarioArgs) -> Outcome {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut o = Outcome::default();
    if args.paths.is_empty() {
        o.stderr = "vnet: 'vnet scenario run' requires at least 1 argument\n\nUsage:  vnet scenario run [OPTIONS] FILE|DIR [FILE|DIR...]\n\nSee 'vnet scenario run --help' for more information\n".into();
        o.code = 1;
        return o;
    }
    let files = collect(&args.paths);
    if files.is_empty() {
        o.stderr = "vnet: no scenario files (.yaml) found\n".into();
        o.code = 1;
        return o;
    }
    let progress = files.len() > 1 && std::io::stderr().is_terminal();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<FileReport>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..args.jobs.clamp(1, files.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(f) = files.get(i) else { break };
                    let r = run_file(f, args.check_determinism);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if progress {
                        let width = 30;
                        let filled = n * width / files.len();
                        eprint!(
                            "\r[{}{}] {n}/{}",
                            "#".repeat(filled),
                            " ".repeat(width - filled),
                            files.len()
                        );
                    }
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    let reports: Vec<FileReport> = slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every file ran")
        })
        .collect();
    if args.json {
        o.stdout = serde_json::to_string_pretty(&reports).expect("reports serialise") + "\n";
    } else {
        o.stdout = report::human(&reports, std::io::stdout().is_terminal());
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, report::junit(&reports))
    {
        o.stderr
            .push_str(&format!("vnet: cannot write {}: {e}\n", path.display()));
        o.code = 1;
    }
    if reports.iter().any(|r| !r.passed()) {
        o.code = 1;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            split_words("docker inspect --format='{{json .NetworkSettings.Networks}}'  container3")
                .unwrap(),
            vec![
                "docker",
                "inspect",
                "--format={{json .NetworkSettings.Networks}}",
                "container3"
            ]
        );
        assert_eq!(
            split_words(r#"docker network create -o "com.docker.network.bridge.host_binding_ipv4"="172.23.0.1" my-network"#).unwrap(),
            vec!["docker", "network", "create", "-o", "com.docker.network.bridge.host_binding_ipv4=172.23.0.1", "my-network"]
        );
        assert!(split_words("echo 'x").is_err());
    }

    #[test]
    fn json_paths() {
        let v: serde_json::Value =
            serde_json::from_str(r#"[{"IPAM":{"Config":[{"Subnet":"10.0.0.0/8"}]},"a.b":1}]"#)
                .unwrap();
        assert_eq!(
            json_at(&v, "[0].IPAM.Config[0].Subnet").unwrap(),
            "10.0.0.0/8"
        );
        assert_eq!(json_at(&v, "[0][\"a.b\"]").unwrap(), 1);
        assert!(json_at(&v, "[1]").is_none());
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = parse(
            Path::new("x.yaml"),
            "name: n\nsteps:\n  - run: docker ps\n    bogus: 1\n",
        )
        .unwrap_err();
        assert!(e.starts_with("x.yaml:4:"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }
}
