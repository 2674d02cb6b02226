//! `sysctl [-n] [-w] KEY[=VALUE]...` (procps/sysctl.c) for the one parameter vnet
//! simulates, `net.ipv4.ip_forward`.
//!
//! Docker mounts `/proc/sys` read only in every container that is not privileged (moby's
//! default `ReadonlyPaths`), `CAP_NET_ADMIN` or not, so a write fails as the kernel fails
//! it there: `sysctl: error setting key 'KEY': Read-only file system`. The way to turn
//! forwarding on is `docker run --sysctl net.ipv4.ip_forward=1`, or `sysctl -w` in a
//! `--privileged` container, where the kernel reads the value as it reads any integer
//! setting (a bad one is `sysctl: write error: Invalid argument`, and sysctl stops).

use super::applet::ExecResult;
use crate::docker::sandbox::Sandbox;

/// The key vnet has.
const IP_FORWARD: &str = "net.ipv4.ip_forward";

/// Runs `sysctl ARGS`.
pub fn run(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    let mut write = false;
    let mut quiet = false;
    let mut names = true;
    let mut settings = Vec::new();
    for a in args {
        // Options come first: after a setting, everything is one.
        if !settings.is_empty() {
            settings.push(*a);
            continue;
        }
        match *a {
            "-w" => write = true,
            "-n" => names = false,
            "-e" => {}
            "-q" => quiet = true,
            a if a.starts_with('-') => {
                return super::applet::not_simulated("sysctl", Some(a), args);
            }
            a => settings.push(a),
        }
    }
    if settings.is_empty() {
        return super::applet::not_simulated("sysctl", None, args);
    }
    let mut r = ExecResult::default();
    for s in settings {
        // The name turned into a path under /proc/sys, and back with dots for messages.
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (s, None),
        };
        let shown = key.replace('/', ".");
        if write && value.is_none() {
            r.stderr.push_str(&format!(
                "sysctl: error: '{shown}' must be of the form name=value\n"
            ));
            r.code = 1;
            continue;
        }
        if shown != IP_FORWARD {
            return super::applet::not_simulated("sysctl", Some(&shown), args);
        }
        if let Some(value) = value {
            // /proc/sys is read-only unless the container is privileged (EROFS comes
            // first); the file is root's, 0644.
            let denied = if !sb.privileged() {
                Some("Read-only file system")
            } else if sb.uid() != 0 {
                Some("Permission denied")
            } else {
                None
            };
            if let Some(why) = denied {
                r.stderr
                    .push_str(&format!("sysctl: error setting key '{shown}': {why}\n"));
                r.code = 1;
                continue;
            }
            // Nothing written for an empty value; else the kernel reads it (xwrite dies
            // on its error).
            if !value.is_empty() {
                let Some(v) = crate::docker::container::proc_int(value) else {
                    r.stderr.push_str("sysctl: write error: Invalid argument\n");
                    r.code = 1;
                    return r;
                };
                sb.set_ip_forward(v);
            }
            if !quiet {
                if names {
                    r.stdout.push_str(&format!("{shown} = "));
                }
                r.stdout.push_str(value);
                r.stdout.push('\n');
            }
            continue;
        }
        let v = sb.ip_forward_value();
        if names {
            r.stdout.push_str(&format!("{shown} = {v}\n"));
        } else {
            r.stdout.push_str(&format!("{v}\n"));
        }
    }
    r
}
