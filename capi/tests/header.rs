//! include/gsp.h is generated, and committed so C hosts need no Rust tool to read it. This test
//! generates it again with the pinned cbindgen and fails when the committed file differs;
//! `GSP_UPDATE_HEADER=1 cargo test -p gsp-capi --test header` rewrites it instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gsp::abi::AbiEnum;
use gsp::ABI_ENUMS;

#[test]
fn the_committed_header_is_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let committed = dir.join("../include/gsp.h");
    let generated = generate(&dir);
    if std::env::var_os("GSP_UPDATE_HEADER").is_some() {
        std::fs::write(&committed, &generated).expect("write include/gsp.h");
        return;
    }
    let current = std::fs::read_to_string(&committed).unwrap_or_default();
    if current != generated {
        let line = current
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "include/gsp.h is stale (first difference at line {line}): regenerate it with \
             `GSP_UPDATE_HEADER=1 cargo test -p gsp-capi --test header` and commit it"
        );
    }
}

/// The header: cbindgen over capi/src, with the library's ABI enums declared up front.
fn generate(dir: &Path) -> String {
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    let mut after = format!(
        "\n#define GSP_VERSION_MAJOR {major}\n#define GSP_VERSION_MINOR {minor}\n#define GSP_VERSION_PATCH {patch}\n#define GSP_VERSION_STRING \"{major}.{minor}.{patch}\"\n/** The ABI version: the soname is libgsp.so.GSP_ABI_VERSION; it changes only with GSP_VERSION_MAJOR. */\n#define GSP_ABI_VERSION {major}\n"
    );
    for e in ABI_ENUMS {
        after.push('\n');
        declare(&mut after, e);
    }
    config.after_includes = Some(after);
    config.header = Some(HEADER_DOC.trim().to_string());
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

/// Writes `e` as cbindgen writes a `#[repr(u32)]` enum (style "both", C++-compatible).
fn declare(out: &mut String, e: &AbiEnum) {
    let name = e.c_name;
    doc(out, "", e.doc);
    let _ = writeln!(out, "enum {name}");
    out.push_str(
        "#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n  : uint32_t\n#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n {\n",
    );
    for v in e.variants {
        doc(out, "  ", v.doc);
        let _ = writeln!(out, "  {} = {},", v.c_name, v.value);
    }
    let _ = writeln!(
        out,
        "}};\n#ifndef __cplusplus\n#if __STDC_VERSION__ >= 202311L\ntypedef enum {name} {name};\n#else\ntypedef uint32_t {name};\n#endif // __STDC_VERSION__ >= 202311L\n#endif // __cplusplus"
    );
}

/// A doxygen comment from rustdoc lines (`/// text` arrives as " text").
fn doc(out: &mut String, indent: &str, lines: &[&str]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for l in lines {
        let l = l.strip_prefix(' ').unwrap_or(l);
        if l.is_empty() {
            let _ = writeln!(out, "{indent} *");
        } else {
            let _ = writeln!(out, "{indent} * {l}");
        }
    }
    let _ = writeln!(out, "{indent} */");
}

const HEADER_DOC: &str = r#"
/*
 * gsp.h - the C API of libgsp, the generic script plugin runtime.
 *
 * Model: the host creates a runtime, registers script command lines, calls gsp_tick() with its
 * own clock (e.g. once a second), and drains records with gsp_drain(), optionally blocking in
 * gsp_wait() first. gsp runs the scripts on its own threads.
 *
 * Threading: every function may be called from any thread, concurrently, except that
 * gsp_runtime_free() must not race with other calls on the same runtime. Callbacks run on the
 * thread that called gsp_drain(), with no gsp lock held.
 *
 * Signals: gsp installs no handler and waits only for the processes it started. Its threads
 * block every asynchronous signal but SIGCHLD, so a signal sent to the host reaches a host
 * thread. SIGCHLD keeps the state it has in the thread that calls gsp_runtime_new(): a run's
 * SIGCHLD goes to the gsp thread that started it, where the kernel drops it at once (default
 * disposition, unblocked) instead of waking a host thread; a host that blocks SIGCHLD in every
 * thread (signalfd, sigwait) gets gsp's runs' SIGCHLDs as well as its own children's.
 *
 * Scheduling: the thread that starts and watches runs is SCHED_BATCH when the thread that calls
 * gsp_runtime_new() is SCHED_OTHER, so its wake-ups never preempt a host thread; scripts run
 * SCHED_OTHER. Other policies are inherited unchanged.
 *
 * Ownership: the host owns a gsp_runtime from gsp_runtime_new() until gsp_runtime_free().
 * Strings passed in are copied. Everything reachable from a gsp_record belongs to gsp and is
 * valid only during the callback that received it. Returned version/status strings are static.
 *
 * Errors: functions return gsp_status; outputs are written only on GSP_STATUS_OK. Problems with
 * scripts are never returned as statuses: they arrive as GSP_RECORD_DIAGNOSTIC records.
 */
"#;
