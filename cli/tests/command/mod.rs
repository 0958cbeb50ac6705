//! Running the `gsp` command under test, and finding its fixtures: shared by the command's test
//! files (each declares `mod common;` for `finish`, then `mod command;`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::finish;

/// Far more than anything here needs on an idle machine (2 loaded cores).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// `tests/scripts/<dir>/<name>` in the repository ("" for `tests/scripts` itself).
pub fn fixture(dir: &str, name: &str) -> String {
    let p: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "tests",
        "scripts",
        dir,
        name,
    ]
    .iter()
    .collect();
    p.to_str().unwrap().to_string()
}

/// The `gsp` command with `args`: stdin from /dev/null, stdout and stderr piped.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gsp"));
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs `gsp` with `args` to the end (failing the test after [`PATIENCE`]): exit code, stdout,
/// stderr.
pub fn gsp(args: &[&str]) -> (i32, String, String) {
    finish(command(args).spawn().unwrap(), PATIENCE)
}
