//! Frame storage: fixed-size slots addressed by index, shared by reference count.
//!
//! Frames move through the fabric as [`FrameId`]s; the bytes stay in one slot from the moment a
//! stack writes them until the last receiver is done. Flooding a broadcast to N ports bumps a
//! count instead of copying. Each slot keeps [`HEADROOM`] bytes in front of the frame so an
//! encapsulation (VXLAN: 50 bytes) can prepend headers without moving the payload. Freed slots
//! are reused last-in first-out, while they are still warm in cache. Once the arena has grown to
//! the working set, taking and freeing slots allocates nothing.

/// A frame's slot number.
pub type FrameId = u32;

/// Bytes of each slot.
pub const SLOT_SIZE: usize = 2048;
/// Bytes kept free in front of each frame for encapsulation headers.
pub const HEADROOM: usize = 64;
/// The largest frame a slot holds.
pub const MAX_FRAME: usize = SLOT_SIZE - HEADROOM;

/// The frame store.
#[derive(Debug, Default)]
pub struct Arena {
    bytes: Vec<u8>,
    slots: Vec<Slot>,
    free: Vec<FrameId>,
}

/// Where a slot's frame starts and ends, and how many hold it: one record, one bounds check
/// and one cache line per frame.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    head: u16,
    len: u16,
    refs: u16,
}

// The fast path, indexed without checks it does not need: a FrameId comes only from
// `alloc`, which hands out the index of a slot the arena has, and a slot's `head + len`
// stays within SLOT_SIZE (`alloc` takes at most MAX_FRAME, `push_head` and `pull_head`
// assert their headroom), so every index and range below is in bounds; `free` is refilled
// by `grow` before it is popped.
#[allow(clippy::indexing_slicing, clippy::expect_used)]
impl Arena {
    /// An arena with room for `slots` frames before it grows.
    pub fn with_capacity(slots: usize) -> Arena {
        let mut a = Arena::default();
        a.grow(slots.max(1));
        a
    }

    fn grow(&mut self, more: usize) {
        let start = self.slots.len();
        self.bytes.resize((start + more) * SLOT_SIZE, 0);
        self.slots.resize(
            start + more,
            Slot {
                head: HEADROOM as u16,
                ..Slot::default()
            },
        );
        self.free.reserve(more);
        self.free
            .extend((start..start + more).rev().map(|i| i as FrameId));
    }

    /// Takes a slot for a frame of `len` bytes (one reference) and returns it with its bytes.
    ///
    /// # Panics
    /// If `len` exceeds [`MAX_FRAME`].
    #[inline]
    pub fn alloc(&mut self, len: usize) -> FrameId {
        assert!(len <= MAX_FRAME, "frame of {len} bytes exceeds a slot");
        if self.free.is_empty() {
            let n = self.slots.len();
            self.grow(n);
        }
        let id = self.free.pop().expect("grown");
        let i = id as usize;
        self.slots[i] = Slot {
            head: HEADROOM as u16,
            len: len as u16,
            refs: 1,
        };
        id
    }

    /// The frame's bytes.
    #[inline]
    pub fn get(&self, id: FrameId) -> &[u8] {
        let i = id as usize;
        let s = self.slots[i];
        let start = i * SLOT_SIZE + s.head as usize;
        &self.bytes[start..start + s.len as usize]
    }

    /// The frame's bytes, writable.
    #[inline]
    pub fn get_mut(&mut self, id: FrameId) -> &mut [u8] {
        let i = id as usize;
        let s = self.slots[i];
        let start = i * SLOT_SIZE + s.head as usize;
        &mut self.bytes[start..start + s.len as usize]
    }

    /// One more holder of the frame.
    #[inline]
    pub fn share(&mut self, id: FrameId) {
        self.slots[id as usize].refs += 1;
    }

    /// A holder is done; the slot is free when the last one is.
    #[inline]
    pub fn release(&mut self, id: FrameId) {
        let r = &mut self.slots[id as usize].refs;
        debug_assert!(*r > 0, "double free of frame {id}");
        *r -= 1;
        if *r == 0 {
            self.free.push(id);
        }
    }

    /// Grows the frame by `n` bytes at the front, into the slot's headroom (an encapsulation
    /// header goes there), and returns the whole frame. The rest of the bytes stay put.
    ///
    /// # Panics
    /// If the headroom left is less than `n`.
    #[inline]
    pub fn push_head(&mut self, id: FrameId, n: usize) -> &mut [u8] {
        let i = id as usize;
        let s = &mut self.slots[i];
        assert!(usize::from(s.head) >= n, "no headroom for {n} bytes");
        s.head -= n as u16;
        s.len += n as u16;
        let start = i * SLOT_SIZE + usize::from(s.head);
        let end = start + usize::from(s.len);
        &mut self.bytes[start..end]
    }

    /// Drops `n` bytes from the front of the frame (a decapsulation); the slot keeps them
    /// as headroom.
    ///
    /// # Panics
    /// If the frame is shorter than `n`.
    #[inline]
    pub fn pull_head(&mut self, id: FrameId, n: usize) {
        let s = &mut self.slots[id as usize];
        assert!(usize::from(s.len) >= n, "frame shorter than {n} bytes");
        s.head += n as u16;
        s.len -= n as u16;
    }

    /// Whether more than one holder has the frame (writing it would change theirs too).
    #[inline]
    pub fn is_shared(&self, id: FrameId) -> bool {
        self.slots[id as usize].refs > 1
    }

    /// Slots in use.
    pub fn in_use(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_share_release() {
        let mut a = Arena::with_capacity(2);
        let f = a.alloc(60);
        a.get_mut(f)[0] = 7;
        a.share(f);
        a.release(f);
        assert_eq!(a.in_use(), 1);
        assert_eq!(a.get(f)[0], 7);
        a.release(f);
        assert_eq!(a.in_use(), 0);
        // LIFO reuse.
        assert_eq!(a.alloc(10), f);
        // Headroom: a header goes in front without moving the frame.
        let g = a.alloc(4);
        a.get_mut(g).copy_from_slice(&[1, 2, 3, 4]);
        a.push_head(g, 2).copy_from_slice(&[9, 9, 1, 2, 3, 4]);
        a.pull_head(g, 2);
        assert_eq!(a.get(g), &[1, 2, 3, 4]);
        assert!(!a.is_shared(g));
        a.release(g);
        // Growth when full.
        let _ = a.alloc(10);
        let _ = a.alloc(10);
        assert_eq!(a.in_use(), 3);
    }
}
