"""Configuration, metric, event and diagnostic records from real scripts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import gsp
from gsp import Calctype, Datatype, DiagnosticKind, Scope, Severity
from support import START_MS, Clock, configs, diagnostics, metrics, pump, script


def test_configuration_and_metrics_with_and_without_dimensions(
    rt: gsp.Runtime, clock: Clock
) -> None:
    sid = rt.add_script(script("metrics.sh"))
    got = pump(rt, clock, lambda rs: len(metrics(rs)) >= 3)

    (cfg,) = configs(got)
    assert cfg.script_id == sid
    assert (cfg.period_s, cfg.max_runtime_ms) == (60, 5000)
    traffic, procs = cfg.metrics
    assert traffic == gsp.MetricDef(
        id=1,
        name="Traffic",
        description="Bytes per interface",
        groups="Net/Traffic",
        unit="B",
        tags="NETWORK",
        datatype=Datatype.GAUGE,
        calctype=Calctype.INSTANT,
        datatype_name="GAUGE",
        dimensions=(gsp.DimensionDef(1, "interface"), gsp.DimensionDef(2, "direction")),
    )
    assert (procs.id, procs.name, procs.datatype, procs.dimensions) == (
        2,
        "Processes",
        Datatype.DOUBLE,
        (),
    )
    assert cfg.events == ()
    assert json.loads(cfg.json)["metrics"][0]["name"] == "Traffic"

    eth0, lo, count = metrics(got)
    assert all(m.script_id == sid for m in (eth0, lo, count))
    # A data run starts at the first tick after the configuration, and carries that tick's time.
    assert eth0.time_ms in clock.ticks and eth0.time_ms > START_MS
    assert (eth0.metric_id, eth0.name, eth0.value) == (1, "Traffic", 8.5)
    assert eth0.dimensions == (gsp.Dimension(1, "interface", "eth0"),)
    assert lo.dimensions == (
        gsp.Dimension(1, "interface", "lo"),
        gsp.Dimension(2, "direction", "rx"),
    )
    assert lo.value == 3.0
    assert (count.metric_id, count.name, count.value, count.dimensions) == (
        2,
        "Processes",
        12.0,
        (),
    )
    assert diagnostics(got) == []

    stats = rt.stats()
    assert stats.scripts == 1
    assert stats.runs_started == stats.runs_succeeded == 2
    assert stats.lines_parsed == 3 and stats.lines_rejected == 0
    assert stats.records_queued == 4 and stats.runs_in_flight == 0


def test_difference_emits_from_the_second_run(tmp_path: Path, clock: Clock) -> None:
    state = tmp_path / "state"
    with gsp.Runtime(extra_env={"GSP_STATE": str(state)}) as rt:
        rt.add_script(script("counter.sh"))
        first = pump(rt, clock, lambda rs: len(metrics(rs)) >= 1)
        (cfg,) = configs(first)
        assert cfg.metrics[0].calctype == Calctype.DIFFERENCE
        assert cfg.metrics[0].datatype == Datatype.COUNTER
        # The first run printed both lines; Difference holds its first value back.
        (marker,) = metrics(first)
        assert marker.name == "Runs"
        assert state.exists()

        # The next run is due a period (60 s of host time) later: move the clock, do not sleep.
        clock.ms += 60_000
        second = pump(rt, clock, lambda rs: len(metrics(rs)) >= 2)
        diff = next(m for m in metrics(second) if m.metric_id == 1)
        assert diff.value == 150.0  # 1150 - 1000
        assert diff.dimensions == (gsp.Dimension(1, "interface", "eth0"),)
        assert diff.time_ms - marker.time_ms >= 60_000
        assert rt.stats().runs_succeeded == 3


def test_events_with_attributes_and_scope(rt: gsp.Runtime, clock: Clock) -> None:
    sid = rt.add_script(script("events.sh"))
    got = pump(rt, clock, lambda rs: sum(isinstance(r, gsp.Event) for r in rs) >= 2)

    (cfg,) = configs(got)
    died_def, restarted_def = cfg.events
    assert (died_def.id, died_def.name, died_def.description) == (
        1,
        "Process died",
        "A worker exited",
    )
    assert died_def.attributes == (
        gsp.AttributeDef("Exit code", "integer", ""),
        gsp.AttributeDef("Uptime", "integer", "s"),
    )
    assert restarted_def.attributes == ()

    died, restarted = (r for r in got if isinstance(r, gsp.Event))
    assert (died.script_id, died.event_id, died.name) == (sid, 1, "Process died")
    assert died.message == "worker died"
    assert died.attributes == {"Exit code": 137, "Uptime": 42}
    assert died.scope is Scope.SERVER
    # Start/end 0 mean "now": the time of the tick that started the run, in seconds.
    assert died.start_s == died.end_s
    assert died.start_s * 1000 in clock.ticks

    assert restarted.scope is Scope.APPLICATION
    assert restarted.attributes_json == "{}" and restarted.attributes == {}
    assert restarted.start_s == died.start_s - 30  # "-30": 30 s before the run
    assert restarted.end_s == died.end_s


def test_missing_script_gives_spawn_failed(rt: gsp.Runtime, clock: Clock) -> None:
    sid = rt.add_script("/nonexistent/gsp-test/missing.sh")
    got = pump(rt, clock, lambda rs: bool(diagnostics(rs)))
    (diag,) = diagnostics(got)
    assert diag.script_id == sid
    assert diag.kind is DiagnosticKind.SPAWN_FAILED
    assert diag.severity is Severity.ERROR
    assert (diag.exit_code, diag.signal, diag.line) == (None, None, None)
    assert "/nonexistent/gsp-test/missing.sh" in diag.message
    assert rt.stats().runs_failed == 1


def test_exit_status_and_signal_diagnostics(rt: gsp.Runtime, clock: Clock) -> None:
    exit3 = rt.add_script(script("exit3.sh"))
    killed = rt.add_script(script("selfkill.sh"))
    got = pump(rt, clock, lambda rs: len(diagnostics(rs, DiagnosticKind.EXIT_STATUS)) >= 2)

    by_script = {d.script_id: d for d in diagnostics(got, DiagnosticKind.EXIT_STATUS)}
    failed = by_script[exit3]
    assert failed.severity is Severity.ERROR
    assert (failed.exit_code, failed.signal, failed.line) == (3, None, None)
    assert "disk on fire" in failed.message  # the stderr tail
    dead = by_script[killed]
    assert (dead.exit_code, dead.signal) == (None, 9)
    # A failed run's output is not parsed: exit3.sh printed `M1 1` before failing.
    assert metrics(got) == []


def test_bad_lines_are_reported_with_line_numbers(rt: gsp.Runtime, clock: Clock) -> None:
    rt.add_script(script("badlines.sh"))
    got = pump(rt, clock, lambda rs: len(metrics(rs)) >= 2 and len(diagnostics(rs)) >= 2)
    assert [m.value for m in metrics(got)] == [1.0, 2.0]
    invalid = diagnostics(got, DiagnosticKind.LINE_INVALID)
    unknown = diagnostics(got, DiagnosticKind.UNKNOWN_METRIC)
    assert [d.line for d in invalid] == [2]
    assert [d.line for d in unknown] == [3]
    assert "this is not a metric" in invalid[0].message
    assert invalid[0].severity is Severity.WARNING
    stats = rt.stats()
    assert (stats.lines_parsed, stats.lines_rejected) == (2, 2)


def test_options_reach_the_library(clock: Clock) -> None:
    with gsp.Runtime(min_period_s=120, max_runtime_ms=1000, worker_threads=1) as rt:
        rt.add_script(script("metrics.sh"))
        got = pump(rt, clock, lambda rs: bool(configs(rs)))
    (cfg,) = configs(got)
    assert (cfg.period_s, cfg.max_runtime_ms) == (120, 1000)
    clamped = diagnostics(got, DiagnosticKind.VALUE_CLAMPED)
    assert len(clamped) == 2
    assert any("period" in d.message for d in clamped)


def test_reconfigure_runs_the_configuration_again(rt: gsp.Runtime, clock: Clock) -> None:
    sid = rt.add_script(script("metrics.sh"))
    pump(rt, clock, lambda rs: bool(configs(rs)))
    rt.reconfigure_script(sid)
    again = pump(rt, clock, lambda rs: bool(configs(rs)))
    assert [c.script_id for c in configs(again)] == [sid]


def test_run_now_starts_a_data_run_before_the_period(rt: gsp.Runtime, clock: Clock) -> None:
    sid = rt.add_script(script("metrics.sh"))
    assert rt.run_now(sid) is False  # no configuration yet
    first = pump(rt, clock, lambda rs: bool(metrics(rs)))
    runs = rt.script_stats(sid).data_runs
    assert rt.run_now(sid) is True
    # Only run_now can make this run due before the 60 s period has passed on the host clock.
    before = clock.ms
    pump(rt, clock, lambda rs: rt.script_stats(sid).data_runs > runs)
    assert clock.ms - before < 60_000
    assert len(first) > 0
    with pytest.raises(gsp.NotFoundError):
        rt.run_now(999)


def test_tick_without_time_uses_the_current_time(rt: gsp.Runtime) -> None:
    rt.add_script(script("metrics.sh"))
    before = time.time_ns() // 1_000_000
    got: list[gsp.Record] = []
    deadline = time.monotonic() + 30
    while len(metrics(got)) < 3 and time.monotonic() < deadline:
        rt.tick()
        rt.wait(0.2)
        got += rt.drain()
    after = time.time_ns() // 1_000_000
    assert len(metrics(got)) == 3
    assert all(before <= m.time_ms <= after for m in metrics(got))


def test_wait_reports_pending_records(rt: gsp.Runtime, clock: Clock) -> None:
    # Nothing registered: wait() times out with nothing pending, after about the timeout.
    t0 = time.monotonic()
    assert rt.wait(0.3) == 0
    assert 0.25 <= time.monotonic() - t0 < 5
    rt.add_script(script("metrics.sh"))
    deadline = time.monotonic() + 30
    pending = 0
    while not pending and time.monotonic() < deadline:
        clock.tick(rt)
        pending = rt.wait(0.2)
    assert pending >= 1
    assert len(rt.drain()) >= pending


def test_drain_limits_and_iteration(rt: gsp.Runtime, clock: Clock) -> None:
    rt.add_script(script("metrics.sh"))
    # Tick without draining until all four records (configuration + 3 metrics) are queued.
    deadline = time.monotonic() + 30
    while rt.stats().records_queued < 4 and time.monotonic() < deadline:
        clock.tick(rt)
        time.sleep(0.1)
    assert rt.wait(0) == 4
    first = rt.drain(max_records=1)
    assert [type(r) for r in first] == [gsp.ScriptConfig]
    rest = list(rt.records(batch_size=1))
    assert [(m.metric_id, m.value) for m in metrics(rest)] == [(1, 8.5), (1, 3.0), (2, 12.0)]
    assert len(rest) == 3
    assert rt.drain() == []
    assert list(rt) == []


def test_script_stats(rt: gsp.Runtime, clock: Clock) -> None:
    sid = rt.add_script(script("metrics.sh"))
    before = rt.script_stats(sid)
    assert (before.config_runs, before.data_runs, before.configured) == (0, 0, False)
    pump(rt, clock, lambda rs: len(metrics(rs)) >= 3)
    # The data run's stats are updated as it finishes, around when its records are queued.
    deadline = time.monotonic() + 10
    while rt.script_stats(sid).data_runs < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    after = rt.script_stats(sid)
    assert (after.config_runs, after.data_runs) == (1, 1)
    assert after.configured is True and after.running is False
    assert after.total_duration_us >= after.last_duration_us > 0
    assert after.peak_rss_kib >= after.last_max_rss_kib > 0
    with pytest.raises(gsp.NotFoundError):
        rt.script_stats(999)
