//! Configuration-mode output of any bytes.
#![no_main]

use gsp::protocol::config::{parse_config, ConfigLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((config, _)) = parse_config(data, ConfigLimits::default()) {
        assert!(config.period_s >= 60 && config.max_runtime_ms <= 50_000);
    }
});
