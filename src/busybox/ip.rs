//! `ip [-4] addr|route|neigh [show]` and `arp`: busybox's networking/libiproute (ipaddress.c,
//! iproute.c, ipneigh.c) and networking/arp.c.

use super::applet::ExecResult;
use crate::docker::sandbox::{Iface, Sandbox};
use crate::engine::trace::colon_mac as mac_str;

/// `ip OBJECT [show|list]`.
pub fn show(sb: &Sandbox, obj: &str) -> ExecResult {
    match obj {
        "a" | "addr" | "address" => addr(sb, None),
        "r" | "ro" | "route" => ExecResult::out(route(sb)),
        "n" | "neigh" | "neighbor" | "neighbour" => ExecResult::out(neigh(sb)),
        _ => ExecResult::err(format!("ip: unknown command \"{obj}\"\n"), 1),
    }
}

/// `ip addr [show [dev] DEV]`.
pub fn addr(sb: &Sandbox, only: Option<&str>) -> ExecResult {
    let mut out = String::new();
    if only.is_none_or(|d| d == "lo") {
        out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n");
    }
    let mut ifaces: Vec<&Iface> = sb.ifaces().iter().collect();
    ifaces.sort_by_key(|i| i.name.trim_start_matches("eth").parse::<u32>().unwrap_or(0));
    for i in &ifaces {
        if only.is_some_and(|d| d != i.name) {
            continue;
        }
        // lo is 1; ethN was created N-th in this namespace.
        let k = i
            .name
            .trim_start_matches("eth")
            .parse::<usize>()
            .unwrap_or(0);
        out.push_str(&format!(
            "{}: {}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {} qdisc noqueue \n    link/ether {} brd ff:ff:ff:ff:ff:ff\n    inet {}/{} scope global {}\n       valid_lft forever preferred_lft forever\n",
            k + 2,
            i.name,
            i.mtu,
            mac_str(&i.mac),
            i.ip,
            i.len,
            i.name
        ));
    }
    match only {
        Some(dev) if out.is_empty() => {
            ExecResult::err(format!("ip: can't find device '{dev}'\n"), 1)
        }
        _ => ExecResult::out(out),
    }
}

fn route(sb: &Sandbox) -> String {
    let ifaces = sb.ifaces();
    let mut out = String::new();
    for i in ifaces {
        if let Some(gw) = i.gateway {
            out.push_str(&format!("default via {gw} dev {} \n", i.name));
        }
    }
    for i in ifaces {
        out.push_str(&format!(
            "{}/{} dev {} scope link  src {} \n",
            i.subnet(),
            i.len,
            i.name,
            i.ip
        ));
    }
    out
}

fn neigh(sb: &Sandbox) -> String {
    sb.neighbors()
        .into_iter()
        .map(|n| {
            format!(
                "{} dev {} lladdr {} {}\n",
                n.ip,
                n.dev,
                mac_str(&n.mac),
                if n.reachable { "REACHABLE" } else { "STALE" }
            )
        })
        .collect()
}

/// `arp [-a] [-n]`: the neighbour cache, in arp.c's words.
pub fn arp(sb: &Sandbox) -> ExecResult {
    ExecResult::out(
        sb.neighbors()
            .into_iter()
            .map(|n| {
                format!(
                    "? ({}) at {} [ether]  on {}\n",
                    n.ip,
                    mac_str(&n.mac),
                    n.dev
                )
            })
            .collect(),
    )
}
