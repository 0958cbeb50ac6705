"""Runtime()'s keyword options as a gsp_options struct, and the argument checks it shares.

ctypes wraps out-of-range integers and cuts strings at a NUL without a word, so every value is
checked here before it reaches C.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Mapping
from ctypes import POINTER, c_char_p
from typing import Any

from ._enum import Status
from ._ffi import COptions
from ._loader import Library
from .errors import InvalidArgumentError, status_error

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1

# Integer options of Runtime() -> the range their gsp_options field holds (libgsp checks the
# values that make sense, such as nice in -20..19).
_OPTION_RANGE = {
    **dict.fromkeys(
        (
            "worker_threads",
            "max_concurrent_runs",
            "stderr_tail_bytes",
            "queue_capacity",
            "config_timeout_ms",
            "max_runtime_ms",
            "min_period_s",
            "kill_grace_ms",
            "env_mode",
            "refuse_root",
            "splay",
        ),
        (0, U32_MAX),
    ),
    **dict.fromkeys(
        (
            "max_stdout_bytes",
            "rlimit_cpu_s",
            "rlimit_as_bytes",
            "rlimit_nofile",
            "rlimit_nproc",
            "max_difference_series",
        ),
        (0, U64_MAX),
    ),
    "nice": (-(2**31), 2**31 - 1),
}

_FUNCTION = "gsp.Runtime"


def invalid(function: str, message: str) -> InvalidArgumentError:
    """The error for a bad argument caught before it reaches ``function``."""
    return InvalidArgumentError(Status.INVALID_ARGUMENT, function, message)


def int_arg(value: object, name: str) -> int:
    """``value`` if it is an int (and not a bool), else TypeError naming ``name``."""
    # bool is an int, but True as a thread count is a bug, not a request.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def c_string(value: object, function: str, name: str) -> bytes:
    """UTF-8 bytes for a C string; ctypes would silently cut at a NUL, so refuse one."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise invalid(function, f"{name} contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise invalid(function, f"{name} is not encodable as UTF-8: {e}") from None


def _string_array(items: list[bytes], keep: list[object]) -> Any:
    """A NULL-terminated char *[] for a gsp_options field; ``keep`` holds it alive."""
    array = (c_char_p * (len(items) + 1))(*items, None)
    keep.append(array)
    return ctypes.cast(array, POINTER(c_char_p))


def _default_options(lib: Library) -> COptions:
    # gsp writes at most sizeof(COptions) bytes and sets struct_size, so a library built from a
    # newer header keeps its own defaults for the fields this binding does not know.
    opts = COptions()
    status = lib.cdll.gsp_options_init(ctypes.byref(opts), ctypes.sizeof(COptions))
    if status != Status.OK:
        raise status_error(status, "gsp_options_init", lib.failure_text(status))
    return opts


def c_options(
    lib: Library,
    numbers: Mapping[str, int | None],
    strings: Mapping[str, str | None],
    extra_env: Mapping[str, str] | None,
    env_allow: Iterable[str] | None,
    keep: list[object],
) -> COptions:
    """libgsp's defaults overridden by every option given (None: not given).

    ``numbers`` and ``strings`` are gsp_options field names -> values. ctypes keeps what a
    c_char_p field points to alive with the struct; the arrays of pointers go to ``keep``, which
    the caller holds until gsp_runtime_new() has copied them.
    """
    opts = _default_options(lib)
    for name, value in numbers.items():
        if value is None:
            continue
        low, high = _OPTION_RANGE[name]
        # ctypes wraps out-of-range integers silently; check before it can.
        if not low <= int_arg(value, name) <= high:
            raise invalid(_FUNCTION, f"{name}={value} is out of range")
        setattr(opts, name, int(value))
    for name, text in strings.items():
        if text is not None:
            setattr(opts, name, c_string(text, _FUNCTION, name))
    if extra_env:
        entries = []
        for key, text in extra_env.items():
            k = c_string(key, _FUNCTION, "extra_env name")
            if not k or b"=" in k:
                raise invalid(_FUNCTION, f"extra_env name {key!r} is empty or has '='")
            entries.append(k + b"=" + c_string(text, _FUNCTION, f"extra_env[{key!r}]"))
        opts.extra_env = _string_array(entries, keep)
    if env_allow is not None:
        if isinstance(env_allow, str):
            raise TypeError("env_allow must be an iterable of names, not a str")
        names = [c_string(n, _FUNCTION, "env_allow name") for n in env_allow]
        opts.env_allow = _string_array(names, keep)
    return opts
