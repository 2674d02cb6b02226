//! Fuzz target: [`vnet::fuzz::state`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::state(data));
