//! `ip [-4|-6] addr|route|neigh [show]` and `arp`: busybox's networking/libiproute
//! (ipaddress.c `ipaddr_list_or_flush`, `print_linkinfo`, `print_addrinfo`; iproute.c;
//! ipneigh.c `print_neigh`) and networking/arp.c.
//!
//! Interface indices (`N: eth0@ifM`) come from [`link_index`](crate::docker::sandbox::link_index).

use super::applet::ExecResult;
use crate::docker::sandbox::{Iface, Sandbox};
use crate::engine::trace::colon_mac as mac_str;

/// Which addresses `-4`/`-6` keep (`preferred_family`); none given: all, with link lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// No `-4`/`-6`: AF_UNSPEC.
    Any,
    /// `-4`: AF_INET.
    V4,
    /// `-6`: AF_INET6.
    V6,
}

/// `ip [-4|-6] OBJECT [ARGS]`, `args` without the `ip`; `None` when vnet does not take those
/// arguments.
pub fn run(sb: &Sandbox, args: &[&str]) -> Option<ExecResult> {
    let (family, rest) = match args {
        ["-4", rest @ ..] => (Family::V4, rest),
        ["-6", rest @ ..] => (Family::V6, rest),
        rest => (Family::Any, rest),
    };
    let show = |r: &[&str]| r.is_empty() || r == ["show"] || r == ["list"];
    match rest {
        ["a" | "addr" | "address", "show" | "list", dev]
        | ["a" | "addr" | "address", "show" | "list", "dev", dev] => {
            Some(addr(sb, family, Some(dev)))
        }
        [obj, r @ ..] if show(r) => Some(match *obj {
            "a" | "addr" | "address" => addr(sb, family, None),
            "r" | "ro" | "route" => ExecResult::out(route(sb)),
            "n" | "neigh" | "neighbor" | "neighbour" => ExecResult::out(neigh(sb)),
            _ => ExecResult::err(format!("ip: unknown command \"{obj}\"\n"), 1),
        }),
        _ => None,
    }
}

/// `ip addr [show [dev] DEV]`: every link in index order (lo first), each with its
/// addresses of the family asked for; with `-4`/`-6` no `link/` line, and links without an
/// address of that family are left out.
pub fn addr(sb: &Sandbox, family: Family, only: Option<&str>) -> ExecResult {
    let mut out = String::new();
    let v4 = family != Family::V6;
    let v6 = family != Family::V4;
    let links = family == Family::Any;
    if only.is_none_or(|d| d == "lo") {
        // `qlen 1000`: print_queuelen, only when the queue length is not 0.
        out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n");
        if links {
            out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
        }
        if v4 {
            out.push_str("    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n");
        }
        if v6 {
            out.push_str(
                "    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n",
            );
        }
    }
    let mut ifaces: Vec<&Iface> = sb.ifaces().iter().collect();
    ifaces.sort_by_key(|i| i.index);
    for i in ifaces {
        if only.is_some_and(|d| d != i.name) {
            continue;
        }
        let addrs = addresses(i, v4, v6);
        if !links && addrs.is_empty() {
            continue;
        }
        // print_linkinfo: `@if%d` names the peer by index, which is in the host's namespace:
        // busybox finds no flags for it there, hence `M-DOWN`. A veth has no queue (no
        // `qlen`), so the line ends in `qdisc noqueue `.
        out.push_str(&format!(
            "{}: {}@if{}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu {} qdisc noqueue \n",
            i.index, i.name, i.peer_index, i.mtu
        ));
        if links {
            out.push_str(&format!(
                "    link/ether {} brd ff:ff:ff:ff:ff:ff\n",
                mac_str(&i.mac)
            ));
        }
        out.push_str(&addrs);
    }
    match only {
        Some(dev) if out.is_empty() && !sb.ifaces().iter().any(|i| i.name == dev) => {
            ExecResult::err(format!("ip: can't find device '{dev}'\n"), 1)
        }
        _ => ExecResult::out(out),
    }
}

/// print_addrinfo for an interface's addresses: IPv4 (`brd` when the kernel has one, the
/// label), then IPv6 as Linux lists them, global before link-local (addrconf.c
/// `ipv6_link_dev_addr` keeps them by scope). libnetwork adds the global one with
/// IFA_F_NODAD (osl/interface_linux.go), which busybox shows as `flags 02`.
fn addresses(i: &Iface, v4: bool, v6: bool) -> String {
    const LFT: &str = "       valid_lft forever preferred_lft forever\n";
    let mut out = String::new();
    if v4 {
        let brd = i
            .broadcast()
            .map(|b| format!("brd {b} "))
            .unwrap_or_default();
        out.push_str(&format!(
            "    inet {}/{} {brd}scope global {}\n{LFT}",
            i.ip, i.len, i.name
        ));
    }
    if v6 {
        if let Some((a, len)) = i.ipv6 {
            out.push_str(&format!(
                "    inet6 {a}/{len} scope global flags 02 \n{LFT}"
            ));
        }
        if let Some(ll) = i.link_local() {
            out.push_str(&format!("    inet6 {ll}/64 scope link \n{LFT}"));
        }
    }
    out
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

/// print_neigh, with busybox's fixed `xshow_stats` (3): ` ref %d` when referenced,
/// ` used %d/%d/%d` (seconds since used, confirmed, updated) and ` probes %u`. An entry
/// vnet holds was learned by asking: the kernel starts at `ucast_probes` (3) and sends one
/// broadcast probe (neighbour.c `__neigh_event_send`, `neigh_probe`), so `probes 4`; a
/// confirmed entry is held by the route that used it (`ref 1`). vnet keeps one time per
/// entry, so the three ages are the same.
fn neigh(sb: &Sandbox) -> String {
    let now = sb.now();
    sb.neighbors()
        .into_iter()
        .map(|n| {
            let age = (now - n.learned).as_secs();
            format!(
                "{} dev {} lladdr {}{} used {age}/{age}/{age} probes 4 {}\n",
                n.ip,
                n.dev,
                mac_str(&n.mac),
                if n.reachable { " ref 1" } else { "" },
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
