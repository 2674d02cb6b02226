//! The state directory is kept as a database keeps its files: owner-only modes, no symbolic
//! link followed, a directory of the user's own, errors that name the path once, and outputs
//! (`--capture`) opened before the command changes anything.

mod common;

use common::Vnet;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

fn mode(p: &std::path::Path) -> u32 {
    fs::metadata(p).expect("exists").permissions().mode() & 0o777
}

#[test]
fn a_fresh_state_directory_is_owner_only() {
    let v = Vnet::new("modes");
    v.ok(&["network", "create", "n1"]);
    assert_eq!(mode(&v.dir), 0o700);
    for f in ["state.db", "state.db-wal", "state.db-shm"] {
        let p = v.dir.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{f}");
        }
    }
    assert_eq!(mode(&v.state_file()), 0o600);
}

#[test]
fn no_link_in_the_state_directory_is_followed() {
    for name in [
        "state.db",
        "state.db-wal",
        "state.db-shm",
        "state.db.migrating",
    ] {
        let v = Vnet::new("links");
        v.ok(&["network", "ls"]);
        let before = v.state_bytes();
        let target = v.dir.with_extension("target");
        let _ = fs::remove_file(&target);
        let link = v.dir.join(name);
        let _ = fs::remove_file(&link);
        symlink(&target, &link).expect("links");
        let r = v.run(&["network", "create", "n1"]);
        assert_eq!(r.code, 1, "{name}: {r:?}");
        assert_eq!(
            r.stderr,
            format!(
                "vnet: state {} is a symbolic link, and vnet follows no link in its state directory: remove it\n",
                link.display()
            )
        );
        assert!(!target.exists(), "{name}: nothing written through the link");
        fs::remove_file(&link).expect("unlinks");
        if name != "state.db" {
            assert_eq!(v.state_bytes(), before, "{name}: state unchanged");
        }
    }
}

/// `vnet network ls` with `dir` as the state directory.
fn run_in(dir: &std::path::Path) -> common::Run {
    let out = std::process::Command::new(common::bin())
        .args(["network", "ls"])
        .env("VNET_STATE_DIR", dir)
        .output()
        .expect("vnet runs");
    common::Run {
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        code: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn a_dangling_link_as_the_directory_is_named_once() {
    let v = Vnet::new("dangling");
    let base = v.dir.with_extension("d");
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).expect("creates");
    let link = base.join("state");
    symlink(base.join("nowhere"), &link).expect("links");
    let r = run_in(&link);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "vnet: state {} is a symbolic link to {}, which does not exist: create that directory, or remove the link\n",
            link.display(),
            base.join("nowhere").display()
        )
    );
    // An OS error is said once, with the path.
    let file = base.join("file");
    fs::write(&file, "").expect("writes");
    let r = run_in(&file);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "vnet: state directory {}: File exists (os error 17)\n",
            file.display()
        )
    );
    fs::remove_dir_all(&base).expect("cleans up");
}

#[test]
fn a_directory_of_another_user_is_refused() {
    // Only root can give a directory away.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root to make a directory another user owns");
        return;
    }
    let v = Vnet::new("owner");
    fs::create_dir_all(&v.dir).expect("creates");
    std::os::unix::fs::chown(&v.dir, Some(65534), None).expect("chowns");
    let r = v.run(&["network", "ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "vnet: state {} is owned by user 65534, not by you (user 0)",
            v.dir.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!v.state_file().exists(), "nothing created");
}

#[test]
fn a_capture_that_cannot_be_written_stops_the_command_first() {
    let v = Vnet::new("capture");
    v.ok(&["network", "create", "n1"]);
    let before = v.state_bytes();
    let r = v.run(&[
        "--capture",
        "/nonexistent/x.pcapng",
        "network",
        "create",
        "n2",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "vnet: cannot write the capture /nonexistent/x.pcapng: No such file or directory (os error 2)\n"
    );
    assert_eq!(v.state_bytes(), before, "nothing changed");
    // One that fails once written says the change was saved.
    if std::path::Path::new("/dev/full").exists() {
        let r = v.run(&["--capture", "/dev/full", "network", "create", "n3"]);
        assert_eq!(r.code, 1);
        assert_eq!(
            r.stderr,
            "vnet: the command's changes were saved, but the capture /dev/full failed: No space left on device (os error 28)\n"
        );
        assert!(v.ok(&["network", "ls"]).contains(" n3 "));
    }
}
