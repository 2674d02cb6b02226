//! `nslookup NAME [SERVER]` (networking/nslookup.c) and `getent hosts` (glibc's getent), and
//! the resolver's way to a name that `ping` shares: a literal, `/etc/hosts`, then a question
//! to Docker's embedded DNS at 127.0.0.11, carried over the container's loopback.

use super::ExecOptions;
use super::ExecResult;
use crate::dns;
use crate::docker::Daemon;
use crate::engine::World;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use std::net::Ipv4Addr;

impl Daemon {
    /// `/etc/hosts` as the resolver reads it: the first line naming `name`, as (address,
    /// its names).
    pub(crate) fn hosts_entry(&self, cid: &str, name: &str) -> Option<(Ipv4Addr, String)> {
        let name = name.to_lowercase();
        self.etc_hosts(cid).lines().find_map(|l| {
            let (a, names) = l.split_once('\t')?;
            let ip: Ipv4Addr = a.parse().ok()?;
            names
                .split_whitespace()
                .any(|w| w.to_lowercase() == name)
                .then(|| (ip, names.to_string()))
        })
    }

    /// One question to the embedded DNS, on the wire: the query leaves on `lo` for
    /// 127.0.0.11:53, the resolver answers with this container's view, the answer comes back.
    pub(crate) fn dns_exchange(
        &mut self,
        world: &mut World,
        cid: &str,
        name: &str,
        rtype: RecordType,
    ) -> Option<dns::Reply> {
        let id = self.draw("dns/id", 65536) as u16;
        let port = 32768 + self.draw("dns/port", 28232) as u16;
        let cname = self.state.containers[cid].name.clone();
        let q = dns::query(id, name, rtype)?;
        let frame = dns::udp_frame((Ipv4Addr::LOCALHOST, port), (dns::RESOLVER, 53), &q);
        world.loopback(&cname, &frame);
        self.count_lo(cid, frame.len());
        let request = dns::udp_payload(&frame)?;
        let answer = dns::answer(request, |n, t| self.dns_answer(cid, n, t))?;
        let frame = dns::udp_frame((dns::RESOLVER, 53), (Ipv4Addr::LOCALHOST, port), &answer);
        world.loopback(&cname, &frame);
        self.count_lo(cid, frame.len());
        dns::read_reply(dns::udp_payload(&frame)?, id)
    }

    pub(crate) fn count_lo(&mut self, cid: &str, len: usize) {
        let lo = &mut self.state.containers.get_mut(cid).expect("running").lo;
        lo.tx_packets += 1;
        lo.rx_packets += 1;
        lo.tx_bytes += len as u64;
        lo.rx_bytes += len as u64;
    }

    /// How the container's libc finds an IPv4 address for `host`: a literal, `/etc/hosts`,
    /// then DNS (A and AAAA, as glibc asks) at the embedded resolver, or, on the default
    /// bridge, the host's upstream resolver (which knows no container names).
    pub(crate) fn resolve_host(
        &mut self,
        world: &mut World,
        cid: &str,
        host: &str,
    ) -> Option<Ipv4Addr> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Some(ip);
        }
        if let Some((ip, _)) = self.hosts_entry(cid, host) {
            return Some(ip);
        }
        if !self.uses_embedded_dns(cid) {
            return None;
        }
        let a = self.dns_exchange(world, cid, host, RecordType::A)?;
        let _ = self.dns_exchange(world, cid, host, RecordType::AAAA);
        a.addresses.first().copied()
    }

    /// busybox `nslookup NAME [SERVER]`: A then AAAA (PTR for an address).
    pub(crate) fn nslookup(
        &mut self,
        cid: &str,
        name: &str,
        server: Option<&str>,
        opts: &ExecOptions,
    ) -> ExecResult {
        let embedded = self.uses_embedded_dns(cid);
        let default_server = if embedded { "127.0.0.11" } else { "8.8.8.8" };
        let server = server.unwrap_or(default_server);
        let mut world = self.bare_world(opts.trace, opts.capture);
        let mut out = format!("Server:\t\t{server}\nAddress:\t{server}:53\n\n");
        let ptr = name.parse::<Ipv4Addr>().ok();
        let kinds: &[RecordType] = if ptr.is_some() {
            &[RecordType::PTR]
        } else {
            &[RecordType::A, RecordType::AAAA]
        };
        let qname = ptr.map_or(name.trim_end_matches('.').to_string(), dns::reverse_name);
        if !self.has_network(cid) {
            let r = ExecResult {
                stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                code: 1,
                ..Default::default()
            };
            return self.finish(&world, r);
        }
        if server != "127.0.0.11" || !embedded {
            // Only the embedded resolver is reachable; the host's upstream knows no container.
            if server != default_server {
                return self.finish(
                    &world,
                    ExecResult {
                        stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                        code: 1,
                        ..Default::default()
                    },
                );
            }
            for _ in kinds {
                out.push_str(&format!("** server can't find {qname}: NXDOMAIN\n\n"));
            }
            return self.finish(
                &world,
                ExecResult {
                    stdout: out,
                    code: 1,
                    ..Default::default()
                },
            );
        }
        let mut found = false;
        for &k in kinds {
            let Some(r) = self.dns_exchange(&mut world, cid, &qname, k) else {
                continue;
            };
            match r.code {
                // busybox 1.33+: an empty answer still gets its header (Docker's resolver never
                // sets AA).
                ResponseCode::NoError if r.addresses.is_empty() && r.names.is_empty() => {
                    out.push_str("Non-authoritative answer:\n\n");
                }
                ResponseCode::NoError => {
                    found = true;
                    out.push_str("Non-authoritative answer:\n");
                    for a in &r.addresses {
                        out.push_str(&format!("Name:\t{qname}\nAddress: {a}\n"));
                    }
                    for n in &r.names {
                        out.push_str(&format!("{qname}\tname = {}\n", n.trim_end_matches('.')));
                    }
                    out.push('\n');
                }
                code => {
                    let word = if code == ResponseCode::NXDomain {
                        "NXDOMAIN"
                    } else {
                        "SERVFAIL"
                    };
                    out.push_str(&format!("** server can't find {qname}: {word}\n\n"));
                }
            }
        }
        let code = if found { 0 } else { 1 };
        self.finish(
            &world,
            ExecResult {
                stdout: out,
                code,
                ..Default::default()
            },
        )
    }

    /// `getent hosts NAME|ADDRESS`: glibc's `print_hosts`, `ADDRESS  NAME [ALIASES]`
    /// (`%-15s %s`), a line per address; status 2 when unknown.
    pub(crate) fn getent_hosts(&mut self, cid: &str, name: &str, opts: &ExecOptions) -> ExecResult {
        let mut world = self.bare_world(opts.trace, opts.capture);
        let line = |ip: Ipv4Addr, names: &str| format!("{:<15} {names}\n", ip.to_string());
        let r = if let Ok(ip) = name.parse::<Ipv4Addr>() {
            // gethostbyaddr: the hosts file, then a PTR query.
            let from_hosts = self.etc_hosts(cid).lines().find_map(|l| {
                let (a, rest) = l.split_once('\t')?;
                (a.parse::<Ipv4Addr>().ok()? == ip).then(|| rest.to_string())
            });
            let names = match from_hosts {
                Some(n) => Some(n),
                None if self.uses_embedded_dns(cid) => self
                    .dns_exchange(&mut world, cid, &dns::reverse_name(ip), RecordType::PTR)
                    .and_then(|r| r.names.first().map(|n| n.trim_end_matches('.').to_string())),
                None => None,
            };
            match names {
                Some(n) => ExecResult::out(line(ip, &n)),
                None => ExecResult::err(String::new(), 2),
            }
        } else if let Some((ip, names)) = self.hosts_entry(cid, name) {
            ExecResult::out(line(ip, &names))
        } else if self.uses_embedded_dns(cid) {
            let a = self.dns_exchange(&mut world, cid, name, RecordType::A);
            let _ = self.dns_exchange(&mut world, cid, name, RecordType::AAAA);
            match a.map(|r| r.addresses).filter(|v| !v.is_empty()) {
                Some(ips) => ExecResult::out(ips.iter().map(|ip| line(*ip, name)).collect()),
                None => ExecResult::err(String::new(), 2),
            }
        } else {
            ExecResult::err(String::new(), 2)
        };
        self.finish(&world, r)
    }

    /// Whether the container has any network interface besides `lo`.
    pub(crate) fn has_network(&self, cid: &str) -> bool {
        !self.ifaces(cid).is_empty()
    }
}
