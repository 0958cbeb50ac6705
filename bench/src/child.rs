//! Each measurement runs in a fresh child process (`gsp-bench inner <measurement> ...`), so its
//! figures are that process's own and nothing leaks between workloads.

use std::process::{Command, Stdio};

use serde_json::Value;

/// `gsp-bench inner`, for a measurement's name and arguments.
pub fn inner() -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.arg("inner");
    c
}

/// Runs a measurement process and returns the JSON object its last line of output holds.
pub fn run_json(cmd: &mut Command) -> Value {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("benchmark process");
    assert!(out.status.success(), "{cmd:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}: {text}"))
}
