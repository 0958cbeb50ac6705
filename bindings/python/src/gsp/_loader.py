"""Finding and loading libgsp.

Order: the GSP_LIBRARY environment variable (an explicit path, used alone), then the copy the
wheel ships in the package (gsp/_lib/), then target/release and target/debug of every directory
above the package (an in-tree or editable checkout) and above the current directory (a package
used from inside the repository), and last the system's dynamic loader asked for the soname
libgsp.so.MAJOR (a libgsp installed by tools/install.sh: ldconfig's cache, LD_LIBRARY_PATH).
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import _ffi
from .errors import LibraryError

# The header version this binding was written for; a library must match its major.minor.
BINDING_VERSION = (0, 1)
ENV_VAR = "GSP_LIBRARY"


def system_library_name() -> str:
    """The name the system's dynamic loader is asked for: the soname, e.g. libgsp.so.0."""
    if sys.platform == "darwin":
        return f"libgsp.{BINDING_VERSION[0]}.dylib"
    return f"libgsp.so.{BINDING_VERSION[0]}"


def library_filename() -> str:
    """libgsp's file name as cargo builds it on this platform."""
    if sys.platform == "darwin":
        return "libgsp.dylib"
    if sys.platform == "win32":
        return "gsp.dll"
    return "libgsp.so"


def candidates(package_dir: Path, cwd: Path) -> list[Path]:
    """Every path tried when GSP_LIBRARY is unset, in order (nearest directory first)."""
    name = library_filename()
    out = [package_dir / "_lib" / name]
    for base in (package_dir, cwd):
        for d in (base, *base.parents):
            out += [d / "target" / "release" / name, d / "target" / "debug" / name]
    return list(dict.fromkeys(out))  # de-duplicated, order kept


def find_library(env: Mapping[str, str], package_dir: Path, cwd: Path) -> Path | None:
    """The library file to load; None when only the system loader is left to ask.

    LibraryError when GSP_LIBRARY names a missing file.
    """
    explicit = env.get(ENV_VAR, "")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise LibraryError(f"{ENV_VAR}={explicit}: no such file")
        return path
    for path in candidates(package_dir, cwd):
        if path.is_file():
            return path
    return None


def not_found(package_dir: Path, cwd: Path, system_error: str) -> LibraryError:
    """The error when nothing was found: every place tried, and how to get a libgsp."""
    places = "\n  ".join(str(p) for p in candidates(package_dir, cwd))
    return LibraryError(
        f"libgsp not found: {ENV_VAR} is unset, none of these exists:\n  {places}\n"
        f"and the system's dynamic loader has no {system_library_name()} ({system_error}).\n"
        "Install the package with its library (pip install gsp-runtime, or pip install "
        "./bindings/python in the gsp repository), install libgsp (tools/install.sh; then "
        f"ldconfig or LD_LIBRARY_PATH), or set {ENV_VAR} to the library's path."
    )


def loaded_path(name: str) -> Path:
    """The file the dynamic loader mapped for ``name`` (from /proc/self/maps), else ``name``."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and Path(fields[5].strip()).name.startswith(name):
                    return Path(fields[5].strip())
    except OSError:
        pass
    return Path(name)


def parse_version(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as "0.1.0"."""
    m = re.match(r"(\d+)\.(\d+)", text)
    if not m:
        raise LibraryError(f"unparseable libgsp version {text!r}")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class Library:
    """A loaded libgsp with every function declared."""

    path: Path
    version: str
    cdll: ctypes.CDLL
    missing: frozenset[str] = frozenset()
    """Optional functions (_ffi.OPTIONAL) this build lacks."""

    def require(self, function: str) -> None:
        """LibraryError unless the library has ``function``."""
        if function in self.missing:
            raise LibraryError(
                f"{self.path} (libgsp {self.version}) predates {function}(); rebuild libgsp"
            )

    def status_text(self, status: int) -> str:
        """gsp_status_str(): "GSP_STATUS_NOT_FOUND: no script with that id"."""
        text: bytes = self.cdll.gsp_status_str(status)
        return text.decode("utf-8", "replace")

    def failure_text(self, status: int) -> str:
        """Why the call that just returned ``status`` on this thread failed: the status's text
        and libgsp's reason, gsp_last_error_message() ("GSP_STATUS_INVALID_ARGUMENT: an argument
        was malformed: invalid argument: worker_threads must be between 1 and 64"). Call it
        right after the failing call, on the same thread."""
        text = self.status_text(status)
        if "gsp_last_error_message" not in self.missing:
            why: bytes | None = self.cdll.gsp_last_error_message()
            if why:
                return f"{text}: {why.decode('utf-8', 'replace')}"
        return text


def open_library(path: Path) -> Library:
    """Loads ``path``, checks its version against the binding's, and declares its functions.

    A bare file name (no directory) is looked up by the system's dynamic loader.
    """
    try:
        cdll = ctypes.CDLL(str(path))
    except OSError as e:
        raise LibraryError(f"cannot load libgsp from {path}: {e}") from e
    if path.parent == Path("."):
        path = loaded_path(path.name)
    try:
        version_fn = cdll.gsp_version
    except AttributeError:
        raise LibraryError(f"{path} has no gsp_version(): not libgsp") from None
    version_fn.restype = ctypes.c_char_p
    version_fn.argtypes = []
    raw: bytes | None = version_fn()
    version = (raw or b"").decode("utf-8", "replace")
    if parse_version(version) != BINDING_VERSION:
        want = ".".join(map(str, BINDING_VERSION))
        raise LibraryError(f"{path} is libgsp {version}, but this binding was written for {want}.x")
    try:
        missing = _ffi.declare(cdll)
    except AttributeError as e:
        raise LibraryError(f"{path} (libgsp {version}) lacks a function: {e}") from e
    return Library(path=path, version=version, cdll=cdll, missing=missing)


_lock = threading.Lock()
_library: Library | None = None


def load_library() -> Library:
    """The process-wide libgsp, loaded on first use (thread-safe); raises LibraryError."""
    global _library
    with _lock:
        if _library is None:
            here = Path(__file__).resolve().parent
            try:
                cwd = Path.cwd()
            except OSError:  # the current directory was removed
                cwd = here
            path = find_library(os.environ, here, cwd)
            if path is None:
                try:
                    ctypes.CDLL(system_library_name())
                except OSError as e:
                    raise not_found(here, cwd, str(e)) from None
                path = Path(system_library_name())
            _library = open_library(path)
        return _library
