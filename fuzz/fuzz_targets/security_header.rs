#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bcss_gateway::wire::invariants::security_header(data));
