#!/usr/bin/env bash
# Shipping checks: version macros, the ABI table, exported symbols and soname, then an install into
# a temporary prefix (stripped; --debug-info keeps the debug information apart) and the C host
# built four ways against it, as README.md's install section says: pkg-config shared with an
# rpath, shared found through LD_LIBRARY_PATH, static (gsp-static.pc), CMake. Then --help of
# every program in c-examples.
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
readelf -d "$so" | grep "Library soname: \[libgsp.so.$major\]" >/dev/null || { echo "soname is not libgsp.so.$major" >&2; exit 1; }
echo "exports only gsp_* ($(nm -D --defined-only "$so" | grep -c ' gsp_') functions), soname libgsp.so.$major"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
bash tools/install.sh "$prefix" >/dev/null
[ -L "$prefix/lib/libgsp.so.$major" ] && [ -f "$prefix/lib/libgsp.so.$version" ] && [ -f "$prefix/lib/libgsp.a" ]
if readelf -S "$prefix/lib/libgsp.so.$version" | grep '\.debug_info' >/dev/null; then
  echo "the installed libgsp.so.$version has debug information: not stripped" >&2
  exit 1
fi
echo "installed libgsp.so.$version: $(stat -c %s "$prefix/lib/libgsp.so.$version") bytes, stripped"
# --debug-info: the same stripped library, its debug information apart, linked by .gnu_debuglink.
bash tools/install.sh --debug-info "$work/prefix-debug" >/dev/null
debug=$work/prefix-debug/lib/.debug/libgsp.so.$version.debug
readelf -S "$debug" | grep '\.debug_info' >/dev/null || { echo "$debug has no debug information" >&2; exit 1; }
readelf --string-dump=.gnu_debuglink "$work/prefix-debug/lib/libgsp.so.$version" | grep "libgsp.so.$version.debug" >/dev/null
! readelf -S "$work/prefix-debug/lib/libgsp.so.$version" | grep '\.debug_info' >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --static --libs gsp | grep -- -lpthread >/dev/null || { echo "pkg-config --static lacks system libs" >&2; exit 1; }
warn="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror"

# 1. Shared, through pkg-config, with an rpath: the host finds libgsp.so.MAJOR in the prefix.
# shellcheck disable=SC2046,SC2086
cc $warn $(pkg-config --cflags gsp) -o "$work/host-shared" c-examples/host.c $(pkg-config --libs gsp) -Wl,-rpath,"$prefix/lib"
ldd "$work/host-shared" | grep "libgsp.so.$major => $prefix/lib/libgsp.so.$major" >/dev/null

# 2. Shared without an rpath: the loader does not know the prefix until told (LD_LIBRARY_PATH here,
#    ldconfig for a system-wide prefix).
# shellcheck disable=SC2046,SC2086
cc $warn $(pkg-config --cflags gsp) -o "$work/host-norpath" c-examples/host.c $(pkg-config --libs gsp)
if out=$("$work/host-norpath" --ticks 1 examples/scripts/load.sh 2>&1); then
  echo "a host without rpath found libgsp.so.$major outside the loader's paths: $out" >&2
  exit 1
fi
grep -q "libgsp.so.$major: cannot open shared object file" <<<"$out"

# 3. Static: gsp-static.pc names libgsp.a and the system libraries it needs.
# shellcheck disable=SC2046
cc $warn $(pkg-config --cflags gsp-static) -o "$work/host-static" c-examples/host.c $(pkg-config --libs gsp-static)
if ldd "$work/host-static" | grep libgsp >/dev/null; then echo "static host still needs libgsp.so" >&2; exit 1; fi

# 4. CMake with pkg_check_modules.
cmake -S c-examples/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$prefix/lib" >/dev/null
cmake --build "$work/cmake" >/dev/null

for host in "$work/host-shared" "LD_LIBRARY_PATH=$prefix/lib $work/host-norpath" "$work/host-static" "$work/cmake/host"; do
  out=$(env $host --ticks 3 examples/scripts/load.sh)
  grep -q '^METRIC script=1 id=1 ' <<<"$out" || { echo "$host produced no metric:" >&2; echo "$out" >&2; exit 1; }
  echo "ok: $host"
done

# Every program in c-examples explains itself, and refuses an unknown option instead of running it.
make -s -C c-examples host api_test stress_test
for program in host api_test stress_test; do
  c-examples/$program --help | grep "^usage: c-examples/$program " >/dev/null
  if c-examples/$program --no-such-option 2>/dev/null; then
    echo "c-examples/$program accepted --no-such-option" >&2
    exit 1
  fi
done
echo "ok: --help of c-examples/host, api_test, stress_test"
