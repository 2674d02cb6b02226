//! Flag values docker/cli parses itself before a request is sent: `opts.ValidateLink`
//! and `opts.ValidateLabel` (`opts/opts.go`), the key/value files of `--label-file`
//! (`pkg/kvfile`) and go-connections' `nat.ParsePortSpec` (`-p`).

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

/// docker/cli `opts.ValidateLabel`: a key (leading blanks aside) that is not empty and has
/// no blanks; any value.
pub(super) fn validate_label(value: &str) -> Result<(), String> {
    let key = value.split('=').next().unwrap_or_default();
    let key = key.trim_start_matches([' ', '\t']);
    if key.is_empty() {
        return Err(format!("invalid label '{value}': empty name"));
    }
    if key.contains([' ', '\t']) {
        return Err(format!("label '{key}' contains whitespaces"));
    }
    Ok(())
}

/// The longest line `bufio.Scanner` takes (`bufio.MaxScanTokenSize`).
const MAX_KV_LINE: usize = 64 * 1024;

/// The most of a `--label-file` vnet reads: far more than any label file, and a bound on
/// what a path such as `/dev/zero` could make it hold.
const MAX_KV_FILE: u64 = 16 << 20;

/// docker/cli `kvfile.Parse` without a lookup (`--label-file`): `KEY=VALUE` lines as they
/// are (quotes included), leading blanks, blank lines and `#` comments skipped, a line
/// without `=` left out; errors in its words.
pub(super) fn read_kv_file(path: &str) -> Result<Vec<String>, String> {
    read_kv_lines(path, |_| None)
}

/// kvfile's `Parse` with its `lookupFn`.
fn read_kv_lines(
    path: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    use std::io::Read;
    let open = |e: std::io::Error| format!("open {path}: {}", go_errno(&e));
    let mut data = Vec::new();
    std::fs::File::open(path)
        .map_err(open)?
        .take(MAX_KV_FILE + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("invalid env file ({path}): read {path}: {}", go_errno(&e)))?;
    if data.len() as u64 > MAX_KV_FILE {
        return Err(format!(
            "invalid env file ({path}): bufio.Scanner: token too long"
        ));
    }
    parse_kv(&data, path, lookup)
}

/// kvfile's parser over a file's bytes (`path` names it in errors).
pub fn parse_kv(
    data: &[u8],
    path: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    let bad = |why: String| format!("invalid env file ({path}): {why}");
    let mut out = Vec::new();
    let mut rest = data;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        rest = next;
        if line.len() >= MAX_KV_LINE {
            return Err(bad("bufio.Scanner: token too long".to_string()));
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            let bytes: Vec<String> = line.iter().map(|b| b.to_string()).collect();
            return Err(bad(format!(
                "invalid utf8 bytes at line {n}: [{}]",
                bytes.join(" ")
            )));
        };
        let line = if n == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            if line.contains([' ', '\t']) {
                return Err(bad(format!("variable '{line}' contains whitespaces")));
            }
            if let Some(v) = lookup(line) {
                out.push(format!("{line}={v}"));
            }
            continue;
        };
        if key.is_empty() {
            return Err(bad(format!("no variable name on line '{line}'")));
        }
        if key.contains([' ', '\t']) {
            return Err(bad(format!("variable '{key}' contains whitespaces")));
        }
        // Quotes are part of the value (docker CLI 28.2's kvfile keeps them).
        out.push(format!("{key}={value}"));
    }
    Ok(out)
}

/// docker/cli's `--env-file`: [`read_kv_file`], where a bare `KEY` takes the client's value
/// (and is left out when the client has none).
pub(super) fn read_env_file(path: &str) -> Result<Vec<String>, String> {
    read_kv_lines(path, |k| std::env::var(k).ok())
}

/// Go's words for the errors opening a file gives.
fn go_errno(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    }
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

/// docker/cli's `FilterOpt.Set` over each `-f/--filter` value: `name=value`, the name
/// lower-cased and both trimmed, an empty value skipped; `Err` is the flag's error.
pub(super) fn filter_terms(flags: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut terms = Vec::new();
    for f in flags.iter().filter(|f| !f.is_empty()) {
        match f.split_once('=') {
            Some((k, v)) => terms.push((k.trim().to_lowercase(), v.trim().to_string())),
            None => {
                return Err(format!(
                    "invalid argument \"{f}\" for \"-f, --filter\" flag: bad format of filter (expected name=value)"
                ));
            }
        }
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_as_docker_cli_validates_them() {
        assert_eq!(validate_label("a=b"), Ok(()));
        assert_eq!(validate_label("  a"), Ok(()));
        assert_eq!(validate_label("a=b c"), Ok(()));
        assert_eq!(
            validate_label("=b"),
            Err("invalid label '=b': empty name".to_string())
        );
        assert_eq!(
            validate_label("a b=c"),
            Err("label 'a b' contains whitespaces".to_string())
        );
    }

    #[test]
    fn label_files_as_kvfile_reads_them() {
        let dir = std::env::temp_dir().join(format!("vnet-kvfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("labels");
        let path = f.to_str().unwrap();
        let read = |text: &[u8]| {
            std::fs::write(&f, text).unwrap();
            read_kv_file(path)
        };
        assert_eq!(
            read(b"\xef\xbb\xbfa=1\r\n  # note\n\n\tb='two words'\nbare\nc=\"x\nd=\"\"\n"),
            Ok(vec![
                "a=1".to_string(),
                "b='two words'".to_string(),
                "c=\"x".to_string(),
                "d=\"\"".to_string()
            ])
        );
        assert_eq!(
            read(b"=1\n"),
            Err(format!(
                "invalid env file ({path}): no variable name on line '=1'"
            ))
        );
        assert_eq!(
            read(b"ok=1\na b=2\n"),
            Err(format!(
                "invalid env file ({path}): variable 'a b' contains whitespaces"
            ))
        );
        assert_eq!(
            read(b"a=\xff\n"),
            Err(format!(
                "invalid env file ({path}): invalid utf8 bytes at line 1: [97 61 255]"
            ))
        );
        assert_eq!(
            read(&vec![b'a'; MAX_KV_LINE]),
            Err(format!(
                "invalid env file ({path}): bufio.Scanner: token too long"
            ))
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            read_kv_file(path),
            Err(format!("open {path}: no such file or directory"))
        );
    }

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
