//go:build !gsp_static && !gsp_external

package gsp

// By default the package builds against an installed libgsp (tools/install.sh) found through
// pkg-config, and links libgsp.so: set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a prefix
// pkg-config does not search, and make PREFIX/lib known to the dynamic loader (ldconfig, an
// rpath or LD_LIBRARY_PATH). The flags come from gsp.pc, written by tools/install.sh.

/*
#cgo pkg-config: gsp
*/
import "C"
