#!/usr/bin/env bash
# Runs every test of the project: Rust (fmt, clippy, unit and integration tests), the header
# drift check, the C examples under AddressSanitizer/UBSan, and the language bindings.
# Usage: bash tests/run-all.sh        (from anywhere; installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==== %s\n' "$*"; }

step "rustfmt and clippy"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --check
cargo clippy --workspace --all-targets -- -D warnings

step "build (the library, libgsp and the gsp command; writes nothing into the source tree)"
tree() { git status --porcelain --untracked-files=all 2>/dev/null || true; }
tree_before=$(tree)
cargo build --release
if [ "$(tree)" != "$tree_before" ]; then
  diff <(echo "$tree_before") <(tree) || true
  echo "the build changed the source tree" >&2
  exit 1
fi

step "the README's main command"
main_out=$(cargo run --release -q -- run --once examples/scripts/load.sh 'python3 examples/scripts/netdev.py' examples/scripts/disk.sh)
grep -q '"type":"metric","script":1,"id":1' <<<"$main_out"
grep -q '"type":"config","script":2' <<<"$main_out"
grep -q '"type":"metric","script":3,"id":1' <<<"$main_out"

step "Rust tests (every crate; capi's header test fails when include/gsp.h is stale)"
cargo test --release --workspace

step "C examples under AddressSanitizer and UndefinedBehaviorSanitizer"
make -C c-examples clean asan
c-examples/api_test-asan tests/scripts
c-examples/stress_test-asan tests/scripts 4
c-examples/trust_test-asan tests/scripts
out=$(c-examples/host-asan --ticks 3 examples/scripts/load.sh 'sh examples/scripts/disk.sh')
echo "$out"
grep -q '^CONFIG script=1 ' <<<"$out"
grep -q '^METRIC script=1 id=1 ' <<<"$out"
grep -q '^METRIC script=2 id=1 .*mount=' <<<"$out"

step "C examples under valgrind memcheck (no errors, no leaks)"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
make -C c-examples host api_test
# valgrind does not know pidfd_open, so this also runs gsp's fallback exit detection.
vg() { valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect "$@" 2> >(grep -v -e 'unhandled amd64-linux syscall' -e 'README_MISSING_SYSCALL' \
  -e 'write your own handler' -e 'consider this a bug' -e 'valgrind.org/support' >&2); }
vg c-examples/api_test tests/scripts
out=$(vg c-examples/host --ticks 2 examples/scripts/load.sh)
grep -q '^METRIC script=1 id=1 ' <<<"$out"

step "shipping: version macros, ABI table, exported symbols, install, pkg-config, CMake"
bash tests/install.sh

for extra in tests/cli-*.sh tests/bindings-*.sh tests/integration-*.sh; do
  [ -e "$extra" ] || continue
  step "$extra"
  bash "$extra"
done

step "all tests passed"
