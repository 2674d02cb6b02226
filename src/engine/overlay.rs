//! Overlay networks across hosts: VTEPs on the overlay bridges and the underlay LAN between
//! the hosts (VXLAN, RFC 7348, as Docker's overlay driver sets it up on Linux).
//!
//! Each host on the underlay is a port of one underlay bridge (created on first use). A VTEP
//! is a port of its overlay bridge; what it does with a frame is
//! [`crate::fabric::vtep::decide`]'s answer, applied here: the ARP reply enters the overlay
//! bridge, a tunnelled frame gets its outer headers in its slot's headroom and enters the
//! underlay from its host's port. On the other side the host's underlay NIC unwraps it into
//! the VTEP of that VNI. Before a frame is tunnelled, the underlay's rule chain (partitions)
//! decides whether it gets there.

use super::rule::{self, End, Hop, Partition};
use super::world::{Peer, UnderlayHost, Vtep, World};
use super::{BridgeId, BridgeNode, BridgeSpec, UnderlayHostSpec, VtepSpec};
use crate::fabric::vtep::{self, Decision};
use crate::fabric::{FrameId, HostId, PortId};
use crate::time::Duration;
use crate::wire::vxlan;

// Indexed by the world's own IDs, as in world.rs (see there).
#[allow(clippy::indexing_slicing, clippy::expect_used)]
impl World {
    /// Puts a host on the underlay LAN (made on first use).
    pub fn add_underlay_host(&mut self, spec: UnderlayHostSpec) -> HostId {
        let b = match self.underlay {
            Some(b) => b,
            None => {
                let b = self.add_bridge(BridgeSpec {
                    name: "underlay".into(),
                    gateway: None,
                    gateway6: None,
                    host_mac: [0; 6],
                    icc: true,
                    icc_allow: Vec::new(),
                    link: rule::LinkConfig::default(),
                    node: BridgeNode::Nobody,
                });
                self.underlay = Some(b);
                b
            }
        };
        let h = HostId::new(self.underlay_hosts.len()).expect("hosts fit in 32 bits");
        let port = self.attach(b, Peer::Underlay(h));
        self.underlay_hosts.push(UnderlayHost { spec, port });
        h
    }

    /// Cuts the underlay between two hosts: VXLAN frames between them are lost (a
    /// [`Partition`] rule on the underlay).
    pub fn cut(&mut self, a: HostId, b: HostId) {
        self.underlay_rules.push(Box::new(Partition::new(a, b)));
    }

    /// Adds a VTEP on an overlay bridge; returns its index.
    pub fn add_vtep(&mut self, spec: VtepSpec) -> usize {
        let v = self.vteps.len();
        let port = self.attach(spec.bridge, Peer::Vtep(v));
        self.vteps.push(Vtep {
            spec,
            port,
            encaps: Vec::new(),
        });
        v
    }

    /// A frame reaches VTEP `v` from its overlay bridge: answered, tunnelled or dropped.
    pub(super) fn vtep_egress(&mut self, v: usize, frame: FrameId) {
        let decision = {
            let arena = self.arena.borrow();
            vtep::decide(&self.vteps[v].spec.remote, arena.get(frame))
        };
        let spec = &self.vteps[v].spec;
        let (bridge, port, here) = (spec.bridge, self.vteps[v].port, spec.host);
        match decision {
            Decision::Drop => self.arena.borrow_mut().release(frame),
            Decision::ProxyArp {
                mac,
                ip,
                to_mac,
                to_ip,
            } => {
                self.arena.borrow_mut().release(frame);
                let mut buf = [0u8; 42];
                super::host::arp_reply(mac, ip, to_mac, to_ip, &mut buf);
                let id = self.arena.borrow_mut().alloc(buf.len());
                self.arena.borrow_mut().get_mut(id).copy_from_slice(&buf);
                self.enter_bridge(bridge, port, id);
            }
            Decision::Tunnel { host: there, vni } => {
                let extra = if self.underlay_rules.is_empty() {
                    Duration::ZERO
                } else {
                    let hop = Hop {
                        from: End::Host(here),
                        to: End::Host(there),
                    };
                    let arena = self.arena.borrow();
                    let ruling =
                        self.underlay_rules
                            .evaluate(&hop, &mut self.rng, arena.get(frame));
                    drop(arena);
                    match ruling.verdict {
                        rule::Verdict::Drop => {
                            if self.taps.tracer().is_some() {
                                // The underlay's one rule: `vnet host partition A B`.
                                let why = format!(
                                    "{} {}-{}",
                                    ruling.by.unwrap_or("rule"),
                                    self.underlay_hosts[here.index()].spec.name,
                                    self.underlay_hosts[there.index()].spec.name
                                );
                                let name = self.port_name(bridge, port);
                                let arena = self.arena.borrow();
                                self.taps.dropped(self.now, &name, arena.get(frame), &why);
                            }
                            self.arena.borrow_mut().release(frame);
                            return;
                        }
                        rule::Verdict::Deliver(d) => d,
                        rule::Verdict::Pass => Duration::ZERO,
                    }
                };
                let frame = self.own(frame);
                let encap = self.encap(v, here, there, vni);
                let mut arena = self.arena.borrow_mut();
                let inner_len = arena.get(frame).len();
                let sport = vtep::source_port(arena.get(frame));
                encap.write(inner_len, sport, arena.push_head(frame, vxlan::OVERHEAD));
                drop(arena);
                let ub = self.underlay.expect("hosts on it");
                let up = self.underlay_hosts[here.index()].port;
                self.enter_bridge_after(ub, up, frame, extra);
            }
        }
    }

    /// VTEP `v`'s outer headers from `here` to `there` with `vni`, prepared on first use.
    fn encap(&mut self, v: usize, here: HostId, there: HostId, vni: u32) -> vxlan::Encap {
        let encaps = &mut self.vteps[v].encaps;
        if let Some((_, _, e)) = encaps.iter().find(|(h, n, _)| *h == there && *n == vni) {
            return *e;
        }
        let (src, dst) = (
            &self.underlay_hosts[here.index()].spec,
            &self.underlay_hosts[there.index()].spec,
        );
        let e = vxlan::Encap::new(&vxlan::Tunnel {
            src_mac: src.mac,
            dst_mac: dst.mac,
            src_ip: src.ip,
            dst_ip: dst.ip,
            src_port: 0,
            vni,
        });
        encaps.push((there, vni, e));
        e
    }

    /// A frame reaches host `h`'s underlay NIC: VXLAN for one of its VTEPs is unwrapped and
    /// enters that overlay bridge; anything else is dropped.
    pub(super) fn underlay_egress(&mut self, h: HostId, frame: FrameId) {
        let found: Option<(BridgeId, PortId, usize)> = {
            let arena = self.arena.borrow();
            vtep::inbound(self.underlay_hosts[h.index()].spec.mac, arena.get(frame)).and_then(
                |(vni, off)| {
                    self.vteps
                        .iter()
                        .find(|t| t.spec.host == h && t.spec.vnis.contains(&vni))
                        .map(|t| (t.spec.bridge, t.port, off))
                },
            )
        };
        let Some((bridge, port, off)) = found else {
            self.arena.borrow_mut().release(frame);
            return;
        };
        let frame = self.own(frame);
        self.arena.borrow_mut().pull_head(frame, off);
        self.enter_bridge(bridge, port, frame);
    }
}
