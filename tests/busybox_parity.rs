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
