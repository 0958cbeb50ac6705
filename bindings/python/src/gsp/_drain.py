"""Records out of C: gsp_drain()'s callback copies each gsp_record into a Python record.

A gsp_record is valid only during the callback, and no exception may unwind through C, so the
callback only copies, into the sink its user_data names, and keeps an exception for later.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ._enum import (
    Calctype,
    Datatype,
    DiagnosticKind,
    RecordKind,
    Scope,
    Severity,
)
from ._ffi import RECORD_FN
from .errors import GspError
from .records import (
    AttributeDef,
    Diagnostic,
    Dimension,
    DimensionDef,
    Event,
    EventDef,
    MetricDef,
    MetricSample,
    Record,
    ScriptConfig,
)


def _text(raw: bytes | None) -> str:
    return "" if raw is None else raw.decode("utf-8", "replace")


def _items(ptr: Any, count: int) -> Iterable[Any]:
    # A NULL array comes with count 0; never index it.
    return (ptr[i] for i in range(count)) if count and ptr else ()


def _convert(r: Any) -> Record:
    """Copies a gsp_record (valid only during the callback) into a Python record."""
    kind, sid = r.kind, r.script_id
    if kind == RecordKind.METRIC and r.metric:
        m = r.metric.contents
        return MetricSample(
            script_id=sid,
            metric_id=m.metric_id,
            name=_text(m.name),
            time_ms=m.time_ms,
            value=m.value,
            dimensions=tuple(
                Dimension(d.id, _text(d.name), _text(d.value))
                for d in _items(m.dimensions, m.dimension_count)
            ),
        )
    if kind == RecordKind.EVENT and r.event:
        e = r.event.contents
        return Event(
            script_id=sid,
            event_id=e.event_id,
            name=_text(e.name),
            start_s=e.start_s,
            end_s=e.end_s,
            message=_text(e.message),
            attributes_json=_text(e.attributes_json) or "{}",
            scope=Scope(e.scope),
        )
    if kind == RecordKind.DIAGNOSTIC and r.diagnostic:
        d = r.diagnostic.contents
        return Diagnostic(
            script_id=sid,
            severity=Severity(d.severity),
            kind=DiagnosticKind(d.kind),
            exit_code=None if d.exit_code == -1 else d.exit_code,
            signal=d.signal or None,
            line=d.line or None,
            message=_text(d.message),
        )
    if kind == RecordKind.CONFIG and r.config:
        c = r.config.contents
        return ScriptConfig(
            script_id=sid,
            period_s=c.period_s,
            max_runtime_ms=c.max_runtime_ms,
            metrics=tuple(
                MetricDef(
                    id=m.id,
                    name=_text(m.name),
                    description=_text(m.description),
                    groups=_text(m.groups),
                    unit=_text(m.unit),
                    tags=_text(m.tags),
                    datatype=Datatype(m.datatype),
                    calctype=Calctype(m.calctype),
                    datatype_name=_text(m.datatype_name),
                    dimensions=tuple(
                        DimensionDef(d.id, _text(d.name))
                        for d in _items(m.dimensions, m.dimension_count)
                    ),
                )
                for m in _items(c.metrics, c.metric_count)
            ),
            events=tuple(
                EventDef(
                    id=e.id,
                    name=_text(e.name),
                    description=_text(e.description),
                    attributes=tuple(
                        AttributeDef(_text(a.name), _text(a.type_name), _text(a.unit))
                        for a in _items(e.attributes, e.attribute_count)
                    ),
                )
                for e in _items(c.events, c.event_count)
            ),
            json=_text(c.json),
        )
    raise GspError(f"record of unknown kind {kind} for script {sid} (is libgsp newer?)")


class Sink:
    """Where one gsp_drain() call's records go."""

    __slots__ = ("records", "error")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.error: BaseException | None = None


# One callback for every runtime: user_data picks the sink, so the callback holds no reference
# to a runtime (no cycle keeps a runtime, and its scripts, alive).
_sinks: dict[int, Sink] = {}
_sink_ids = itertools.count(1)


def _on_record(user_data: int | None, record: Any) -> None:
    # Runs inside gsp_drain(): an exception must not reach C, so it is kept and drain() raises
    # it once gsp_drain() has returned. Later records are still copied, so none is lost.
    sink = None
    try:
        sink = _sinks[user_data or 0]
        sink.records.append(_convert(record.contents))
    except BaseException as e:
        if sink is not None and sink.error is None:
            sink.error = e


# The ctypes callback must outlive every gsp_drain(): module-level, it lives as long as gsp.
CALLBACK = RECORD_FN(_on_record)


@contextmanager
def sink() -> Iterator[tuple[int, Sink]]:
    """A fresh sink and the user_data naming it, for one gsp_drain() call with CALLBACK."""
    key = next(_sink_ids)
    fresh = Sink()
    _sinks[key] = fresh
    try:
        yield key, fresh
    finally:
        del _sinks[key]
