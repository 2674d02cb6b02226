//! Fuzz target: [`vnet::fuzz::cli`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::cli(data));
