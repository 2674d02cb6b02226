//! The forwarding fast path allocates nothing per frame: a counting global allocator over
//! the bridge and arena in steady state, and over a ping flood through the whole engine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use vnet::busybox::ping::{PingOptions, ping};

#[path = "common/pair.rs"]
mod pair;
use vnet::fabric::{Arena, Bridge, Forward, PortId};
use vnet::time::Instant;

struct Counting;

thread_local! {
    /// Allocations made by this thread (the test harness's own threads do not count).
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn bridge_steady_state_allocates_nothing() {
    let mut arena = Arena::with_capacity(64);
    let mut br = Bridge::new();
    let ports: Vec<_> = (0..4).map(|_| br.add_port()).collect();
    let mac = |i: u8| [2, 0x42, 0, 0, 0, i];
    let frame = |dst: [u8; 6], src: [u8; 6]| {
        let mut f = vec![0u8; 64];
        f[0..6].copy_from_slice(&dst);
        f[6..12].copy_from_slice(&src);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f
    };
    // 64 stations, 16 behind each port; learn them all.
    let frames: Vec<(PortId, Vec<u8>)> = (0..64u8)
        .map(|i| {
            (
                ports[(i % 4) as usize],
                frame(mac(i.wrapping_add(1) % 64), mac(i)),
            )
        })
        .collect();
    for (p, f) in &frames {
        br.forward(Instant(0), *p, f);
    }
    let before = allocs();
    let mut forwarded = 0;
    for round in 0..1000u64 {
        for (p, f) in &frames {
            let id = arena.alloc(f.len());
            arena.get_mut(id).copy_from_slice(f);
            if let Forward::One(_) = br.forward(Instant(round), *p, arena.get(id)) {
                forwarded += 1;
            }
            arena.release(id);
        }
    }
    assert_eq!(allocs() - before, 0, "allocations while forwarding");
    assert!(forwarded > 40_000);
}

/// What a flood of `n` allocates after a warm-up, for 10k and 40k round trips.
fn flood_allocations(mut w: vnet::engine::World) -> (u64, u64) {
    let flood = |n: u64| PingOptions {
        count: Some(n),
        flood: true,
        quiet: true,
        ..Default::default()
    };
    let target = "10.0.0.3".parse().unwrap();
    ping(&mut w, pair::C0, target, "t", &flood(1000)); // warm up: ARP, queues, arena
    let a = allocs();
    ping(&mut w, pair::C0, target, "t", &flood(10_000));
    let ten_k = allocs() - a;
    let b = allocs();
    ping(&mut w, pair::C0, target, "t", &flood(40_000));
    let forty_k = allocs() - b;
    (ten_k, forty_k)
}

#[test]
fn ping_flood_allocations_do_not_grow_with_frames() {
    let (ten_k, forty_k) = flood_allocations(pair::pair(7));
    eprintln!("allocations: {ten_k} for 10k pings, {forty_k} for 40k");
    // 40 000 round trips move 160 000 frames; what a run allocates (its socket, its output,
    // the send-time log growing by doubling) must not scale with them.
    assert!(
        forty_k < ten_k + 16,
        "{ten_k} allocations for 10k pings, {forty_k} for 40k"
    );
    assert!(ten_k < 100, "{ten_k} allocations for 10k pings");
}

#[test]
fn overlay_flood_allocations_do_not_grow_with_frames() {
    // The same between two hosts: every frame encapsulated, carried over the underlay and
    // decapsulated, in the slot it was written in.
    let (ten_k, forty_k) = flood_allocations(pair::overlay_pair(7));
    eprintln!("overlay allocations: {ten_k} for 10k pings, {forty_k} for 40k");
    assert!(
        forty_k < ten_k + 16,
        "{ten_k} allocations for 10k pings, {forty_k} for 40k"
    );
    assert!(ten_k < 100, "{ten_k} allocations for 10k pings");
}
