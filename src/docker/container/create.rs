//! `docker create`: moby's `daemon/create.go` (`ContainerCreate`: names, network
//! settings, validation) and the name generator (`pkg/namesgenerator`).

use super::*;

impl Daemon {
    /// `POST /containers/create`. Returns the new container's ID.
    pub fn container_create(&mut self, req: ContainerCreateRequest) -> Result<String> {
        let mode = NetworkMode::from(req.network_mode.as_str());
        // validateNetworkingConfig: each endpoint's settings, before anything is reserved.
        for (key, s) in &req.endpoints {
            let shown = if key == "default" { "bridge" } else { key };
            let net = self
                .find_network(key)
                .and_then(|id| self.state.network(&id))
                .ok();
            validate_endpoint_settings(net, shown, s)
                .map_err(|e| e.prefixed(&format!("invalid config for network {shown}: ")))?;
        }
        if let NetworkMode::Container(_) = mode {
            return Err(Error::container_network_mode());
        }
        // validateCapabilities (daemon/container.go), then the sysctls vnet simulates.
        normalize_capabilities(&req.cap_add)
            .map_err(|p| Error::invalid_capabilities("CapAdd", &p))?;
        normalize_capabilities(&req.cap_drop)
            .map_err(|p| Error::invalid_capabilities("CapDrop", &p))?;
        for (k, v) in &req.sysctls {
            if k != "net.ipv4.ip_forward" || v.trim().parse::<i64>().is_err() {
                return Err(Error::sysctl_not_simulated(k, v));
            }
            if mode == NetworkMode::Host {
                return Err(Error::sysctl_in_host_namespace(k));
            }
        }
        // GetImage, before the name is reserved.
        let img = self
            .image(&req.image)
            .ok_or_else(|| Error::no_such_image(&image::familiar_tagged(&req.image)))?;
        let mut generated = 0;
        let name = match &req.name {
            Some(n) => {
                if !valid_container_name(n) {
                    return Err(Error::invalid_container_name(n));
                }
                let n = n.strip_prefix('/').unwrap_or(n).to_string();
                if let Some(owner) = self.name_owner(&n) {
                    return Err(Error::container_name_in_use(&n, &owner.id));
                }
                n
            }
            None => {
                let (n, draws) = self.generated_name();
                generated = draws;
                n
            }
        };
        // Legacy links (default bridge only): the target must exist now.
        let mut links = Vec::new();
        if !mode.is_user_defined() {
            for l in &req.links {
                let (target, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
                let tid = self
                    .find_container(target)
                    .map_err(|e| Error::link_target_not_found(target, &e))?;
                let t = self.state.container(&tid)?;
                if t.host_config.network_mode == NetworkMode::Host {
                    return Err(Error::conflict_host_network_and_links());
                }
                links.push(format!("/{}:/{name}/{alias}", t.name));
            }
        }
        let mut endpoints: IndexMap<String, EndpointSettings> = IndexMap::new();
        let primary = mode.as_str().to_string();
        let primary_settings = req
            .endpoints
            .get(&primary)
            .or_else(|| req.endpoints.get("default"))
            .cloned()
            .unwrap_or_default();
        endpoints.insert(primary.clone(), primary_settings);
        for (k, s) in &req.endpoints {
            let k = if k == "default" { "bridge" } else { k.as_str() };
            if !endpoints.contains_key(k) {
                endpoints.insert(k.to_string(), s.clone());
            }
        }
        // Endpoints store the resolved network under its name.
        let mut resolved: IndexMap<String, EndpointSettings> = IndexMap::new();
        for (k, mut s) in endpoints {
            match self.find_network(&k) {
                Ok(nid) => {
                    s.network_id = nid.clone();
                    resolved.insert(self.state.network(&nid)?.name.clone(), s);
                }
                // An unknown network is kept by name; start fails on it.
                Err(_) => {
                    resolved.insert(k, s);
                }
            }
        }
        let mut exposed: Vec<String> = img.exposed.iter().map(|s| s.to_string()).collect();
        for p in req.port_bindings.keys().chain(&req.exposed_ports) {
            if !exposed.contains(p) {
                exposed.push(p.clone());
            }
        }
        exposed.sort_by_key(|p| port_sort_key(p));

        let id = self.new_id(&format!("container/{name}"));
        let mut env: Vec<String> = img.env.iter().map(|s| s.to_string()).collect();
        for e in &req.env {
            let key = e.split('=').next().unwrap_or(e);
            env.retain(|x| x.split('=').next() != Some(key));
            env.push(e.clone());
        }
        let cmd: Vec<String> = if req.cmd.is_empty() {
            img.cmd.clone()
        } else {
            req.cmd.clone()
        };
        let hostname = if req.hostname.is_empty() {
            crate::docker::short(&id).to_string()
        } else {
            req.hostname.clone()
        };
        let c = Container {
            id: id.clone(),
            name,
            created: self.now(),
            config: Config {
                hostname,
                env,
                cmd,
                entrypoint: img.entrypoint.iter().map(|s| s.to_string()).collect(),
                image: req.image.clone(),
                tty: req.tty,
                open_stdin: req.open_stdin,
                attach: req.attach,
                exposed_ports: exposed,
                // daemon/create.go merges the image's labels under the container's.
                labels: img
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .chain(req.labels.clone())
                    .collect(),
                user: req.user.clone(),
            },
            host_config: HostConfig {
                network_mode: mode,
                port_bindings: req.port_bindings.clone(),
                publish_all_ports: req.publish_all_ports,
                links,
                cap_add: req.cap_add.clone(),
                cap_drop: req.cap_drop.clone(),
                sysctls: req.sysctls.clone(),
                privileged: req.privileged,
                auto_remove: req.auto_remove,
            },
            state: RunState {
                status: Status::Created,
                pid: 0,
                exit_code: 0,
                error: String::new(),
                started_at: None,
                finished_at: None,
            },
            networks: resolved,
            gateway_endpoint: None,
            ports: BTreeMap::new(),
            lo: Default::default(),
            link_env: Vec::new(),
            link_hosts: Vec::new(),
            next_ifindex: 0,
            resolver: false,
            routes: Vec::new(),
            addresses: Vec::new(),
            no_default_route: false,
            processes: Vec::new(),
            captures: Vec::new(),
            logs: Vec::new(),
            logged: 0,
            ip_forward_set: None,
            main_user: None,
            layer: Default::default(),
            links_down: Vec::new(),
            ipv6_flushed: Vec::new(),
        };
        self.state.names.insert(c.name.clone(), id.clone());
        self.state.containers.insert(id.clone(), c);
        for label in ["name/adjective", "name/surname"] {
            *self.state.counters.entry(label.to_string()).or_insert(0) += generated;
        }
        self.container_event(&id, "create", &[]);
        Ok(id)
    }

    /// A free `adjective_surname` name, and how many draws it took (committed only when the
    /// container is created, so a failed create changes nothing).
    fn generated_name(&self) -> (String, u64) {
        let base = |label: &str| self.state.counters.get(label).copied().unwrap_or(0);
        let (a0, s0) = (base("name/adjective"), base("name/surname"));
        let seed = self.state.seed;
        let pick = |words: &[&'static str], label: String| {
            let i = crate::rng::below(seed, &label, words.len() as u64);
            usize::try_from(i)
                .ok()
                .and_then(|i| words.get(i))
                .copied()
                .unwrap_or_default()
        };
        let mut k = 0;
        loop {
            let a = pick(&ADJECTIVES, format!("name/adjective/{}", a0 + k));
            let s = pick(&SURNAMES, format!("name/surname/{}", s0 + k));
            let name = format!("{a}_{s}");
            k += 1;
            if self.name_owner(&name).is_none() {
                return (name, k);
            }
        }
    }
}
