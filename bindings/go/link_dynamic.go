//go:build gsp_dynamic && !gsp_external

package gsp

// With -tags gsp_dynamic the package builds against an installed libgsp (tools/install.sh),
// found through pkg-config, and links libgsp.so. Set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for a
// non-system prefix, and CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib (or LD_LIBRARY_PATH) so the binary
// finds libgsp.so.MAJOR at run time.

/*
#cgo pkg-config: gsp
*/
import "C"
