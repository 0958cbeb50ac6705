//! Regenerates include/gsp.h from src/ffi with the pinned cbindgen. The header is committed;
//! CI fails when a build changes it.

use std::env;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi/gsp.map");
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let (major, minor, patch) = (
        env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo"),
        env::var("CARGO_PKG_VERSION_MINOR").expect("set by cargo"),
        env::var("CARGO_PKG_VERSION_PATCH").expect("set by cargo"),
    );
    // The shared object: soname libgsp.so.MAJOR (the ABI is stable within a major version, see
    // README "Versioning"), and only gsp_* exported.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgsp.so.{major}");
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
            dir.join("src/ffi/gsp.map").display()
        );
    }
    config.after_includes = Some(format!(
        "\n#define GSP_VERSION_MAJOR {major}\n#define GSP_VERSION_MINOR {minor}\n#define GSP_VERSION_PATCH {patch}\n#define GSP_VERSION_STRING \"{major}.{minor}.{patch}\"\n/** The ABI version: the soname is libgsp.so.GSP_ABI_VERSION; it changes only with GSP_VERSION_MAJOR. */\n#define GSP_ABI_VERSION {major}\n"
    ));
    config.header = Some(HEADER_DOC.trim().to_string());
    match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(dir.join("include/gsp.h"));
        }
        Err(e) => panic!("cbindgen could not generate include/gsp.h: {e}"),
    }
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
 * Ownership: the host owns a gsp_runtime from gsp_runtime_new() until gsp_runtime_free().
 * Strings passed in are copied. Everything reachable from a gsp_record belongs to gsp and is
 * valid only during the callback that received it. Returned version/status strings are static.
 *
 * Errors: functions return gsp_status; outputs are written only on GSP_STATUS_OK. Problems with
 * scripts are never returned as statuses: they arrive as GSP_RECORD_DIAGNOSTIC records.
 */
"#;
