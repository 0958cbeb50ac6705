//! Configured command lines of any text.
#![no_main]

use gsp::CommandLine;
use gsp::Mode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(c) = CommandLine::parse(text) {
        assert_eq!(c.argv(Mode::Config).last().unwrap().to_bytes(), b"-c");
    }
});
