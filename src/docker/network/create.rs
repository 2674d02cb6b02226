//! `docker network create`: moby's `daemon/network.go` (`CreateNetwork`, `createNetwork`)
//! with the bridge and overlay drivers' checks and the default IPAM's pool choice.

use super::*;

impl Daemon {
    /// `POST /networks/create`. Returns the new network's ID.
    pub fn network_create(&mut self, req: NetworkCreateRequest) -> Result<String> {
        let id = self.new_network(req)?;
        self.network_event(&id, "create", &[]);
        Ok(id)
    }

    /// The network `req` describes, made without an event (libnetwork's `NewNetwork`; the
    /// daemon logs the event for the networks users create).
    pub(super) fn new_network(&mut self, req: NetworkCreateRequest) -> Result<String> {
        if PREDEFINED_NETWORKS.contains(&req.name.as_str()) {
            return Err(Error::predefined_network_operation(&req.name));
        }
        let driver = if req.driver.is_empty() {
            "bridge"
        } else {
            req.driver.as_str()
        };
        if driver == "overlay" && self.host.cluster_store.is_none() {
            return Err(Error::not_a_swarm_manager());
        }
        validate_ipam(&req.ipam_config, req.enable_ipv6)?;
        // libnetwork ErrInvalidName.
        if req.name.trim().is_empty() {
            return Err(Error::invalid_network_name(&req.name));
        }
        if self.state.networks.values().any(|n| n.name == req.name) {
            return Err(Error::network_name_exists(&req.name));
        }
        let driver = match Driver::from_name(driver) {
            Some(d @ (Driver::Bridge | Driver::Overlay)) => d,
            // Their driver refuses a second instance (drivers/host, drivers/null).
            Some(Driver::Host | Driver::Null) => return Err(Error::one_instance_only(driver)),
            None if driver == "macvlan" || driver == "ipvlan" => {
                return Err(Error::driver_not_simulated(driver));
            }
            None => return Err(Error::plugin_not_found(driver)),
        };
        let ipam_driver = if req.ipam_driver.is_empty() {
            "default"
        } else {
            req.ipam_driver.as_str()
        };
        if ipam_driver != "default" {
            return Err(Error::plugin_not_found(ipam_driver));
        }

        // IPAM: one pool per configured subnet (IPv6 ones only with --ipv6), else a
        // predefined one.
        let mut pools: Vec<Pool> = Vec::new();
        let taken = self.all_subnets();
        let configs: Vec<&IpamConfig> = req
            .ipam_config
            .iter()
            .filter(|c| {
                req.enable_ipv6 || c.subnet.parse::<Prefix>().is_ok_and(|p| p.addr.is_ipv4())
            })
            .collect();
        for c in &configs {
            // validate_ipam checked each address; these say so again, in its words, rather
            // than trust it.
            let bad = |what: &str, v: &str, why: &str| {
                Error::invalid_network_config(&format!("invalid {what} {v}: {why}"))
            };
            let subnet: Prefix = c
                .subnet
                .parse()
                .map_err(|_| bad("subnet", &c.subnet, "invalid CIDR block notation"))?;
            let range = if c.ip_range.is_empty() {
                None
            } else {
                Some(
                    c.ip_range
                        .parse()
                        .map_err(|_| bad("ip-range", &c.ip_range, "invalid CIDR block notation"))?,
                )
            };
            // With an ip-range the IPAM overlap check is skipped (moby#46756).
            if range.is_none()
                && (taken.iter().any(|t| t.overlaps(&subnet))
                    || pools.iter().any(|p| p.subnet.overlaps(&subnet)))
            {
                return Err(Error::pool_overlap());
            }
            let mut pool = Pool::new(subnet, range);
            pool.preferred = true;
            // ipamAllocateVersion: the gateway first, then the aux addresses.
            let gw = if c.gateway.is_empty() {
                pool.request(None)
            } else {
                let gw = c
                    .gateway
                    .parse()
                    .map_err(|_| bad("gateway", &c.gateway, "invalid address"))?;
                pool.request(Some(gw))
            }
            .map_err(|err| Error::gateway_allocation(&c.gateway, &err))?;
            pool.gateway = Some(gw);
            for (name, aux) in &c.aux_addresses {
                let ip: IpAddr = aux
                    .parse()
                    .map_err(|_| bad("auxiliary address", aux, "invalid address"))?;
                pool.request(Some(ip))
                    .map_err(|err| Error::aux_address_allocation(name, aux, &err))?;
                pool.aux.insert(name.clone(), ip);
            }
            pools.push(pool);
        }
        let mut shown_config: Vec<IpamConfig> = configs.iter().map(|c| (*c).clone()).collect();
        let overlay = driver == Driver::Overlay;
        if !pools.iter().any(|p| p.subnet.addr.is_ipv4()) {
            let subnet = if overlay {
                ipam::allocate_global_v4(&taken)?
            } else {
                ipam::allocate_predefined_v4(&taken)?
            };
            let mut pool = Pool::new(subnet, None);
            let gw = pool.request(None)?;
            pool.gateway = Some(gw);
            shown_config.insert(
                0,
                IpamConfig {
                    subnet: subnet.to_string(),
                    gateway: gw.to_string(),
                    ..IpamConfig::default()
                },
            );
            pools.insert(0, pool);
        }
        if req.enable_ipv6 && !pools.iter().any(|p| !p.subnet.addr.is_ipv4()) {
            let subnet = ipam::allocate_ula_v6(self.ula_base(), &taken)?;
            let mut pool = Pool::new(subnet, None);
            let gw = pool.request(None)?;
            pool.gateway = Some(gw);
            shown_config.push(IpamConfig {
                subnet: subnet.to_string(),
                gateway: gw.to_string(),
                ..IpamConfig::default()
            });
            pools.push(pool);
        }
        // IPv4 configs first, then IPv6, as libnetwork reports them.
        pools.sort_by_key(|p| !p.subnet.addr.is_ipv4());
        shown_config.sort_by_key(|c| c.subnet.contains(':'));

        // The bridge driver: one IPv4 subnet, and no overlap with another bridge. The overlay
        // driver takes several.
        let v4 = pools.iter().filter(|p| p.subnet.addr.is_ipv4()).count();
        if !overlay && (v4 > 1 || pools.len() - v4 > 1) {
            return Err(Error::bridge_multiple_subnets());
        }
        // checkConflict: no other bridge may share the device name or an address range.
        let new_id = self.peek_id(&format!("network/{}", req.name));
        let new_bridge = req
            .options
            .get("com.docker.network.bridge.name")
            .cloned()
            .unwrap_or_else(|| format!("br-{}", crate::docker::short(&new_id)));
        for other in self
            .state
            .networks
            .values()
            .filter(|n| n.driver == Driver::Bridge && !overlay)
        {
            let reason = if other.bridge_name() == new_bridge {
                Some("networks have same bridge name")
            } else if let Some(p) = pools.iter().find(|p| {
                other
                    .ipam
                    .pools
                    .iter()
                    .any(|o| o.subnet.overlaps(&p.subnet))
            }) {
                Some(if p.subnet.addr.is_ipv4() {
                    "networks have overlapping IPv4"
                } else {
                    "networks have overlapping IPv6"
                })
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::bridge_conflict(
                    &new_id,
                    &new_bridge,
                    &other.id,
                    &other.bridge_name(),
                    reason,
                ));
            }
        }

        let mut vnis = Vec::new();
        if overlay {
            // Classic overlay: a VNI per subnet, from 256, the lowest free (idm/vxlan-id).
            let used: Vec<u32> = self
                .state
                .networks
                .values()
                .flat_map(|n| n.vnis.iter().copied())
                .collect();
            for p in pools.iter().filter(|p| p.subnet.addr.is_ipv4()) {
                let vni = (VXLANID_START..)
                    .find(|v| !used.contains(v) && !vnis.contains(v))
                    .ok_or_else(|| Error::vxlan_ids_exhausted(p.subnet))?;
                vnis.push(vni);
            }
        }
        let id = self.new_id(&format!("network/{}", req.name));
        let net = Network {
            id: id.clone(),
            name: req.name.clone(),
            driver,
            created: self.now(),
            enable_ipv4: true,
            enable_ipv6: req.enable_ipv6,
            internal: req.internal,
            attachable: req.attachable,
            global: overlay,
            vnis,
            ipam: NetworkIpam {
                driver: ipam_driver.to_string(),
                options: req.ipam_options.clone(),
                config: Some(shown_config),
                pools,
            },
            options: req.options.clone(),
            labels: req.labels.clone(),
            endpoints: IndexMap::new(),
        };
        self.state.networks.insert(id.clone(), net);
        Ok(id)
    }

    /// Every subnet in use on this host.
    fn all_subnets(&self) -> Vec<Prefix> {
        self.state
            .networks
            .values()
            .flat_map(|n| n.ipam.pools.iter().map(|p| p.subnet))
            .collect()
    }

    /// The host's unique-local /48 (`deriveULABaseNetwork`: 40 bits derived from the host).
    fn ula_base(&self) -> u128 {
        let mut r = crate::rng::derive(self.state.seed, "ula");
        let mut b = [0u8; 5];
        rand_chacha::rand_core::Rng::fill_bytes(&mut r, &mut b);
        let mut v: u128 = 0xfd;
        for x in b {
            v = (v << 8) | u128::from(x);
        }
        v << 80
    }
}
