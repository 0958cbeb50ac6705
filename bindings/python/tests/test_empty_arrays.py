"""No invalid pointer crosses the ABI: an empty array is NULL with count 0 (issue 11).

libgsp 0.1.0 handed out empty arrays as Vec::as_ptr()'s dangling 0x8, which the Go runtime
rejects when it copies a stack. ctypes never reads an array of count 0, so the test looks at the
raw pointers in a gsp_drain callback: configurations without events, metrics (declared and
sampled) without dimensions, events without attributes, drained many times on fresh threads.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Any

import gsp
from gsp import _ffi
from support import START_MS, script


def address(ptr: Any) -> int | None:
    value: int | None = ctypes.cast(ptr, ctypes.c_void_p).value
    return value


def check_array(what: str, ptr: Any, count: int, problems: list[str]) -> None:
    """NULL exactly when empty."""
    if (address(ptr) is None) != (count == 0):
        problems.append(f"{what}: pointer {address(ptr)!r} with count {count}")


def check_record(r: Any, problems: list[str]) -> str:
    """Checks every array of one gsp_record; returns its kind's name."""
    if r.kind == gsp.RecordKind.CONFIG:
        c = r.config.contents
        check_array("config.metrics", c.metrics, c.metric_count, problems)
        check_array("config.events", c.events, c.event_count, problems)
        for i in range(c.metric_count):
            m = c.metrics[i]
            check_array(f"metric {m.id} dimensions", m.dimensions, m.dimension_count, problems)
        for i in range(c.event_count):
            e = c.events[i]
            check_array(f"event {e.id} attributes", e.attributes, e.attribute_count, problems)
        return "config"
    if r.kind == gsp.RecordKind.METRIC:
        m = r.metric.contents
        check_array(f"sample of {m.metric_id}", m.dimensions, m.dimension_count, problems)
        return "metric"
    if r.kind == gsp.RecordKind.EVENT:
        return "event"
    return "diagnostic"


def test_empty_arrays_are_null_on_fresh_threads() -> None:
    cdll = gsp.library().cdll
    options = _ffi.COptions()
    cdll.gsp_options_init(ctypes.byref(options), ctypes.sizeof(options))
    options.config_timeout_ms = 10_000  # a loaded machine must not time configurations out
    handle = ctypes.c_void_p()
    assert cdll.gsp_runtime_new(ctypes.byref(options), ctypes.byref(handle)) == 0
    problems: list[str] = []
    seen: dict[str, int] = {"config": 0, "metric": 0, "event": 0, "diagnostic": 0}

    def on_record(_user: int | None, record: Any) -> None:
        try:
            seen[check_record(record.contents, problems)] += 1
        except Exception as e:  # must not unwind into C
            problems.append(repr(e))

    callback = _ffi.RECORD_FN(on_record)
    try:
        ids = []
        for name in ("empty_arrays.sh", "no_attributes.sh"):
            sid = ctypes.c_uint64()
            assert cdll.gsp_script_add(handle, script(name).encode(), ctypes.byref(sid)) == 0
            ids.append(sid.value)
        deadline = time.monotonic() + 60
        # Each round: both configurations, then their data runs (21 samples and an event),
        # every drain on a thread of its own; then both scripts are configured again.
        for round_ in range(20):
            want = {"config": 2 * (round_ + 1), "metric": 21 * (round_ + 1), "event": round_ + 1}
            while any(seen[k] < n for k, n in want.items()):
                assert time.monotonic() < deadline, f"after 60 s: round {round_}, {seen}"
                cdll.gsp_tick(handle, START_MS)
                cdll.gsp_wait(handle, 100, None)
                drainer = threading.Thread(
                    target=cdll.gsp_drain, args=(handle, callback, None, 0, None)
                )
                drainer.start()
                drainer.join()
            for sid_value in ids:
                assert cdll.gsp_script_reconfigure(handle, sid_value) == 0
    finally:
        cdll.gsp_runtime_free(handle)
    assert problems == []
    assert seen["diagnostic"] == 0, seen


def test_the_binding_returns_empty_sequences(rt: gsp.Runtime) -> None:
    rt.add_script(script("empty_arrays.sh"))
    rt.add_script(script("no_attributes.sh"))
    got: list[gsp.Record] = []
    deadline = time.monotonic() + 60
    while not (
        sum(isinstance(r, gsp.ScriptConfig) for r in got) == 2
        and any(isinstance(r, gsp.Event) for r in got)
        and sum(isinstance(r, gsp.MetricSample) for r in got) == 21
    ):
        assert time.monotonic() < deadline, got
        rt.tick(START_MS)
        rt.wait(0.1)
        got += rt.drain()
    for r in got:
        if isinstance(r, gsp.ScriptConfig):
            assert all(len(m.dimensions) == 0 for m in r.metrics)
            assert all(len(e.attributes) == 0 for e in r.events)
        elif isinstance(r, gsp.MetricSample):
            assert len(r.dimensions) == 0
        elif isinstance(r, gsp.Event):
            assert r.attributes_json == "{}"
