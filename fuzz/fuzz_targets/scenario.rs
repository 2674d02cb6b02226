//! Fuzz target: [`vnet::fuzz::scenario`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::scenario(data));
