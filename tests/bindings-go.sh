#!/usr/bin/env bash
# Go binding (bindings/go): gofmt, go vet, the tests under the race detector, and an agent binary
# that must run with no libgsp.so: it links target/release/libgsp.a, which tests/run-all.sh
# builds (cargo build --release) before calling this hook. Needs only the Go toolchain and cc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/bindings/go"
step() { printf -- '-- %s\n' "$*"; }

if [ ! -f "$root/target/release/libgsp.a" ]; then
  echo "target/release/libgsp.a is missing: run cargo build --release first" >&2
  exit 1
fi
export CGO_ENABLED=1
go version

step "gofmt -l"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./...
CGO_CFLAGS="-I$root/include" go vet -tags gsp_external ./...

step "go test -race"
go test -race -count=1 ./...

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "static agent binary runs without libgsp.so"
go build -buildvcs=false -o "$tmp/gsp-agent" ./cmd/gsp-agent
if command -v ldd >/dev/null; then
  ldd "$tmp/gsp-agent"
  if ldd "$tmp/gsp-agent" | grep -q 'libgsp'; then
    echo "gsp-agent depends on libgsp.so; it should link libgsp.a" >&2
    exit 1
  fi
fi
out=$(cd "$tmp" && env -u LD_LIBRARY_PATH ./gsp-agent -once -timeout 30s "$root/examples/scripts/load.sh")
echo "$out"
grep -q '^CONFIG script=1 .*metrics=3' <<<"$out"
grep -q '^METRIC script=1 id=1 name="Load average 1m" value=' <<<"$out"
grep -q '^METRIC script=1 id=3 ' <<<"$out"

step "-tags gsp_dynamic: libgsp.so through pkg-config"
if command -v pkg-config >/dev/null; then
  # A prefix laid out like tools/install.sh's, pointing at this build.
  major=$(sed -n 's/^#define GSP_ABI_VERSION //p' "$root/include/gsp.h")
  prefix=$tmp/prefix
  mkdir -p "$prefix/lib/pkgconfig"
  ln -s "$root/target/release/libgsp.so" "$prefix/lib/libgsp.so.$major"
  ln -s "libgsp.so.$major" "$prefix/lib/libgsp.so"
  printf 'Name: gsp\nDescription: gsp\nVersion: 0\nCflags: -I%s\nLibs: -L%s -lgsp\n' \
    "$root/include" "$prefix/lib" > "$prefix/lib/pkgconfig/gsp.pc"
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" \
    go build -buildvcs=false -tags gsp_dynamic -o "$tmp/gsp-agent-dynamic" ./cmd/gsp-agent
  if command -v ldd >/dev/null && ! ldd "$tmp/gsp-agent-dynamic" | grep -q "libgsp.so.$major => $prefix/lib/"; then
    echo "-tags gsp_dynamic did not link $prefix/lib/libgsp.so.$major" >&2
    exit 1
  fi
  "$tmp/gsp-agent-dynamic" -once -timeout 30s "$root/examples/scripts/load.sh" | grep -q '^METRIC script=1 id=1 '
else
  echo "pkg-config not installed: skipped"
fi

step "Go binding: all checks passed"
