#!/usr/bin/env bash
# Installs libgsp the way C libraries ship (the equivalent of cargo-c's `cargo cinstall`):
#   PREFIX/lib/libgsp.so.X.Y.Z, libgsp.so.X (the soname) -> it, libgsp.so -> libgsp.so.X,
#   PREFIX/lib/libgsp.a, PREFIX/include/gsp.h, PREFIX/lib/pkgconfig/gsp.pc.
# Usage: tools/install.sh [PREFIX]            (default /usr/local; DESTDIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
dest=${DESTDIR:-}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

cargo build --release --lib
# The system libraries the static archive needs, as rustc reports them for this target.
native=$(cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -n 1)
[ -n "$native" ] || { echo "install.sh: could not learn the static archive's system libraries" >&2; exit 1; }

libdir=$dest$prefix/lib
install -d "$libdir/pkgconfig" "$dest$prefix/include"
install -m 0755 target/release/libgsp.so "$libdir/libgsp.so.$version"
ln -sfn "libgsp.so.$version" "$libdir/libgsp.so.$major"
ln -sfn "libgsp.so.$major" "$libdir/libgsp.so"
install -m 0644 target/release/libgsp.a "$libdir/libgsp.a"
install -m 0644 include/gsp.h "$dest$prefix/include/gsp.h"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@LIBS_PRIVATE@|$native|g" \
  tools/gsp.pc.in > "$libdir/pkgconfig/gsp.pc"
echo "installed libgsp $version under $dest$prefix"
