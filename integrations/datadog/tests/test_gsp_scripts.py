"""GspScriptsCheck under the Datadog check toolkit's aggregator stub, as Datadog's own
integrations are tested: real scripts run through libgsp, submissions asserted on the stub."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datadog_checks.base import AgentCheck
from datadog_checks.base.stubs import aggregator as aggregator_stub
from datadog_checks.base.stubs.aggregator import AggregatorStub

import gsp
from gsp_scripts import GspScriptsCheck, metric_names

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "tests" / "scripts"
LOAD = str(ROOT / "examples" / "scripts" / "load.sh")
BAD = str(SCRIPTS / "bad_config.sh")


@pytest.fixture
def aggregator() -> Iterator[AggregatorStub]:
    aggregator_stub.reset()
    yield aggregator_stub
    aggregator_stub.reset()


def make_check(instance: dict[str, Any]) -> GspScriptsCheck:
    return GspScriptsCheck("gsp_scripts", {}, [instance])


def run(check: GspScriptsCheck) -> None:
    """What the Agent does: run() returns the error of a failed check run, "" otherwise."""
    error = check.run()
    assert error == "", error


def test_values_events_and_service_checks(aggregator: AggregatorStub, tmp_path: Path) -> None:
    formats = f"{SCRIPTS / 'cli' / 'formats.sh'} {tmp_path}"
    check = make_check({"scripts": [formats, LOAD, BAD], "timeout": 10, "tags": ["team:test"]})
    try:
        run(check)
        run(check)  # Difference reports from the second run on
    finally:
        check.cancel()
    base = ["team:test", f"script:{formats}"]
    aggregator.assert_metric("gsp.disk_used", 42.5, tags=[*base, "mount_point:/"], count=2,
                             metric_type=aggregator.GAUGE)
    aggregator.assert_metric("gsp.disk_used", 7, tags=[*base, "mount_point:/var/log dir"], count=2)
    # A running total: the Agent computes the delta.
    aggregator.assert_metric("gsp.requests_2", 17, tags=base, count=2,
                             metric_type=aggregator.MONOTONIC_COUNT)
    aggregator.assert_metric("gsp.requests_3", 3, tags=base, count=2, metric_type=aggregator.GAUGE)
    # Difference of a COUNTER: the count for the period, from the second run only.
    aggregator.assert_metric("gsp.bytes_received", 100, tags=[*base, "interface:eth0"], count=1,
                             metric_type=aggregator.COUNT)
    aggregator.assert_metric("gsp.odd_labels", -1.5e-7,
                             tags=[*base, 'script_1:say "hi", a=b c\\d', "path:C:\\"], count=2)
    for name in ("gsp.load_average_1m", "gsp.load_average_5m", "gsp.load_average_15m"):
        aggregator.assert_metric(name, tags=["team:test", f"script:{LOAD}"], count=2,
                                 metric_type=aggregator.GAUGE)
    aggregator.assert_all_metrics_covered()

    events = [e for e in aggregator.events if e["msg_title"] == "Disk full"]
    assert len(events) == 2, aggregator.events
    e = events[0]
    assert e["msg_text"] == 'Disk "/" is full\n{"Used":95,"Path":"/"}'
    assert e["alert_type"] == "warning" and e["source_type_name"] == "gsp"
    assert abs(e["timestamp"] - (time.time() - 60)) < 120, e
    assert sorted(e["tags"]) == sorted([*base, "event_id:1", "scope:S"])

    aggregator.assert_service_check("gsp.script", AgentCheck.OK, tags=base, count=2)
    aggregator.assert_service_check("gsp.script", AgentCheck.OK,
                                    tags=["team:test", f"script:{LOAD}"], count=2)
    # The broken script: its configuration error makes the first run's service check critical.
    (bad,) = [s for s in aggregator.service_checks("gsp.script")
              if f"script:{BAD}" in s.tags and s.status == AgentCheck.CRITICAL]
    assert "CONFIG_INVALID" in bad.message and "not valid JSON" in bad.message, bad.message


def test_cancel_kills_a_running_script(aggregator: AggregatorStub, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    check = make_check({"scripts": [f"{SCRIPTS / 'agents' / 'long_run.sh'} {pidfile}"],
                        "timeout": 1})
    run(check)  # the run outlives the 1 s timeout: a warning, no error
    pid = int(pidfile.read_text())
    os.kill(pid, 0)
    check.cancel()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"long_run.sh (pid {pid}) survived cancel()")
    aggregator.assert_service_check("gsp.script", AgentCheck.OK, count=1)


@pytest.mark.parametrize(
    "instance, message",
    [
        ({}, "`scripts` must be a non-empty list"),
        ({"scripts": ["/bin/true", ""]}, "`scripts` must be a non-empty list"),
        ({"scripts": [LOAD], "timeout": 0}, "`timeout` must be a number"),
        ({"scripts": ["'unclosed"]}, "quote words that hold spaces"),
    ],
)
def test_bad_instances_are_reported(aggregator: AggregatorStub, instance: dict[str, Any],
                                    message: str) -> None:
    check = make_check(instance)
    try:
        error = check.run()
    finally:
        check.cancel()
    assert message in error, error
    assert not aggregator.metric_names


def test_metric_names_and_tag_keys() -> None:
    def metric(id: int, name: str, datatype: gsp.Datatype, calctype: gsp.Calctype,
               dims: list[str]) -> gsp.MetricDef:
        return gsp.MetricDef(id, name, "", "", "", "", datatype, calctype, datatype.name,
                             tuple(gsp.DimensionDef(i + 1, d) for i, d in enumerate(dims)))

    config = gsp.ScriptConfig(1, 60, 5000, (
        metric(1, "Disk used", gsp.Datatype.GAUGE, gsp.Calctype.INSTANT,
               ["Mount point", "Host", "script", "", "1st"]),
        metric(2, "Hits", gsp.Datatype.COUNTER, gsp.Calctype.INSTANT, []),
        metric(3, "Hits", gsp.Datatype.COUNTER, gsp.Calctype.DIFFERENCE, []),
        metric(-4, "%%", gsp.Datatype.GAUGE, gsp.Calctype.DIFFERENCE, []),
    ), (), "{}")
    names = metric_names(config)
    assert [(n.name, n.kind) for n in names.values()] == [
        ("disk_used", "gauge"), ("hits_2", "monotonic_count"), ("hits_3", "count"),
        ("metric_n4", "gauge")]
    assert dict(names[1].tag_keys) == {1: "mount_point", 2: "dim_host", 3: "script_3",
                                       4: "dim_4", 5: "dim_1st"}
