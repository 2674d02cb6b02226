//! `httpd [-ifv[v]] [-c CONFFILE] [-p [IP:]PORT] [-u USER[:GRP]] [-r REALM] [-h HOME]`
//! (networking/httpd.c): a web server for the container's files. Without `-f` it checks its
//! home directory and port, then leaves a server running in the background and returns 0,
//! as busybox's daemonizing does; `-f` (foreground) is for `exec -d` and `CMD &`, where it is
//! the same server. What it answers is [`crate::servers::busybox_httpd`]'s.
//!
//! `-d STRING` and `-e STRING` print STRING URL-decoded or HTML-encoded. `-c`, `-i`, `-m`,
//! `-r`, `-u` and `-p IP:PORT` on one of the container's addresses are not simulated and say
//! so; `-v` is accepted (its log goes where a daemon's stderr goes: nowhere).

use super::applet::{Errno, ExecResult, Getopt, not_simulated, strerror};
use crate::docker::container::Process;
use crate::docker::container::fs::normalize;
use crate::docker::image::Service;
use crate::docker::sandbox::Sandbox;
use std::net::Ipv4Addr;

const USAGE: &str = "[-ifv[v]] [-c CONFFILE] [-p [IP:]PORT] [-u USER[:GRP]] [-r REALM] [-h HOME]\nor httpd -d/-e/-m STRING";

fn parse<'a>(args: &[&'a str]) -> Result<Getopt<'a>, Box<ExecResult>> {
    Getopt::parse("httpd", args, "ifv", "cdhermup", false, USAGE)
}

/// Runs `httpd ARGS` as a command: prints (`-d`, `-e`) or starts the server.
pub fn run(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    let g = match parse(args) {
        Ok(g) => g,
        Err(e) => return *e,
    };
    if let Some(s) = g.value('d') {
        return ExecResult::out(url_decode(s));
    }
    if let Some(s) = g.value('e') {
        return ExecResult::out(html_encode(s));
    }
    if g.has('f') {
        // The server would wait for clients that no other command can be while it runs.
        return ExecResult::err(
            "httpd: -f in the foreground is not simulated (no other command runs while it waits): start it without -f, with `exec -d` or with `&`, the container keeps serving\n".into(),
            1,
        );
    }
    match listen(sb, args) {
        Ok(p) => super::keep_running(sb, p),
        Err(e) => *e,
    }
}

/// The server `httpd ARGS` leaves running: its home directory checked (`xchdir`) and its
/// port bound, or busybox's error for either.
pub fn listen(sb: &Sandbox, args: &[&str]) -> Result<Process, Box<ExecResult>> {
    let g = parse(args)?;
    if let Some(f) = ['c', 'r', 'u', 'm', 'd', 'e']
        .into_iter()
        .find(|f| g.value(*f).is_some())
    {
        return Err(Box::new(not_simulated(
            "httpd",
            Some(&format!("-{f}")),
            args,
        )));
    }
    if g.has('i') {
        return Err(Box::new(not_simulated("httpd", Some("-i"), args)));
    }
    let h = g.value('h').unwrap_or(".");
    let home = normalize(&sb.cwd(), h);
    // chdir("") is ENOENT; a file on the way is ENOTDIR.
    let through_file = std::iter::successors(Some(home.as_str()), |p| {
        p.rfind('/')
            .and_then(|i| p.get(..i))
            .filter(|p| !p.is_empty())
    })
    .any(|p| sb.file(p).is_some());
    if h.is_empty() || !sb.is_dir(&home) {
        let why = if !h.is_empty() && through_file {
            "Not a directory"
        } else {
            "No such file or directory"
        };
        return Err(Box::new(ExecResult::err(
            format!(
                "httpd: can't change directory to '{}': {why}\n",
                g.value('h').unwrap_or(".")
            ),
            1,
        )));
    }
    let (port, ipv4_only) = bind(sb, g.value('p').unwrap_or("80"), args)?;
    if sb.services(sb.name()).iter().any(|(p, _)| *p == port) {
        return Err(Box::new(ExecResult::err(
            format!("httpd: bind: {}\n", strerror(sb, Errno::AddrInUse)),
            1,
        )));
    }
    Ok(Process {
        argv: std::iter::once("httpd")
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect(),
        listens: vec![(port, Service::BusyboxHttpd)],
        udp: Vec::new(),
        persistent: true,
        home: Some(home),
        ipv4_only,
        // start_process numbers it.
        pid: 0,
        started: None,
        uid: 0,
    })
}

/// `openServer`: `-p PORT` (1 to 65535) binds every address of both families; anything else
/// is `[IP][:PORT]` (port 80 by default), read as `inet_aton` reads an address, an IPv4
/// socket. Returns the port, and whether the socket is IPv4's only.
fn bind(sb: &Sandbox, p: &str, args: &[&str]) -> Result<(u16, bool), Box<ExecResult>> {
    let number = super::applet::strtou;
    if let Some(n) = number(p)
        && (1..=65535).contains(&n)
    {
        return Ok((n as u16, false));
    }
    // str2sockaddr reads the port first, then the address.
    let (host, port) = match p.rsplit_once(':') {
        Some((h, port)) => match number(port).and_then(|n| u16::try_from(n).ok()) {
            Some(n) => (h, n),
            None => {
                return Err(Box::new(ExecResult::err(
                    format!("httpd: bad port '{port}'\n"),
                    1,
                )));
            }
        },
        None => (p, 80),
    };
    let bad = || Box::new(ExecResult::err(format!("httpd: bad address '{p}'\n"), 1));
    let ip = inet_aton(host).ok_or_else(bad)?;
    if ip.is_unspecified() {
        return Ok((port, true));
    }
    if sb.ifaces().iter().any(|i| i.holds(ip)) || ip.is_loopback() {
        return Err(Box::new(not_simulated(
            "httpd",
            Some("-p IP:PORT (one address of the container)"),
            args,
        )));
    }
    Err(Box::new(ExecResult::err(
        format!("httpd: bind: {}\n", strerror(sb, Errno::AddrNotAvail)),
        1,
    )))
}

/// `inet_aton`: `a.b.c.d`, and its short forms (`a.b.c`, `a.b`, a single number), each part
/// decimal, octal (`0`) or hex (`0x`).
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u32> = s
        .split('.')
        .map(|p| {
            if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                u32::from_str_radix(h, 16).ok()
            } else if p.len() > 1 && p.starts_with('0') {
                u32::from_str_radix(p, 8).ok()
            } else if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let n = match parts.as_slice() {
        [a] => *a,
        [a, b] if *a < 256 && *b < 1 << 24 => a << 24 | b,
        [a, b, c] if *a < 256 && *b < 256 && *c < 1 << 16 => a << 24 | b << 16 | c,
        [a, b, c, d] if [a, b, c, d].iter().all(|x| **x < 256) => a << 24 | b << 16 | c << 8 | d,
        _ => return None,
    };
    Some(Ipv4Addr::from(n))
}

/// `httpd -d`: `percent_decode_in_place(s, strict=0)`: `+` is a space, a bad `%XX` stays
/// (printed with `fputs`, so up to a decoded NUL).
fn url_decode(s: &str) -> String {
    let b = crate::servers::busybox_httpd::percent_decode(s, false).unwrap_or_default();
    let b = b.split(|c| *c == 0).next().unwrap_or_default();
    String::from_utf8_lossy(b).into_owned()
}

/// `httpd -e`: every byte but letters and digits as `&#N;`.
fn html_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("&#{b};")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_decoded_and_encoded_as_httpd() {
        assert_eq!(url_decode("a%20b+c%zz"), "a b c%zz");
        assert_eq!(html_encode("a<b> c"), "a&#60;b&#62;&#32;c");
        assert_eq!(inet_aton("0"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(inet_aton("99999"), Some(Ipv4Addr::new(0, 1, 134, 159)));
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("abc"), None);
    }
}
