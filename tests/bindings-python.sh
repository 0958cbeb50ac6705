#!/usr/bin/env bash
# The Python package (bindings/python, distribution gsp-runtime, import name gsp), as a user gets
# it, outside the repository:
#   1. `pip install ./bindings/python` into a fresh venv builds libgsp itself (setuptools-rust) and
#      runs a script; the package version is libgsp's;
#   2. `pip wheel` gives a py3-none-<platform> wheel with the stripped library and the licence,
#      which installs into another fresh venv and runs a script;
#   3. without the library in the package, the loader asks the system's dynamic loader for
#      libgsp.so.0 (a libgsp installed by tools/install.sh), and says what it tried when absent;
#   4. mypy --strict and the pytest suite against the installed package.
# Needs python3 (3.10+, venv, pip), the Rust toolchain and PyPI (setuptools-rust, pytest, mypy).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
step() { printf -- '-- %s\n' "$*"; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
major=${version%%.*}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Nothing below may write into the repository but the build's own output (ignored by git).
export PYTHONDONTWRITEBYTECODE=1
unset GSP_LIBRARY PYTHONPATH
pipq() { "$1" -m pip install --quiet --disable-pip-version-check "${@:2}"; }

step "1. pip install ./bindings/python into a fresh venv (compiles libgsp)"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
nice -n 10 "$py" -m pip install --quiet --disable-pip-version-check "$root/bindings/python"
cd "$work"
site=$("$py" -c 'import gsp, os; print(os.path.dirname(gsp.__file__))')
case "$site" in "$work/venv/"*) ;; *) echo "gsp imported from $site, not the venv" >&2; exit 1 ;; esac
out=$("$py" -c '
import importlib.metadata as md, gsp
print(gsp.library().path, gsp.version(), gsp.__version__, md.version("gsp-runtime"))')
[ "$out" = "$site/_lib/libgsp.so $version $version $version" ] || {
  echo "expected the bundled library and version $version everywhere, got: $out" >&2
  exit 1
}
# A script through the installed package, as the README's example does.
run_script() {
  "$1" - "$root/examples/scripts/load.sh" <<'PY'
import sys, time, gsp
with gsp.Runtime() as rt:
    rt.add_script(sys.argv[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rt.tick()
        rt.wait(1.0)
        for record in rt.records():
            if isinstance(record, gsp.MetricSample):
                print("metric:", record.name, record.value, gsp.library().path)
                sys.exit(0)
sys.exit("no metric within 30 s")
PY
}
run_script "$py" | tee "$work/run.out"
grep -q "^metric: Load average 1m .* $site/_lib/libgsp.so$" "$work/run.out"

step "2. the wheel: platform tag, library inside and stripped, licence; installed in a fresh venv"
nice -n 10 "$py" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/wheels" "$root/bindings/python"
platform=$("$py" -c 'import sysconfig; print(sysconfig.get_platform().replace("-", "_").replace(".", "_"))')
wheel="$work/wheels/gsp_runtime-$version-py3-none-$platform.whl"
[ -f "$wheel" ] || { echo "no $wheel; built: $(ls "$work/wheels")" >&2; exit 1; }
"$py" - "$wheel" <<'PY'
import sys, zipfile, email.parser
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert "gsp/_lib/libgsp.so" in names and "gsp/py.typed" in names, names
lib = z.getinfo("gsp/_lib/libgsp.so").file_size
assert lib < 3_000_000, f"libgsp.so is {lib} bytes: not stripped?"
meta = email.parser.Parser().parsestr(z.read(next(n for n in names if n.endswith("/METADATA"))).decode())
assert meta["Name"] == "gsp-runtime" and meta["License-Expression"] == "Apache-2.0", meta
assert any(n.endswith("/licenses/LICENSE") for n in names), names
assert meta["Requires-Python"] and meta.get_all("Project-URL"), meta
wheel_info = z.read(next(n for n in names if n.endswith("/WHEEL"))).decode()
assert "Root-Is-Purelib: false" in wheel_info, wheel_info
print(f"wheel ok: {sys.argv[1].rsplit('/', 1)[1]}, libgsp.so {lib} bytes")
PY
python3 -m venv "$work/venv2"
py2="$work/venv2/bin/python"
pipq "$py2" "$wheel"
run_script "$py2" | grep "^metric: Load average 1m .* $work/venv2/.*/gsp/_lib/libgsp.so$" >/dev/null

step "3. no library in the package: the system's dynamic loader (libgsp.so.$major), else a clear error"
site2=$("$py2" -c 'import gsp, os; print(os.path.dirname(gsp.__file__))')
rm "$site2/_lib/libgsp.so"
out=$("$py2" -c '
import gsp
try:
    gsp.version()
except gsp.LibraryError as e:
    print(e)
else:
    raise SystemExit("found a libgsp with none installed")')
echo "$out"
grep -q "GSP_LIBRARY is unset" <<<"$out"
grep -q "$site2/_lib/libgsp.so" <<<"$out"
grep -q "system's dynamic loader has no libgsp.so.$major" <<<"$out"
grep -q "tools/install.sh" <<<"$out"
bash "$root/tools/install.sh" "$work/prefix" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" run_script "$py2" |
  grep -q "^metric: Load average 1m .* $work/prefix/lib/libgsp.so.$version$"
out="$(GSP_LIBRARY="$root/target/release/libgsp.so" "$py2" -c 'import gsp; print(gsp.library().path)')"
[ "$out" = "$root/target/release/libgsp.so" ] || { echo "GSP_LIBRARY: got '$out'" >&2; exit 1; }

step "4. the source tree (PYTHONPATH) finds the repository's build"
out="$(PYTHONPATH="$root/bindings/python/src" python3 -c 'import gsp; print(gsp.__file__, gsp.library().path)')"
[ "$out" = "$root/bindings/python/src/gsp/__init__.py $root/target/release/libgsp.so" ] || {
  echo "source tree: got '$out'" >&2
  exit 1
}

step "mypy --strict"
# pytest and mypy are pinned so that a new release cannot change the verdict unnoticed.
# setup.py is type-checked too, against the build backend it uses.
pipq "$py" pytest==9.2.0 mypy==2.4.1 setuptools==84.2.1 setuptools-rust==1.13.0 types-setuptools==84.2.0.20261122
(cd "$root/bindings/python" &&
  "$work/venv/bin/mypy" --strict --cache-dir "$work/mypy-cache" setup.py src/gsp examples tests)

step "pytest (the installed package and its own library)"
"$py" -m pytest -p no:cacheprovider -q "$root/bindings/python/tests"
echo "bindings-python: all checks passed"
