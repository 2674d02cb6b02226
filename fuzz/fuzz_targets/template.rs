//! Fuzz target: [`vnet::fuzz::template`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::template(data));
