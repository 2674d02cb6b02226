//! `wget [-q] [-S] [-O -] [-T SEC] [-U AGENT] [--spider] URL` (networking/wget.c): one HTTP/1.1
//! `GET` with busybox's headers (`Host`, `User-Agent: Wget`, `Connection: close`), the
//! status line and headers on standard error with `-S`, the body on standard output with
//! `-O -`, and busybox's messages around it (`Connecting to HOST (IP:PORT)`, `writing to
//! stdout`, the progress line as libbb/progress.c prints it when the output is not a
//! terminal, `written to stdout`), none of them with `-q`. A status other than 2xx/3xx is
//! `server returned error: LINE`, status 1; a refused or silent server is `can't connect
//! to remote host (IP): …`; `-T` (default 900 s) ends a silent transfer with `download
//! timed out`. The container has no writable files yet, so only `-O -` (and `-O
//! /dev/null`) and `--spider` are simulated; HTTPS and FTP are not.

use super::applet::{ExecOptions, ExecResult, Output, finish};
use super::socket::{self, ConnectError};
use crate::docker::sandbox::Sandbox;
use crate::engine::World;
use crate::time::{Duration, Instant};

const USAGE: &str = "[-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...";

/// The most of a response kept (its head, and a body when output is gathered).
const MAX_RESPONSE: usize = 64 << 20;

/// What the command line asked.
struct Opts<'a> {
    quiet: bool,
    server_response: bool,
    spider: bool,
    /// `-O -`: standard output; `/dev/null`: nowhere.
    to_stdout: bool,
    /// Where the body goes, as the messages name it (`-O /dev/null`).
    output: &'a str,
    timeout: u64,
    agent: &'a str,
    urls: Vec<&'a str>,
}

fn not_simulated(args: &[&str], what: &str) -> ExecResult {
    super::applet::not_simulated("wget", Some(what), args)
}

fn parse<'a>(args: &[&'a str]) -> Result<Opts<'a>, Box<ExecResult>> {
    let mut o = Opts {
        quiet: false,
        server_response: false,
        spider: false,
        to_stdout: false,
        output: "-",
        timeout: 900,
        agent: "Wget",
        urls: Vec::new(),
    };
    let mut output = None;
    let need = |it: &mut std::slice::Iter<'_, &'a str>, c: char| {
        it.next().copied().ok_or_else(|| {
            Box::new(ExecResult::err(
                format!("wget: option requires an argument -- '{c}'\nBusyBox v1.36.1 multi-call binary.\n\nUsage: wget {USAGE}\n"),
                1,
            ))
        })
    };
    let mut rest: Vec<&'a str> = Vec::new();
    let mut iter = args.iter();
    while let Some(&a) = iter.next() {
        match a {
            "--spider" => o.spider = true,
            "--quiet" => o.quiet = true,
            "--server-response" => o.server_response = true,
            "--" => {
                rest.extend(iter.by_ref().copied());
                break;
            }
            _ if a.starts_with("--") => {
                return Err(
                    if matches!(
                        a.split('=').next().unwrap_or(a),
                        "--header"
                            | "--post-data"
                            | "--post-file"
                            | "--no-check-certificate"
                            | "--continue"
                            | "--output-document"
                            | "--output-file"
                            | "--directory-prefix"
                            | "--proxy"
                            | "--user-agent"
                            | "--timeout"
                            | "--tries"
                            | "--no-verbose"
                    ) {
                        Box::new(not_simulated(args, a))
                    } else {
                        Box::new(super::applet::bad_option("wget", a, USAGE))
                    },
                );
            }
            _ if a.starts_with('-') && a.len() > 1 => {
                let body = a.get(1..).unwrap_or_default();
                for (i, c) in body.char_indices() {
                    let tail = body.get(i + 1..).unwrap_or_default();
                    let value = |iter: &mut std::slice::Iter<'_, &'a str>| {
                        if tail.is_empty() {
                            need(iter, c)
                        } else {
                            Ok(tail)
                        }
                    };
                    match c {
                        'q' => o.quiet = true,
                        'S' => o.server_response = true,
                        'c' => return Err(Box::new(not_simulated(args, "-c"))),
                        'O' => {
                            output = Some(value(&mut iter)?);
                            break;
                        }
                        'T' => {
                            let v = value(&mut iter)?;
                            o.timeout = v.parse().map_err(|_| {
                                Box::new(ExecResult::err(
                                    format!("wget: invalid number '{v}'\n"),
                                    1,
                                ))
                            })?;
                            break;
                        }
                        'U' => {
                            o.agent = value(&mut iter)?;
                            break;
                        }
                        // Proxy on/off and retries are read and ignored, as busybox does.
                        'Y' | 't' => {
                            value(&mut iter)?;
                            break;
                        }
                        'n' => break,
                        'o' | 'P' => {
                            return Err(Box::new(not_simulated(args, &format!("-{c}"))));
                        }
                        _ => {
                            let e = super::applet::bad_option("wget", &format!("-{c}"), USAGE);
                            return Err(Box::new(e));
                        }
                    }
                }
            }
            _ => rest.push(a),
        }
    }
    match output {
        Some("-" | "/dev/stdout") => o.to_stdout = true,
        Some(f @ "/dev/null") => o.output = f,
        Some(_) if o.spider => {}
        Some(f) => return Err(Box::new(not_simulated(args, &format!("-O {f}")))),
        None if o.spider => {}
        None => return Err(Box::new(not_simulated(args, "saving to a file (use -O -)"))),
    }
    if rest.is_empty() {
        return Err(Box::new(ExecResult::err(
            format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: wget {USAGE}\n"),
            1,
        )));
    }
    o.urls = rest;
    Ok(o)
}

/// A URL as parse_url reads it: host (with its port, as the `Host` header carries it), the
/// port to connect to, the path after the first `/`.
struct Url<'a> {
    host: &'a str,
    path: &'a str,
}

fn parse_url(url: &str) -> Result<Url<'_>, String> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some(("https" | "ftp" | "ftps", _)) => {
            return Err(format!("wget: {url}: HTTPS and FTP: not simulated\n"));
        }
        Some(_) => return Err(format!("wget: not an http or ftp url: {url}\n")),
        None => url,
    };
    // The path starts after the first `/`, `?` or `#`, which is dropped (busybox 1.36
    // requests `http://web?x=1` as `GET /x=1`).
    let cut = rest.find(['/', '?', '#']);
    let (host, path) = match cut {
        None => (rest, ""),
        Some(i) => {
            let (h, p) = rest.split_at(i);
            (h, p.get(1..).unwrap_or_default())
        }
    };
    // user:password@ is dropped from the host (busybox sends it as Authorization).
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    Ok(Url { host, path })
}

/// xhost2sockaddr's `str2sockaddr`: `HOST[:PORT]`, `[IPV6]` or `[IPV6]:PORT`; a host with
/// more than one `:` is an IPv6 address without a port.
fn host_port(host: &str) -> Result<(&str, u16), String> {
    let bad_port = |p: &str| format!("wget: bad port '{p}'\n");
    if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return Err(format!("wget: bad address '{host}'\n"));
        };
        return match after.strip_prefix(':') {
            Some(p) => Ok((addr, p.parse().map_err(|_| bad_port(p))?)),
            None if after.is_empty() => Ok((addr, 80)),
            None => Err(format!("wget: bad address '{host}'\n")),
        };
    }
    match host.rsplit_once(':') {
        Some(_) if host.matches(':').count() > 1 => Ok((host, 80)),
        Some((h, p)) => Ok((h, p.parse().map_err(|_| bad_port(p))?)),
        None => Ok((host, 80)),
    }
}

/// `smart_ulltoa5`: a size in five columns, scaled past 99999 (`" 120k"`, `"92.1M"`).
fn size5(n: u64) -> String {
    const SCALE: &[u8] = b" kMGTPEZY";
    if n <= 99_999 {
        return format!("{n:>5}");
    }
    let mut ul = n.saturating_mul(10);
    let mut idx = 0;
    loop {
        ul /= 1024;
        idx += 1;
        if ul < 100_000 {
            break;
        }
    }
    let (u, v) = (ul / 10, ul % 10);
    let unit = SCALE.get(idx).copied().unwrap_or(b'?') as char;
    if u >= 100 {
        format!("{u:>4}{unit}")
    } else {
        format!("{u:>2}.{v}{unit}")
    }
}

/// The progress line's last state, as `bb_progress_update` prints it at the end of a
/// transfer that took no wall time to speak of: the name in 20 columns, the percentage and
/// the 32-column bar when the size was announced, the size, the ETA.
fn progress(tty: bool, name: &str, got: u64, total: Option<u64>) -> String {
    let mut s = String::new();
    if tty {
        s.push('\r');
    }
    s.push_str(&format!("{name:<20} "));
    if let Some(t) = total.filter(|t| *t > 0) {
        let ratio = 100 * got / t;
        s.push_str(&format!(
            "{ratio:>3}% |{}| ",
            "*".repeat((32 * got / t) as usize)
        ));
    }
    s.push_str(&size5(got));
    s.push_str(if got > 0 && total.is_some() {
        "  0:00:00 ETA"
    } else {
        " --:--:-- ETA"
    });
    s.push('\n');
    s
}

/// Runs `wget ARGS`.
pub fn run(sb: &mut Sandbox, args: &[&str], opts: &ExecOptions) -> ExecResult {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return *e,
    };
    if sb.host_network() {
        return super::applet::host_network();
    }
    let mut world = socket::world(sb, opts);
    let mut r = ExecResult::default();
    let mut out = Output::new(opts);
    for url in &o.urls {
        match fetch(sb, &mut world, &o, url, opts.tty, &mut out, &mut r.stderr) {
            Ok(()) => {}
            Err(msg) => {
                r.stderr.push_str(&msg);
                r.code = 1;
                break;
            }
        }
    }
    let (stdout, stopped) = out.finish();
    r.stdout = stdout;
    if let Some(why) = stopped {
        r.stderr.push_str(&why);
        r.code = 1;
    }
    finish(sb, &world, r)
}

/// One URL: `Err` carries busybox's dying words.
fn fetch(
    sb: &mut Sandbox,
    world: &mut World,
    o: &Opts,
    url: &str,
    tty: bool,
    out: &mut Output,
    stderr: &mut String,
) -> Result<(), String> {
    let u = parse_url(url)?;
    let (name, port) = host_port(u.host)?;
    // busybox names the server as the URL gives it, port and all.
    let server = u.host;
    let ip = super::nslookup::resolve_host_any(sb, world, name)
        .ok_or_else(|| format!("wget: bad address '{server}'\n"))?;
    if !o.quiet {
        let dotted = socket::dotted(ip, port);
        stderr.push_str(&format!("Connecting to {server} ({dotted})\n"));
    }
    // -T 0: no timeout at all.
    let timeout = (o.timeout > 0).then(|| Duration::from_secs(o.timeout));
    let alarm = timeout.map(|t| world.now() + t);
    let conn = match socket::connect(sb, world, ip, port, alarm, None) {
        Ok(c) => c,
        Err(ConnectError::Stopped) => return Err(String::new()),
        Err(ConnectError::Alarm) => return Err("wget: download timed out\n".into()),
        Err(e) => {
            // xconnect names the address for IPv4 only.
            let at = if ip.is_ipv4() {
                format!(" ({ip})")
            } else {
                String::new()
            };
            return Err(format!(
                "wget: can't connect to remote host{at}: {}\n",
                e.text(sb)
            ));
        }
    };
    let request = format!(
        "GET /{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nConnection: close\r\n\r\n",
        u.path, u.host, o.agent
    );
    let (n, h) = (conn.nic, conn.socket);
    let mut pending = request.as_bytes();
    while !pending.is_empty() {
        let k = world.tcp_send(n, h, pending);
        pending = pending.get(k..).unwrap_or_default();
        if k == 0 && !world.step() {
            break;
        }
    }
    // Everything the server sends, up to its close (`Connection: close`), with -T's alarm
    // over each wait.
    let mut got = Vec::new();
    let mut head_end = None;
    let mut body_start_printed = 0usize;
    let mut announced: Option<u64> = None;
    let mut started = false;
    loop {
        world.tcp_recv(n, h, &mut got, MAX_RESPONSE);
        if head_end.is_none()
            && let Some(i) = find(&got, b"\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| find(&got, b"\n\n").map(|i| i + 2))
        {
            head_end = Some(i);
            let head = String::from_utf8_lossy(got.get(..i).unwrap_or_default()).to_string();
            announced = read_head(&head, o, stderr)?;
            if o.spider {
                if !o.quiet {
                    stderr.push_str("remote file exists\n");
                }
                socket::close(world, &conn);
                return Ok(());
            }
            if !o.quiet {
                stderr.push_str(&if o.to_stdout {
                    "writing to stdout\n".to_string()
                } else {
                    format!("saving to '{}'\n", o.output)
                });
            }
            started = true;
            body_start_printed = i;
        }
        if let Some(start) = head_end {
            let end = match announced {
                Some(len) => (start as u64).saturating_add(len).min(got.len() as u64) as usize,
                None => got.len(),
            };
            if end > body_start_printed {
                if o.to_stdout {
                    out.push_bytes(got.get(body_start_printed..end).unwrap_or_default());
                }
                body_start_printed = end;
            }
            let body = (body_start_printed - start) as u64;
            if announced.is_some_and(|len| body >= len) {
                break;
            }
        }
        if world.tcp_eof(n, h)
            || out.stopped()
            || world.budget_exceeded().is_some()
            || got.len() >= MAX_RESPONSE
        {
            break;
        }
        let busy = |w: &mut World| {
            let s = w.nic_mut(n).tcp(h);
            !s.can_recv() && s.may_recv()
        };
        let silent = match timeout {
            Some(t) => {
                let deadline: Instant = world.now() + t;
                world.run_while(deadline, busy)
            }
            None => loop {
                if !busy(world) {
                    break false;
                }
                if !world.step() {
                    break true;
                }
            },
        };
        if world.budget_exceeded().is_some() {
            socket::close(world, &conn);
            return Err(String::new());
        }
        if silent {
            socket::close(world, &conn);
            return Err(if timeout.is_some() {
                "wget: download timed out\n".into()
            } else {
                "vnet: wget waits for a server that will never send again; stopped\n".into()
            });
        }
    }
    let reset = world.tcp_state(n, h) == crate::engine::tcp::State::Closed && !got.is_empty();
    socket::close(world, &conn);
    if head_end.is_none() {
        // fgets() found the end (or a reset) before a status line.
        return Err(if reset {
            "wget: error getting response: Connection reset by peer\n".into()
        } else {
            "wget: error getting response\n".into()
        });
    }
    if started && !o.quiet {
        let start = head_end.unwrap_or(0);
        let body = (body_start_printed - start) as u64;
        let name = o.output.rsplit('/').next().unwrap_or(o.output);
        stderr.push_str(&progress(tty, name, body, announced));
    }
    if announced.is_some_and(|len| {
        let start = head_end.unwrap_or(0);
        ((body_start_printed - start) as u64) < len
    }) {
        return Err("wget: connection closed prematurely\n".into());
    }
    if started && !o.quiet {
        stderr.push_str(&if o.to_stdout {
            "written to stdout\n".to_string()
        } else {
            format!("'{}' saved\n", o.output)
        });
    }
    Ok(())
}

/// The status line and headers: printed with `-S`, a failing status is the error; the
/// announced body length, if any.
fn read_head(head: &str, o: &Opts, stderr: &mut String) -> Result<Option<u64>, String> {
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or_default();
    if o.server_response {
        stderr.push_str(&format!("  {status_line}\n"));
    }
    let status: u32 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !matches!(status, 200..=204 | 300..=303 | 307 | 308) {
        return Err(format!("wget: server returned error: {status_line}\n"));
    }
    let mut len = None;
    for l in lines {
        if o.server_response {
            stderr.push_str(&format!("  {l}\n"));
        }
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            let v = v.trim();
            len = Some(
                v.parse::<u64>()
                    .map_err(|_| format!("wget: content-length {v} is garbage\n"))?,
            );
        }
    }
    Ok(len)
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_progress_as_libbb_prints_them() {
        assert_eq!(size5(615), "  615");
        assert_eq!(size5(99_999), "99999");
        assert_eq!(size5(123_456), " 120k");
        assert_eq!(size5(96_600_000), "92.1M");
        assert_eq!(
            progress(false, "-", 615, Some(615)),
            "-                    100% |********************************|   615  0:00:00 ETA\n"
        );
    }

    #[test]
    fn urls_as_parse_url_reads_them() {
        let u = parse_url("http://web:8080/a/b?c").unwrap();
        assert_eq!((u.host, u.path), ("web:8080", "a/b?c"));
        let u = parse_url("http://web?x=1").unwrap();
        assert_eq!((u.host, u.path), ("web", "x=1"));
        let u = parse_url("web").unwrap();
        assert_eq!((u.host, u.path), ("web", ""));
        assert!(parse_url("gopher://x").is_err());
    }
}
