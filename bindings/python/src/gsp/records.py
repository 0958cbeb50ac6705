"""Records drained from a runtime: frozen dataclasses holding copies of the C records."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, TypeAlias

from ._enum import Calctype, Datatype, DiagnosticKind, Scope, Severity


@dataclass(frozen=True)
class DimensionDef:
    """A dimension a metric declares."""

    id: int
    name: str


@dataclass(frozen=True)
class MetricDef:
    """A metric a script declares."""

    id: int
    name: str
    description: str
    groups: str
    unit: str
    tags: str
    datatype: Datatype
    calctype: Calctype
    datatype_name: str
    """The datatype as the script spelled it ("" when missing)."""
    dimensions: tuple[DimensionDef, ...]


@dataclass(frozen=True)
class AttributeDef:
    """An attribute an event declares."""

    name: str
    type_name: str
    unit: str


@dataclass(frozen=True)
class EventDef:
    """An event a script declares."""

    id: int
    name: str
    description: str
    attributes: tuple[AttributeDef, ...]


@dataclass(frozen=True)
class ScriptConfig:
    """A successful configuration run: the script's effective configuration."""

    script_id: int
    period_s: int
    max_runtime_ms: int
    metrics: tuple[MetricDef, ...]
    events: tuple[EventDef, ...]
    json: str
    """The normalized configuration as compact JSON."""


@dataclass(frozen=True)
class Dimension:
    """A dimension value on a metric sample."""

    id: int
    name: str
    value: str


@dataclass(frozen=True)
class MetricSample:
    """One metric value (after the metric's calctype)."""

    script_id: int
    metric_id: int
    name: str
    time_ms: int
    """Host time of the tick that started the run."""
    value: float
    dimensions: tuple[Dimension, ...]
    """In line order; empty for lines without a dimension list."""


@dataclass(frozen=True)
class Event:
    """One event."""

    script_id: int
    event_id: int
    name: str
    start_s: int
    end_s: int
    message: str
    attributes_json: str
    """A compact JSON object ("{}" when none)."""
    scope: Scope

    @property
    def attributes(self) -> dict[str, Any]:
        """``attributes_json`` parsed."""
        parsed: dict[str, Any] = json.loads(self.attributes_json)
        return parsed


@dataclass(frozen=True)
class Diagnostic:
    """A problem or notice about a script (script_id 0: about the runtime)."""

    script_id: int
    severity: Severity
    kind: DiagnosticKind
    exit_code: int | None
    """The exit code, when the script exited."""
    signal: int | None
    """The terminating signal, when one killed the script."""
    line: int | None
    """The 1-based output line at fault, when a line is."""
    message: str


Record: TypeAlias = ScriptConfig | MetricSample | Event | Diagnostic
"""Any record drain() returns."""


@dataclass(frozen=True)
class Stats:
    """Counters since the runtime was created (gsp_stats)."""

    runs_started: int
    runs_succeeded: int
    runs_failed: int
    runs_timed_out: int
    runs_killed: int
    lines_parsed: int
    lines_rejected: int
    records_queued: int
    records_dropped: int
    runs_in_flight: int
    scripts: int


@dataclass(frozen=True)
class ScriptStats:
    """One script's progress and cost (gsp_script_stats); durations in microseconds."""

    config_runs: int
    """Configuration runs finished (any outcome)."""
    data_runs: int
    """Data runs finished (any outcome)."""
    last_duration_us: int
    """Wall time of the last finished run (0 before any)."""
    last_cpu_us: int
    """User plus system CPU time of the last finished run."""
    last_max_rss_kib: int
    """Peak resident set size of the last finished run, in KiB."""
    total_cpu_us: int
    total_duration_us: int
    peak_rss_kib: int
    """The highest peak RSS of any run, in KiB."""
    running: bool
    """A run is in flight."""
    configured: bool
    """A configuration is in force."""


STATS_FIELDS = tuple(f.name for f in fields(Stats))
SCRIPT_STATS_FIELDS = tuple(f.name for f in fields(ScriptStats))
