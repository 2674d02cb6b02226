//! Fuzz target: [`vnet::fuzz::servers`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::servers(data));
