"""Finding libgsp: GSP_LIBRARY, a shipped copy, the repository's target directories; the version
check; and errors that name every place tried."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gsp
import gsp.runtime
from gsp import _ffi
from gsp._loader import (
    candidates,
    find_library,
    library_filename,
    not_found,
    open_library,
    system_library_name,
)
from support import child_env

NAME = library_filename()


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_the_loaded_library() -> None:
    lib = gsp.library()
    assert lib.path.is_file()
    assert gsp.version() == lib.version
    assert lib.version.split(".")[:2] == ["0", "1"]


def test_search_order(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    package = repo / "bindings" / "python" / "src" / "gsp"
    package.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    debug = touch(repo / "target" / "debug" / NAME)
    # Walking up from the package finds the repository's build; release before debug.
    assert find_library({}, package, elsewhere) == debug
    release = touch(repo / "target" / "release" / NAME)
    assert find_library({}, package, elsewhere) == release
    # A copy shipped inside the package wins over the repository.
    shipped = touch(package / "_lib" / NAME)
    assert find_library({}, package, elsewhere) == shipped
    # GSP_LIBRARY wins over everything.
    explicit = touch(tmp_path / "custom" / NAME)
    assert find_library({"GSP_LIBRARY": str(explicit)}, package, elsewhere) == explicit
    # An empty GSP_LIBRARY counts as unset.
    assert find_library({"GSP_LIBRARY": ""}, package, elsewhere) == shipped


def test_installed_package_finds_the_repository_of_the_current_directory(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "site-packages" / "gsp"
    site.mkdir(parents=True)
    repo = tmp_path / "repo"
    lib = touch(repo / "target" / "release" / NAME)
    (repo / "src").mkdir()
    assert find_library({}, site, repo / "src") == lib


def test_not_found_names_every_place_tried(tmp_path: Path) -> None:
    package = tmp_path / "pkg" / "gsp"
    cwd = tmp_path / "cwd"
    package.mkdir(parents=True)
    cwd.mkdir()
    assert find_library({}, package, cwd) is None
    message = str(not_found(package, cwd, "cannot open shared object file"))
    assert "GSP_LIBRARY is unset" in message and "tools/install.sh" in message
    assert "pip install gsp-runtime" in message
    assert f"no {system_library_name()} (cannot open shared object file)" in message
    tried = candidates(package, cwd)
    assert package / "_lib" / NAME in tried
    assert tmp_path / "target" / "release" / NAME in tried
    assert cwd / "target" / "debug" / NAME in tried
    for path in tried:
        assert f"\n  {path}\n" in message + "\n"


def test_explicit_path_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no" / NAME
    with pytest.raises(gsp.LibraryError, match="GSP_LIBRARY=.*no such file"):
        find_library({"GSP_LIBRARY": str(missing)}, tmp_path, tmp_path)


def test_a_file_that_is_not_a_library(tmp_path: Path) -> None:
    bogus = tmp_path / NAME
    bogus.write_text("not an ELF file")
    with pytest.raises(gsp.LibraryError, match="cannot load libgsp"):
        open_library(bogus)


def compile_fake(tmp_path: Path, version: str) -> Path:
    """A shared library exporting only gsp_version() (and so no other gsp function)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build a fake libgsp")
    src = tmp_path / f"fake{version}.c"
    src.write_text(f'const char *gsp_version(void) {{ return "{version}"; }}\n')
    out = tmp_path / f"libfake{version}.so"
    subprocess.run([cc, "-shared", "-fPIC", str(src), "-o", str(out)], check=True)
    return out


def test_version_mismatch_is_refused(tmp_path: Path) -> None:
    fake = compile_fake(tmp_path, "9.9.0")
    with pytest.raises(
        gsp.LibraryError, match=r"libgsp 9\.9\.0, but this binding was written for 0\.1\.x"
    ):
        open_library(fake)


def test_matching_version_without_the_functions_is_refused(tmp_path: Path) -> None:
    fake = compile_fake(tmp_path, "0.1.7")
    with pytest.raises(gsp.LibraryError, match="lacks a function"):
        open_library(fake)


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_works_without_a_library_and_use_says_why(tmp_path: Path) -> None:
    env = child_env(GSP_LIBRARY=str(tmp_path / "missing.so"))
    proc = run_python(
        """
        import gsp
        try:
            gsp.Runtime()
        except gsp.LibraryError as e:
            print("LibraryError:", e)
        """,
        env,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"LibraryError: GSP_LIBRARY={tmp_path / 'missing.so'}: no such file" in proc.stdout


FAKE_NEWER = r"""
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* A libgsp 0.1 built from a newer header: its gsp_options is 1024 bytes. */
static size_t received_size;
static int runtime;
const char *gsp_version(void) { return "0.1.9"; }
const char *gsp_status_str(uint32_t s) { return "GSP_STATUS_FAKE: fake"; }
uint32_t gsp_options_init(void *opts, size_t size) {
  size_t n = size < 1024 ? size : 1024;
  memset(opts, 0x11, n);
  *(size_t *)opts = n;
  return 0;
}
uint32_t gsp_runtime_new(const void *opts, void **out) {
  received_size = *(const size_t *)opts;
  *out = &runtime;
  return 0;
}
size_t fake_received_size(void) { return received_size; }
void gsp_runtime_free(void *rt) {}
uint32_t gsp_script_add(void *rt, const char *line, uint64_t *id) { *id = 1; return 0; }
uint32_t gsp_script_remove(void *rt, uint64_t id) { return 0; }
uint32_t gsp_script_reconfigure(void *rt, uint64_t id) { return 0; }
uint32_t gsp_tick(void *rt, int64_t now) { return 0; }
uint32_t gsp_wait(void *rt, uint32_t ms, size_t *n) { return 0; }
uint32_t gsp_drain(void *rt, void *fn, void *user, size_t max, size_t *n) { return 0; }
uint32_t gsp_stats_get(void *rt, void *out) { return 0; }
"""


def test_a_newer_library_with_a_larger_options_struct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gsp_options_init writes only the binding's struct size, and the binding passes only the
    fields it knows, with its own struct_size. A library lacking an optional
    function loads, and only the method needing it fails."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build a fake libgsp")
    src, so = tmp_path / "newer.c", tmp_path / "libnewer.so"
    src.write_text(FAKE_NEWER)
    subprocess.run(
        [cc, "-shared", "-fPIC", "-Wall", "-Werror", str(src), "-o", str(so)], check=True
    )
    fake = open_library(so)
    assert fake.missing == {
        "gsp_script_stats_get",
        "gsp_wake",
        "gsp_script_run_now",
        "gsp_last_error_message",
    }
    monkeypatch.setattr(gsp.runtime, "load_library", lambda: fake)
    with gsp.Runtime(worker_threads=3) as rt:
        assert fake.cdll.fake_received_size() == ctypes.sizeof(_ffi.COptions)
        with pytest.raises(gsp.LibraryError, match="predates gsp_script_stats_get"):
            rt.script_stats(1)
        assert rt.add_script("x") == 1
