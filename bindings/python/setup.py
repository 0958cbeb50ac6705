"""Builds the wheel of gsp-runtime: the pure-Python package plus libgsp, compiled by cargo from
the crate at the repository root (setuptools-rust, no Python binding: ctypes loads the library).

The package version is libgsp's, from Cargo.toml. The wheel is tagged py3-none-<platform>: it
holds a native library for one platform but uses no Python C API, so any Python 3 can load it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext
from setuptools_rust import Binding, RustExtension, Strip

HERE = Path(__file__).resolve().parent
CARGO_TOML = HERE.parent.parent / "Cargo.toml"  # the workspace: libgsp's version
CAPI_TOML = HERE.parent.parent / "capi" / "Cargo.toml"  # the crate that builds libgsp
if not CAPI_TOML.is_file():
    raise SystemExit(
        f"{CAPI_TOML} not found: gsp-runtime builds libgsp from the gsp repository; install it "
        "from a checkout (pip install ./bindings/python) or from a wheel"
    )


def library_version() -> str:
    """libgsp's version: the first `version = "..."` line of Cargo.toml ([workspace.package])."""
    found = re.search(r'^version = "([^"]+)"', CARGO_TOML.read_text(encoding="utf-8"), re.M)
    if not found:
        raise SystemExit(f"no version in {CARGO_TOML}")
    return found.group(1)


class BuildExt(build_ext):
    """Names the library libgsp.so, as cargo does, instead of an extension-module name."""

    def get_ext_filename(self, fullname: str) -> str:
        if fullname.split(".")[-1] == "libgsp":
            return str(Path(*fullname.split(".")[:-1], "libgsp.so"))
        return str(super().get_ext_filename(fullname))  # type: ignore[no-untyped-call]


class BdistWheel(bdist_wheel):
    """py3-none-<platform>: a native library, but no Python ABI."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=library_version(),
    rust_extensions=[
        RustExtension(
            "gsp._lib.libgsp",
            path=str(CAPI_TOML),
            binding=Binding.NoBinding,
            # Debug information stays out of the wheel (7.9 MB -> under 1 MB).
            strip=Strip.Debug,
            py_limited_api=False,
            # A target directory of its own: `cargo rustc --crate-type cdylib` would otherwise
            # replace target/release/libgsp.so and make the next `cargo build` start over.
            env={
                **os.environ,
                "CARGO_TARGET_DIR": os.environ.get(
                    "CARGO_TARGET_DIR", str(CARGO_TOML.parent / "target" / "python")
                ),
            },
        )
    ],
    cmdclass={"build_ext": BuildExt, "bdist_wheel": BdistWheel},
    zip_safe=False,
)
