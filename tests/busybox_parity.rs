//! vnet's shell and text applets against the real busybox: each command line runs in
//! `busybox sh -c` on this machine (every filter called as `busybox APPLET`, so that neither
//! side reaches GNU coreutils) and in a vnet container (`vnet exec c sh -c`); standard
//! output, standard error and the status must be the same. Needs the `busybox` binary
//! (Debian's package; `.ci/run` installs it); says why it skips otherwise.

mod common;

use common::Vnet;
use std::process::Command;

/// Lines whose whole answer depends only on the shell and the applets (no files of the
/// container, no network).
const LINES: &[&str] = &[
    // Lists, statuses, exit.
    "true && echo and; false && echo no; false || echo or; echo $?",
    "false; echo $?; ! false; echo $?; ! true; echo $?",
    "echo a; exit 3; echo never",
    "exit 300",
    "exit abc",
    "echo one; false | true; echo $?",
    "true | false; echo $?",
    "nosuch x",
    "/nope/tool",
    // Syntax errors.
    "echo a &&",
    "&& echo a",
    "echo 'open",
    "echo \"open",
    "a | | b",
    ";",
    "echo a ;; echo b",
    "echo ${x",
    "echo ${1a}",
    // Words and parameters.
    "X=\"a   b\"; echo $X; echo \"$X\"; echo '$X'; echo pre${X}post",
    "echo \"a\\\"b\" 'c\\d' e\\ f \"\\$HOME\" \"x\\y\"",
    "A=1; echo $A; unset A; echo \"[$A]\"",
    "echo $# $0",
    "echo a # b; echo a#b",
    "X=1 Y=2; echo $X$Y",
    "echo -n a; echo b; echo -e 'x\\ty\\c'; echo; echo -- -n",
    // printf, ash's builtin.
    "printf '%5s|%-5s|%05d|%x|%o|%c\\n' ab cd 42 255 8 xyz",
    "printf '%s\\n' a b c",
    "printf '%d\\n' x",
    "printf '%#x %+d % d %.3d\\n' 255 5 5 7",
    // The filters, by their busybox names.
    "printf 'a b\\nc\\n' | busybox wc",
    "printf 'a b\\nc\\n' | busybox wc -l",
    "printf 'a b\\nc\\n' | busybox wc -lw",
    "printf 'x' | busybox wc -c",
    "busybox seq 12 | busybox head",
    "busybox seq 12 | busybox head -n 2",
    "busybox seq 12 | busybox head -3",
    "busybox seq 12 | busybox tail -n 3",
    "busybox seq 12 | busybox tail -n +10",
    "busybox seq 5 | busybox tail -2",
    "busybox seq -s , 5",
    "busybox seq -w 9 11",
    "busybox seq 1 0.5 3",
    "busybox seq 5 -2 0",
    "busybox seq 3 1",
    "printf 'b\\na\\nc\\na\\n' | busybox sort",
    "printf 'b\\na\\nc\\na\\n' | busybox sort -u",
    "printf 'b\\na\\nc\\na\\n' | busybox sort -r",
    "printf '10\\n9\\n100\\n' | busybox sort -n",
    "printf '10\\n9\\n100\\n' | busybox sort -rn",
    "printf 'x:3\\ny:1\\nz:2\\n' | busybox sort -t : -k 2",
    "busybox sort -k 0 </dev/null",
    "printf 'a:b:c\\nd:e:f\\n' | busybox cut -d : -f 2",
    "printf 'a:b:c\\nd:e:f\\n' | busybox cut -d : -f 1,3",
    "printf 'a:b:c\\nnone\\n' | busybox cut -d : -f 2-",
    "printf 'a:b:c\\nnone\\n' | busybox cut -s -d : -f 2",
    "printf 'hello\\n' | busybox cut -c 2-4",
    "printf 'hello\\n' | busybox cut -c 3-2",
    "busybox cut -d : </dev/null",
    "printf 'one\\ntwo\\nthree\\n' | busybox grep -n t",
    "printf 'one\\ntwo\\nthree\\n' | busybox grep -v t",
    "printf 'one\\ntwo\\nthree\\n' | busybox grep -c o",
    "printf 'One\\ntwo\\n' | busybox grep -i one",
    "printf 'a+b\\nab\\n' | busybox grep 'a+b'",
    "printf 'a+b\\naab\\n' | busybox grep -E 'a+b'",
    "printf 'ab\\naab\\n' | busybox grep 'a\\+b'",
    "printf 'abc\\nabcd\\n' | busybox grep -x abc",
    "printf 'eth0 up\\neth01\\n' | busybox grep -w eth0",
    "printf 'x1y2\\n' | busybox grep -o '[0-9]'",
    "printf 'a.b\\naxb\\n' | busybox grep -F a.b",
    "printf 'a\\nb\\n' | busybox grep -e a -e b",
    "printf 'a\\n' | busybox grep -q a; echo $?; printf 'a\\n' | busybox grep -q b; echo $?",
    "printf 'a\\n' | busybox grep b; echo $?",
    "printf 'x\\n' | busybox cat",
    "busybox seq 3 | busybox cat - ",
];

fn busybox(line: &str) -> Option<(String, String, i32)> {
    let out = Command::new("busybox")
        .args(["sh", "-c", line])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

#[test]
fn shell_and_filters_answer_as_busybox() {
    if busybox("true").is_none() {
        eprintln!("skipped: needs busybox (Debian's package); .ci/run installs it");
        return;
    }
    let v = Vnet::new("bbparity");
    v.ok(&["run", "-dit", "--name", "box", "busybox"]);
    let mut diffs = Vec::new();
    for line in LINES {
        // `</dev/null` only keeps the host's busybox off the test's input; vnet's shell
        // reads nothing there either.
        let theirs = busybox(line).expect("busybox runs");
        let vline = line.replace(" </dev/null", "");
        let ours = v.run(&["exec", "box", "sh", "-c", &vline]);
        let ours = (ours.stdout, ours.stderr, ours.code);
        if ours != theirs {
            diffs.push(format!(
                "{line}\n  busybox: {theirs:?}\n  vnet:    {ours:?}"
            ));
        }
    }
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

/// Requests to `httpd -h DIR`, raw, as `nc` sends them.
const REQUESTS: &[&str] = &[
    "GET / HTTP/1.1\r\nHost: web\r\n\r\n",
    "GET /index.html?x=1 HTTP/1.0\r\n\r\n",
    "HEAD /index.html HTTP/1.0\r\n\r\n",
    "GET /sub HTTP/1.0\r\n\r\n",
    "GET /sub?q HTTP/1.0\r\n\r\n",
    "GET /sub/ HTTP/1.0\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=1-2\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=1-\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=9-\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=0-0\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=1-2,4-5\r\n\r\n",
    "GET /sub/a.txt HTTP/1.0\r\nRange: bytes=1-3\r\nRange: items=1-2\r\n\r\n",
    "POST / HTTP/1.0\r\nContent-Length: +5\r\n\r\n",
    "GET /cgi-bin/sub?a=1 HTTP/1.0\r\n\r\n",
    "GET /cgi-bin/sub/x HTTP/1.0\r\n\r\n",
    "GET /style.css HTTP/1.0\r\n\r\n",
    "GET /x.cs HTTP/1.0\r\n\r\n",
    "GET /sub/../sub/./a.txt HTTP/1.0\r\n\r\n",
    "GET //index.html HTTP/1.0\r\n\r\n",
    "GET /nope HTTP/1.0\r\n\r\n",
    "GET /../x HTTP/1.0\r\n\r\n",
    "GET /a%2Fb HTTP/1.0\r\n\r\n",
    "GET /a%zz HTTP/1.0\r\n\r\n",
    "GET /%69ndex.html HTTP/1.0\r\n\r\n",
    "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    "POST / HTTP/1.0\r\nContent-Length: x\r\n\r\n",
    "PUT /x HTTP/1.0\r\n\r\n",
    "get / HTTP/1.0\r\n\r\n",
    "GET / FOO\r\n\r\n",
    "BLAH\r\n\r\n",
    "GET /cgi-bin/ HTTP/1.0\r\n\r\n",
    "GET /cgi-bin/x HTTP/1.0\r\n\r\n",
    "GET /httpd.conf HTTP/1.0\r\n\r\n",
    "\r\n",
];

/// The files both servers serve: (path under the home, text).
const SITE: &[(&str, &str)] = &[
    ("index.html", "<h1>hi</h1>\n"),
    ("sub/a.txt", "data\n"),
    ("style.css", "body {}\n"),
    ("x.cs", "x\n"),
    ("httpd.conf", ""),
    ("cgi-bin/sub/x", "x\n"),
];

/// An answer without what differs by when it was made: `Date`, and the file's time in
/// `Last-Modified` and `ETag`.
fn timeless(answer: &str) -> String {
    answer
        .split("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .map(|l| {
            if l.starts_with("Last-Modified: ") {
                "Last-Modified: T".to_string()
            } else if let Some(tag) = l.strip_prefix("ETag: \"") {
                format!("ETag: \"T-{}", tag.split_once('-').map_or("", |(_, s)| s))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// busybox httpd in vnet against the real one on this machine's loopback: the same files,
/// the same raw requests through `nc`; the answers must be byte for byte the same but for
/// the time of day. And the errors it starts with.
#[test]
fn httpd_answers_as_busybox() {
    if busybox("true").is_none() {
        eprintln!("skipped: needs busybox (Debian's package); .ci/run installs it");
        return;
    }
    let home = std::env::temp_dir().join(format!("vnet-httpd-{}", std::process::id()));
    std::fs::create_dir_all(home.join("sub")).unwrap();
    std::fs::create_dir_all(home.join("cgi-bin/sub")).unwrap();
    for (path, text) in SITE {
        std::fs::write(home.join(path), text).unwrap();
    }
    let port = 20_000 + std::process::id() % 20_000;
    let mut server = Command::new("busybox")
        .args(["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h"])
        .arg(&home)
        .spawn()
        .expect("busybox httpd runs");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let theirs: Vec<String> = REQUESTS
        .iter()
        .map(|r| {
            let out = Command::new("busybox")
                .args(["nc", "127.0.0.1", &port.to_string()])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut ch| {
                    use std::io::Write;
                    ch.stdin.take().unwrap().write_all(r.as_bytes())?;
                    ch.wait_with_output()
                })
                .expect("busybox nc runs");
            timeless(&String::from_utf8_lossy(&out.stdout))
        })
        .collect();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&home);

    let v = Vnet::new("httpdparity");
    v.ok(&["network", "create", "lab"]);
    v.ok(&["run", "-dit", "--name", "web", "--net", "lab", "busybox"]);
    v.ok(&["run", "-dit", "--name", "cl", "--net", "lab", "busybox"]);
    v.ok(&["exec", "web", "mkdir", "-p", "/www/sub", "/www/cgi-bin/sub"]);
    for (path, text) in SITE {
        let line = format!("printf '{}' > /www/{path}", text.replace('\n', "\\n"));
        v.ok(&["exec", "web", "sh", "-c", &line]);
    }
    v.ok(&["exec", "web", "httpd", "-h", "/www"]);
    let mut diffs = Vec::new();
    for (r, theirs) in REQUESTS.iter().zip(&theirs) {
        let line = format!(
            "printf '{}' | nc web 80",
            r.replace('\r', "\\r")
                .replace('\n', "\\n")
                .replace('%', "%%")
        );
        let ours = timeless(&v.run(&["exec", "cl", "sh", "-c", &line]).stdout);
        if &ours != theirs {
            diffs.push(format!("{r:?}\n  busybox: {theirs:?}\n  vnet:    {ours:?}"));
        }
    }
    // How it starts, or does not.
    for line in [
        "busybox httpd -h /nonexistent-home -p 1",
        "busybox httpd -p abc",
        "busybox httpd -p +8081",
        "busybox httpd -p 127.0.0.1:99999",
        "busybox httpd -h ''",
        "busybox httpd -d 'a%41+b%zz'",
        "busybox httpd -e 'a<b> c'",
        "busybox httpd -y",
    ] {
        let theirs = busybox(line).expect("busybox runs");
        let ours = v.run(&["exec", "web", "sh", "-c", line]);
        let ours = (ours.stdout, ours.stderr, ours.code);
        // The usage text names the version (1.36.1 in the image, the host's own here).
        let strip = |s: &str| s.split("BusyBox v").next().unwrap_or("").to_string();
        if (&ours.0, strip(&ours.1), ours.2) != (&theirs.0, strip(&theirs.1), theirs.2) {
            diffs.push(format!(
                "{line}\n  busybox: {theirs:?}\n  vnet:    {ours:?}"
            ));
        }
    }
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}
