#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bcss_gateway::wire::invariants::living_wages_with_amount_request(data));
