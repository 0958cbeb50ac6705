//go:build !gsp_dynamic && !gsp_external

package gsp

// By default the package builds against this repository: include/gsp.h and the static library
// `cargo build --release` leaves in target/release, so a Go binary needs no libgsp.so at run
// time. The -l flags are the system libraries a Rust staticlib needs on Linux (what
// `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs` reports).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libgsp.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"
