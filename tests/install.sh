#!/usr/bin/env bash
# Shipping checks: version macros, the ABI table, exported symbols and soname, then an install into
# a temporary prefix and the C host built three ways against it (pkg-config shared, static, CMake).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in pkg-config cmake; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq pkg-config cmake >/dev/null; }
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IFS=. read -r major minor patch <<<"$version"
for macro in "GSP_VERSION_MAJOR $major" "GSP_VERSION_MINOR $minor" "GSP_VERSION_PATCH $patch" \
             "GSP_VERSION_STRING \"$version\"" "GSP_ABI_VERSION $major"; do
  grep -qx "#define $macro" include/gsp.h || { echo "include/gsp.h lacks: #define $macro" >&2; exit 1; }
done
echo "version macros match Cargo.toml ($version)"

python3 tests/abi/check.py

so=target/release/libgsp.so
others=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^gsp_' || true)
[ -z "$others" ] || { echo "libgsp.so exports non-gsp symbols:" >&2; echo "$others" >&2; exit 1; }
readelf -d "$so" | grep -q "Library soname: \[libgsp.so.$major\]" || { echo "soname is not libgsp.so.$major" >&2; exit 1; }
echo "exports only gsp_* ($(nm -D --defined-only "$so" | grep -c ' gsp_') functions), soname libgsp.so.$major"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
bash tools/install.sh "$prefix" >/dev/null
[ -L "$prefix/lib/libgsp.so.$major" ] && [ -f "$prefix/lib/libgsp.so.$version" ] && [ -f "$prefix/lib/libgsp.a" ]
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --static --libs gsp | grep -q -- -lpthread || { echo "pkg-config --static lacks system libs" >&2; exit 1; }
warn="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror"

# 1. Shared, through pkg-config.
# shellcheck disable=SC2046,SC2086
cc $warn $(pkg-config --cflags gsp) -o "$work/host-shared" c-examples/host.c $(pkg-config --libs gsp) -Wl,-rpath,"$prefix/lib"
ldd "$work/host-shared" | grep -q "libgsp.so.$major => $prefix/lib/libgsp.so.$major"

# 2. Static: the archive plus the system libraries pkg-config --static names.
libs=$(pkg-config --static --libs gsp)
# shellcheck disable=SC2046,SC2086
cc $warn $(pkg-config --cflags gsp) -o "$work/host-static" c-examples/host.c ${libs/-lgsp/-l:libgsp.a}
if ldd "$work/host-static" | grep -q libgsp; then echo "static host still needs libgsp.so" >&2; exit 1; fi

# 3. CMake with pkg_check_modules.
cmake -S c-examples/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$prefix/lib" >/dev/null
cmake --build "$work/cmake" >/dev/null

for host in "$work/host-shared" "$work/host-static" "$work/cmake/host"; do
  out=$("$host" --ticks 3 examples/scripts/load.sh)
  grep -q '^METRIC script=1 id=1 ' <<<"$out" || { echo "$host produced no metric:" >&2; echo "$out" >&2; exit 1; }
  echo "ok: $host"
done
