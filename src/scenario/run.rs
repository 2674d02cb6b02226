//! Replaying scenarios: each step goes through the same command layer as the `vnet` binary
//! ([`cli::run_line`]), in process, on a fresh [`Cluster`] per file with the file's seed and no
//! state directory; files replay in parallel with `--jobs`, and twice with
//! `--check-determinism`.

use super::expect;
use super::report::{FileReport, StepReport};
use super::schema::{Action, Scenario, Step, parse};
use crate::cli::{self, Outcome};
use crate::cluster::{Cluster, DEFAULT_HOST};
use crate::docker::network::LinkSettings;
use crate::time::parse_duration;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// A word as a shell would need it typed (quoted when it has to be), for the report.
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

/// Replays a scenario on a fresh daemon.
pub fn replay(path: &Path, sc: &Scenario) -> FileReport {
    let mut d = Cluster::new(sc.seed);
    if sc.options.dns_order.as_deref() == Some("shuffle")
        && let Some(h) = d.hosts.get_mut(DEFAULT_HOST)
    {
        h.engine.dns_shuffle = true;
    }
    let start = d.now();
    let mut rep = FileReport::blank(path);
    rep.name = sc.name.clone();
    for (i, step) in sc.steps.iter().enumerate() {
        let line = step.referenced.line();
        let s: &Step = &step.value;
        let mut failures = Vec::new();
        let (cmd, out) = match run_step(&mut d, &s.action, &mut failures) {
            Ok(x) => x,
            Err(e) => {
                failures.push(e);
                (String::new(), Outcome::default())
            }
        };
        expect::check(&s.expect, s.action.is_command(), &out, &mut failures);
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

/// Does one action: returns the step as a command line for the report and what it printed.
/// The `reach`/`resolves` shorthands check their answer here (into `failures`) and report
/// status 0, so `expect` does not see the probe's own status.
fn run_step(
    d: &mut Cluster,
    action: &Action,
    failures: &mut Vec<String>,
) -> Result<(String, Outcome), String> {
    match action {
        Action::Run(r) => {
            let argv = split_words(&r.line)?;
            match argv.first().map(|s| s.as_str()) {
                Some("docker" | "vnet") => {}
                _ => return Err(format!("a command starts with docker or vnet: {}", r.line)),
            }
            Ok((r.line.clone(), command(d, &argv, &r.input)))
        }
        Action::Exec(e) => {
            let mut argv = docker_argv(&e.host, &["exec", &e.container]);
            argv.extend(split_words(&e.command)?);
            let shown = argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
            Ok((shown, command(d, &argv, &[])))
        }
        Action::Attach(a) => {
            let argv = docker_argv(&a.host, &["attach", &a.container]);
            Ok((
                format!("docker attach {}", a.container),
                command(d, &argv, &a.input),
            ))
        }
        Action::Advance(t) => {
            let dur = parse_duration(t).ok_or_else(|| format!("advance: bad duration {t:?}"))?;
            d.advance(dur);
            Ok((format!("advance {t}"), Outcome::default()))
        }
        Action::Link(l) => {
            let mut cfg = LinkSettings::default();
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
                        .filter(|d| *d <= crate::engine::rule::MAX_DELAY)
                        .ok_or_else(|| format!("link: bad duration {v:?}"))?;
                }
            }
            let host = l.host.as_deref().unwrap_or(DEFAULT_HOST);
            d.with_host(host, |d| d.link_set(&l.network, cfg))
                .map_err(|e| e.to_string())?
                .map_err(|e| e.message)?;
            Ok((format!("link {}", l.network), Outcome::default()))
        }
        Action::Reach(r) => {
            let argv = docker_argv(
                &r.host,
                &["exec", &r.from, "ping", "-c", "1", "-W", "1", &r.to],
            );
            let out = command(d, &argv, &[]);
            failures.extend(expect::reach(r, &out));
            let shown = format!(
                "reach {} -> {} ({})",
                r.from,
                r.to,
                if r.ok { "ok" } else { "blocked" }
            );
            Ok((shown, Outcome { code: 0, ..out }))
        }
        Action::Resolves(r) => {
            // busybox's nslookup: the image has no getent.
            let argv = docker_argv(&r.host, &["exec", &r.from, "nslookup", &r.name]);
            let out = command(d, &argv, &[]);
            failures.extend(expect::resolves(r, &out));
            let shown = format!("resolves {} from {}", r.name, r.from);
            Ok((shown, Outcome { code: 0, ..out }))
        }
    }
}

/// Reads, parses and replays one file (twice when `determinism` is asked for).
pub fn run_file(path: &Path, determinism: bool) -> FileReport {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return FileReport::broken(path, format!("{}: {e}", path.display())),
    };
    let sc = match parse(path, &text) {
        Ok(s) => s,
        Err(e) => return FileReport::broken(path, e),
    };
    if let Some(why) = &sc.pending {
        let mut r = FileReport::blank(path);
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

/// Runs the files on `jobs` threads (at least one, at most one per file) and returns their
/// reports in the files' order. `progress(done, total)` is called as each file finishes, from
/// the thread that ran it.
pub fn run_files(
    files: &[PathBuf],
    jobs: usize,
    determinism: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<FileReport> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<FileReport>>> = files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let (Some(f), Some(slot)) = (files.get(i), slots.get(i)) else {
                        break;
                    };
                    let r = run_file(f, determinism);
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress(n, files.len());
                }
            });
        }
    });
    // Every slot is filled: the workers take every index before they stop.
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
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
}
