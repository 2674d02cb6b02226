//! `ip [-4] addr|route|neigh [show]` and `arp`: busybox's networking/libiproute (ipaddress.c,
//! iproute.c, ipneigh.c) and networking/arp.c.

use crate::docker::Daemon;
use crate::docker::sandbox::mask;
use crate::engine::trace::colon_mac as mac_str;
use std::net::Ipv4Addr;

impl Daemon {
    pub(crate) fn ip_addr(&self, cid: &str, only: Option<&str>) -> String {
        let mut out = String::new();
        if only.is_none_or(|d| d == "lo") {
            out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n");
        }
        let mut ifaces = self.ifaces(cid);
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
        out
    }

    pub(crate) fn ip_route(&self, cid: &str) -> String {
        let ifaces = self.ifaces(cid);
        let mut out = String::new();
        for i in &ifaces {
            if let Some(gw) = i.gateway {
                out.push_str(&format!("default via {gw} dev {} \n", i.name));
            }
        }
        for i in &ifaces {
            let net = Ipv4Addr::from(u32::from(i.ip) & mask(i.len));
            out.push_str(&format!(
                "{net}/{} dev {} scope link  src {} \n",
                i.len, i.name, i.ip
            ));
        }
        out
    }

    pub(crate) fn ip_neigh(&self, cid: &str) -> String {
        self.neighbors(cid)
            .into_iter()
            .map(|(dev, ip, mac, fresh)| {
                format!(
                    "{ip} dev {dev} lladdr {} {}\n",
                    mac_str(&mac),
                    if fresh { "REACHABLE" } else { "STALE" }
                )
            })
            .collect()
    }

    pub(crate) fn arp(&self, cid: &str) -> String {
        self.neighbors(cid)
            .into_iter()
            .map(|(dev, ip, mac, _)| format!("? ({ip}) at {} [ether]  on {dev}\n", mac_str(&mac)))
            .collect()
    }
}
