//! Two containers (10.0.0.2 and 10.0.0.3) on one bridge with the host at 10.0.0.1: the
//! smallest world, shared by tests/alloc.rs and benches/dataplane.rs; and the same two on an
//! overlay network, one per host, joined by VXLAN.

use vnet::engine::{
    BridgeNode, BridgeSpec, HostId, NicId, NicSpec, Remote, UnderlayHostSpec, VtepSpec, World,
};
use vnet::time::Instant;

/// The first NIC (10.0.0.2, the pinger) of either world.
pub const C0: NicId = NicId::new(0).unwrap();
/// The second NIC (10.0.0.3).
#[allow(dead_code)]
pub const C1: NicId = NicId::new(1).unwrap();

/// The pair, with the world's generator seeded by `seed`.
pub fn pair(seed: u64) -> World {
    let ip = |s: &str| s.parse().unwrap();
    let mut w = World::new(seed, "pair", Instant(1_000_000));
    let b = w.add_bridge(BridgeSpec {
        name: "n".into(),
        gateway: Some(ip("10.0.0.1")),
        gateway6: None,
        host_mac: [2, 0x42, 1, 1, 1, 1],
        icc: true,
        icc_allow: Vec::new(),
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
            extra: Vec::new(),
            gateway: Some(ip("10.0.0.1")),
            routes: Vec::new(),
            counters: Default::default(),
            neighbors: Vec::new(),
            ipv6: Vec::new(),
            gateway6: None,
            neighbors6: Vec::new(),
            mtu: vnet::stack::MTU,
        });
    }
    w
}

/// 10.0.0.2 on host a and 10.0.0.3 on host b, on one overlay network (VNI 256): each host's
/// overlay bridge has a VTEP, and the hosts share an underlay. NIC 0 is on a, NIC 1 on b.
#[allow(dead_code)]
pub fn overlay_pair(seed: u64) -> World {
    let ip = |s: &str| s.parse().unwrap();
    let mut w = World::new(seed, "overlay-pair", Instant(1_000_000));
    let hosts = [("a", "198.18.0.2"), ("b", "198.18.0.3")];
    let mut bridges = Vec::new();
    for (k, (h, _)) in hosts.iter().enumerate() {
        bridges.push(w.add_bridge(BridgeSpec {
            name: format!("ov@{h}"),
            gateway: Some(ip("10.0.0.1")),
            gateway6: None,
            host_mac: [2, 0x42, 1, 1, 1, k as u8],
            icc: true,
            icc_allow: Vec::new(),
            link: Default::default(),
            node: BridgeNode::Namespace,
        }));
    }
    let under: Vec<HostId> = hosts
        .iter()
        .enumerate()
        .map(|(k, (h, a))| {
            w.add_underlay_host(UnderlayHostSpec {
                name: h.to_string(),
                ip: ip(a),
                mac: [2, 0, 198, 18, 0, 2 + k as u8],
            })
        })
        .collect();
    let macs = [[2, 0x42, 10, 0, 0, 2], [2, 0x42, 10, 0, 0, 3]];
    let addrs = ["10.0.0.2", "10.0.0.3"];
    for k in 0..2 {
        let other = 1 - k;
        w.add_vtep(VtepSpec {
            bridge: bridges[k],
            host: under[k],
            vnis: vec![256],
            remote: vec![Remote {
                ip: ip(addrs[other]),
                mac: macs[other],
                host: under[other],
                vni: 256,
            }],
        });
    }
    for k in 0..2 {
        w.add_nic(NicSpec {
            container: format!("c{k}"),
            ifname: "eth0".into(),
            bridge: bridges[k],
            mac: macs[k],
            ipv4: (ip(addrs[k]), 24),
            extra: Vec::new(),
            gateway: None,
            routes: Vec::new(),
            counters: Default::default(),
            // The remote side's VTEP answers for the pinger at once (see docker/sandbox.rs).
            neighbors: if k == 1 {
                vec![(ip(addrs[0]), macs[0])]
            } else {
                Vec::new()
            },
            ipv6: Vec::new(),
            gateway6: None,
            neighbors6: Vec::new(),
            mtu: vnet::stack::MTU - vnet::wire::vxlan::OVERHEAD,
        });
    }
    w
}

/// Two networks joined by a router container: 10.0.0.2 (NIC 0) on `n`, 10.0.1.3 (NIC 1) on
/// `m`, each with a route to the other's network through the router (10.0.0.254 on `n`,
/// 10.0.1.254 on `m`, NICs 2 and 3), which forwards (`ip_forward=1`).
#[allow(dead_code)]
pub fn routed(seed: u64) -> World {
    use vnet::engine::router::{Route, RouterSpec};
    let ip = |s: &str| s.parse().unwrap();
    let mut w = World::new(seed, "routed", Instant(1_000_000));
    let bridge = |w: &mut World, name: &str, gw: &str, last: u8| {
        w.add_bridge(BridgeSpec {
            name: name.into(),
            gateway: Some(ip(gw)),
            gateway6: None,
            host_mac: [2, 0x42, 1, 1, 1, last],
            icc: true,
            icc_allow: Vec::new(),
            link: Default::default(),
            node: BridgeNode::Host,
        })
    };
    let n = bridge(&mut w, "n", "10.0.0.1", 1);
    let m = bridge(&mut w, "m", "10.0.1.1", 2);
    let nic = |w: &mut World, c: &str, b, last: u8, addr: &str, via: Option<(&str, &str)>| {
        w.add_nic(NicSpec {
            container: c.into(),
            ifname: "eth0".into(),
            bridge: b,
            mac: [2, 0x42, 10, 0, 9, last],
            ipv4: (ip(addr), 24),
            extra: Vec::new(),
            gateway: None,
            routes: via
                .map(|(net, gw)| vec![(ip(net), 24, ip(gw))])
                .unwrap_or_default(),
            counters: Default::default(),
            neighbors: Vec::new(),
            ipv6: Vec::new(),
            gateway6: None,
            neighbors6: Vec::new(),
            mtu: vnet::stack::MTU,
        })
    };
    nic(
        &mut w,
        "a",
        n,
        2,
        "10.0.0.2",
        Some(("10.0.1.0", "10.0.0.254")),
    );
    nic(
        &mut w,
        "b",
        m,
        3,
        "10.0.1.3",
        Some(("10.0.0.0", "10.0.1.254")),
    );
    let r0 = nic(&mut w, "r", n, 254, "10.0.0.254", None);
    let r1 = nic(&mut w, "r", m, 253, "10.0.1.254", None);
    let b_nic = NicId::new(1).unwrap();
    let a_nic = NicId::new(0).unwrap();
    w.add_router(RouterSpec {
        nics: vec![r0, r1],
        routes: vec![
            Route {
                net: ip("10.0.0.0"),
                len: 24,
                via: None,
                nic: r0,
            },
            Route {
                net: ip("10.0.1.0"),
                len: 24,
                via: None,
                nic: r1,
            },
        ],
        addresses: vec![ip("10.0.0.254"), ip("10.0.1.254")],
        forward: true,
        host: false,
    });
    // The ends have routes of their own: a router each, with no forwarding.
    for (nicid, net, gw, own) in [
        (a_nic, "10.0.1.0", "10.0.0.254", "10.0.0.2"),
        (b_nic, "10.0.0.0", "10.0.1.254", "10.0.1.3"),
    ] {
        let local = if own == "10.0.0.2" {
            "10.0.0.0"
        } else {
            "10.0.1.0"
        };
        w.add_router(RouterSpec {
            nics: vec![nicid],
            routes: vec![
                Route {
                    net: ip(local),
                    len: 24,
                    via: None,
                    nic: nicid,
                },
                Route {
                    net: ip(net),
                    len: 24,
                    via: Some(ip(gw)),
                    nic: nicid,
                },
            ],
            addresses: vec![ip(own)],
            forward: false,
            host: false,
        });
    }
    w
}
