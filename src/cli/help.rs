//! `--help` texts, as docker/cli 28 prints them, trimmed to the flags vnet implements.
//!
//! The texts are docker's own (`docker <command> --help`, CLI 28.2.2, 80 columns); option
//! lines for flags vnet does not implement are left out, so help never promises a flag that
//! would be refused. `docker` in them is replaced by the name the program was called by.

/// The help text for a command path (`""`, `"network create"`, `"ps"`, ...).
pub fn text(path: &str) -> Option<&'static str> {
    Some(match path {
        "" => include_str!("help/vnet.txt"),
        "network" => include_str!("help/network.txt"),
        "network create" => include_str!("help/network-create.txt"),
        "network ls" => include_str!("help/network-ls.txt"),
        "network inspect" => include_str!("help/network-inspect.txt"),
        "network rm" => include_str!("help/network-rm.txt"),
        "network prune" => include_str!("help/network-prune.txt"),
        "network connect" => include_str!("help/network-connect.txt"),
        "network disconnect" => include_str!("help/network-disconnect.txt"),
        "run" => include_str!("help/run.txt"),
        "create" => include_str!("help/create.txt"),
        "start" => include_str!("help/start.txt"),
        "stop" => include_str!("help/stop.txt"),
        "restart" => include_str!("help/restart.txt"),
        "rm" => include_str!("help/rm.txt"),
        "rename" => include_str!("help/rename.txt"),
        "ps" => include_str!("help/ps.txt"),
        "inspect" => include_str!("help/inspect.txt"),
        "exec" => include_str!("help/exec.txt"),
        "attach" => include_str!("help/attach.txt"),
        "port" => include_str!("help/port.txt"),
        "logs" => include_str!("help/logs.txt"),
        "kill" => include_str!("help/kill.txt"),
        "stats" => include_str!("help/stats.txt"),
        "top" => include_str!("help/top.txt"),
        "container" => include_str!("help/container.txt"),
        "container prune" => include_str!("help/container-prune.txt"),
        "system prune" => include_str!("help/system-prune.txt"),
        "events" => include_str!("help/events.txt"),
        "version" => include_str!("help/version.txt"),
        "link" => include_str!("help/link.txt"),
        "link set" => include_str!("help/link-set.txt"),
        "link clear" => include_str!("help/link-clear.txt"),
        "link ls" => include_str!("help/link-ls.txt"),
        "image" => include_str!("help/image.txt"),
        "image create" => include_str!("help/image-create.txt"),
        "image ls" => include_str!("help/image-ls.txt"),
        "image inspect" => include_str!("help/image-inspect.txt"),
        "images" => include_str!("help/images.txt"),
        "system df" => include_str!("help/system-df.txt"),
        "system" => include_str!("help/system.txt"),
        "system reset" => include_str!("help/system-reset.txt"),
        "system dns-order" => include_str!("help/system-dns-order.txt"),
        "state" => include_str!("help/state.txt"),
        "state export" => include_str!("help/state-export.txt"),
        "state import" => include_str!("help/state-import.txt"),
        "state check" => include_str!("help/state-check.txt"),
        "host" => include_str!("help/host.txt"),
        "host create" => include_str!("help/host-create.txt"),
        "host ls" => include_str!("help/host-ls.txt"),
        "host inspect" => include_str!("help/host-inspect.txt"),
        "host rm" => include_str!("help/host-rm.txt"),
        "host restart" => include_str!("help/host-restart.txt"),
        "host partition" => include_str!("help/host-partition.txt"),
        "host heal" => include_str!("help/host-heal.txt"),
        "host exec" => include_str!("help/host-exec.txt"),
        "scenario" => include_str!("help/scenario.txt"),
        "scenario run" => include_str!("help/scenario-run.txt"),
        "daemon" => include_str!("help/daemon.txt"),
        "cluster" => include_str!("help/cluster.txt"),
        "cluster status" => include_str!("help/cluster-status.txt"),
        _ => return None,
    })
}

/// The help text with the program's name in it.
pub fn render(path: &str, prog: &str) -> String {
    text(path)
        .unwrap_or(include_str!("help/vnet.txt"))
        .replace("docker ", &format!("{prog} "))
}

/// The usage line after `Usage:  ` (`docker network create [OPTIONS] NETWORK`).
pub fn use_line(path: &str, prog: &str) -> String {
    render(path, prog)
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Usage:  "))
        .unwrap_or_default()
        .to_string()
}

/// How cobra names a flag in errors: `-t, --timeout` when it has a shorthand, else
/// `--timeout`.
pub fn flag_display(path: &str, long: &str) -> String {
    let needle = format!("--{long} ");
    text(path)
        .unwrap_or_default()
        .lines()
        .find(|l| l.contains(&needle))
        .and_then(|l| {
            let t = l.trim_start();
            t.strip_prefix('-')
                .filter(|r| r.as_bytes().get(1) == Some(&b','))
                .map(|r| format!("-{}, --{long}", &r[..1]))
        })
        .unwrap_or_else(|| format!("--{long}"))
}

/// docker's aliases, as the command line vnet parses: `help [COMMAND...]` is `COMMAND...
/// --help`, and the management command `container` names the top-level commands
/// (`container ls`, `container rm`, ...). Global flags before them stay where they are.
pub fn docker_aliases(argv: &[String]) -> Vec<String> {
    const VALUED: [&str; 5] = ["--state-dir", "--seed", "--capture", "-H", "--host"];
    let mut at = 1;
    while let Some(w) = argv.get(at) {
        if !w.starts_with('-') {
            break;
        }
        at += if VALUED.contains(&w.as_str()) { 2 } else { 1 };
    }
    let (head, rest) = argv.split_at(at.min(argv.len()));
    let mut out: Vec<String> = head.to_vec();
    match rest {
        [help, words @ ..] if help == "help" => {
            out.extend(words.iter().cloned());
            out.push("--help".to_string());
        }
        [container, sub, tail @ ..] if container == "container" => {
            let top = match sub.as_str() {
                "ls" | "list" | "ps" => Some("ps"),
                "remove" => Some("rm"),
                s @ ("run" | "create" | "start" | "stop" | "restart" | "rm" | "rename"
                | "inspect" | "exec" | "attach" | "port" | "logs" | "kill" | "stats"
                | "top") => Some(s),
                _ => None,
            };
            match top {
                Some(t) => out.push(t.to_string()),
                None => out.extend([container.clone(), sub.clone()]),
            }
            out.extend(tail.iter().cloned());
        }
        _ => out.extend(rest.iter().cloned()),
    }
    out
}

/// The command path named by a command line: the known command words in order.
pub fn path_of(argv: &[String]) -> String {
    const TOP: [&str; 27] = [
        "network",
        "run",
        "create",
        "start",
        "stop",
        "restart",
        "rm",
        "rename",
        "ps",
        "inspect",
        "system",
        "exec",
        "attach",
        "link",
        "scenario",
        "daemon",
        "state",
        "image",
        "port",
        "version",
        "logs",
        "events",
        "kill",
        "container",
        "stats",
        "top",
        "images",
    ];
    const NETWORK: [&str; 9] = [
        "create",
        "ls",
        "list",
        "inspect",
        "rm",
        "remove",
        "prune",
        "connect",
        "disconnect",
    ];
    let mut words = argv.iter().skip(1).map(|s| s.as_str());
    let Some(top) = words.find(|w| TOP.contains(w)) else {
        return String::new();
    };
    let sub = match top {
        "network" => words.find(|w| NETWORK.contains(w) || !w.starts_with('-')),
        "system" | "link" | "scenario" | "state" | "image" | "container" => {
            words.find(|w| !w.starts_with('-'))
        }
        _ => None,
    };
    match sub {
        Some("list") if top == "network" => "network ls".to_string(),
        Some("remove") if top == "network" => "network rm".to_string(),
        Some(s) if top == "network" && NETWORK.contains(&s) => format!("network {s}"),
        Some("reset") if top == "system" => "system reset".to_string(),
        Some("dns-order") if top == "system" => "system dns-order".to_string(),
        Some("prune") if top == "system" => "system prune".to_string(),
        Some("df") if top == "system" => "system df".to_string(),
        Some("prune") if top == "container" => "container prune".to_string(),
        Some(s @ ("set" | "clear" | "ls")) if top == "link" => format!("link {s}"),
        Some("run") if top == "scenario" => "scenario run".to_string(),
        Some("list") if top == "image" => "image ls".to_string(),
        Some(s @ ("create" | "ls" | "inspect")) if top == "image" => format!("image {s}"),
        Some(s @ ("export" | "import" | "check")) if top == "state" => format!("state {s}"),
        _ => top.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_usage_and_short() {
        for p in [
            "",
            "network",
            "network create",
            "network ls",
            "network inspect",
            "network rm",
            "network prune",
            "network connect",
            "network disconnect",
            "container",
            "container prune",
            "system prune",
            "logs",
            "events",
            "kill",
            "stats",
            "top",
            "images",
            "image ls",
            "image inspect",
            "system df",
            "run",
            "create",
            "start",
            "stop",
            "restart",
            "rm",
            "rename",
            "ps",
            "inspect",
            "system",
            "system reset",
        ] {
            let t = text(p).unwrap();
            assert!(t.starts_with("Usage:  docker"), "{p}");
            assert!(t.ends_with('\n') && !t.ends_with("\n\n"), "{p}");
        }
        assert_eq!(
            use_line("network create", "vnet"),
            "vnet network create [OPTIONS] NETWORK"
        );
        assert_eq!(flag_display("stop", "timeout"), "-t, --timeout");
        assert_eq!(flag_display("network prune", "filter"), "--filter");
    }

    #[test]
    fn paths() {
        let v = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            path_of(&v("vnet network create --bogus x")),
            "network create"
        );
        assert_eq!(
            path_of(&v("vnet --state-dir /x network list")),
            "network ls"
        );
        assert_eq!(path_of(&v("vnet run -itd busybox")), "run");
        assert_eq!(path_of(&v("vnet network bogus")), "network");
    }
}
