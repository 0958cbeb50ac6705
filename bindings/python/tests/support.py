"""Helpers for the binding's tests, which run real scripts through libgsp."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gsp

TESTS = Path(__file__).resolve().parent
SCRIPTS = TESTS / "scripts"
REPO = TESTS.parents[2]  # bindings/python/tests -> the repository root

# A fixed host clock: records carry the tick times, so tests can check them exactly.
START_MS = 1_700_000_000_000


def script(name: str, *args: str) -> str:
    """The command line of a fixture script, quoted like a shell word list."""
    return shlex.join([str(SCRIPTS / name), *args])


class Clock:
    """The host clock handed to tick(); tests move it instead of sleeping through periods."""

    def __init__(self, ms: int = START_MS) -> None:
        self.ms = ms
        self.ticks: list[int] = []

    def tick(self, rt: gsp.Runtime, step_ms: int = 1000) -> None:
        rt.tick(self.ms)
        self.ticks.append(self.ms)
        self.ms += step_ms


def pump(
    rt: gsp.Runtime,
    clock: Clock,
    until: Callable[[list[gsp.Record]], bool],
    timeout_s: float = 30.0,
) -> list[gsp.Record]:
    """Ticks (+1 s of host time each), waits and drains until ``until(records)`` holds.

    The real-time bound is generous: the suite runs on loaded 2-core machines.
    """
    got: list[gsp.Record] = []
    deadline = time.monotonic() + timeout_s
    while True:
        clock.tick(rt)
        rt.wait(0.1)
        got += rt.drain()
        if until(got):
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s; records: {got!r}")


def metrics(records: list[gsp.Record]) -> list[gsp.MetricSample]:
    return [r for r in records if isinstance(r, gsp.MetricSample)]


def diagnostics(
    records: list[gsp.Record], kind: gsp.DiagnosticKind | None = None
) -> list[gsp.Diagnostic]:
    return [r for r in records if isinstance(r, gsp.Diagnostic) and kind in (None, r.kind)]


def configs(records: list[gsp.Record]) -> list[gsp.ScriptConfig]:
    return [r for r in records if isinstance(r, gsp.ScriptConfig)]


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer exists (os.kill(pid, 0) raises)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step_s)
    return True


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a child Python that must import the same gsp as these tests."""
    env = dict(os.environ, **overrides)
    package_root = str(Path(gsp.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env
