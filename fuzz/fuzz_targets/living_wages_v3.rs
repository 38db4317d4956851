#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bcss_gateway::wire::invariants::living_wages_v3_request(data));
