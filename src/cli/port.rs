//! `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`: docker/cli
//! `cli/command/container/port.go` (`runPort`). The CLI inspects the container and prints
//! its `NetworkSettings.Ports`: every binding as `PORT/PROTO -> HOST:PORT`, or one private
//! port's bindings as `HOST:PORT` (TCP unless a protocol is given), in natural order
//! (`github.com/fvbommel/sortorder` `NaturalLess`), host and port joined as Go's
//! `net.JoinHostPort` does (`[::]:8080`).

use super::{Outcome, Want, arity};
use crate::docker::Daemon;
use crate::golang::sortorder::natural_cmp;
use clap::Args;
use serde_json::Value;

/// `port` arguments.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct PortArgs {
    /// CONTAINER [PRIVATE_PORT[/PROTO]]
    args: Vec<String>,
}

impl PortArgs {
    /// The container named.
    pub(super) fn scope(&self) -> crate::store::Scope {
        crate::store::Scope::of(super::network::first(&self.args), &[])
    }
}

/// `runPort`.
pub(super) fn port(a: &PortArgs, prog: &str, d: &Daemon, o: &mut Outcome) {
    if !arity(prog, "port", a.args.len(), Want::Range(1, 2), o) {
        return;
    }
    let Some(term) = a.args.first() else {
        return;
    };
    let c = match d.find_container(term).and_then(|id| d.container(&id)) {
        Ok(c) => c,
        Err(e) => return o.daemon_error(&e),
    };
    let inspect = d.container_inspect(c);
    let ports = inspect
        .get("NetworkSettings")
        .and_then(|s| s.get("Ports"))
        .unwrap_or(&Value::Null);
    let frontend = |b: &Value| {
        join_host_port(
            b["HostIp"].as_str().unwrap_or_default(),
            b["HostPort"].as_str().unwrap_or_default(),
        )
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(spec) = a.args.get(1) {
        let (port, proto) = spec.split_once('/').unwrap_or((spec, ""));
        let proto = if proto.is_empty() { "tcp" } else { proto };
        if let Err(e) = parse_port(port) {
            return o.fail(format!("Error: invalid port ({port}): {e}"));
        }
        let bindings = ports
            .get(format!("{port}/{proto}"))
            .and_then(Value::as_array)
            .filter(|b| !b.is_empty());
        let Some(bindings) = bindings else {
            return o.fail(format!(
                "Error: No public port '{spec}' published for {term}"
            ));
        };
        out.extend(bindings.iter().map(frontend));
    } else if let Some(ports) = ports.as_object() {
        for (from, bindings) in ports {
            for b in bindings.as_array().into_iter().flatten() {
                out.push(format!("{from} -> {}", frontend(b)));
            }
        }
    }
    if !out.is_empty() {
        out.sort_by(|x, y| natural_cmp(x, y));
        o.outln(out.join("\n"));
    }
}

/// `strconv.ParseUint(s, 10, 16)`'s errors: a non-digit is a syntax error, and a value
/// past 65535 a range error as soon as its digits pass it.
fn parse_port(s: &str) -> Result<u16, String> {
    let q = crate::golang::strconv::quote(s);
    let syntax = || format!("strconv.ParseUint: parsing {q}: invalid syntax");
    if s.is_empty() {
        return Err(syntax());
    }
    let mut n: u32 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return Err(syntax());
        }
        n = n * 10 + u32::from(c - b'0');
        if n > u32::from(u16::MAX) {
            return Err(format!(
                "strconv.ParseUint: parsing {q}: value out of range"
            ));
        }
    }
    Ok(n as u16)
}

/// Go's `net.JoinHostPort`: an IPv6 host in brackets.
pub(super) fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sortorder's natsort_test.go cases, and the bindings `docker port` sorts.
    #[test]
    fn natural_order() {
        let mut v = vec!["a10", "a2", "a1", "b", "a01", "a"];
        v.sort_by(|x, y| natural_cmp(x, y));
        assert_eq!(v, ["a", "a1", "a01", "a2", "a10", "b"]);
        let mut p = vec![
            "6379/tcp -> [::]:32768",
            "80/tcp -> 0.0.0.0:8080",
            "6379/tcp -> 0.0.0.0:32768",
        ];
        p.sort_by(|x, y| natural_cmp(x, y));
        assert_eq!(
            p,
            [
                "80/tcp -> 0.0.0.0:8080",
                "6379/tcp -> 0.0.0.0:32768",
                "6379/tcp -> [::]:32768"
            ]
        );
    }

    /// strconv.ParseUint(s, 10, 16) errors, as `docker port c1 abc` prints them.
    #[test]
    fn port_errors() {
        assert_eq!(parse_port("80"), Ok(80));
        assert_eq!(
            parse_port("abc"),
            Err("strconv.ParseUint: parsing \"abc\": invalid syntax".into())
        );
        assert_eq!(
            parse_port("99999"),
            Err("strconv.ParseUint: parsing \"99999\": value out of range".into())
        );
        assert_eq!(
            parse_port(""),
            Err("strconv.ParseUint: parsing \"\": invalid syntax".into())
        );
    }
}
