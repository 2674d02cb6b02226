//! The forwarding database: learned MAC → (port, last seen), as an open-addressing table.
//!
//! Keys are 48-bit MACs, so a slot's key word also holds its port (bits 48–62) and a used mark
//! (bit 63): a lookup is one multiply, one shift and a short linear probe over 16-byte slots,
//! no control bytes. The
//! table doubles when it is half full (the only time it allocates) and is rebuilt when
//! entries are dropped (ageing, a port going away), which is rare next to lookups.

use super::PortId;
use crate::time::Instant;

const USED: u64 = 1 << 63;
const MAC: u64 = (1 << 48) - 1;
/// What identifies a slot's station: the used mark and the MAC.
const KEY: u64 = USED | MAC;

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// `USED | port << 48 | mac`, or 0 when free.
    key: u64,
    /// When the station was last seen.
    seen: Instant,
}

impl Slot {
    fn port(&self) -> PortId {
        PortId(((self.key & !USED) >> 48) as u16)
    }
}

fn pack(mac: u64, port: PortId) -> u64 {
    // A port index has 15 bits (`PortId::MAX`).
    USED | (u64::from(port) << 48) | mac
}

/// MAC → (port, last seen).
#[derive(Debug, Clone)]
pub struct Fdb {
    slots: Vec<Slot>,
    shift: u32,
    len: usize,
}

impl Default for Fdb {
    fn default() -> Fdb {
        Fdb::with_bits(4)
    }
}

// The fast path: `slots` is never empty and its length is a power of two; `index` keeps the
// top bits of a hash (`shift` leaves as many as the table has slots) and `find` masks, so
// every slot index is in bounds.
#[allow(clippy::indexing_slicing)]
impl Fdb {
    fn with_bits(bits: u32) -> Fdb {
        Fdb {
            slots: vec![Slot::default(); 1 << bits],
            shift: 64 - bits,
            len: 0,
        }
    }

    #[inline(always)]
    fn index(&self, mac: u64) -> usize {
        (mac.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The slot holding `mac`, or the free slot where it would go.
    #[inline(always)]
    fn find(&self, mac: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.index(mac);
        loop {
            let k = self.slots[i].key;
            if k & KEY == USED | mac || k == 0 {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The port and last-seen time of `mac`.
    #[inline(always)]
    pub fn get(&self, mac: u64) -> Option<(PortId, Instant)> {
        let s = &self.slots[self.find(mac)];
        (s.key != 0).then(|| (s.port(), s.seen))
    }

    /// Records that `mac` was seen on `port` at `now`.
    #[inline(always)]
    pub fn learn(&mut self, mac: u64, port: PortId, now: Instant) {
        let i = self.find(mac);
        let s = &mut self.slots[i];
        let fresh = s.key == 0;
        *s = Slot {
            key: pack(mac, port),
            seen: now,
        };
        if fresh {
            self.len += 1;
            if self.len * 2 > self.slots.len() {
                self.rebuild(self.slots.len().trailing_zeros() + 1, |_| true);
            }
        }
    }

    /// Keeps only the entries `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&(u64, PortId, Instant)) -> bool) {
        self.rebuild(self.slots.len().trailing_zeros(), keep);
    }

    fn rebuild(&mut self, bits: u32, keep: impl Fn(&(u64, PortId, Instant)) -> bool) {
        let old = std::mem::replace(self, Fdb::with_bits(bits));
        for (mac, port, seen) in old.entries().filter(|e| keep(e)) {
            self.learn(mac, port, seen);
        }
    }

    /// Every entry: (MAC, port, last seen), in table order.
    pub fn entries(&self) -> impl Iterator<Item = (u64, PortId, Instant)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.key != 0)
            .map(|s| (s.key & MAC, s.port(), s.seen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(i: u64) -> PortId {
        PortId::new(i as usize).unwrap()
    }

    #[test]
    fn learns_grows_and_forgets() {
        let mut f = Fdb::default();
        for m in 0..1000u64 {
            f.learn(m * 7919, p(m % 5), Instant(m));
        }
        for m in 0..1000u64 {
            assert_eq!(f.get(m * 7919), Some((p(m % 5), Instant(m))));
        }
        assert_eq!(f.get(3), None);
        f.learn(0, p(9), Instant(5));
        assert_eq!(
            f.get(0),
            Some((p(9), Instant(5))),
            "the all-zero MAC is a key too"
        );
        f.retain(|(_, port, _)| *port != p(2));
        // MAC 0 moved to port 9; the 200 on port 2 are gone.
        assert_eq!(f.entries().count(), 800);
        assert_eq!(f.get(0), Some((p(9), Instant(5))));
        // Times of the virtual clock (µs since 1970) fit, and the highest port.
        f.learn(42, p(PortId::MAX as u64), crate::time::EPOCH);
        assert_eq!(f.get(42), Some((p(PortId::MAX as u64), crate::time::EPOCH)));
        assert_eq!(f.get(2 * 7919), None);
        assert_eq!(f.get(3 * 7919), Some((p(3), Instant(3))));
    }
}
