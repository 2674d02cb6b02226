//! Small worlds for the tests of the engine and of the programs that run on it.

use super::*;
use crate::stack::Counters;

/// The first NIC of a world, and the second.
pub(crate) const NIC0: NicId = NicId(0);
pub(crate) const NIC1: NicId = NicId(1);

fn ip(s: &str) -> Ipv4Address {
    s.parse().unwrap()
}

/// c2 and c3 on one bridge with a clean link.
pub(crate) fn two_on_a_bridge(icc: bool) -> World {
    two_on_a_link(icc, rule::LinkConfig::default())
}

/// c2 (172.25.0.2) and c3 (172.25.3.3) on one bridge whose link follows `link`.
pub(crate) fn two_on_a_link(icc: bool, link: rule::LinkConfig) -> World {
    let mut w = World::new(1, "test", Instant(1_000_000));
    let b = w.add_bridge(BridgeSpec {
        name: "isolated_nw".into(),
        gateway: Some(ip("172.25.0.1")),
        gateway6: None,
        host_mac: [2, 0x42, 0x11, 0, 0, 1],
        icc,
        icc_allow: Vec::new(),
        link,
        node: BridgeNode::Host,
    });
    for (name, addr, mac) in [("c2", "172.25.0.2", 2u8), ("c3", "172.25.3.3", 3)] {
        w.add_nic(NicSpec {
            container: name.into(),
            ifname: "eth0".into(),
            bridge: b,
            mac: [2, 0x42, 0xac, 0x19, 0, mac],
            ipv4: (ip(addr), 16),
            extra: Vec::new(),
            gateway: Some(ip("172.25.0.1")),
            routes: Vec::new(),
            counters: Counters::default(),
            neighbors: Vec::new(),
            ipv6: Vec::new(),
            gateway6: None,
            neighbors6: Vec::new(),
            mtu: crate::stack::MTU,
        });
    }
    w
}
