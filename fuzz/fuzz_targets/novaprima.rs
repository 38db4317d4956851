#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bcss_gateway::wire::invariants::novaprima_lines(data));
