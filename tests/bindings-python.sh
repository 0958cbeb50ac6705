#!/usr/bin/env bash
# The Python binding (bindings/python): install it into a fresh virtual environment, check how it
# finds libgsp, type-check it with mypy --strict, and run its pytest suite against the installed
# package. tests/run-all.sh runs this after `cargo build --release`.
# Needs python3 (3.10+, with venv and pip) and PyPI for pytest and mypy; a C compiler for the
# ABI test (it is skipped, saying so, without one).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="$root/target/release/libgsp.so"
step() { printf -- '-- %s\n' "$*"; }

if [ ! -f "$lib" ]; then
  echo "bindings-python: $lib is missing; run 'cargo build --release' first" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Nothing below may write into the repository (bytecode caches, pytest or mypy caches).
export PYTHONDONTWRITEBYTECODE=1
unset GSP_LIBRARY PYTHONPATH

step "fresh venv; pip install bindings/python pytest mypy"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
# Install from a copy: setuptools builds in place and would leave build/ and *.egg-info behind.
cp -R "$root/bindings/python" "$work/pkg"
rm -rf "$work/pkg/build" "$work/pkg/src/"*.egg-info "$work/pkg/src/gsp/_lib"
# pytest and mypy are pinned so that a new release cannot change the verdict unnoticed.
"$py" -m pip install --quiet --disable-pip-version-check "$work/pkg" pytest==9.2.0 mypy==2.4.1

step "the installed package imports from outside the repository, and says what it looked for"
cd "$work"
out="$("$py" -c 'import gsp; print(gsp.__file__)')"
case "$out" in
  "$work/venv/"*) ;;
  *) echo "gsp imported from $out, not from the venv" >&2; exit 1 ;;
esac
# No GSP_LIBRARY and no repository above: loading fails with every place tried named.
out="$("$py" -c '
import gsp
try:
    gsp.version()
except gsp.LibraryError as e:
    print(e)
else:
    raise SystemExit("found a libgsp outside the repository")
')"
grep -q 'GSP_LIBRARY is unset' <<<"$out"
grep -q "$work/venv/.*/gsp/_lib/libgsp.so" <<<"$out"
grep -q "$work/target/release/libgsp.so" <<<"$out"
out="$(GSP_LIBRARY="$lib" "$py" -c 'import gsp; print(gsp.library().path, gsp.version())')"
[ "$out" = "$lib 0.1.0" ] || { echo "GSP_LIBRARY: got '$out'" >&2; exit 1; }

step "repository fallbacks: installed package used from the repository, and the source tree"
out="$(cd "$root/bindings" && "$py" -c 'import gsp; print(gsp.library().path)')"
[ "$out" = "$lib" ] || { echo "cwd fallback: got '$out'" >&2; exit 1; }
out="$(PYTHONPATH="$root/bindings/python/src" "$py" -c 'import gsp; print(gsp.__file__, gsp.library().path)')"
[ "$out" = "$root/bindings/python/src/gsp/__init__.py $lib" ] || {
  echo "package-dir fallback: got '$out'" >&2
  exit 1
}

step "mypy --strict"
(cd "$root/bindings/python" &&
  "$work/venv/bin/mypy" --strict --cache-dir "$work/mypy-cache" src/gsp examples tests)

step "pytest (installed package, GSP_LIBRARY=$lib)"
GSP_LIBRARY="$lib" "$py" -m pytest -p no:cacheprovider -q "$root/bindings/python/tests"

step "a package built with a copy of the library in gsp/_lib/ uses it"
mkdir -p "$work/pkg/src/gsp/_lib"
cp "$lib" "$work/pkg/src/gsp/_lib/"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$work/pkg"
out="$(cd "$work" && "$py" -c 'import gsp; print(gsp.library().path)')"
case "$out" in
  "$work/venv/"*/gsp/_lib/libgsp.so) ;;
  *) echo "shipped copy: got '$out'" >&2; exit 1 ;;
esac
echo "bindings-python: all checks passed"
