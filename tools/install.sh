#!/usr/bin/env bash
# Installs libgsp the way C libraries ship (the equivalent of cargo-c's `cargo cinstall`):
#   PREFIX/lib/libgsp.so.X.Y.Z, libgsp.so.X (the soname) -> it, libgsp.so -> libgsp.so.X,
#   PREFIX/lib/libgsp.a, PREFIX/include/gsp.h,
#   PREFIX/lib/pkgconfig/gsp.pc (shared; --static adds the system libraries of libgsp.a),
#   PREFIX/lib/pkgconfig/gsp-static.pc (links libgsp.a itself, e.g. for Go's -tags gsp_static).
# Both libraries are installed without debug information. --debug-info also installs it,
# separately, as PREFIX/lib/.debug/libgsp.so.X.Y.Z.debug (gdb finds it through the library's
# .gnu_debuglink).
# Usage: tools/install.sh [--debug-info] [PREFIX]    (default /usr/local; DESTDIR is honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
debug_info=false
if [ "${1:-}" = --debug-info ]; then
  debug_info=true
  shift
fi
case ${1:-} in
  -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
  -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac
prefix=${1:-/usr/local}
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
dest=${DESTDIR:-}
strip=${STRIP:-strip}
objcopy=${OBJCOPY:-objcopy}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

cargo build --release -p gsp-capi
# The system libraries the static archive needs, as rustc reports them for this target.
native=$(cargo rustc --release -p gsp-capi --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -n 1)
[ -n "$native" ] || { echo "install.sh: could not learn the static archive's system libraries" >&2; exit 1; }

libdir=$dest$prefix/lib
so=$libdir/libgsp.so.$version
install -d "$libdir/pkgconfig" "$dest$prefix/include"
install -m 0755 target/release/libgsp.so "$so"
if $debug_info; then
  install -d "$libdir/.debug"
  "$objcopy" --only-keep-debug "$so" "$libdir/.debug/libgsp.so.$version.debug"
  chmod 0644 "$libdir/.debug/libgsp.so.$version.debug"
fi
# --strip-unneeded keeps the dynamic symbol table, which is all a shared library needs.
"$strip" --strip-unneeded "$so"
if $debug_info; then
  (cd "$libdir" && "$objcopy" --add-gnu-debuglink=".debug/libgsp.so.$version.debug" "libgsp.so.$version")
fi
ln -sfn "libgsp.so.$version" "$libdir/libgsp.so.$major"
ln -sfn "libgsp.so.$major" "$libdir/libgsp.so"
install -m 0644 target/release/libgsp.a "$libdir/libgsp.a"
# Debug sections only: the archive's symbol table is what the linker uses.
"$strip" --strip-debug "$libdir/libgsp.a"
install -m 0644 include/gsp.h "$dest$prefix/include/gsp.h"
for pc in gsp gsp-static; do
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@LIBS_PRIVATE@|$native|g" \
    "tools/$pc.pc.in" > "$libdir/pkgconfig/$pc.pc"
done
echo "installed libgsp $version under $dest$prefix"
case $prefix in
  /usr | /usr/local) ;;
  *) echo "$prefix/lib is not a standard library directory: see README.md (Installing for C and C++ hosts) for rpath or ldconfig" ;;
esac
