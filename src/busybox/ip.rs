//! `ip [-4|-6] addr|route|neigh [show]` and `arp`: busybox's networking/libiproute
//! (ipaddress.c `ipaddr_list_or_flush`, `print_linkinfo`, `print_addrinfo`; iproute.c;
//! ipneigh.c `print_neigh`) and networking/arp.c.
//!
//! Interface indices (`N: eth0@ifM`) come from [`link_index`](crate::docker::sandbox::link_index).

use super::applet::ExecResult;
use crate::docker::sandbox::{Iface, Sandbox};
use crate::engine::trace::colon_mac as mac_str;
use std::net::Ipv4Addr;

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
pub fn run(sb: &mut Sandbox, args: &[&str]) -> Option<ExecResult> {
    let (family, rest) = match args {
        ["-4", rest @ ..] => (Family::V4, rest),
        ["-6", rest @ ..] => (Family::V6, rest),
        rest => (Family::Any, rest),
    };
    let show = |r: &[&str]| r.is_empty() || r == ["show"] || r == ["list"];
    // Changing IPv6 addresses or routes is not simulated: `-6`, or an IPv6 address among
    // the arguments (busybox takes the family from it).
    let six = |r: &[&str]| {
        family == Family::V6
            || r.iter().any(|a| {
                let a = a.split_once('/').map_or(*a, |(a, _)| a);
                a.parse::<std::net::Ipv6Addr>().is_ok()
            })
    };
    match rest {
        [
            "r" | "ro" | "route" | "a" | "addr" | "address",
            "add" | "a" | "del" | "delete" | "d",
            r @ ..,
        ] if six(r) => None,
        ["l" | "li" | "lin" | "link", "set", r @ ..] => Some(link_set(sb, r)),
        ["r" | "ro" | "route", "add" | "a", r @ ..] => Some(route_modify(sb, true, r)),
        ["r" | "ro" | "route", "del" | "delete" | "d", r @ ..] => Some(route_modify(sb, false, r)),
        ["a" | "addr" | "address", "add" | "a", r @ ..] => Some(addr_modify(sb, true, r)),
        ["a" | "addr" | "address", "del" | "delete" | "d", r @ ..] => {
            Some(addr_modify(sb, false, r))
        }
        ["a" | "addr" | "address", "show" | "list", dev]
        | ["a" | "addr" | "address", "show" | "list", "dev", dev] => {
            Some(addr(sb, family, Some(dev)))
        }
        [obj, r @ ..] if show(r) => Some(match *obj {
            "a" | "addr" | "address" => addr(sb, family, None),
            "r" | "ro" | "route" if family == Family::V6 => ExecResult::out(route6(sb)),
            "r" | "ro" | "route" => ExecResult::out(route(sb)),
            "n" | "neigh" | "neighbor" | "neighbour" => ExecResult::out(neigh(sb, family)),
            _ => ExecResult::err(format!("ip: unknown command \"{obj}\"\n"), 1),
        }),
        _ => None,
    }
}

/// `ip addr add|del [local] PREFIX dev DEV` (ipaddress.c `ipaddr_modify`, then the
/// kernel's `inet_rtm_newaddr`/`inet_rtm_deladdr`): a prefix without a length is a /32; an
/// address of the interface's subnet is a secondary, any other brings its prefix route. No
/// `CAP_NET_ADMIN` is EPERM, an address the interface has EEXIST, deleting one it lacks
/// EADDRNOTAVAIL. Docker's own address stays (deleting it is not simulated), as do the
/// other settings (`peer`, `broadcast`, `scope`, `label`, lifetimes).
fn addr_modify(sb: &mut Sandbox, add: bool, args: &[&str]) -> ExecResult {
    let (mut dev, mut local) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let w = match *a {
            "dev" | "local" => match it.next() {
                Some(v) => {
                    if *a == "dev" {
                        dev = Some(*v);
                        continue;
                    }
                    *v
                }
                None => {
                    return ExecResult::err(
                        "ip: command line is not complete, try \"help\"\n".into(),
                        1,
                    );
                }
            },
            "peer" | "remote" | "broadcast" | "brd" | "anycast" | "valid_lft" | "preferred_lft"
            | "scope" | "label" | "noprefixroute" => {
                return super::applet::not_simulated("ip", Some(&format!("addr {a}")), args);
            }
            w => w,
        };
        if local.is_some() {
            return ExecResult::err(
                format!("ip: either \"local\" is duplicate, or \"{w}\" is garbage\n"),
                1,
            );
        }
        // get_prefix cut the word at its '/' before it complained.
        let Some(p) = prefix(w).filter(|(a, _)| !a.is_unspecified()) else {
            let shown = w.split('/').next().unwrap_or(w);
            return ExecResult::err(
                format!("ip: an inet prefix is expected rather than \"{shown}\"\n"),
                1,
            );
        };
        local = Some(p);
    }
    let Some(dev) = dev else {
        return ExecResult::err("ip: need \"dev IFACE\"\n".into(), 1);
    };
    if sb.on_host() {
        return super::applet::not_simulated("ip", Some("the host's addresses"), args);
    }
    if dev == "lo" {
        return super::applet::not_simulated("ip", Some("addresses on lo"), args);
    }
    let Some(iface) = sb.ifaces().iter().find(|i| i.name == dev) else {
        return ExecResult::err(format!("ip: can't find device '{dev}'\n"), 1);
    };
    let Some((ip, len)) = local else {
        return super::applet::not_simulated("ip", Some("addr without an address"), args);
    };
    let docker_own = iface.ip == ip && iface.len == len;
    let added = iface.added.len();
    if !sb.net_admin() {
        return rtnetlink("Operation not permitted");
    }
    if add {
        if docker_own || iface.added.contains(&(ip, len)) {
            return rtnetlink("File exists");
        }
        // The stack's room, less what IPv6 takes (its global and link-local addresses).
        let ipv6 = usize::from(iface.ipv6.is_some()) + usize::from(iface.ipv6_enabled);
        let room = crate::docker::container::MAX_ADDED_ADDRESSES - ipv6;
        if added >= room {
            return ExecResult::err(
                format!("ip: vnet gives this interface at most {room} added addresses\n"),
                2,
            );
        }
        sb.add_address(dev, ip, len);
        return ExecResult::default();
    }
    // Deleting matches the local address alone (see `Sandbox::del_address`): Docker's,
    // first in the list, goes whatever LEN says.
    if iface.ip == ip {
        return super::applet::not_simulated("ip", Some("deleting Docker's own address"), args);
    }
    if !sb.del_address(dev, ip) {
        return rtnetlink(super::applet::strerror(
            sb,
            super::applet::Errno::AddrNotAvail,
        ));
    }
    ExecResult::default()
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
        if i.peer_index == 0 {
            // The host's bridge device: no peer, its own flags.
            out.push_str(&format!(
                "{}: {}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {} qdisc noqueue \n",
                i.index, i.name, i.mtu
            ));
        } else {
            let up = if i.up { ",UP,LOWER_UP" } else { "" };
            out.push_str(&format!(
                "{}: {}@if{}: <BROADCAST,MULTICAST{up},M-DOWN> mtu {} qdisc noqueue \n",
                i.index, i.name, i.peer_index, i.mtu
            ));
        }
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
        // What `ip addr add` gave it, no broadcast set (libnetwork's link-local addresses
        // have one): the primaries in the order added, then the secondaries (the kernel's
        // `__inet_insert_ifa`).
        for primary in [true, false] {
            for (k, (a, len)) in i.added.iter().enumerate() {
                if i.added_primary(k) == primary {
                    let second = if primary { "" } else { "secondary " };
                    let brd = if i.link_local.contains(a) && *len < 31 {
                        let b = u32::from(*a) | (u32::MAX >> len);
                        format!("brd {} ", std::net::Ipv4Addr::from(b))
                    } else {
                        String::new()
                    };
                    out.push_str(&format!(
                        "    inet {a}/{len} {brd}scope global {second}{}\n{LFT}",
                        i.name
                    ));
                }
            }
        }
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

/// `ip route`: print_route for each route of the main table (iproute.c): `default`, or the
/// destination (a host route without `/32`), ` via GW`, ` dev DEV`, and ` scope link  src
/// IP` on a connected subnet's route.
fn route(sb: &Sandbox) -> String {
    let ifaces = sb.ifaces();
    let mut out = String::new();
    for r in sb.routes() {
        let dev = ifaces.get(r.dev).map_or("", |i| i.name.as_str());
        if r.len == 0 {
            out.push_str("default ");
        } else if r.len == 32 {
            out.push_str(&format!("{} ", r.dst));
        } else {
            out.push_str(&format!("{}/{} ", r.dst, r.len));
        }
        if let Some(gw) = r.via {
            out.push_str(&format!("via {gw} "));
        }
        out.push_str(&format!("dev {dev} "));
        if let Some(src) = r.src {
            out.push_str(&format!("scope link  src {src} "));
        }
        out.push('\n');
    }
    out
}

/// `ip -6 route`: the kernel's IPv6 table as busybox prints it (`ip route` alone is IPv4:
/// iproute.c takes AF_INET for the main table). Each interface with IPv6 on has its prefix
/// route (an `--ipv6` network's), `fe80::/64` and the `ff00::/8` multicast route, metric
/// 256; the default route's is 1024. The order is the FIB walk's: the prefixes, the
/// default, then the multicast routes.
fn route6(sb: &Sandbox) -> String {
    let ifaces: Vec<&Iface> = sb
        .ifaces()
        .iter()
        .filter(|i| i.up && i.ipv6_enabled)
        .collect();
    let mut prefixes: Vec<(u128, u8, &str)> = Vec::new();
    for i in &ifaces {
        if let Some((a, len)) = i.ipv6 {
            prefixes.push((u128::from(a) & crate::wire::netmask6(len), len, &i.name));
        }
        prefixes.push((0xfe80 << 112, 64, &i.name));
    }
    prefixes.sort();
    let mut out = String::new();
    for (net, len, dev) in prefixes {
        let net = std::net::Ipv6Addr::from(net);
        out.push_str(&format!("{net}/{len} dev {dev}  metric 256 \n"));
    }
    for i in &ifaces {
        if let Some(gw) = i.gateway6 {
            out.push_str(&format!("default via {gw} dev {}  metric 1024 \n", i.name));
        }
    }
    for i in &ifaces {
        out.push_str(&format!("multicast ff00::/8 dev {}  metric 256 \n", i.name));
    }
    out
}

/// `ip link set [dev] DEV up|down` (iplink.c `do_set`: SIOCGIFFLAGS, then SIOCSIFFLAGS,
/// which needs `CAP_NET_ADMIN`); other link settings are not simulated. Words are read as
/// `do_set` reads them: a keyword by any prefix (`d` is `down`), anything else the device.
fn link_set(sb: &mut Sandbox, args: &[&str]) -> ExecResult {
    const KEYWORDS: [&str; 14] = [
        "up",
        "down",
        "name",
        "mtu",
        "qlen",
        "multicast",
        "arp",
        "promisc",
        "address",
        "netns",
        "master",
        "nomaster",
        "type",
        "dev",
    ];
    let incomplete =
        || ExecResult::err("ip: command line is not complete, try \"help\"\n".into(), 2);
    let (mut dev, mut up) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let key = index_in_substrings(&KEYWORDS, a).unwrap_or(KEYWORDS.len());
        match KEYWORDS.get(key).copied() {
            Some("up") => up = Some(true),
            Some("down") => up = Some(false),
            Some("dev") | None => {
                let d = if key == KEYWORDS.len() {
                    *a
                } else {
                    match it.next() {
                        Some(d) => *d,
                        None => return incomplete(),
                    }
                };
                if dev.is_some() {
                    return ExecResult::err(
                        format!("ip: either \"dev\" is duplicate, or \"{d}\" is garbage\n"),
                        2,
                    );
                }
                dev = Some(d);
            }
            Some(_) => return super::applet::not_simulated("ip", Some("link set"), args),
        }
    }
    let Some(dev) = dev else {
        return ExecResult::err("ip: \"dev\" requires an argument\n".into(), 2);
    };
    // Nothing to change: no ioctl at all.
    let Some(up) = up else {
        return ExecResult::default();
    };
    if sb.on_host() {
        return super::applet::not_simulated("ip", Some("the host's links"), args);
    }
    let Some(was_up) = sb.ifaces().iter().find(|i| i.name == dev).map(|i| i.up) else {
        return ExecResult::err("ip: SIOCGIFFLAGS: No such device\n".into(), 2);
    };
    // do_chflags asks SIOCSIFFLAGS, which needs the capability, only for a change.
    if was_up == up {
        return ExecResult::default();
    }
    if !sb.net_admin() {
        return ExecResult::err("ip: SIOCSIFFLAGS: Operation not permitted\n".into(), 2);
    }
    sb.set_link(dev, up);
    ExecResult::default()
}

/// libbb's `index_in_substrings`: the keyword `key` names exactly, else the only one it is a
/// prefix of.
fn index_in_substrings(keywords: &[&str], key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    if let Some(i) = keywords.iter().position(|k| *k == key) {
        return Some(i);
    }
    let mut matches = keywords
        .iter()
        .enumerate()
        .filter(|(_, k)| k.starts_with(key));
    match (matches.next(), matches.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// How many routes `ip route add` may add to one container (vnet's bound: each NIC's
/// stack holds [`crate::stack::MAX_ROUTES`]).
pub const MAX_STATIC_ROUTES: usize = crate::stack::MAX_ROUTES;

/// The kernel's answer to a route request, as busybox prints it (libnetlink.c
/// `rtnl_talk`: `RTNETLINK answers: ERRNO`, then iproute.c returns 2).
fn rtnetlink(errno: &str) -> ExecResult {
    ExecResult::err(format!("ip: RTNETLINK answers: {errno}\n"), 2)
}

/// `ip route add|del [to] PREFIX|default [via ADDR] [dev DEV]` (iproute.c
/// `iproute_modify`), with the kernel's checks (fib_frontend.c, fib_semantics.c): no
/// `CAP_NET_ADMIN` is EPERM; a gateway off every connected subnet (of `dev`, if named) is
/// ENETUNREACH; host bits past the prefix are EINVAL; a destination the table has is EEXIST
/// (busybox adds with `NLM_F_EXCL`); deleting what the table lacks is ESRCH. A route
/// without a gateway (`dev` only), `metric`, `src`, `table` and the like are not simulated.
fn route_modify(sb: &mut Sandbox, add: bool, args: &[&str]) -> ExecResult {
    let verb = if add { "add" } else { "del" };
    let mut dst: Option<(Ipv4Addr, u8)> = None;
    let mut via: Option<Ipv4Addr> = None;
    let mut dev: Option<&str> = None;
    let mut k = 0;
    let incomplete =
        || ExecResult::err("ip: command line is not complete, try \"help\"\n".into(), 1);
    while let Some(&w) = args.get(k) {
        k += 1;
        match w {
            "via" | "dev" | "oif" => {
                let Some(&v) = args.get(k) else {
                    return incomplete();
                };
                k += 1;
                if w == "via" {
                    match v.parse() {
                        Ok(a) => via = Some(a),
                        Err(_) => {
                            return ExecResult::err(
                                format!("ip: an inet address is expected rather than \"{v}\"\n"),
                                1,
                            );
                        }
                    }
                } else {
                    dev = Some(v);
                }
            }
            "src" | "mtu" | "advmss" | "scope" | "protocol" | "proto" | "table" | "metric"
            | "onlink" => {
                return super::applet::not_simulated("ip", Some(w), &["route", verb]);
            }
            w => {
                let w = if w == "to" {
                    let Some(&v) = args.get(k) else {
                        return incomplete();
                    };
                    k += 1;
                    v
                } else {
                    w
                };
                if dst.is_some() {
                    return ExecResult::err(
                        format!("ip: either \"to\" is duplicate, or \"{w}\" is garbage\n"),
                        1,
                    );
                }
                match prefix(w) {
                    Some(p) => dst = Some(p),
                    None => {
                        return ExecResult::err(
                            format!("ip: an inet prefix is expected rather than \"{w}\"\n"),
                            1,
                        );
                    }
                }
            }
        }
    }
    let dev = match dev {
        Some(d) => match sb.ifaces().iter().position(|i| i.name == d) {
            Some(k) => Some(k),
            None => return ExecResult::err(format!("ip: can't find device '{d}'\n"), 1),
        },
        None => None,
    };
    if sb.on_host() {
        return super::applet::not_simulated("ip", Some("the host's routes"), args);
    }
    if !sb.net_admin() {
        return rtnetlink("Operation not permitted");
    }
    let table = sb.routes();
    let names: Vec<String> = sb.ifaces().iter().map(|i| i.name.clone()).collect();
    // No destination is the default route (the kernel's zero-length prefix).
    let (d, len) = dst.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
    // fib_table_insert/delete check the prefix before anything else.
    if len < 32 && u32::from(d) & !crate::wire::netmask(len) != 0 {
        return rtnetlink("Invalid argument");
    }
    if !add {
        let hit = table.iter().find(|r| {
            r.dst == d
                && r.len == len
                && via.is_none_or(|v| r.via == Some(v))
                && dev.is_none_or(|k| r.dev == k)
        });
        let Some(hit) = hit.cloned() else {
            return rtnetlink("No such process");
        };
        if hit.src.is_some() {
            return super::applet::not_simulated("ip", Some("a connected subnet's route"), args);
        }
        let Some((routes, no_default)) = sb.static_routes_mut() else {
            return rtnetlink("No such process");
        };
        let name = names.get(hit.dev).cloned().unwrap_or_default();
        let before = routes.len();
        routes.retain(|r| !(r.dst == d && r.len == len && r.via == hit.via && r.dev == name));
        if routes.len() == before && len == 0 {
            *no_default = true;
        }
        return ExecResult::default();
    }
    let Some(gw) = via else {
        if dev.is_none() {
            return rtnetlink("No such device");
        }
        return super::applet::not_simulated("ip", Some("a route without a gateway"), args);
    };
    let on = |k: usize| sb.ifaces().get(k).is_some_and(|i| i.on_link(gw));
    let out = match dev {
        Some(k) if on(k) => k,
        Some(_) => {
            return rtnetlink(super::applet::strerror(
                sb,
                super::applet::Errno::NetUnreach,
            ));
        }
        None => match (0..names.len()).find(|&k| on(k)) {
            Some(k) => k,
            None => {
                return rtnetlink(super::applet::strerror(
                    sb,
                    super::applet::Errno::NetUnreach,
                ));
            }
        },
    };
    if table.iter().any(|r| r.dst == d && r.len == len) {
        return rtnetlink("File exists");
    }
    let name = names.get(out).cloned().unwrap_or_default();
    let Some((routes, _)) = sb.static_routes_mut() else {
        return rtnetlink("No such device");
    };
    if routes.len() >= MAX_STATIC_ROUTES {
        return ExecResult::err(
            format!("ip: vnet keeps at most {MAX_STATIC_ROUTES} routes added in one container\n"),
            2,
        );
    }
    routes.push(crate::docker::container::StaticRoute {
        dst: d,
        len,
        via: Some(gw),
        dev: name,
    });
    ExecResult::default()
}

/// `get_prefix`: `default`/`all`/`any`, `A.B.C.D` (a host), or `A.B.C.D/LEN`.
fn prefix(w: &str) -> Option<(Ipv4Addr, u8)> {
    if matches!(w, "default" | "all" | "any") {
        return Some((Ipv4Addr::UNSPECIFIED, 0));
    }
    let (a, len) = match w.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok().filter(|l| *l <= 32)?),
        None => (w, 32),
    };
    Some((a.parse().ok()?, len))
}

/// print_neigh, with busybox's fixed `xshow_stats` (3): ` ref %d` when referenced,
/// ` used %d/%d/%d` (seconds since used, confirmed, updated) and ` probes %u`. An entry
/// vnet holds was learned by asking: the kernel starts at `ucast_probes` (3) and sends one
/// broadcast probe (neighbour.c `__neigh_event_send`, `neigh_probe`), so `probes 4`; a
/// confirmed entry is held by the route that used it (`ref 1`). vnet keeps one time per
/// entry, so the three ages are the same.
fn neigh(sb: &Sandbox, family: Family) -> String {
    let now = sb.now();
    let mut all = sb.neighbors();
    // The kernel dumps its IPv4 table, then its IPv6 one.
    all.sort_by_key(|n| n.ip.is_ipv6());
    all.into_iter()
        .filter(|n| match family {
            Family::Any => true,
            Family::V4 => n.ip.is_ipv4(),
            Family::V6 => n.ip.is_ipv6(),
        })
        .map(|n| {
            let age = (now - n.learned).as_secs();
            format!(
                "{} dev {} lladdr {}{}{} used {age}/{age}/{age} probes 4 {}\n",
                n.ip,
                n.dev,
                mac_str(&n.mac),
                if n.router { " router" } else { "" },
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
            .filter(|n| n.ip.is_ipv4())
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
