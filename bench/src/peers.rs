//! The peers gsp is measured against, besides the Python agent (bench/naive_agent.py): the C
//! spawn floor (bench/floor.c, compiled here), a Rust agent on `Command::output`, and a bare
//! reader that parses the same lines without a runtime.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use crate::probe::cpu_self;

/// Compiles bench/`name`.c into `dir` with $CC (and `extra` arguments); returns its path.
pub fn compile_c(bench_dir: &Path, dir: &Path, name: &str, extra: &[String]) -> PathBuf {
    let exe = dir.join(name);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-o"])
        .arg(&exe)
        .arg(bench_dir.join(format!("{name}.c")))
        .args(extra)
        .status()
        .expect("a C compiler");
    assert!(status.success(), "cannot compile bench/{name}.c");
    exe
}

/// Builds libgsp (release) and compiles bench/w3_host.c against it and include/gsp.h; the
/// library's soname link lives in `dir`, which is the program's rpath.
pub fn compile_c_host(bench_dir: &Path, dir: &Path) -> PathBuf {
    let root = bench_dir.parent().expect("bench/ is in the workspace");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", "gsp-capi"])
        .current_dir(root)
        .status()
        .expect("cargo");
    assert!(status.success(), "cannot build libgsp");
    let lib = root.join("target/release/libgsp.so");
    let link = dir.join("libgsp.so.0");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&lib, &link).unwrap();
    compile_c(
        bench_dir,
        dir,
        "w3_host",
        &[
            format!("-I{}", root.join("include").display()),
            link.display().to_string(),
            format!("-Wl,-rpath,{}", dir.display()),
        ],
    )
}

/// W1's Rust peer: `n` runs of `script -d` with `Command::output`, counting the values printed.
pub fn command_output(n: u64, script: &str) -> Value {
    let (c0, t0) = (cpu_self(), Instant::now());
    let mut values = 0u64;
    for _ in 0..n {
        let out = Command::new(script).arg("-d").output().unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            values += u64::from(
                line.split_whitespace()
                    .last()
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some(),
            );
        }
    }
    json!({"runs": n, "wall_s": t0.elapsed().as_secs_f64(), "cpu_s": (cpu_self() - c0).as_secs_f64(), "values": values})
}

/// The floor for W3: read the same pipe and parse every line, without a runtime.
pub fn bare_reader(file: &str) -> Value {
    let t0 = Instant::now();
    let mut child = Command::new("cat")
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    child.wait().unwrap();
    let (mut parsed, mut sum) = (0usize, 0f64);
    for line in out.split(|&b| b == b'\n') {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let Some(rest) = line.strip_prefix('M') else {
            continue;
        };
        let (id, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let _id: i64 = id.parse().unwrap_or(0);
        let (dims, value) = match rest.strip_prefix('"').and_then(|r| r.rsplit_once('"')) {
            Some((dims, value)) => (dims, value.trim()),
            None => ("", rest.trim()),
        };
        let n_dims = dims.split(',').filter_map(|p| p.split_once(':')).count();
        sum += value.parse::<f64>().unwrap_or(0.0) + n_dims as f64;
        parsed += 1;
    }
    let wall = t0.elapsed().as_secs_f64();
    let bytes = out.len();
    json!({"bytes": bytes, "lines": parsed, "wall_s": wall, "mb_per_s": bytes as f64 / 1e6 / wall, "sum": sum})
}
