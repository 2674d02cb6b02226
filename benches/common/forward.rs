//! The forwarding fast path's prepared workload, shared by the `forward` bench and the
//! instruction-count guard (`examples/icount.rs`): frames among stations behind bridge ports,
//! and the per-frame work the engine does (take an arena slot, copy in, decide, release), with
//! or without a VTEP's VXLAN encapsulation and decapsulation around it.

use vnet::fabric::{Arena, Bridge, Forward, PortId};
use vnet::time::Instant;
use vnet::wire::vxlan;

/// The time every frame of a run is forwarded at (the stations never age out).
pub const NOW: Instant = Instant(1);

/// Port `i`.
pub fn port(i: u32) -> PortId {
    PortId::new(i as usize).expect("a port")
}

/// The MAC of station `i`.
pub fn mac(i: u32) -> [u8; 6] {
    let b = i.to_be_bytes();
    [2, 0x42, b[0], b[1], b[2], b[3]]
}

/// `n` frames of `size` bytes among `macs` stations behind `ports` ports: (ingress, frame).
pub fn trace(ports: u32, macs: u32, n: usize, size: usize) -> Vec<(PortId, Vec<u8>)> {
    let mut x = 0x9e37_79b9u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let src = x % macs;
            let dst = (x >> 7) % macs;
            let mut f = vec![0u8; size];
            f[0..6].copy_from_slice(&mac(dst));
            f[6..12].copy_from_slice(&mac(src));
            f[12..14].copy_from_slice(&[0x08, 0x00]);
            (port(src % ports), f)
        })
        .collect()
}

/// A bridge with `ports` ports.
pub fn bridge_with(ports: u32) -> Bridge {
    let mut br = Bridge::new();
    for _ in 0..ports {
        br.add_port();
    }
    br
}

/// Forwards every frame of `t` once; returns a checksum of the egress ports.
pub fn run(br: &mut Bridge, arena: &mut Arena, t: &[(PortId, Vec<u8>)]) -> u64 {
    let mut out = 0;
    for (p, f) in t {
        let id = arena.alloc(f.len());
        arena.get_mut(id).copy_from_slice(f);
        if let Forward::One(q) = br.forward(NOW, *p, arena.get(id)) {
            out += u64::from(q);
        }
        arena.release(id);
    }
    out
}

/// A bridge with `ports` ports that has learned stations `0..macs` (station `i` behind port
/// `i % ports`): the steady state.
pub fn learned_bridge(ports: u32, macs: u32) -> Bridge {
    let mut br = bridge_with(ports);
    for i in 0..macs {
        let mut f = vec![0u8; 64];
        f[0..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&mac(i));
        br.forward(Instant(0), port(i % ports), &f);
    }
    br
}

/// The tunnel of the overlay workloads: host 198.18.0.2 to 198.18.0.3, VNI 256.
pub fn tunnel() -> vxlan::Encap {
    vxlan::Encap::new(&vxlan::Tunnel {
        src_mac: [2, 0, 198, 18, 0, 2],
        dst_mac: [2, 0, 198, 18, 0, 3],
        src_ip: "198.18.0.2".parse().expect("an address"),
        dst_ip: "198.18.0.3".parse().expect("an address"),
        src_port: 49152,
        vni: 256,
    })
}

/// [`run`], each frame also encapsulated into its slot's headroom and decapsulated, as the
/// two VTEPs of a cross-host hop do.
pub fn run_vxlan(
    br: &mut Bridge,
    arena: &mut Arena,
    encap: &vxlan::Encap,
    t: &[(PortId, Vec<u8>)],
) -> u64 {
    let mut out = 0;
    for (p, f) in t {
        let id = arena.alloc(f.len());
        arena.get_mut(id).copy_from_slice(f);
        if let Forward::One(q) = br.forward(NOW, *p, arena.get(id)) {
            out += u64::from(q);
        }
        encap.write(f.len(), 49152, arena.push_head(id, vxlan::OVERHEAD));
        let (vni, off) = vxlan::decapsulate(arena.get(id)).expect("VXLAN");
        arena.pull_head(id, off);
        out += u64::from(vni);
        arena.release(id);
    }
    out
}
