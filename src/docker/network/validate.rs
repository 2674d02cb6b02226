//! Request validation: `network.ValidateIPAM` (`api/types/network/ipam.go`) and
//! `validateEndpointSettings` (`daemon/container_operations.go`).

use super::*;

/// Joins several errors as moby's `errJoin`/`multierror.Join` does.
fn join_errors(errs: &[String]) -> String {
    if let [one] = errs {
        one.clone()
    } else {
        errs.iter()
            .map(|e| format!("* {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `network.ValidateIPAM` (API v1.44+): `invalid network config:` and the problems.
pub fn validate_ipam(configs: &[IpamConfig], enable_ipv6: bool) -> Result<()> {
    let mut errs: Vec<String> = Vec::new();
    let family = |p: &Prefix| if p.addr.is_ipv4() { "IPv4" } else { "IPv6" };
    for c in configs {
        let Ok(subnet) = c.subnet.parse::<Prefix>() else {
            errs.push(format!(
                "invalid subnet {}: invalid CIDR block notation",
                c.subnet
            ));
            continue;
        };
        let fam = family(&subnet);
        if !enable_ipv6 && fam == "IPv6" {
            continue;
        }
        if subnet != subnet.masked() {
            errs.push(format!(
                "invalid subnet {subnet}: it should be {}",
                subnet.masked()
            ));
        }
        if !c.ip_range.is_empty() {
            match c.ip_range.parse::<Prefix>() {
                Err(_) => errs.push(format!(
                    "invalid ip-range {}: invalid CIDR block notation",
                    c.ip_range
                )),
                Ok(r) if family(&r) != fam => errs.push(format!(
                    "invalid ip-range {}: parent subnet is an {fam} block",
                    c.ip_range
                )),
                Ok(r) => {
                    if r.len < subnet.len {
                        errs.push(format!(
                            "invalid ip-range {}: CIDR block is bigger than its parent subnet {subnet}",
                            c.ip_range
                        ));
                    }
                    if r != r.masked() {
                        errs.push(format!("invalid ip-range {r}: it should be {}", r.masked()));
                    }
                    if !subnet.overlaps(&r) {
                        errs.push(format!(
                            "invalid ip-range {}: parent subnet {subnet} doesn't contain ip-range",
                            c.ip_range
                        ));
                    }
                }
            }
        }
        let check_addr = |a: &str| -> Option<String> {
            if a.is_empty() {
                return None;
            }
            match a.parse::<IpAddr>() {
                Err(_) => Some("invalid address".to_string()),
                Ok(ip) if ip.is_ipv4() != subnet.addr.is_ipv4() => {
                    Some(format!("parent subnet is an {fam} block"))
                }
                Ok(ip) if !subnet.contains(ip) => Some(format!(
                    "parent subnet {subnet} doesn't contain this address"
                )),
                Ok(_) => None,
            }
        };
        if let Some(e) = check_addr(&c.gateway) {
            errs.push(format!("invalid gateway {}: {e}", c.gateway));
        }
        for (name, aux) in &c.aux_addresses {
            if let Some(e) = check_addr(aux) {
                errs.push(format!("invalid auxiliary address {name}: {e}"));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_network_config(&join_errors(&errs)))
    }
}

/// `validateEndpointSettings` (v25+): `invalid endpoint settings:` and the problems.
pub fn validate_endpoint_settings(
    net: Option<&Network>,
    net_name: &str,
    s: &EndpointSettings,
) -> Result<()> {
    let mut errs: Vec<String> = Vec::new();
    let ipam = s.ipam_config.clone().unwrap_or_default();
    if !is_user_defined(net_name) {
        if !ipam.ipv4_address.is_empty() || !ipam.ipv6_address.is_empty() {
            errs.push(
                "user specified IP address is supported on user defined networks only".into(),
            );
        }
        if !s.aliases.is_empty() {
            errs.push(
                "network-scoped alias is supported only for containers in user defined networks"
                    .into(),
            );
        }
    }
    let v4: Option<IpAddr> = if ipam.ipv4_address.is_empty() {
        None
    } else {
        match ipam.ipv4_address.parse::<IpAddr>() {
            Ok(ip @ IpAddr::V4(_)) => Some(ip),
            _ => {
                errs.push(format!("invalid IPv4 address: {}", ipam.ipv4_address));
                None
            }
        }
    };
    let v6: Option<IpAddr> = if ipam.ipv6_address.is_empty() {
        None
    } else {
        match ipam.ipv6_address.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) if a.to_ipv4_mapped().is_none() => Some(IpAddr::V6(a)),
            _ => {
                errs.push(format!("invalid IPv6 address: {}", ipam.ipv6_address));
                None
            }
        }
    };
    // EndpointIPAMConfig.Validate: an address, not the unspecified one.
    for a in &ipam.link_local_ips {
        if a.parse::<IpAddr>().map_or(true, |ip| ip.is_unspecified()) {
            errs.push(format!("invalid link-local IP address: {a}"));
        }
    }
    let v4_link_local = ipam
        .link_local_ips
        .iter()
        .filter(|a| matches!(a.parse::<IpAddr>(), Ok(IpAddr::V4(_))))
        .count();
    // The interface's stack holds eight addresses; on an IPv6 network its global and
    // link-local IPv6 addresses take two.
    let room = crate::docker::container::MAX_ADDED_ADDRESSES
        - if net.is_some_and(|n| n.enable_ipv6) {
            2
        } else {
            0
        };
    if v4_link_local > room {
        errs.push(format!(
            "an interface holds at most {room} IPv4 link-local addresses in vnet"
        ));
    }
    if let Some(net) = net {
        for (ip, is_v4) in [(v4, true), (v6, false)] {
            let Some(ip) = ip else { continue };
            if !net.has_user_subnet(is_v4) {
                errs.push(
                    "user specified IP address is supported only when connecting to networks with user configured subnets"
                        .into(),
                );
            } else if !net.ipam.pools.iter().any(|p| p.subnet.contains(ip)) {
                errs.push(format!(
                    "no configured subnet or ip-range contain the IP address {ip}"
                ));
            }
        }
    }
    // validateEndpointSettings returns a bad MAC address alone, before the other problems.
    if !s.mac_address.is_empty() && s.mac_address.parse::<super::Mac>().is_err() {
        return Err(Error::new(
            crate::docker::Kind::InvalidParameter,
            format!("invalid MAC address {}", s.mac_address),
        ));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_endpoint_settings(&join_errors(&errs)))
    }
}
