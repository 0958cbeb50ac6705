//! Link settings of libgsp.so: soname libgsp.so.MAJOR (the ABI is stable within a major
//! version, see README "Versioning") and a version script exporting only gsp_*.
//! The header is not generated here: a build writes nothing into the source tree
//! (tests/header.rs checks include/gsp.h against the pinned cbindgen).

use std::env;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src/gsp.map");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgsp.so.{major}");
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
            dir.join("src/gsp.map").display()
        );
    }
}
