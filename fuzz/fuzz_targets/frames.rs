//! Fuzz target: [`vnet::fuzz::frames`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::frames(data));
