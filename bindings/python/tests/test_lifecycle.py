"""Timeouts, removal, closing with runs in flight, threads, and exceptions during draining."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

import gsp
from gsp import DiagnosticKind
from support import (
    Clock,
    child_env,
    configs,
    diagnostics,
    metrics,
    process_gone,
    pump,
    read_pid,
    script,
    wait_until,
)


def start_sleepers(
    rt: gsp.Runtime, clock: Clock, pidfiles: list[Path], maxruntime_ms: int
) -> list[int]:
    """Adds one sleeper.sh per pid file and ticks until every data run is running."""
    ids = [rt.add_script(script("sleeper.sh", str(p), str(maxruntime_ms))) for p in pidfiles]
    deadline = time.monotonic() + 30
    while not all(p.exists() for p in pidfiles):
        assert time.monotonic() < deadline, f"data runs did not start: {rt.drain()!r}"
        clock.tick(rt)
        rt.wait(0.1)
    return ids


def test_data_run_past_maxruntime_is_killed(rt: gsp.Runtime, clock: Clock, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    sid = rt.add_script(script("sleeper.sh", str(pidfile), "300"))
    t0 = time.monotonic()
    got = pump(rt, clock, lambda rs: bool(diagnostics(rs, DiagnosticKind.TIMEOUT)), timeout_s=20)
    # The script sleeps 30 s; a timeout well before that is gsp's doing.
    assert time.monotonic() - t0 < 20
    (cfg,) = configs(got)
    assert cfg.max_runtime_ms == 300
    (timeout,) = diagnostics(got, DiagnosticKind.TIMEOUT)
    assert timeout.script_id == sid
    assert timeout.severity is gsp.Severity.ERROR
    assert "300 ms" in timeout.message
    pid = read_pid(pidfile)
    assert pid is not None
    assert wait_until(lambda: process_gone(pid), 5), f"timed-out run {pid} still exists"
    assert rt.stats().runs_timed_out == 1


def test_remove_script(rt: gsp.Runtime, clock: Clock) -> None:
    kept = rt.add_script(script("metrics.sh"))
    gone = rt.add_script(script("badlines.sh"))

    def first_runs_done(rs: list[gsp.Record]) -> bool:
        ids = [r.script_id for r in rs if not isinstance(r, gsp.ScriptConfig)]
        return ids.count(kept) == 3 and ids.count(gone) == 4  # badlines.sh: 2 metrics, 2 diags

    # Remove once nothing of the script is queued or running: records already queued stay.
    pump(rt, clock, first_runs_done)
    rt.remove_script(gone)
    assert rt.stats().scripts == 1
    with pytest.raises(gsp.NotFoundError):
        rt.remove_script(gone)
    with pytest.raises(gsp.NotFoundError):
        rt.reconfigure_script(gone)
    # Two more periods: only the kept script runs.
    later: list[gsp.Record] = []
    for _ in range(2):
        clock.ms += 60_000
        later += pump(rt, clock, lambda rs: len(metrics(rs)) >= 3)
    assert {r.script_id for r in later} == {kept}


def test_remove_kills_the_running_run(rt: gsp.Runtime, clock: Clock, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    (sid,) = start_sleepers(rt, clock, [pidfile], 20_000)
    pid = read_pid(pidfile)
    assert pid is not None and not process_gone(pid)
    rt.remove_script(sid)
    assert wait_until(lambda: process_gone(pid), 5), f"run {pid} outlived its script's removal"
    assert wait_until(lambda: rt.stats().runs_killed == 1, 5)


def test_close_with_runs_in_flight(clock: Clock, tmp_path: Path) -> None:
    rt = gsp.Runtime()
    pidfiles = [tmp_path / f"pid{i}" for i in range(3)]
    start_sleepers(rt, clock, pidfiles, 20_000)
    pids = [read_pid(p) for p in pidfiles]
    assert rt.stats().runs_in_flight == 3
    t0 = time.monotonic()
    rt.close()
    assert time.monotonic() - t0 < 5
    # Killed and reaped by close() itself, not eventually.
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert rt.closed
    rt.close()  # idempotent
    with pytest.raises(gsp.ClosedError):
        rt.tick(clock.ms)
    with pytest.raises(gsp.ClosedError):
        rt.add_script(script("metrics.sh"))
    with pytest.raises(gsp.ClosedError):
        rt.drain()
    with pytest.raises(gsp.ClosedError):
        rt.stats()
    with pytest.raises(gsp.ClosedError):
        rt.wait(0)
    with pytest.raises(gsp.ClosedError):
        next(iter(rt))


def test_many_threads_at_once(clock: Clock) -> None:
    """8 threads add, tick, wait, drain, reconfigure, remove and read stats for ~2 s."""
    errors: list[BaseException] = []
    received: list[gsp.Record] = []
    kept: list[int] = []
    removed: list[int] = []
    calls = [0] * 8
    lock = threading.Lock()
    now = [clock.ms]
    stop = time.monotonic() + 2.0

    def worker(n: int) -> None:
        try:
            ids = [rt.add_script(script("metrics.sh")) for _ in range(2)]
            i = 0
            while time.monotonic() < stop:
                with lock:
                    now[0] += 1000
                    t = now[0]
                rt.tick(t)
                rt.wait(0.01)
                batch = rt.drain(max_records=50) if i % 2 else list(rt.records(batch_size=7))
                stats = rt.stats()
                assert stats.scripts >= 1
                if i == 5:
                    rt.reconfigure_script(ids[0])
                with lock:
                    received.extend(batch)
                i += 1
                calls[n] = i
            rt.remove_script(ids[1])
            with lock:
                kept.append(ids[0])
                removed.append(ids[1])
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    with gsp.Runtime() as rt:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert all(c >= 5 for c in calls), calls
        assert rt.stats().scripts == 8
        # Every kept script delivers its configuration and its metrics eventually.
        clock.ms = now[0] + 1000
        received += pump(
            rt,
            clock,
            lambda rs: {m.script_id for m in metrics(received + rs)} >= set(kept),
            timeout_s=60,
        )
    assert {c.script_id for c in configs(received)} >= set(kept)
    assert all(
        isinstance(r, (gsp.ScriptConfig, gsp.MetricSample, gsp.Diagnostic)) for r in received
    )
    # The threads move the host clock fast, so a run may still be going when the next is due
    # (an overrun); nothing else may go wrong with the kept scripts.
    kept_problems = [d for d in diagnostics(received) if d.script_id in kept]
    assert all(d.kind is DiagnosticKind.OVERRUN for d in kept_problems), kept_problems


def test_close_while_other_threads_call() -> None:
    """close() waits for calls in progress; every later call raises ClosedError, none crashes."""
    rt = gsp.Runtime()
    rt.add_script(script("metrics.sh"))
    started = threading.Barrier(7)
    outcome: dict[int, BaseException | None] = {}

    def caller(n: int) -> None:
        started.wait()
        now = 1_700_000_000_000 + n
        try:
            while True:
                rt.tick(now)
                now += 1000
                rt.wait(0.5)  # sliced, so close() need not wait half a second per caller
                rt.drain()
                rt.stats()
        except BaseException as e:
            outcome[n] = e

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.5)
    t0 = time.monotonic()
    rt.close()
    assert time.monotonic() - t0 < 5
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert all(isinstance(e, gsp.ClosedError) for e in outcome.values()), outcome
    assert len(outcome) == 6


class GatedLib:
    """Stands in for the CDLL: gsp_wait blocks until released, and calls are logged in order."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.log: list[str] = []
        self.in_wait = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.real, name)
        if name == "gsp_wait":

            def gated(*args: Any) -> Any:
                self.log.append("wait entered")
                self.in_wait.set()
                self.release.wait(30)
                result = fn(*args)
                self.log.append("wait returned")
                return result

            return gated
        if name == "gsp_runtime_free":

            def logged(*args: Any) -> Any:
                self.log.append("free")
                return fn(*args)

            return logged
        return fn


def test_close_waits_for_a_call_in_progress() -> None:
    """gsp_runtime_free never runs while another thread is inside a gsp call on the runtime."""
    rt = gsp.Runtime()
    gated = GatedLib(rt._lib.cdll)
    rt._lib = dataclasses.replace(rt._lib, cdll=cast(Any, gated))
    waiter = threading.Thread(target=rt.wait, args=(0.05,))
    waiter.start()
    assert gated.in_wait.wait(10)
    closer = threading.Thread(target=rt.close)
    closer.start()
    time.sleep(0.3)
    assert closer.is_alive() and "free" not in gated.log  # close() is waiting for gsp_wait
    assert rt.closed
    with pytest.raises(gsp.ClosedError):  # and refuses new calls meanwhile
        rt.stats()
    gated.release.set()
    closer.join(10)
    waiter.join(10)
    assert not closer.is_alive() and not waiter.is_alive()
    assert gated.log == ["wait entered", "wait returned", "free"]


class Boom(Exception):
    pass


def test_exception_in_user_code_during_iteration(rt: gsp.Runtime, clock: Clock) -> None:
    rt.add_script(script("metrics.sh"))
    deadline = time.monotonic() + 30
    while rt.stats().records_queued < 4 and time.monotonic() < deadline:
        clock.tick(rt)
        time.sleep(0.1)
    seen: list[gsp.Record] = []
    with pytest.raises(Boom):
        for record in rt.records():
            seen.append(record)
            if len(seen) == 2:
                raise Boom("user code failed")
    # The records not yet handed out stay pending: nothing lost, nothing repeated.
    assert rt.wait(0) == 2
    rest = rt.drain()
    assert [type(r) for r in seen + rest] == [
        gsp.ScriptConfig,
        gsp.MetricSample,
        gsp.MetricSample,
        gsp.MetricSample,
    ]
    assert [m.value for m in metrics(seen + rest)] == [8.5, 3.0, 12.0]
    assert rt.stats().scripts == 1  # the runtime is still usable


@pytest.mark.parametrize("exc_type", [Boom, KeyboardInterrupt])
def test_exception_inside_the_drain_callback(
    rt: gsp.Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch, exc_type: type[BaseException]
) -> None:
    """An exception while copying a record never unwinds through C: drain() raises it after."""
    import gsp._drain as drain_module

    rt.add_script(script("metrics.sh"))
    deadline = time.monotonic() + 30
    while rt.stats().records_queued < 4 and time.monotonic() < deadline:
        clock.tick(rt)
        time.sleep(0.1)
    real = drain_module._convert
    calls = [0]

    def failing(record: object) -> gsp.Record:
        calls[0] += 1
        if calls[0] == 2:
            raise exc_type("conversion failed")
        return real(record)

    monkeypatch.setattr(drain_module, "_convert", failing)
    with pytest.raises(exc_type, match="conversion failed"):
        rt.drain()
    assert calls[0] == 4  # gsp_drain went on to the end; the other three were copied
    monkeypatch.undo()
    rest = rt.drain()
    assert [type(r) for r in rest] == [gsp.ScriptConfig, gsp.MetricSample, gsp.MetricSample]
    assert [m.value for m in metrics(rest)] == [3.0, 12.0]  # 8.5 was the record that failed
    assert rt.drain() == []
    assert rt.stats().records_queued == 4


def test_unclosed_runtime_at_interpreter_exit(tmp_path: Path) -> None:
    """A runtime left open (even in a reference cycle) is closed at exit: no error, no process."""
    pidfile = tmp_path / "pid"
    code = textwrap.dedent(
        f"""
        import time, gsp
        rt = gsp.Runtime()
        rt.cycle = rt
        rt.add_script({script("sleeper.sh", str(pidfile), "20000")!r})
        now = 1_700_000_000_000
        deadline = time.monotonic() + 30
        while not __import__("os").path.exists({str(pidfile)!r}) and time.monotonic() < deadline:
            rt.tick(now)
            now += 1000
            rt.wait(0.1)
        print("running", flush=True)
        """
    )
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "running"
    assert proc.stderr == ""
    assert time.monotonic() - t0 < 30
    pid = read_pid(pidfile)
    assert pid is not None
    assert wait_until(lambda: process_gone(pid), 5), f"script {pid} outlived the interpreter"
