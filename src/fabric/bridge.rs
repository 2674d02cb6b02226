//! A learning bridge (IEEE 802.1D data plane), as Linux's bridge behaves for Docker.
//!
//! Each frame that enters on a port teaches the bridge where its source MAC lives; a frame to a
//! known unicast MAC leaves by that MAC's port only, anything else (broadcast, multicast,
//! unknown unicast) floods to every port but the one it came in on. Entries age out after
//! [`DEFAULT_AGEING`] without traffic (Linux `ageing_time`, 300 s). The bridge keeps no clock:
//! the caller passes the time in.

use super::PortId;
use super::fdb::Fdb;
use crate::time::{Duration, Instant};

/// Linux bridge `ageing_time`: 300 s.
pub const DEFAULT_AGEING: Duration = Duration::from_secs(300);

/// Where a frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Out of one port.
    One(PortId),
    /// Out of every attached port but the ingress.
    Flood,
    /// Nowhere (the destination lives on the ingress port).
    Drop,
}

/// One bridge's forwarding state.
#[derive(Debug, Default)]
pub struct Bridge {
    attached: Vec<bool>,
    fdb: Fdb,
    ageing: Duration,
}

impl Bridge {
    /// An empty bridge with Linux's ageing time.
    pub fn new() -> Bridge {
        Bridge {
            attached: Vec::new(),
            fdb: Fdb::default(),
            ageing: DEFAULT_AGEING,
        }
    }

    /// Attaches a new port.
    pub fn add_port(&mut self) -> PortId {
        let free = match self.attached.iter().position(|a| !a) {
            Some(free) => free,
            None => self.attached.len(),
        };
        // A forwarding entry holds 15 bits of port: Docker's bridges refuse the 1024th
        // endpoint (the kernel's BR_MAX_PORTS) long before.
        #[allow(clippy::expect_used)]
        let port = PortId::new(free).expect("a bridge has at most 32768 ports");
        match self.attached.get_mut(free) {
            Some(a) => *a = true,
            None => self.attached.push(true),
        }
        port
    }

    /// Detaches a port and forgets what was learned on it.
    pub fn remove_port(&mut self, port: PortId) {
        if let Some(a) = self.attached.get_mut(port.index()) {
            *a = false;
        }
        self.fdb.retain(|(_, p, _)| *p != port);
    }

    /// The attached ports, in order.
    pub fn ports(&self) -> impl Iterator<Item = PortId> + '_ {
        self.attached
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| PortId(i as u16))
    }

    /// Learns from a frame entering on `ingress` and decides where it goes.
    /// `frame` must hold at least the 12 address bytes of an Ethernet header.
    // Always inlined: it is the fast path, and called from one place per caller's loop.
    #[inline(always)]
    pub fn forward(&mut self, now: Instant, ingress: PortId, frame: &[u8]) -> Forward {
        let Some(h) = frame.first_chunk::<12>() else {
            return Forward::Drop;
        };
        // Both addresses from two 8-byte loads.
        // Ranges of a 12-byte array: the conversions cannot fail.
        let lo = u64::from_be_bytes(h[..8].try_into().unwrap_or_default());
        let hi = u64::from_be_bytes(h[4..].try_into().unwrap_or_default());
        let dst = lo >> 16;
        let src = hi & 0xffff_ffff_ffff;
        // Learn unicast sources.
        if h[6] & 1 == 0 {
            self.fdb.learn(src, ingress, now);
        }
        if h[0] & 1 == 1 {
            return Forward::Flood;
        }
        match self.fdb.get(dst) {
            Some((port, seen)) if now - seen <= self.ageing => {
                if port == ingress {
                    Forward::Drop
                } else {
                    Forward::One(port)
                }
            }
            _ => Forward::Flood,
        }
    }

    /// Drops entries older than the ageing time.
    pub fn age(&mut self, now: Instant) {
        let ageing = self.ageing;
        self.fdb.retain(|(_, _, seen)| now - *seen <= ageing);
    }

    /// The learned table, sorted by MAC: `(mac, port, last seen)`.
    pub fn fdb(&self) -> Vec<(u64, PortId, Instant)> {
        let mut v: Vec<_> = self.fdb.entries().collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(micros: u64) -> Instant {
        Instant(micros)
    }

    fn frame(dst: [u8; 6], src: [u8; 6]) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend_from_slice(&src);
        f.extend_from_slice(&[0x08, 0x00]);
        f
    }
    const A: [u8; 6] = [2, 0x42, 0, 0, 0, 1];
    const B: [u8; 6] = [2, 0x42, 0, 0, 0, 2];
    const BCAST: [u8; 6] = [0xff; 6];

    #[test]
    fn learns_floods_and_forwards() {
        let mut br = Bridge::new();
        let (p0, p1, _p2) = (br.add_port(), br.add_port(), br.add_port());
        assert_eq!(br.forward(t(0), p0, &frame(BCAST, A)), Forward::Flood);
        assert_eq!(br.forward(t(1), p1, &frame(A, B)), Forward::One(p0));
        assert_eq!(br.forward(t(2), p0, &frame(B, A)), Forward::One(p1));
        // A frame for a MAC that lives on the ingress port goes nowhere.
        assert_eq!(br.forward(t(3), p0, &frame(A, A)), Forward::Drop);
        // A station that moves is relearned.
        assert_eq!(br.forward(t(4), p1, &frame(BCAST, A)), Forward::Flood);
        assert_eq!(br.forward(t(5), p0, &frame(A, B)), Forward::One(p1));
    }

    #[test]
    fn entries_age_out() {
        let mut br = Bridge::new();
        let (p0, p1) = (br.add_port(), br.add_port());
        br.forward(t(0), p0, &frame(BCAST, A));
        assert_eq!(
            br.forward(Instant(0) + DEFAULT_AGEING, p1, &frame(A, B)),
            Forward::One(p0)
        );
        assert_eq!(
            br.forward(t(2 * DEFAULT_AGEING.as_micros() + 1), p1, &frame(A, B)),
            Forward::Flood
        );
        br.age(t(4 * DEFAULT_AGEING.as_micros()));
        assert!(br.fdb().is_empty());
    }

    #[test]
    fn removed_ports_are_forgotten() {
        let mut br = Bridge::new();
        let (p0, p1) = (br.add_port(), br.add_port());
        br.forward(t(0), p0, &frame(BCAST, A));
        br.remove_port(p0);
        assert_eq!(br.ports().collect::<Vec<_>>(), vec![p1]);
        assert_eq!(br.forward(t(1), p1, &frame(A, B)), Forward::Flood);
        assert_eq!(br.add_port(), p0);
    }
}
