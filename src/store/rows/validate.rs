//! The shapes a state's objects must have, checked whenever a state is read (a load, `vnet
//! state import`, `vnet state check`) beside the cross-references of [`super::rows::check`]:
//! Docker's IDs, names and addresses as Docker would have made them, link settings as `vnet
//! link set` takes them, a clock Go can still write. A state that fails is refused with the
//! fault (vnet never repairs one), so the commands after a load may take these for granted.

use crate::cluster::Cluster;
use crate::docker::container::valid_container_name;
use crate::docker::network::{BRIDGE_MAX_PORTS, Driver, GW_NETWORK, Network};
use crate::engine::rule::MAX_DELAY;

/// Whether `id` is a Docker ID as vnet makes them: lowercase hex, at least the 12 digits of
/// its short form (64 when vnet made it).
pub fn docker_id(id: &str) -> bool {
    id.len() >= 12 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn id_fault(what: &str, name: &str, id: &str) -> String {
    format!("{what} {name:?} has ID {id:?}, not a Docker ID (12 to 64 lowercase hex digits)")
}

/// Checks every object of `c` for its shape; the first fault found. `whole` says the state
/// was read whole (a part holds only some networks, so link settings may name others).
pub fn shapes(c: &Cluster, whole: bool) -> Result<(), String> {
    for (hname, h) in &c.hosts {
        let e = &h.engine;
        let at = |m: String| format!("host {hname}: {m}");
        if e.clock > crate::time::MAX {
            return Err(at(format!(
                "the clock reads {}, past {}, the last time Go writes",
                e.clock.as_micros(),
                crate::time::MAX
            )));
        }
        for (key, net) in &e.networks {
            network(net, key, hname).map_err(at)?;
        }
        for (key, con) in &e.containers {
            if !docker_id(&con.id) {
                return Err(at(id_fault("container", &con.name, &con.id)));
            }
            if *key != con.id {
                return Err(at(format!(
                    "container {:?} is kept under ID {key}, not its own ({})",
                    con.name, con.id
                )));
            }
            if !valid_container_name(&con.name) {
                return Err(at(format!(
                    "container {} is named {:?}, which is not a valid container name",
                    con.id, con.name
                )));
            }
            for (nname, s) in con
                .networks
                .iter()
                .map(|(k, s)| (k.as_str(), s))
                .chain(con.gateway_endpoint.iter().map(|s| (GW_NETWORK, s)))
            {
                if let Some(eid) = &s.endpoint_id
                    && !docker_id(eid)
                {
                    return Err(at(id_fault(
                        &format!("container {}'s endpoint on network", con.name),
                        nname,
                        eid,
                    )));
                }
                let eth_n = |i: &&String| {
                    i.strip_prefix("eth")
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                };
                if let Some(i) = s.ifname.as_ref().filter(|i| !eth_n(i)) {
                    return Err(at(format!(
                        "container {}'s interface on network {nname} is named {i:?}, not ethN",
                        con.name
                    )));
                }
            }
        }
        for (id, l) in &e.links {
            let Some(net) = e.networks.get(id) else {
                if !whole {
                    continue;
                }
                return Err(at(format!(
                    "link settings name network {id}, which does not exist"
                )));
            };
            if !(0.0..=1.0).contains(&l.loss) {
                return Err(at(format!(
                    "network {}'s link loses {} of its frames, not a share from 0 to 1",
                    net.name, l.loss
                )));
            }
            if l.delay > MAX_DELAY || l.jitter > MAX_DELAY {
                return Err(at(format!(
                    "network {}'s link delay or jitter is past netem's 2562047h47m16.854775807s",
                    net.name
                )));
            }
        }
    }
    Ok(())
}

/// One network (kept under `key` on host `host`) and its endpoints.
fn network(net: &Network, key: &str, host: &str) -> Result<(), String> {
    if !docker_id(&net.id) {
        return Err(id_fault("network", &net.name, &net.id));
    }
    if key != net.id {
        return Err(format!(
            "network {:?} is kept under ID {key}, not its own ({})",
            net.name, net.id
        ));
    }
    for p in &net.ipam.pools {
        let outside = p
            .gateway
            .iter()
            .chain(p.aux.values())
            .chain(&p.allocated)
            .find(|ip| !p.subnet.contains(**ip));
        if let Some(ip) = outside {
            return Err(format!(
                "network {}: address {ip} is outside its subnet {}/{}",
                net.name, p.subnet.addr, p.subnet.len
            ));
        }
    }
    let mut local = 0;
    for (eid, ep) in &net.endpoints {
        if !docker_id(&ep.id) || *eid != ep.id {
            return Err(format!(
                "network {}: endpoint {eid:?} has ID {:?}, not a Docker ID (12 to 64 lowercase hex digits) under its own key",
                net.name, ep.id
            ));
        }
        for (ip, len) in ep.ipv4.iter().chain(&ep.ipv6) {
            let fits = net
                .ipam
                .pools
                .iter()
                .any(|p| p.subnet.len == *len && p.subnet.contains(*ip));
            if !fits {
                return Err(format!(
                    "network {}: endpoint {eid} has address {ip}/{len}, outside the network's subnets",
                    net.name
                ));
            }
        }
        if net.driver == Driver::Bridge || ep.host == host {
            local += 1;
        }
    }
    // Linux's bridge: port 0 reserved, the overlay's VXLAN device on a port of its own.
    let most = BRIDGE_MAX_PORTS - 1 - usize::from(net.driver == Driver::Overlay);
    if matches!(net.driver, Driver::Bridge | Driver::Overlay) && local > most {
        return Err(format!(
            "network {} has {local} endpoints on its bridge; a Linux bridge takes {most}",
            net.name
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_ids() {
        assert!(docker_id("e1e5a576e5dc"));
        assert!(docker_id(&"f".repeat(64)));
        assert!(!docker_id("abc"));
        assert!(!docker_id("E1E5A576E5DC"));
        assert!(!docker_id("zz1e5a576e5dcb"));
        assert!(!docker_id("é1e5a576e5dcb"));
    }
}
