//! `vnet scenario run` through the real binary: reports, failures that point at the step,
//! bad input, JUnit output.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn vnet(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(common::bin()).args(args).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vnet-scn-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn walkthrough() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/seed-walkthrough.yaml"
    ))
    .unwrap()
}

#[test]
fn the_walkthrough_replays_green() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/seed-walkthrough.yaml"
    );
    let (out, _, code) = vnet(&["scenario", "run", "--check-determinism", file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");
}

#[test]
fn a_changed_expectation_fails_at_its_step() {
    let d = tmp("broken");
    let text = walkthrough().replacen(
        "PING app (172.25.0.5): 56 data bytes",
        "PING app (172.25.0.9): 56 data bytes",
        1,
    );
    let line = text.lines().position(|l| l.contains("172.25.0.9")).unwrap();
    // The step starts a few lines above the changed expectation.
    let step_line = text
        .lines()
        .take(line)
        .enumerate()
        .filter(|(_, l)| l.starts_with("  - "))
        .last()
        .unwrap()
        .0
        + 1;
    let file = d.join("broken.yaml");
    std::fs::write(&file, text).unwrap();
    let (out, _, code) = vnet(&["scenario", "run", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("(line {step_line}): docker attach container4\n")),
        "{out}"
    );
    assert!(
        out.contains("stdout does not contain \"PING app (172.25.0.9)"),
        "{out}"
    );
    assert!(
        out.contains("    PING app (172.25.0.5): 56 data bytes\n"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");
}

#[test]
fn broken_files_are_reported_and_the_others_run() {
    let d = tmp("bad");
    std::fs::write(
        d.join("a-unknown-key.yaml"),
        "name: x\nsteps:\n  - run: docker ps\n    bogus: 1\n",
    )
    .unwrap();
    std::fs::write(d.join("b-not-yaml.yaml"), "name: [unclosed\n").unwrap();
    std::fs::write(
        d.join("c-good.yaml"),
        "name: good\nsteps:\n  - run: docker network ls -q\n    expect:\n      stdout: {regex: \"^([0-9a-f]{12}\\n){3}$\"}\n",
    )
    .unwrap();
    let (out, _, code) = vnet(&["scenario", "run", "--jobs", "2", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "a-unknown-key.yaml:4:5: unknown field `bogus`, expected one of run, input, exec"
        ),
        "{out}"
    );
    assert!(out.contains("b-not-yaml.yaml:"), "{out}");
    assert!(
        out.contains("PASS ") && out.contains("c-good.yaml (1 steps"),
        "{out}"
    );
    assert!(out.ends_with("1 passed, 2 failed\n"), "{out}");
}

#[test]
fn junit_and_json_reports() {
    let d = tmp("junit");
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/seed-walkthrough.yaml"
    );
    let xml = d.join("report.xml");
    let (_, _, code) = vnet(&["scenario", "run", "--junit", xml.to_str().unwrap(), file]);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"),
        "{text}"
    );
    assert_eq!(
        text.matches("<testcase ").count(),
        text.matches("</testcase>").count()
    );
    // A real XML parser accepts it, where one is at hand.
    if let Ok(o) = Command::new("python3")
        .args([
            "-c",
            "import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); s=r.find('testsuite'); assert r.tag=='testsuites' and int(s.get('tests'))==len(s.findall('testcase')) and s.get('failures')=='0'",
            xml.to_str().unwrap(),
        ])
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (json, _, _) = vnet(&["scenario", "run", "--json", file]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v[0]["name"],
        "Work with network commands (the seed walkthrough)"
    );
    assert!(v[0]["steps"].as_array().unwrap().len() > 40);
}
