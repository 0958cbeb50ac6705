//go:build gsp_static && !gsp_external

package gsp

// With -tags gsp_static the package links libgsp.a from an installed libgsp, so Go binaries
// need no libgsp.so at run time. gsp-static.pc (written by tools/install.sh) names the archive
// and the system libraries it needs, as rustc reported them when libgsp was built: the library
// list has that one source.

/*
#cgo pkg-config: gsp-static
*/
import "C"
