"""ctypes declarations of include/gsp.h, kept field for field in the header's order.

tests/test_abi.py compiles a probe against the real header and compares every struct's size,
field offsets, sizes and kinds, every enum constant and every prototype with what is here.
"""

from __future__ import annotations

import ctypes
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any

# The C enums are uint32_t typedefs (before C23), and so is gsp_status.
c_enum = c_uint32


class COptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("worker_threads", c_uint32),
        ("max_concurrent_runs", c_uint32),
        ("max_stdout_bytes", c_uint64),
        ("stderr_tail_bytes", c_uint32),
        ("queue_capacity", c_uint32),
        ("config_timeout_ms", c_uint32),
        ("max_runtime_ms", c_uint32),
        ("min_period_s", c_uint32),
        ("kill_grace_ms", c_uint32),
        ("extra_env", POINTER(c_char_p)),
        ("run_as_user", c_char_p),
        ("run_as_group", c_char_p),
        ("working_dir", c_char_p),
        ("cgroup_dir", c_char_p),
        ("env_allow", POINTER(c_char_p)),
        ("rlimit_cpu_s", c_uint64),
        ("rlimit_as_bytes", c_uint64),
        ("rlimit_nofile", c_uint64),
        ("rlimit_nproc", c_uint64),
        ("env_mode", c_uint32),
        ("refuse_root", c_uint32),
        ("nice", c_int32),
        ("splay", c_uint32),
        ("max_difference_series", c_uint64),
    ]


class CDimensionDef(Structure):
    _fields_ = [("id", c_int64), ("name", c_char_p)]


class CMetricDef(Structure):
    _fields_ = [
        ("id", c_int64),
        ("name", c_char_p),
        ("description", c_char_p),
        ("groups", c_char_p),
        ("unit", c_char_p),
        ("tags", c_char_p),
        ("datatype", c_enum),
        ("calctype", c_enum),
        ("datatype_name", c_char_p),
        ("dimensions", POINTER(CDimensionDef)),
        ("dimension_count", c_size_t),
    ]


class CAttributeDef(Structure):
    _fields_ = [("name", c_char_p), ("type_name", c_char_p), ("unit", c_char_p)]


class CEventDef(Structure):
    _fields_ = [
        ("id", c_int64),
        ("name", c_char_p),
        ("description", c_char_p),
        ("attributes", POINTER(CAttributeDef)),
        ("attribute_count", c_size_t),
    ]


class CConfig(Structure):
    _fields_ = [
        ("period_s", c_uint32),
        ("max_runtime_ms", c_uint32),
        ("metrics", POINTER(CMetricDef)),
        ("metric_count", c_size_t),
        ("events", POINTER(CEventDef)),
        ("event_count", c_size_t),
        ("json", c_char_p),
    ]


class CDimension(Structure):
    _fields_ = [("id", c_int64), ("name", c_char_p), ("value", c_char_p)]


class CMetric(Structure):
    _fields_ = [
        ("metric_id", c_int64),
        ("time_ms", c_int64),
        ("value", c_double),
        ("name", c_char_p),
        ("dimensions", POINTER(CDimension)),
        ("dimension_count", c_size_t),
    ]


class CEvent(Structure):
    _fields_ = [
        ("event_id", c_int64),
        ("start_s", c_int64),
        ("end_s", c_int64),
        ("name", c_char_p),
        ("message", c_char_p),
        ("attributes_json", c_char_p),
        ("scope", c_enum),
    ]


class CDiagnostic(Structure):
    _fields_ = [
        ("severity", c_enum),
        ("kind", c_enum),
        ("exit_code", c_int32),
        ("signal", c_int32),
        ("line", c_uint64),
        ("message", c_char_p),
    ]


class CRecord(Structure):
    _fields_ = [
        ("kind", c_enum),
        ("script_id", c_uint64),
        ("config", POINTER(CConfig)),
        ("metric", POINTER(CMetric)),
        ("event", POINTER(CEvent)),
        ("diagnostic", POINTER(CDiagnostic)),
    ]


class CStats(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("runs_started", c_uint64),
        ("runs_succeeded", c_uint64),
        ("runs_failed", c_uint64),
        ("runs_timed_out", c_uint64),
        ("runs_killed", c_uint64),
        ("lines_parsed", c_uint64),
        ("lines_rejected", c_uint64),
        ("records_queued", c_uint64),
        ("records_dropped", c_uint64),
        ("runs_in_flight", c_uint64),
        ("scripts", c_uint64),
    ]


class CScriptStats(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("config_runs", c_uint64),
        ("data_runs", c_uint64),
        ("last_duration_us", c_uint64),
        ("last_cpu_us", c_uint64),
        ("last_max_rss_kib", c_uint64),
        ("total_cpu_us", c_uint64),
        ("total_duration_us", c_uint64),
        ("peak_rss_kib", c_uint64),
        ("running", c_uint32),
        ("configured", c_uint32),
    ]


# C struct name -> declaration; the ABI test walks this.
C_STRUCTS: dict[str, type[Structure]] = {
    "gsp_options": COptions,
    "gsp_dimension_def": CDimensionDef,
    "gsp_metric_def": CMetricDef,
    "gsp_attribute_def": CAttributeDef,
    "gsp_event_def": CEventDef,
    "gsp_config": CConfig,
    "gsp_dimension": CDimension,
    "gsp_metric": CMetric,
    "gsp_event": CEvent,
    "gsp_diagnostic": CDiagnostic,
    "gsp_record": CRecord,
    "gsp_stats": CStats,
    "gsp_script_stats": CScriptStats,
}

# gsp_record_fn: void (*)(void *user_data, const gsp_record *record)
RECORD_FN = ctypes.CFUNCTYPE(None, c_void_p, POINTER(CRecord))

# The opaque gsp_runtime * travels as c_void_p.
FUNCTIONS: dict[str, tuple[Any, list[Any]]] = {
    "gsp_version": (c_char_p, []),
    "gsp_status_str": (c_char_p, [c_uint32]),
    "gsp_last_error_message": (c_char_p, []),
    "gsp_options_init": (c_uint32, [POINTER(COptions), c_size_t]),
    "gsp_runtime_new": (c_uint32, [POINTER(COptions), POINTER(c_void_p)]),
    "gsp_runtime_free": (None, [c_void_p]),
    "gsp_script_add": (c_uint32, [c_void_p, c_char_p, POINTER(c_uint64)]),
    "gsp_script_remove": (c_uint32, [c_void_p, c_uint64]),
    "gsp_script_reconfigure": (c_uint32, [c_void_p, c_uint64]),
    "gsp_tick": (c_uint32, [c_void_p, c_int64]),
    "gsp_script_run_now": (c_uint32, [c_void_p, c_uint64, POINTER(c_uint32)]),
    "gsp_wait": (c_uint32, [c_void_p, c_uint32, POINTER(c_size_t)]),
    "gsp_wake": (c_uint32, [c_void_p]),
    "gsp_drain": (c_uint32, [c_void_p, RECORD_FN, c_void_p, c_size_t, POINTER(c_size_t)]),
    "gsp_stats_get": (c_uint32, [c_void_p, POINTER(CStats)]),
    "gsp_script_stats_get": (c_uint32, [c_void_p, c_uint64, POINTER(CScriptStats)]),
}

# Added to 0.1 after its first builds: a library without them still loads, and only the
# methods that need them raise LibraryError.
OPTIONAL = frozenset(
    {"gsp_script_stats_get", "gsp_wake", "gsp_script_run_now", "gsp_last_error_message"}
)


def declare(cdll: ctypes.CDLL) -> frozenset[str]:
    """Sets restype/argtypes of every function; returns the optional ones the library lacks.

    AttributeError names a missing required function.
    """
    missing = set()
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            if name not in OPTIONAL:
                raise
            missing.add(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    return frozenset(missing)
