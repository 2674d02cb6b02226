//! `docker start`: moby's `daemon/start.go` and the networking it sets up
//! (`daemon/container_operations.go`: `allocateNetwork`, endpoints, published ports).

use super::*;

impl Daemon {
    /// `POST /containers/{id}/start`. Starting a running container does nothing. A
    /// command that ends at once without anyone waiting for it (`sh` without input, `true`,
    /// `echo`) has ended when this returns.
    pub fn container_start(&mut self, term: &str) -> Result<()> {
        self.start(term, false)
    }

    /// Starts a container whose client waits for its command (`run` in the foreground):
    /// the front end runs the command (`busybox::run_main`), which then ends it.
    pub fn container_start_attached(&mut self, term: &str) -> Result<()> {
        self.start(term, true)
    }

    fn start(&mut self, term: &str, attached: bool) -> Result<()> {
        let cid = self.find_container(term)?;
        if self.state.container(&cid)?.is_running() {
            return Ok(());
        }
        match self.start_networking(&cid) {
            Ok(()) => {
                let joined = self.joined_networks(&cid);
                if let Some(e) = self.user_error(&cid) {
                    // createSpec's getUser, after the networking came up: it goes again,
                    // and the container keeps the error (exitUnknown, 128).
                    for nid in joined {
                        self.network_event(&nid, "connect", &[("container", cid.clone())]);
                    }
                    self.release_networking_logged(&cid);
                    let c = self.state.container_mut(&cid)?;
                    c.state.error = e.clone();
                    if c.state.exit_code == 0 {
                        c.state.exit_code = 128;
                    }
                    self.auto_remove(&cid, 128);
                    return Err(Error::new(crate::docker::Kind::System, e));
                }
                let now = self.now();
                let pid = 1000 + self.draw("pid", 30000) as u32;
                let main_user = self.main_user_now(&cid);
                let link_env = self.legacy_link_env(&cid);
                let link_hosts = self.legacy_link_hosts(&cid);
                self.update_parents_hosts(&cid);
                let c = self.state.container_mut(&cid)?;
                c.link_env = link_env;
                c.main_user = main_user;
                c.link_hosts = link_hosts;
                c.state.status = Status::Running;
                c.state.pid = pid;
                c.state.exit_code = 0;
                c.state.error.clear();
                c.state.started_at = Some(now);
                for nid in joined {
                    self.network_event(&nid, "connect", &[("container", cid.clone())]);
                }
                self.container_event(&cid, "start", &[]);
                let ends = exits_at_once(self.state.container(&cid)?);
                if let Some(code) = ends.filter(|_| !attached) {
                    self.exit(&cid, code);
                }
                Ok(())
            }
            Err(e) => {
                // start_networking rolled its endpoints back; only the error is recorded.
                let e = e.prefixed("failed to set up container networking: ");
                let c = self.state.container_mut(&cid)?;
                c.state.error = e.message.clone();
                // containerStart keeps an earlier exit code (exitUnknown otherwise).
                if c.state.exit_code == 0 {
                    c.state.exit_code = 128;
                }
                // Its deferred clean-up removes a `--rm` container (the CLI waits for that).
                let code = c.state.exit_code;
                self.auto_remove(&cid, code);
                Err(e)
            }
        }
    }

    /// The networks container `cid` has an endpoint on.
    fn joined_networks(&self, cid: &str) -> Vec<String> {
        self.state.container(cid).map_or(Vec::new(), |c| {
            c.networks
                .values()
                .filter(|s| s.endpoint_id.is_some())
                .map(|s| s.network_id.clone())
                .collect()
        })
    }

    /// Who container `cid`'s command runs as, looked up now (`None`: root, no `User`).
    fn main_user_now(&self, cid: &str) -> Option<super::user::ExecUser> {
        let c = self.state.container(cid).ok()?;
        self.process_user(c, None).ok().flatten()
    }

    /// Why container `cid`'s `User` cannot run (moby's `getUser` in `createSpec`): not in
    /// its `/etc/passwd`. An image's own server (nginx, redis, ...) is simulated only as
    /// its image runs it, started as root or as the user its entrypoint drops to (redis',
    /// postgres'): under another user the real one fails on files it may not write, in
    /// words not modelled, so the start says so.
    pub fn user_error(&self, cid: &str) -> Option<String> {
        let c = self.state.container(cid).ok()?;
        let user = match self.process_user(c, None) {
            Ok(Some(u)) => u,
            Ok(None) => return None,
            Err(e) => return Some(e),
        };
        let img = self.image(&c.config.image)?;
        let own = img.server_uid != 0 && user.uid == img.server_uid;
        (!user.is_root() && !own && !img.listens.is_empty() && c.config.cmd == img.cmd).then(|| {
            format!(
                "the server of image {} is not simulated running as user {} (it starts as root, or as its own user)",
                c.config.image, c.config.user
            )
        })
    }

    fn start_networking(&mut self, cid: &str) -> Result<()> {
        // A new sandbox: interfaces count from eth0 again.
        self.state.container_mut(cid)?.next_ifindex = 0;
        let c = self.state.container(cid)?;
        // Legacy links: every target must be running.
        for l in &c.host_config.links {
            let (target, alias) = l.split_once(':').unwrap_or((l, l));
            let child = self
                .find_container(target)
                .and_then(|t| self.state.container(&t))
                .ok();
            if !child.is_some_and(|t| t.is_running()) {
                return Err(Error::link_to_stopped(target, alias));
            }
            // isLinkable: the child must be on the default bridge.
            if !child.is_some_and(|t| t.networks.contains_key("bridge")) {
                return Err(Error::link_outside_default_network(target));
            }
        }
        let keys: Vec<String> = c.networks.keys().cloned().collect();
        let mut renamed: Vec<(String, String)> = Vec::new();
        for key in keys {
            let Some(mut s) = self.state.container(cid)?.networks.get(&key).cloned() else {
                continue;
            };
            let nid = if !s.network_id.is_empty() {
                if self.state.networks.contains_key(&s.network_id) {
                    Ok(s.network_id.clone())
                } else {
                    Err(Error::network_not_found(&s.network_id))
                }
            } else {
                self.find_network(&key)
            };
            let nid = match nid.and_then(|nid| self.join(cid, &nid, &mut s).map(|()| nid)) {
                Ok(nid) => nid,
                Err(e) => {
                    self.release_networking(cid);
                    return Err(e);
                }
            };
            let net_name = self.state.network(&nid)?.name.clone();
            let c = self.state.container_mut(cid)?;
            if let Some(slot) = c.networks.get_mut(&key) {
                *slot = s;
            }
            // sbJoin's last step: the docker_gwbridge endpoint comes or goes.
            if let Err(e) = self.update_default_gw(cid) {
                self.release_networking(cid);
                return Err(e);
            }
            if net_name != key {
                renamed.push((key, net_name));
            }
        }
        self.publish_ports(cid)
            .inspect_err(|_| self.release_networking(cid))?;
        // Entries stored under an ID or a stale name take the network's name.
        for (old, new) in renamed {
            let c = self.state.container_mut(cid)?;
            if let Some((i, _, v)) = c.networks.shift_remove_full(&old) {
                c.networks.shift_insert(i, new, v);
            }
        }
        Ok(())
    }

    /// Binds the container's published ports (`-p`, and every exposed port with `-P`).
    fn publish_ports(&mut self, cid: &str) -> Result<()> {
        let c = self.state.container(cid)?;
        // The endpoint the bridge driver programs the ports on: a bridge network's, or the
        // docker_gwbridge one (in libnetwork's setupDefaultGW, whose errors say so).
        let (gateway_net, gateway_ep) = c
            .endpoints()
            .filter_map(|s| {
                let n = self.state.networks.get(&s.network_id)?;
                let ep = n.endpoints.get(s.endpoint_id.as_ref()?)?;
                (n.driver == Driver::Bridge).then_some((n, ep))
            })
            .next()
            .unzip();
        let binding_ip = gateway_net.map(|n| n.host_binding_ipv4());
        // The container's side of a mapping, as moby's errors print it.
        let container_ip = gateway_ep
            .and_then(|ep| ep.ipv4)
            .map_or(String::new(), |(a, _)| a.to_string());
        let (ep_name, ep_id) = match gateway_ep {
            Some(ep) if ep.anonymous => (ep.name.clone(), ep.id.clone()),
            Some(ep) => (c.name.clone(), ep.id.clone()),
            None => (c.name.clone(), String::new()),
        };
        let in_gw_join = |e: Error| match gateway_ep {
            Some(ep) if ep.anonymous => e.prefixed(&format!(
                "container {cid}: endpoint join on GW Network failed: "
            )),
            _ => e,
        };
        let mut ports: BTreeMap<String, Vec<PortBinding>> = BTreeMap::new();
        let Some(binding_ip) = binding_ip else {
            return Ok(()); // host/none: nothing to publish
        };
        let publishes = |p: &String| {
            c.host_config.publish_all_ports || c.host_config.port_bindings.contains_key(p)
        };
        if !c.config.exposed_ports.iter().any(publishes) {
            // Nothing to bind: each exposed port shows unpublished.
            let ports = c
                .config
                .exposed_ports
                .iter()
                .map(|p| (p.clone(), Vec::new()))
                .collect();
            self.state.container_mut(cid)?.ports = ports;
            return Ok(());
        }
        let mut used: Vec<(String, u16)> = self
            .state
            .containers
            .values()
            .filter(|o| o.is_running())
            .flat_map(|o| o.ports.iter())
            .flat_map(|(p, bs)| {
                let proto = proto_of(p).to_string();
                bs.iter()
                    .filter_map(move |b| b.host_port.parse().ok().map(|n| (proto.clone(), n)))
            })
            .collect();
        for p in &c.config.exposed_ports {
            let requested = c.host_config.port_bindings.get(p).cloned().or_else(|| {
                c.host_config
                    .publish_all_ports
                    .then(|| vec![PortBinding::default()])
            });
            let Some(requested) = requested else {
                ports.insert(p.clone(), Vec::new());
                continue;
            };
            let proto = proto_of(p).to_string();
            let mut bound = Vec::new();
            for b in requested {
                // Engine 28 on a host with IPv6 (libnetwork drivers/bridge/
                // port_mapping_linux.go, addPortMappings, configurePortBindingIPv4 and
                // configurePortBindingIPv6): a binding with no host address takes the
                // network's default, and when that is 0.0.0.0 also [::], on the same port
                // (through the userland proxy for an IPv4-only container). An explicit or
                // specific default address binds that family only.
                let host_ips: Vec<String> = if b.host_ip.is_empty() {
                    match binding_ip.parse::<std::net::IpAddr>() {
                        Ok(std::net::IpAddr::V4(a)) if a.is_unspecified() => {
                            vec![binding_ip.clone(), "::".to_string()]
                        }
                        _ => vec![binding_ip.clone()],
                    }
                } else {
                    vec![b.host_ip.clone()]
                };
                let host_ip = host_ips.first().cloned().unwrap_or_default();
                let port = if b.host_port.is_empty() {
                    (EPHEMERAL_PORT_START..=EPHEMERAL_PORT_END)
                        .find(|n| !used.contains(&(proto.clone(), *n)))
                        .ok_or_else(Error::no_free_host_port)?
                } else {
                    let n: u16 = b
                        .host_port
                        .parse()
                        .map_err(|_| Error::invalid_host_port(&b.host_port))?;
                    if used.contains(&(proto.clone(), n)) {
                        return Err(in_gw_join(Error::port_already_allocated(
                            &ep_name, &ep_id, &host_ip, n,
                        )));
                    }
                    n
                };
                // bindTCPOrUDP: bind(2) on an address the host does not have fails.
                if let Some(ip) = host_ips.iter().find(|ip| !self.host_owns(ip)) {
                    let (private, _) = port_sort_key(p);
                    let mapping = format!(
                        "{}:{port}:{container_ip}:{private}/{proto}",
                        if ip.contains(':') {
                            format!("[{ip}]")
                        } else {
                            ip.clone()
                        }
                    );
                    return Err(in_gw_join(Error::bind_host_port_failed(
                        &ep_name,
                        &ep_id,
                        &mapping,
                        "cannot assign requested address",
                    )));
                }
                used.push((proto.clone(), port));
                bound.extend(host_ips.into_iter().map(|host_ip| PortBinding {
                    host_ip,
                    host_port: port.to_string(),
                }));
            }
            ports.insert(p.clone(), bound);
        }
        self.state.container_mut(cid)?.ports = ports;
        Ok(())
    }

    /// [`Daemon::release_networking`], with a `disconnect` event for each network left.
    pub(super) fn release_networking_logged(&mut self, cid: &str) {
        let left = self.joined_networks(cid);
        self.release_networking(cid);
        for nid in left {
            self.network_event(&nid, "disconnect", &[("container", cid.to_string())]);
        }
    }

    pub(super) fn release_networking(&mut self, cid: &str) {
        let Ok(c) = self.state.container(cid) else {
            return;
        };
        let eps: Vec<(String, String)> = c
            .endpoints()
            .filter_map(|s| s.endpoint_id.clone().map(|e| (s.network_id.clone(), e)))
            .collect();
        for (nid, ep) in eps {
            self.leave(&nid, &ep);
        }
        let Ok(c) = self.state.container_mut(cid) else {
            return;
        };
        c.forget_namespace();
    }

    /// Whether the simulated host has address `ip` to bind a published port to: the
    /// wildcard and loopback addresses, every bridge network's gateway (the bridge interfaces
    /// carry them), and its own underlay address.
    fn host_owns(&self, ip: &str) -> bool {
        let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
            return false;
        };
        ip.is_unspecified()
            || ip.is_loopback()
            || self.state.networks.values().any(|n| {
                n.driver == Driver::Bridge && n.ipam.pools.iter().any(|p| p.gateway == Some(ip))
            })
            || self
                .host
                .peers
                .iter()
                .any(|(name, a)| *name == self.host.node && std::net::IpAddr::V4(*a) == ip)
    }
}
