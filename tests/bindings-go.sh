#!/usr/bin/env bash
# Go binding (bindings/go): gofmt, go vet, go test -race against an installed libgsp, then what
# bindings/go/README.md tells a Go agent to do, outside the repository: install libgsp
# (tools/install.sh) into a temporary prefix, `go get` the module from a local module proxy (the
# module-cache layout, no replace directive), build the README's example shared and static, run
# it, and run a consumer test under the race detector. Also: the error without libgsp.
# Needs Go, cc, pkg-config (installed with apt-get when missing) and the Rust toolchain.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
step() { printf -- '-- %s\n' "$*"; }
command -v pkg-config >/dev/null || { apt-get update -qq && apt-get install -y -qq pkg-config >/dev/null; }
export CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
go version

tmp=$(mktemp -d)
# The module cache is read-only; go clean -modcache empties it.
trap 'GOMODCACHE=$tmp/modcache go clean -modcache 2>/dev/null || true; rm -rf "$tmp"' EXIT

step "tools/install.sh into a temporary prefix"
prefix=$tmp/prefix
bash "$root/tools/install.sh" "$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# Go's build cache does not key cgo packages on what pkg-config prints, only on CGO_* variables:
# name this run's prefix there, or a build cached by an earlier run links its deleted prefix.
export CGO_CFLAGS="-I$prefix/include"
rpath="-Wl,-rpath,$prefix/lib"

cd "$root/bindings/go"
step "gofmt -l"
unformatted=$(gofmt -l . "$root/tests/go-consumer")
if [ -n "$unformatted" ]; then
  printf 'not gofmt-formatted:\n%s\n' "$unformatted" >&2
  exit 1
fi

step "go vet (shared, gsp_static, gsp_external); it also flags what needs a newer Go than go.mod says"
go vet ./...
go vet -tags gsp_static ./...
CGO_CFLAGS="-I$prefix/include" go vet -tags gsp_external ./...

step "go test -race (shared libgsp)"
CGO_LDFLAGS=$rpath go test -race -count=1 ./...

step "without libgsp: the build names what is missing"
mkdir "$tmp/nothing"
# Built from a copy: the package in place may be in the build cache, and then pkg-config is not run.
cp -R . "$tmp/nolib"
if out=$(cd "$tmp/nolib" && PKG_CONFIG_PATH=$tmp/nothing PKG_CONFIG_LIBDIR=$tmp/nothing go build . 2>&1); then
  echo "built without libgsp" >&2
  exit 1
fi
echo "$out"
grep -q "Package gsp was not found in the pkg-config search path" <<<"$out"

step "a module proxy serving github.com/gsp-project/gsp/bindings/go at libgsp's version"
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
module=github.com/gsp-project/gsp/bindings/go
at=$tmp/proxy/$module/@v
mkdir -p "$at"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git -C "$root/bindings/go" ls-files --cached --others --exclude-standard)
else
  files=$(find . -type f | sed 's|^\./||')
fi
# A module zip: every file under module@version/, as `go mod download` expects.
python3 - "$at/$version.zip" "$module@$version" $files <<'PY'
import sys, zipfile
out, top, *files = sys.argv[1:]
with zipfile.ZipFile(out, "w") as z:
    for f in files:
        z.write(f, f"{top}/{f}")
PY
cp go.mod "$at/$version.mod"
printf '{"Version":"%s","Time":"2026-01-01T00:00:00Z"}\n' "$version" > "$at/$version.info"
echo "$version" > "$at/list"

step "consumer module outside the repository: go get, the README's example, shared and static"
consumer=$tmp/agent
mkdir "$consumer"
cd "$consumer"
export GOPROXY=file://$tmp/proxy GONOSUMDB=github.com/gsp-project GOMODCACHE=$tmp/modcache
go mod init example.com/agent >/dev/null 2>&1
go mod edit -go=1.21
# The README's example, verbatim: the ```go block that is a main package.
python3 - "$root/bindings/go/README.md" > main.go <<'PY'
import re, sys
blocks = re.findall(r"```go\n(.*?)```", open(sys.argv[1]).read(), re.S)
print(next(b for b in blocks if b.startswith("package main")), end="")
PY
cp "$root/tests/go-consumer/main_test.go" .
go get "$module@$version"
grep -q "^require $module $version" go.mod
grep -q "$GOMODCACHE/$module@$version" <<<"$(go list -f '{{.Dir}}' "$module")"
CGO_LDFLAGS=$rpath go build -o agent-shared .
ldd agent-shared | grep "libgsp.so.0 => $prefix/lib/libgsp.so.0" >/dev/null
go build -tags gsp_static -o agent-static .
if ldd agent-static | grep libgsp >/dev/null; then
  echo "-tags gsp_static still needs libgsp.so" >&2
  exit 1
fi
go vet . && go vet -tags gsp_static .

# Runs an agent until it prints a metric of load.sh, then stops it with SIGINT (exit status 0).
run_agent() {
  local out=$tmp/agent.out
  "$1" "$root/examples/scripts/load.sh" >"$out" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 300; i++)); do
    grep -q '^Load average 1m \[\] ' "$out" && break
    sleep 0.1
  done
  # Bounded: an agent that does not stop fails the test instead of hanging it. (Under load the
  # SIGINT used to land on one of gsp's threads, where Go's runtime forwards it to the
  # disposition it replaced, SIG_IGN for a background job; gsp's threads now block it.)
  kill -INT "$pid"
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "$1 did not stop within 30 s of SIGINT" >&2
    exit 1
  fi
  if ! wait "$pid" || ! grep -q '^Load average 1m \[\] ' "$out"; then
    echo "$1 did not print a metric or failed:" >&2
    ls -la "$tmp" >&2 || true
    cat "$out" >&2 || true
    exit 1
  fi
}
# The README example crashed 4 runs in 5 while empty arrays were a dangling 0x8 (issue 11).
for i in $(seq 10); do run_agent ./agent-shared; run_agent ./agent-static; done
echo "README example: 20 runs, each printed a metric and stopped cleanly on SIGINT"

step "consumer go test -race (drains on fresh goroutines, shared and static)"
CGO_LDFLAGS=$rpath go test -race -count=1 .
go test -race -count=1 -tags gsp_static .

step "Go binding: all checks passed"
