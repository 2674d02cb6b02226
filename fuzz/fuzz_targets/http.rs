//! Fuzz target: [`vnet::fuzz::http`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::http(data));
