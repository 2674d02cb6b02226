//! Connecting and disconnecting containers: moby's `daemon/container_operations.go`
//! (`ConnectToNetwork`, `DisconnectFromNetwork`) and libnetwork's endpoint join and leave.

use super::*;

/// Linux's `BR_MAX_PORTS`: a bridge numbers its ports in 10 bits, and port 0 is reserved, so
/// it takes 1023 interfaces; the next is refused with `EXFULL` (net/bridge/br_if.c
/// `find_portno`).
pub const BRIDGE_MAX_PORTS: usize = 1024;

/// Whether the Linux bridge behind `net` has a port for one more endpoint of host `host`:
/// a bridge network's bridge holds one veth per endpoint; an overlay network's bridge on each
/// host holds its containers' veths there and the VXLAN device. When it is full, the error the
/// driver reports, with the host-side veth named as the driver names it (`veth` and 7 hex
/// digits, drawn here by `draw`).
fn bridge_port_free(
    net: &Network,
    container: &str,
    host: &str,
    draw: impl Fn(&str) -> String,
) -> Result<()> {
    let taken = match net.driver {
        Driver::Bridge => net.endpoints.len(),
        Driver::Overlay => 1 + net.endpoints.values().filter(|e| e.host == host).count(),
        _ => return Ok(()),
    };
    if taken < BRIDGE_MAX_PORTS - 1 {
        return Ok(());
    }
    let veth = format!("veth{}", draw("veth").get(..7).unwrap_or("0000000"));
    Err(if net.driver == Driver::Bridge {
        Error::bridge_ports_full(container, &net.name, &veth, &net.bridge_name())
    } else {
        let vni = net.vnis.first().copied().unwrap_or(0);
        let id = net.id.get(..5).unwrap_or(&net.id);
        Error::overlay_ports_full(&veth, &format!("ov-{vni:06x}-{id}"))
    })
}

impl Daemon {
    /// `POST /networks/{id}/connect`.
    pub fn network_connect(
        &mut self,
        net_term: &str,
        container_term: &str,
        settings: EndpointSettings,
    ) -> Result<()> {
        let cid = self.find_container(container_term)?;
        let found = self.find_network(net_term);
        let c = self.state.container(&cid)?;
        if !c.is_running() {
            // A stopped container: only its configuration changes (a missing network is
            // stored under the given name and fails at start, moby#29754).
            let Ok(nid) = found else {
                let key = net_term.to_string();
                let c = self.state.container_mut(&cid)?;
                if !c.networks.contains_key(&key) {
                    c.networks.insert(key, settings);
                }
                return Ok(());
            };
            self.check_connect(&cid, &nid, &settings)?;
            let name = self.state.network(&nid)?.name.clone();
            if self.state.container(&cid)?.networks.contains_key(&name) {
                return Ok(()); // "Avoid duplicate config"
            }
            let mut settings = EndpointSettings {
                network_id: nid.clone(),
                endpoint_id: None,
                ..settings
            };
            settings.dns_names = self.dns_names(&cid, &nid, &settings.aliases);
            let c = self.state.container_mut(&cid)?;
            c.networks.insert(name, settings);
            return Ok(());
        }
        let nid = found?;
        self.check_connect(&cid, &nid, &settings)?;
        let net = self.state.network(&nid)?;
        let c = self.state.container(&cid)?;
        if net.endpoint_of(&cid).is_some() {
            return Err(Error::endpoint_exists(&c.name, &net.name));
        }
        let name = net.name.clone();
        let mut settings = settings;
        let resolver = c.resolver;
        self.join(&cid, &nid, &mut settings)?;
        let ep_id = settings.endpoint_id.clone();
        let c = self.state.container_mut(&cid)?;
        c.networks.insert(name.clone(), settings);
        // sbJoin's last step: the docker_gwbridge endpoint comes or goes; if it cannot
        // come, the join is undone.
        if let Err(e) = self.update_default_gw(&cid) {
            let c = self.state.container_mut(&cid)?;
            if let Some(dev) = c.networks.shift_remove(&name).and_then(|s| s.ifname) {
                c.addresses.retain(|a| a.dev != dev);
            }
            c.resolver = resolver;
            if let Some(ep) = ep_id {
                self.leave(&nid, &ep);
            }
            return Err(e);
        }
        self.network_event(&nid, "connect", &[("container", cid)]);
        Ok(())
    }

    /// The network-mode and endpoint-settings rules shared by connect and create.
    fn check_connect(&self, cid: &str, nid: &str, settings: &EndpointSettings) -> Result<()> {
        let c = self.state.container(cid)?;
        let net = self.state.network(nid)?;
        let mode = &c.host_config.network_mode;
        if *mode == NetworkMode::Host && net.driver == Driver::Host {
            // Already there: libnetwork reports the endpoint.
            return Err(Error::endpoint_exists(&c.name, &net.name));
        }
        if matches!(mode, NetworkMode::Host | NetworkMode::Container(_)) {
            return Err(Error::conflict_shared_network());
        }
        if net.driver == Driver::Host {
            return Err(Error::conflict_host_network());
        }
        let on_none = c.networks.keys().any(|k| k == "none");
        if (net.driver == Driver::Null && !c.networks.is_empty() && !on_none)
            || (on_none && net.driver != Driver::Null)
        {
            return Err(Error::conflict_no_network());
        }
        validate_endpoint_settings(Some(net), &net.name, settings)
    }

    /// Creates the endpoint of a running container on a network: addresses, MAC, ID.
    pub(crate) fn join(
        &mut self,
        cid: &str,
        nid: &str,
        settings: &mut EndpointSettings,
    ) -> Result<()> {
        self.join_endpoint(cid, nid, settings, None)
    }

    /// [`Daemon::join`], or with `anonymous` the endpoint libnetwork makes for itself under
    /// that name: no DNS names, no resolver.
    pub(super) fn join_endpoint(
        &mut self,
        cid: &str,
        nid: &str,
        settings: &mut EndpointSettings,
        anonymous: Option<&str>,
    ) -> Result<()> {
        let dns_names = match anonymous {
            Some(_) => None,
            None => self.dns_names(cid, nid, &settings.aliases),
        };
        let label = format!("endpoint/{cid}/{nid}");
        let ep_id = self.peek_id(&label);
        let statics = settings.ipam_config.clone().unwrap_or_default();
        let mut ipv4 = None;
        let mut ipv6 = None;
        // libnetwork names the endpoint after the container; an endpoint of that name left in
        // the cluster store by a host that died uncleanly blocks the join (daemon
        // connectToNetwork, classic overlay).
        let c = self.state.container(cid)?;
        let (cname, ifindex) = (
            anonymous.map_or_else(|| c.name.clone(), str::to_string),
            c.next_ifindex,
        );
        let host = self.host.node.clone();
        let seed = self.state.seed;
        let net = self
            .state
            .networks
            .get_mut(nid)
            .ok_or_else(|| Error::network_not_found(nid))?;
        if net.endpoints.values().any(|e| e.name == cname) {
            return Err(Error::already_connected(&net.name));
        }
        if net.driver == Driver::Bridge || net.driver == Driver::Overlay {
            let (name, id) = (net.name.clone(), net.id.clone());
            for pool in net.ipam.pools.iter_mut() {
                let v4 = pool.subnet.addr.is_ipv4();
                let want = if v4 {
                    &statics.ipv4_address
                } else {
                    &statics.ipv6_address
                };
                let want: Option<IpAddr> = (!want.is_empty()).then(|| want.parse().ok()).flatten();
                let got = pool.request(want).map_err(|e| {
                    if want.is_some() {
                        e
                    } else {
                        Error::no_available_addresses(if v4 { 4 } else { 6 }, &name, &id)
                    }
                });
                match got {
                    Ok(ip) if v4 => ipv4 = Some((ip, pool.subnet.len)),
                    Ok(ip) => ipv6 = Some((ip, pool.subnet.len)),
                    Err(e) => {
                        for (ip, _) in [ipv4, ipv6].into_iter().flatten() {
                            for p in net.ipam.pools.iter_mut() {
                                p.release(ip);
                            }
                        }
                        return Err(e);
                    }
                }
            }
        }
        let draw = |what: &str| crate::rng::hex_id(seed, &format!("{what}/{ep_id}"));
        if let Err(e) = bridge_port_free(net, &cname, &host, draw) {
            // libnetwork hands the addresses back when the driver fails.
            for (ip, _) in [ipv4, ipv6].into_iter().flatten() {
                for p in net.ipam.pools.iter_mut() {
                    p.release(ip);
                }
            }
            return Err(e);
        }
        let configured = settings.mac_address.parse::<Mac>().ok();
        let mac = match ipv4 {
            _ if configured.is_some()
                && net.driver != Driver::Host
                && net.driver != Driver::Null =>
            {
                configured
            }
            Some((IpAddr::V4(a), _)) => Some(Mac::from_ipv4(a)),
            // No IPv4 address: bytes of the endpoint ID stand in (a random MAC in Docker).
            _ if net.driver == Driver::Bridge || net.driver == Driver::Overlay => {
                let b = |i: usize| {
                    ep_id
                        .get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .unwrap_or(0)
                };
                Some(Mac([0x02, 0x42, b(0), b(2), b(4), b(6)]))
            }
            _ => None,
        };
        net.endpoints.insert(
            ep_id.clone(),
            Endpoint {
                id: ep_id.clone(),
                container_id: cid.to_string(),
                mac,
                ipv4,
                ipv6,
                counters: Default::default(),
                neighbors: Vec::new(),
                neighbors6: Vec::new(),
                name: cname,
                host: if net.global { host } else { String::new() },
                dns_names: if net.global {
                    dns_names.clone().unwrap_or_default()
                } else {
                    Vec::new()
                },
                ifname: if net.global {
                    format!("eth{ifindex}")
                } else {
                    String::new()
                },
                anonymous: anonymous.is_some(),
            },
        );
        self.new_id(&label);
        settings.network_id = nid.to_string();
        settings.endpoint_id = Some(ep_id);
        settings.dns_names = dns_names;
        let c = self.state.container_mut(cid)?;
        let dev = format!("eth{}", c.next_ifindex);
        settings.ifname = Some(dev.clone());
        c.next_ifindex += 1;
        // libnetwork's `llAddrs`: the interface's addresses besides Docker's, IPv4 ones
        // with a /16, given as the namespace is made (and gone with it, or with `ip addr
        // del`, as any address is).
        let link_local = settings.ipam_config.iter().flat_map(|i| &i.link_local_ips);
        for ip in link_local.filter_map(|a| a.parse::<std::net::Ipv4Addr>().ok()) {
            let added = crate::docker::container::AddedAddress {
                dev: dev.clone(),
                ip,
                len: 16,
            };
            if !c.addresses.contains(&added) {
                c.addresses.push(added);
            }
        }
        // libnetwork `populateNetworkResources`: `if ep.needResolver() { startResolver }`;
        // the daemon disables resolution on the predefined networks (daemon/network.go
        // `buildCreateEndpointOptions`, `CreateOptionDisableResolution`).
        c.resolver |= settings.dns_names.is_some();
        Ok(())
    }

    /// `buildEndpointDNSNames`: on user-defined networks, the container's name, its aliases,
    /// its short ID and its hostname, without repeats.
    pub(crate) fn dns_names(
        &self,
        cid: &str,
        nid: &str,
        aliases: &[String],
    ) -> Option<Vec<String>> {
        let c = self.state.container(cid).ok()?;
        is_user_defined(&self.state.network(nid).ok()?.name).then(|| {
            let mut names = vec![c.name.clone()];
            names.extend(aliases.iter().cloned());
            names.push(c.short_id().to_string());
            names.push(c.config.hostname.clone());
            let mut seen = std::collections::BTreeSet::new();
            names.retain(|n| seen.insert(n.clone()));
            names
        })
    }

    /// Deletes a container's endpoint and returns its addresses to the pools.
    pub(crate) fn leave(&mut self, nid: &str, ep_id: &str) {
        if let Some(net) = self.state.networks.get_mut(nid)
            && let Some(ep) = net.endpoints.shift_remove(ep_id)
        {
            for (ip, _) in [ep.ipv4, ep.ipv6].into_iter().flatten() {
                for p in net.ipam.pools.iter_mut() {
                    p.release(ip);
                }
            }
        }
    }

    /// `POST /networks/{id}/disconnect`.
    pub fn network_disconnect(
        &mut self,
        net_term: &str,
        container_term: &str,
        force: bool,
    ) -> Result<()> {
        let cid = match self.find_container(container_term) {
            Ok(cid) => cid,
            Err(e) if force => {
                // ForceEndpointDelete: the container is gone; delete its endpoint by name.
                let _ = e;
                let nid = self.find_network(net_term)?;
                let net = self.state.network(&nid)?;
                let Some(ep) = net
                    .endpoints
                    .values()
                    .find(|ep| {
                        self.state
                            .containers
                            .get(&ep.container_id)
                            .map_or(ep.name == container_term, |c| c.name == container_term)
                    })
                    .map(|ep| ep.id.clone())
                else {
                    return Err(Error::endpoint_not_found(container_term));
                };
                self.leave(&nid, &ep);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let found = self.find_network(net_term);
        let c = self.state.container(&cid)?;
        if let Ok(nid) = &found {
            let net = self.state.network(nid)?;
            if c.host_config.network_mode == NetworkMode::Host && net.driver == Driver::Host {
                return Err(Error::disconnect_host_mode());
            }
        }
        if !c.is_running() || (found.is_err() && force) {
            let key = match &found {
                Ok(nid) if !c.networks.contains_key(net_term) => {
                    self.state.network(nid)?.name.clone()
                }
                _ => net_term.to_string(),
            };
            if !c.networks.contains_key(&key) {
                let shown = found
                    .as_ref()
                    .ok()
                    .and_then(|nid| self.state.network(nid).ok())
                    .map_or(net_term, |n| n.name.as_str());
                return Err(Error::not_connected_stopped(&cid, shown));
            }
            let c = self.state.container_mut(&cid)?;
            if let Some(ep) = c.networks.shift_remove(&key).and_then(|s| {
                let nid = s.network_id;
                s.endpoint_id.map(|ep| (nid, ep))
            }) {
                let (nid, ep) = ep;
                self.leave(&nid, &ep);
            }
            return Ok(());
        }
        let nid = found?;
        let net = self.state.network(&nid)?;
        let Some(ep) = net.endpoint_of(&cid).map(|e| e.id.clone()) else {
            if let Some(e) = self.disconnect_gw_endpoint(&cid, &nid) {
                return Err(e);
            }
            let net = self.state.network(&nid)?;
            return Err(Error::not_connected_running(&cid, &net.name));
        };
        let name = net.name.clone();
        self.leave(&nid, &ep);
        let c = self.state.container_mut(&cid)?;
        let dev = c.networks.shift_remove(&name).and_then(|s| s.ifname);
        c.interface_gone(&nid, dev.as_deref());
        // sbLeave's last step, as after a join: when the gateway endpoint cannot come, the
        // leave is done and the daemon reports it.
        self.update_default_gw(&cid).map_err(|e| {
            e.prefixed(&format!("container {cid} failed to leave network {name}: "))
        })?;
        self.network_event(&nid, "disconnect", &[("container", cid.clone())]);
        Ok(())
    }
}
