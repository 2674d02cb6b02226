//! The default gateway network: libnetwork's `default_gateway.go` and
//! `default_gateway_linux.go`.
//!
//! A container whose endpoints give it no default gateway (the overlay driver sets none)
//! gets one more endpoint, on the bridge network `docker_gwbridge`, for traffic leaving the
//! overlay: libnetwork creates that network the first time it is needed (ICC off, masquerade
//! on, addresses from the default pools like any bridge network) unless a network of that
//! name already exists, which is how a user chooses its subnet. The endpoint is anonymous:
//! it is not one of the container's `NetworkSettings.Networks`, has no DNS name and no
//! `/etc/hosts` line, and emits no event; `network inspect docker_gwbridge` lists it as
//! `gateway_` and twelve hex digits of the sandbox ID. It comes with every endpoint join
//! that leaves the sandbox needing a gateway and goes with the one that gives it one (a
//! bridge network's, or the stop of the container), as `sbJoin` and `sbLeave` decide.

use super::*;

/// libnetwork's `libnGWNetwork`.
pub const GW_NETWORK: &str = "docker_gwbridge";

impl Daemon {
    /// `sandbox.needDefaultGW`: whether one of the container's endpoints wants external
    /// connectivity that none of them provides. Endpoints on `host`/`none` and internal
    /// networks want none; a bridge network's gives a gateway; any other (overlay) wants one.
    fn need_default_gw(&self, cid: &str) -> bool {
        let Ok(c) = self.state.container(cid) else {
            return false;
        };
        let mut need = false;
        for s in c.networks.values() {
            let Some(net) = s
                .endpoint_id
                .as_ref()
                .and_then(|_| self.state.networks.get(&s.network_id))
            else {
                continue;
            };
            if matches!(net.driver, Driver::Host | Driver::Null) || net.internal {
                continue;
            }
            if net.driver == Driver::Bridge {
                return false;
            }
            need = true;
        }
        need
    }

    /// What `sbJoin`/`sbLeave` do last: add the `docker_gwbridge` endpoint if the container
    /// needs a default gateway and has none, or remove it if it no longer needs one.
    pub(crate) fn update_default_gw(&mut self, cid: &str) -> Result<()> {
        let has = self.state.container(cid)?.gateway_endpoint.is_some();
        match (self.need_default_gw(cid), has) {
            (true, false) => self.setup_default_gw(cid),
            (false, true) => {
                self.clear_default_gw(cid);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `setupDefaultGW`: the network (made if missing), then the anonymous endpoint.
    fn setup_default_gw(&mut self, cid: &str) -> Result<()> {
        let nid = match self.state.networks.values().find(|n| n.name == GW_NETWORK) {
            Some(n) => n.id.clone(),
            None => self.create_gw_network()?,
        };
        let name = self.gw_endpoint_name(cid)?;
        let mut settings = EndpointSettings::default();
        self.join_endpoint(cid, &nid, &mut settings, Some(&name))
            .map_err(|e| {
                e.prefixed(&format!(
                    "container {cid}: endpoint create on GW Network failed: "
                ))
            })?;
        self.state.container_mut(cid)?.gateway_endpoint = Some(settings);
        Ok(())
    }

    /// The gateway endpoint's name: `gateway_` and 12 hex digits of the sandbox's ID (the
    /// namespace of the start under way, for a container that is starting).
    fn gw_endpoint_name(&self, cid: &str) -> Result<String> {
        let c = self.state.container(cid)?;
        let started = match c.state.started_at {
            Some(t) if c.is_running() => t,
            _ => self.now(),
        };
        let sandbox = self.sandbox_id(c, started);
        Ok(format!("gateway_{}", sandbox.get(..12).unwrap_or(&sandbox)))
    }

    /// `clearDefaultGW`: the endpoint leaves and is deleted (its interface goes with it, and
    /// the captures on it end as tcpdump does).
    pub(crate) fn clear_default_gw(&mut self, cid: &str) {
        let Ok(c) = self.state.container_mut(cid) else {
            return;
        };
        let Some(s) = c.gateway_endpoint.take() else {
            return;
        };
        c.interface_gone(&s.network_id, s.ifname.as_deref());
        if let Some(ep) = &s.endpoint_id {
            self.leave(&s.network_id, ep);
        }
    }

    /// `network disconnect docker_gwbridge CONTAINER` for a running container that is on it
    /// only by its gateway endpoint, as moby 20.10 answers it: the daemon finds the
    /// endpoint by its sandbox, its leave takes the interface, and `sbLeave`'s attempt to
    /// make a new one fails on the name the old one still holds.
    pub(super) fn disconnect_gw_endpoint(&mut self, cid: &str, nid: &str) -> Option<Error> {
        let c = self.state.container(cid).ok()?;
        let s = c
            .gateway_endpoint
            .as_ref()
            .filter(|s| s.network_id == nid)?;
        let net = self.state.networks.get(nid)?;
        let ep_name = net.endpoints.get(s.endpoint_id.as_ref()?)?.name.clone();
        let net_name = net.name.clone();
        self.clear_default_gw(cid);
        Some(Error::new(
            crate::docker::Kind::System,
            format!(
                "container {cid} failed to leave network {net_name}: container {cid}: endpoint create on GW Network failed: endpoint with name {ep_name} already exists in network {net_name}"
            ),
        ))
    }

    /// `createGWNetwork`: a bridge network named and bridged `docker_gwbridge`, ICC off,
    /// masquerading, IPv4 only, from the default pools; made by libnetwork, so no event.
    fn create_gw_network(&mut self) -> Result<String> {
        let options = [
            ("com.docker.network.bridge.enable_icc", "false"),
            ("com.docker.network.bridge.enable_ip_masquerade", "true"),
            ("com.docker.network.bridge.name", GW_NETWORK),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        self.new_network(NetworkCreateRequest {
            name: GW_NETWORK.to_string(),
            driver: "bridge".to_string(),
            options,
            ..NetworkCreateRequest::default()
        })
        .map_err(|e| e.prefixed("error creating external connectivity network: "))
    }
}
