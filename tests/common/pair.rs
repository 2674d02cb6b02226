//! Two containers (10.0.0.2 and 10.0.0.3) on one bridge with the host at 10.0.0.1: the
//! smallest world, shared by tests/alloc.rs and benches/dataplane.rs.

use vnet::engine::{BridgeNode, BridgeSpec, NicSpec, World};

/// The pair, with the world's generator seeded by `seed`.
pub fn pair(seed: u64) -> World {
    let ip = |s: &str| s.parse().unwrap();
    let mut w = World::new(seed, "pair", 1_000_000);
    let b = w.add_bridge(BridgeSpec {
        name: "n".into(),
        gateway: Some(ip("10.0.0.1")),
        host_mac: [2, 0x42, 1, 1, 1, 1],
        icc: true,
        link: Default::default(),
        node: BridgeNode::Host,
    });
    for (i, a) in ["10.0.0.2", "10.0.0.3"].iter().enumerate() {
        w.add_nic(NicSpec {
            container: format!("c{i}"),
            ifname: "eth0".into(),
            bridge: b,
            mac: [2, 0x42, 10, 0, 0, 2 + i as u8],
            ipv4: (ip(a), 24),
            gateway: Some(ip("10.0.0.1")),
            counters: Default::default(),
            neighbors: Vec::new(),
            mtu: vnet::stack::MTU,
        });
    }
    w
}
