//! Names as a container sees them: the embedded DNS's view and the legacy links.
//!
//! Mirrors libnetwork's `Sandbox.ResolveName` (sandbox.go) and `Network.ResolveName`
//! (network.go), moby v28: a querier resolves only through the user-defined networks it is
//! on, in attach order, the first network with an answer winning; on each, its own
//! `--link` aliases first, then the names every running container registered there (name,
//! aliases, short ID, hostname; case-insensitive). `a.b` is also tried as name `a` on network
//! `b`. Every container sharing a name answers, in the order they joined (seed-notes.md
//! baseline; Docker shuffles them). Unknown names go to the host's upstream resolver, which here
//! answers NXDOMAIN for every name (nothing leaves the host); a container only on `--internal`
//! networks has no upstream: SERVFAIL. Legacy links (daemon/links) give `/etc/hosts` lines and
//! environment variables on the default bridge.

use super::Daemon;
use super::is_user_defined;
use crate::dns::{self, Answer};
use hickory_proto::rr::RecordType;
use std::net::{IpAddr, Ipv4Addr};

/// A querier's running endpoint on a user-defined network: (network ID, network name, its
/// links there as (alias, target)).
type DnsEndpoint = (String, String, Vec<(String, String)>);

impl Daemon {
    /// Whether a name several containers share answers in Docker's shuffled order
    /// (`vnet system dns-order shuffle`) rather than in registration order.
    pub fn dns_shuffle(&self) -> bool {
        self.state.dns_shuffle
    }

    /// `vnet system dns-order`: shuffled (Docker's) or registration order.
    pub fn set_dns_shuffle(&mut self, shuffle: bool) {
        self.state.dns_shuffle = shuffle;
    }

    /// The running endpoints of `cid` on user-defined networks, in libnetwork's endpoint
    /// order (`Endpoint.Less`: internal networks last, then by network name).
    fn dns_endpoints(&self, cid: &str) -> Vec<DnsEndpoint> {
        let Ok(c) = self.state.container(cid) else {
            return Vec::new();
        };
        let mut eps: Vec<(bool, DnsEndpoint)> = c
            .networks
            .values()
            .filter(|s| s.endpoint_id.is_some())
            .filter_map(|s| self.state.networks.get(&s.network_id).map(|n| (s, n)))
            .filter(|(_, n)| is_user_defined(&n.name))
            .map(|(s, n)| {
                let links = s
                    .links
                    .iter()
                    .map(|l| {
                        let (t, a) = l.split_once(':').unwrap_or((l, l));
                        (a.to_string(), t.to_string())
                    })
                    .collect();
                (n.internal, (n.id.clone(), n.name.clone(), links))
            })
            .collect();
        eps.sort_by(|a, b| (a.0, &a.1.1).cmp(&(b.0, &b.1.1)));
        eps.into_iter().map(|(_, e)| e).collect()
    }

    /// Whether a container asks the embedded DNS: its sandbox started the resolver (it joined
    /// a user-defined network since it started, see [`Container::resolver`]), so its
    /// resolv.conf names 127.0.0.11, even after it left that network.
    ///
    /// [`Container::resolver`]: super::container::Container::resolver
    pub fn uses_embedded_dns(&self, cid: &str) -> bool {
        self.state.container(cid).is_ok_and(|c| c.resolver) || !self.dns_endpoints(cid).is_empty()
    }

    /// `Network.ResolveName`: the addresses registered under `name` on a network, in join
    /// order: (IPv4, IPv6). A container's IPv6 address is registered on an `--ipv6` network.
    fn network_resolve(&self, nid: &str, name: &str) -> (Vec<IpAddr>, Vec<IpAddr>) {
        let name = name.to_lowercase();
        let (mut out, mut out6) = (Vec::new(), Vec::new());
        let Ok(net) = self.state.network(nid) else {
            return (out, out6);
        };
        for ep in net.endpoints.values() {
            let registered = match self.state.containers.get(&ep.container_id) {
                Some(c) if net.is_local(ep, &self.host.node) => c
                    .networks
                    .get(&net.name)
                    .and_then(|s| s.dns_names.as_ref())
                    .is_some_and(|names| names.iter().any(|n| n.to_lowercase() == name)),
                // Another host's container: the names its engine registered in the store.
                _ => ep.dns_names.iter().any(|n| n.to_lowercase() == name),
            };
            if let (true, Some((ip @ IpAddr::V4(_), _))) = (registered, ep.ipv4)
                && !out.contains(&ip)
            {
                out.push(ip);
                if let Some((ip6 @ IpAddr::V6(_), _)) = ep.ipv6.filter(|_| net.enable_ipv6)
                    && !out6.contains(&ip6)
                {
                    out6.push(ip6);
                }
            }
        }
        (out, out6)
    }

    /// What the embedded DNS answers container `cid` for `name` of type `rtype`.
    pub fn dns_answer(&self, cid: &str, name: &str, rtype: RecordType) -> Answer {
        let eps = self.dns_endpoints(cid);
        let name = name.trim_end_matches('.');
        let upstream_miss = || {
            // Forwarded to the host's resolvers, unless every network is internal (v26+).
            let all_internal = self
                .state
                .container(cid)
                .iter()
                .flat_map(|c| c.networks.values())
                .filter(|s| s.endpoint_id.is_some())
                .filter_map(|s| self.state.networks.get(&s.network_id))
                .all(|n| n.internal);
            if all_internal {
                Answer::ServFail
            } else {
                Answer::NxDomain
            }
        };
        if rtype == RecordType::PTR {
            let Some(ip) = dns::reverse_address(name) else {
                return upstream_miss();
            };
            for (nid, nname, _) in &eps {
                let Ok(net) = self.state.network(nid) else {
                    continue;
                };
                for ep in net.endpoints.values() {
                    let local = self
                        .state
                        .containers
                        .get(&ep.container_id)
                        .filter(|_| net.is_local(ep, &self.host.node))
                        .and_then(|c| c.networks.get(nname))
                        .and_then(|s| s.dns_names.as_ref());
                    let v6 = ep.ipv6.filter(|_| net.enable_ipv6).map(|(a, _)| a);
                    if (ep.ipv4.map(|(a, _)| a) == Some(ip) || v6 == Some(ip))
                        && let Some(first) = local.unwrap_or(&ep.dns_names).first()
                    {
                        return Answer::Pointer(format!("{first}.{nname}."));
                    }
                }
            }
            return upstream_miss();
        }
        if rtype != RecordType::A && rtype != RecordType::AAAA {
            return upstream_miss();
        }
        // {a.b.c in all networks}, {a.b in network c}, {a in network b.c}.
        let mut tries = vec![(name.to_string(), String::new())];
        let mut rest = name;
        while let Some(i) = rest.rfind('.') {
            tries.push((name[..i].to_string(), name[i + 1..].to_string()));
            rest = &rest[..i];
        }
        for (req, netname) in &tries {
            for alias_pass in [true, false] {
                for (nid, nname, links) in &eps {
                    if !netname.is_empty() && netname != nname {
                        continue;
                    }
                    let alias_target = links.iter().find(|(a, _)| a == req).map(|(_, t)| t);
                    let target = match (alias_pass, alias_target) {
                        (true, Some(t)) => t.as_str(),
                        (true, None) => continue,
                        // A name that is one of this endpoint's link aliases is not looked up
                        // as a plain name here.
                        (false, Some(_)) => continue,
                        (false, None) => req.as_str(),
                    };
                    let (mut ips, mut ips6) = self.network_resolve(nid, target);
                    if self.state.dns_shuffle {
                        self.shuffle(&mut ips, target);
                        self.shuffle(&mut ips6, target);
                    }
                    if !ips.is_empty() {
                        // A name without IPv6 addresses answers AAAA with no records.
                        return Answer::Addresses(if rtype == RecordType::A { ips } else { ips6 });
                    }
                }
            }
        }
        upstream_miss()
    }

    /// libnetwork's `shuffleAddr` (Fisher–Yates), seeded by the state's seed, the clock and
    /// the name, so a replay shuffles the same way.
    fn shuffle(&self, ips: &mut [IpAddr], name: &str) {
        use rand_chacha::rand_core::Rng;
        let mut rng = crate::rng::derive(
            self.state.seed,
            &format!("dns/shuffle/{}/{name}", self.state.clock.0),
        );
        for i in (1..ips.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            ips.swap(i, j);
        }
    }

    /// Legacy links' `/etc/hosts` lines, written when the parent starts: `(child name, child
    /// IP, "alias hostname [name]")` for each child running on the default bridge.
    pub(crate) fn legacy_link_hosts(&self, cid: &str) -> Vec<(String, Ipv4Addr, String)> {
        let mut out = Vec::new();
        for (alias, ch, ip) in self.legacy_children(cid) {
            let mut names = vec![alias.to_string(), ch.config.hostname.clone()];
            if ch.name != alias {
                names.push(ch.name.clone());
            }
            out.push((ch.name.clone(), ip, names.join(" ")));
        }
        out
    }

    /// A child that (re)starts updates its parents' `/etc/hosts` lines with its new address
    /// (TestLinksUpdateOnRestart); the lines stay as they were while it is stopped.
    pub(crate) fn update_parents_hosts(&mut self, child_id: &str) {
        let Some(ip) = self.bridge_ip(child_id) else {
            return;
        };
        let Ok(name) = self.state.container(child_id).map(|c| c.name.clone()) else {
            return;
        };
        for p in self.state.containers.values_mut() {
            for (child, addr, _) in p.link_hosts.iter_mut() {
                if *child == name {
                    *addr = ip;
                }
            }
        }
    }

    /// The running children of a container's legacy links: (alias, child, its bridge address).
    fn legacy_children(&self, cid: &str) -> Vec<(&str, &super::Container, Ipv4Addr)> {
        self.state
            .container(cid)
            .iter()
            .flat_map(|c| &c.host_config.links)
            .filter_map(|l| {
                let (child, alias) = legacy_link(l)?;
                let ch = self.state.containers.values().find(|x| x.name == child)?;
                Some((alias, ch, self.bridge_ip(&ch.id)?))
            })
            .collect()
    }

    /// A container's address on the default bridge, while it runs.
    fn bridge_ip(&self, cid: &str) -> Option<Ipv4Addr> {
        let c = self.state.container(cid).ok()?;
        let s = c.networks.get("bridge")?;
        let ep = self
            .state
            .networks
            .get(&s.network_id)?
            .endpoints
            .get(s.endpoint_id.as_ref()?)?;
        match ep.ipv4 {
            Some((IpAddr::V4(ip), _)) => Some(ip),
            _ => None,
        }
    }

    /// Legacy links' environment (daemon/links/links.go `EnvVars`), computed when the parent
    /// starts: `ALIAS_PORT`, `ALIAS_PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO]`, `ALIAS_NAME`,
    /// `ALIAS_ENV_<k>`.
    pub(crate) fn legacy_link_env(&self, cid: &str) -> Vec<String> {
        let mut env = Vec::new();
        let Ok(c) = self.state.container(cid) else {
            return env;
        };
        for (alias, ch, ip) in self.legacy_children(cid) {
            let a = alias.to_uppercase().replace('-', "_");
            let mut ports: Vec<(u32, String)> = ch
                .config
                .exposed_ports
                .iter()
                .map(|p| super::container::port_sort_key(p))
                .collect();
            // nat.Sort: TCP first, then by number.
            ports.sort_by_key(|(n, proto)| (proto != "tcp", *n));
            if let Some((n, proto)) = ports.first() {
                env.push(format!("{a}_PORT={proto}://{ip}:{n}"));
            }
            for (n, proto) in &ports {
                let p = proto.to_uppercase();
                env.push(format!("{a}_PORT_{n}_{p}={proto}://{ip}:{n}"));
                env.push(format!("{a}_PORT_{n}_{p}_ADDR={ip}"));
                env.push(format!("{a}_PORT_{n}_{p}_PORT={n}"));
                env.push(format!("{a}_PORT_{n}_{p}_PROTO={proto}"));
            }
            env.push(format!("{a}_NAME=/{}/{alias}", c.name));
            for e in &ch.config.env {
                if let Some((k, v)) = e.split_once('=')
                    && k != "HOME"
                    && k != "PATH"
                {
                    env.push(format!("{a}_ENV_{k}={v}"));
                }
            }
        }
        env
    }
}

/// `/child:/parent/alias` → (child, alias).
fn legacy_link(l: &str) -> Option<(&str, &str)> {
    let (child, rest) = l.split_once(':')?;
    Some((child.trim_start_matches('/'), rest.rsplit('/').next()?))
}
