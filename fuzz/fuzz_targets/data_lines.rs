//! Data-mode output of any bytes, checked against a configuration with metrics, dimensions and
//! an event.
#![no_main]

use gsp::protocol::config::{parse_config, ConfigLimits};
use gsp::protocol::interpret::interpret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = parse_config(
        br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1},{"id":2}]},{"id":2}],"events":[{"id":1}]}"#,
        ConfigLimits::default(),
    )
    .unwrap()
    .0;
    let run = interpret(data, &config, 1_700_000_000_000, 20);
    assert!(run.problems.len() <= 20);
});
