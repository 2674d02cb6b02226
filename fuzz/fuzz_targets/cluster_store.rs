//! Fuzz target: [`vnet::fuzz::cluster_store`] on each input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet::fuzz::cluster_store(data));
