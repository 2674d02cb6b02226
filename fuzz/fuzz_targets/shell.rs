//! Fuzz target: [`vnet::fuzz::shell`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::shell(data));
