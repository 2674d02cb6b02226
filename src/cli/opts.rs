//! Flag values docker/cli parses itself before a request is sent: `opts.ValidateLink`
//! (`opts/opts.go`) and go-connections' `nat.ParsePortSpec` (`-p`).

use crate::docker::container::PortBinding;

/// docker/cli `opts.ValidateLink`: `name:alias` or `name`; the error is the flag error
/// docker prints (`invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c`).
pub(super) fn parse_links(links: &[String]) -> Result<Vec<String>, String> {
    links
        .iter()
        .map(|l| {
            let parts: Vec<&str> = l.split(':').collect();
            let bad = |why: String| format!("invalid argument \"{l}\" for \"--link\" flag: {why}");
            match parts.as_slice() {
                [n] if !n.is_empty() => Ok(format!("{n}:{n}")),
                [n, a] if !n.is_empty() => Ok(format!("{n}:{a}")),
                [""] | ["", _] => Err(bad("empty string specified for links".to_string())),
                _ => Err(bad(format!("bad format for links: {l}"))),
            }
        })
        .collect()
}

/// go-connections `nat.ParsePortSpec`, for single ports:
/// `[ip:][hostPort:]containerPort[/proto]`.
pub(super) fn parse_publish(spec: &str) -> Result<(String, PortBinding), String> {
    let (rest, proto) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p),
        None => (spec, "tcp"),
    };
    if !["tcp", "udp", "sctp"].contains(&proto) {
        return Err(format!("invalid proto: {proto}"));
    }
    let (ip, host, container) = match rest.rsplitn(3, ':').collect::<Vec<_>>().as_slice() {
        [c] => ("", "", *c),
        [c, h] => ("", *h, *c),
        [c, h, ip] => (*ip, *h, *c),
        _ => unreachable!("rsplitn yields at least one part"),
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.contains('-') || host.contains('-') {
        return Err("vnet does not support port ranges in -p yet".to_string());
    }
    let c: u16 = container
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("invalid containerPort: {container}"))?;
    if !host.is_empty() && host.parse::<u16>().is_err() {
        return Err(format!("invalid hostPort: {host}"));
    }
    Ok((
        format!("{c}/{proto}"),
        PortBinding {
            host_ip: ip.to_string(),
            host_port: host.to_string(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_specs() {
        let b = |ip: &str, port: &str| PortBinding {
            host_ip: ip.into(),
            host_port: port.into(),
        };
        assert_eq!(parse_publish("80").unwrap(), ("80/tcp".into(), b("", "")));
        assert_eq!(
            parse_publish("8080:80").unwrap(),
            ("80/tcp".into(), b("", "8080"))
        );
        assert_eq!(
            parse_publish("127.0.0.1:8080:80/udp").unwrap(),
            ("80/udp".into(), b("127.0.0.1", "8080"))
        );
        assert_eq!(
            parse_publish("127.0.0.1::80").unwrap(),
            ("80/tcp".into(), b("127.0.0.1", ""))
        );
        assert!(parse_publish("abc").is_err());
    }

    #[test]
    fn links() {
        assert_eq!(parse_links(&["a:b".into()]).unwrap(), vec!["a:b"]);
        assert_eq!(parse_links(&["a".into()]).unwrap(), vec!["a:a"]);
        assert!(parse_links(&["a:b:c".into()]).is_err());
    }
}
