//! Fuzz target: [`vnet::fuzz::dns`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::dns(data));
