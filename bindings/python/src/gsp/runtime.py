"""gsp.Runtime: one libgsp runtime, safe to share between threads."""

from __future__ import annotations

import atexit
import ctypes
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from ctypes import byref, c_size_t, c_uint64, c_void_p
from types import TracebackType

from . import _drain
from ._enum import EnvMode, Status
from ._ffi import CScriptStats, CStats
from ._loader import Library, load_library
from ._options import I64_MAX, I64_MIN, U64_MAX, c_options, c_string, int_arg, invalid
from .errors import ClosedError, GspError, NotFoundError, status_error
from .records import SCRIPT_STATS_FIELDS, STATS_FIELDS, Record, ScriptStats, Stats

# gsp_wait cannot be interrupted, and gsp_runtime_free must not race it; waiting in slices
# lets close() (and Ctrl-C) take effect within a slice.
_WAIT_SLICE_S = 0.1


# Runtimes still open at exit are closed before the interpreter tears modules down, so their
# scripts are killed and reaped even when a reference cycle would keep a runtime alive.
_live: weakref.WeakSet[Runtime] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for rt in list(_live):
        try:
            rt.close()
        except Exception:  # noqa: S110 - best effort at exit; the process is ending anyway
            pass


def _check_script_id(function: str, script_id: object) -> None:
    # No script has an id C cannot hold; ctypes would wrap it into one that may exist.
    if not 0 <= int_arg(script_id, "script_id") <= U64_MAX:
        raise NotFoundError(Status.NOT_FOUND, function, "no script with that id", str(script_id))


class Runtime:
    """A libgsp runtime: registered scripts, gsp's threads, and the record queue.

    Keyword options map to gsp_options fields (see include/gsp.h); None keeps libgsp's default.
    ``extra_env`` adds variables to the environment scripts get (the host's, captured now,
    unless ``env_mode`` says otherwise; giving ``env_allow`` implies EnvMode.ALLOWLIST).
    ``run_as_user``/``run_as_group`` take a name or a numeric id.

    Every method may be called from any thread at once. close() waits for calls in progress
    and makes later calls raise ClosedError; it never frees the runtime under another call.
    """

    def __init__(
        self,
        *,
        worker_threads: int | None = None,
        max_concurrent_runs: int | None = None,
        max_stdout_bytes: int | None = None,
        stderr_tail_bytes: int | None = None,
        queue_capacity: int | None = None,
        config_timeout_ms: int | None = None,
        max_runtime_ms: int | None = None,
        min_period_s: int | None = None,
        kill_grace_ms: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        env_mode: EnvMode | None = None,
        env_allow: Iterable[str] | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        run_as_user: str | int | None = None,
        run_as_group: str | int | None = None,
        refuse_root: bool | None = None,
        rlimit_cpu_s: int | None = None,
        rlimit_as_bytes: int | None = None,
        rlimit_nofile: int | None = None,
        rlimit_nproc: int | None = None,
        nice: int | None = None,
        cgroup_dir: str | os.PathLike[str] | None = None,
        splay: bool | None = None,
        max_difference_series: int | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self._handle: int | None = None
        self._closing = False
        self._calls = 0
        self._callers: dict[int, int] = {}  # thread id -> calls it has in progress
        self._backlog_lock = threading.Lock()
        # Records taken from C but not yet handed out (an iteration stopped by an exception,
        # or a drain whose callback failed); the next drain()/records() returns them first.
        self._backlog: deque[Record] = deque()
        self._lib: Library = load_library()

        given: dict[str, int | None] = {
            "worker_threads": worker_threads,
            "max_concurrent_runs": max_concurrent_runs,
            "max_stdout_bytes": max_stdout_bytes,
            "stderr_tail_bytes": stderr_tail_bytes,
            "queue_capacity": queue_capacity,
            "config_timeout_ms": config_timeout_ms,
            "max_runtime_ms": max_runtime_ms,
            "min_period_s": min_period_s,
            "kill_grace_ms": kill_grace_ms,
            "rlimit_cpu_s": rlimit_cpu_s,
            "rlimit_as_bytes": rlimit_as_bytes,
            "rlimit_nofile": rlimit_nofile,
            "rlimit_nproc": rlimit_nproc,
            "nice": nice,
            "env_mode": env_mode,
            "max_difference_series": max_difference_series,
        }
        if env_mode is None and env_allow is not None:
            given["env_mode"] = EnvMode.ALLOWLIST
        for flag, on in (("refuse_root", refuse_root), ("splay", splay)):
            if on is not None:
                given[flag] = int(bool(on))
        strings = {
            "working_dir": None if working_dir is None else os.fspath(working_dir),
            "cgroup_dir": None if cgroup_dir is None else os.fspath(cgroup_dir),
            "run_as_user": None if run_as_user is None else str(run_as_user),
            "run_as_group": None if run_as_group is None else str(run_as_group),
        }
        # What opts points to is kept alive here until gsp_runtime_new() has copied it.
        keep: list[object] = []
        opts = c_options(self._lib, given, strings, extra_env, env_allow, keep)
        out = c_void_p()
        self._check(self._lib.cdll.gsp_runtime_new(byref(opts), byref(out)), "gsp_runtime_new")
        del keep
        self._handle = out.value
        _live.add(self)

    # --- call bracketing: close() never frees the handle while a call uses it ---------------

    def _enter(self) -> int:
        me = threading.get_ident()
        with self._cond:
            if self._handle is None or self._closing:
                raise ClosedError("the gsp runtime is closed")
            self._calls += 1
            self._callers[me] = self._callers.get(me, 0) + 1
            return self._handle

    def _exit(self) -> None:
        me = threading.get_ident()
        with self._cond:
            self._calls -= 1
            depth = self._callers[me] - 1
            if depth:
                self._callers[me] = depth
            else:
                del self._callers[me]
            if self._closing and not self._calls:
                self._cond.notify_all()

    @contextmanager
    def _using(self) -> Iterator[int]:
        """The handle for one C call, between _enter() and _exit()."""
        handle = self._enter()
        try:
            yield handle
        finally:
            self._exit()

    def _check(self, status: int, function: str, context: str = "") -> None:
        if status != Status.OK:
            raise status_error(status, function, self._lib.failure_text(status), context)

    # --- scripts ------------------------------------------------------------------------------

    def add_script(self, command_line: str) -> int:
        """Registers a script command line (split like POSIX shell words; no shell runs).

        Its configuration runs at the next tick(). Returns the script's id (never reused).
        InvalidArgumentError for an unclosed quote, an empty line or a NUL character.
        """
        raw = c_string(command_line, "gsp_script_add", "command_line")
        script_id = c_uint64()
        with self._using() as handle:
            status = self._lib.cdll.gsp_script_add(handle, raw, byref(script_id))
        self._check(status, "gsp_script_add", repr(command_line))
        return script_id.value

    def _script_call(self, function: str, script_id: int) -> None:
        _check_script_id(function, script_id)
        with self._using() as handle:
            status = getattr(self._lib.cdll, function)(handle, script_id)
        self._check(status, function, str(script_id))

    def remove_script(self, script_id: int) -> None:
        """Unregisters a script and kills its running run, if any (NotFoundError if unknown).

        Records it already queued stay queued.
        """
        self._script_call("gsp_script_remove", script_id)

    def reconfigure_script(self, script_id: int) -> None:
        """Runs the script's configuration again at the next tick (NotFoundError if unknown)."""
        self._script_call("gsp_script_reconfigure", script_id)

    def run_now(self, script_id: int) -> bool:
        """Makes the script's next data run due at the next tick, whatever its period.

        Returns False (and changes nothing) while the script has no configuration or a run is in
        flight; NotFoundError if the id is unknown.
        """
        function = "gsp_script_run_now"
        self._lib.require(function)
        _check_script_id(function, script_id)
        scheduled = ctypes.c_uint32()
        with self._using() as handle:
            status = self._lib.cdll.gsp_script_run_now(handle, script_id, byref(scheduled))
        self._check(status, function, str(script_id))
        return bool(scheduled.value)

    # --- time and records ---------------------------------------------------------------------

    def tick(self, now_ms: int | None = None) -> None:
        """Starts every run due at host time ``now_ms`` (None: the current Unix time in ms).

        Never blocks on a script. Call it regularly, e.g. once a second.
        """
        now = time.time_ns() // 1_000_000 if now_ms is None else int_arg(now_ms, "now_ms")
        if not I64_MIN <= now <= I64_MAX:
            raise invalid("gsp_tick", f"now_ms={now} does not fit in 64 bits")
        with self._using() as handle:
            status = self._lib.cdll.gsp_tick(handle, now)
        self._check(status, "gsp_tick")

    def wait(self, timeout_s: float) -> int:
        """Blocks until records are pending or ``timeout_s`` passes; returns how many are pending.

        Raises ClosedError if another thread closes the runtime meanwhile.
        """
        if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool):
            raise TypeError(f"timeout_s must be a number, not {type(timeout_s).__name__}")
        if not timeout_s >= 0:  # also refuses NaN
            raise invalid("gsp_wait", f"timeout_s={timeout_s} is negative")
        deadline = time.monotonic() + timeout_s
        pending = c_size_t()
        while True:
            backlog = len(self._backlog)
            left = 0.0 if backlog else max(0.0, deadline - time.monotonic())
            slice_ms = math.ceil(min(left, _WAIT_SLICE_S) * 1000)
            with self._using() as handle:
                status = self._lib.cdll.gsp_wait(handle, slice_ms, byref(pending))
            self._check(status, "gsp_wait")
            n = pending.value + backlog
            if n or time.monotonic() >= deadline:
                return n

    def _drain_c(self, handle: int, max_records: int) -> list[Record]:
        """One gsp_drain() (0 = all pending); a callback failure is raised after it returns."""
        with _drain.sink() as (key, sink):
            status = self._lib.cdll.gsp_drain(handle, _drain.CALLBACK, key, max_records, None)
        error = sink.error
        if error is not None:
            sink.error = None  # no cycle through the traceback
            with self._backlog_lock:  # the records copied fine are not lost
                self._backlog.extendleft(reversed(sink.records))
            raise error
        self._check(status, "gsp_drain")
        return sink.records

    def _take_backlog(self, limit: int | None) -> list[Record]:
        with self._backlog_lock:
            n = len(self._backlog) if limit is None else min(limit, len(self._backlog))
            return [self._backlog.popleft() for _ in range(n)]

    def drain(self, max_records: int | None = None) -> list[Record]:
        """Returns up to ``max_records`` pending records (None: all pending), oldest first.

        Never blocks on scripts. If copying a record failed, that exception is raised and the
        other records stay pending for the next call.
        """
        if max_records is not None and int_arg(max_records, "max_records") < 1:
            raise invalid("gsp_drain", f"max_records={max_records} must be None or >= 1")
        with self._using() as handle:
            out = self._take_backlog(max_records)
            if max_records is None or len(out) < max_records:
                try:
                    out += self._drain_c(
                        handle, 0 if max_records is None else max_records - len(out)
                    )
                except BaseException:
                    with self._backlog_lock:
                        self._backlog.extendleft(reversed(out))
                    raise
            return out

    def records(self, batch_size: int = 256) -> Iterator[Record]:
        """Yields pending records one by one until none is pending; never blocks on scripts.

        Drains ``batch_size`` at a time. If the loop body raises, the records not yet yielded
        stay pending for the next drain()/records().
        """
        if int_arg(batch_size, "batch_size") < 1:
            raise invalid("gsp_drain", f"batch_size={batch_size} must be >= 1")
        while True:
            with self._backlog_lock:
                record = self._backlog.popleft() if self._backlog else None
            if record is None:
                with self._using() as handle:
                    fresh = self._drain_c(handle, batch_size)
                if not fresh:
                    return
                with self._backlog_lock:
                    self._backlog.extend(fresh)
                continue
            yield record

    def __iter__(self) -> Iterator[Record]:
        """Same as records()."""
        return self.records()

    def stats(self) -> Stats:
        """The runtime's counters."""
        out = CStats()
        out.struct_size = ctypes.sizeof(CStats)
        with self._using() as handle:
            status = self._lib.cdll.gsp_stats_get(handle, byref(out))
        self._check(status, "gsp_stats_get")
        return Stats(**{name: getattr(out, name) for name in STATS_FIELDS})

    def script_stats(self, script_id: int) -> ScriptStats:
        """One script's progress and cost (NotFoundError if unknown)."""
        function = "gsp_script_stats_get"
        self._lib.require(function)
        _check_script_id(function, script_id)
        out = CScriptStats()
        out.struct_size = ctypes.sizeof(CScriptStats)
        with self._using() as handle:
            status = self._lib.cdll.gsp_script_stats_get(handle, script_id, byref(out))
        self._check(status, function, str(script_id))
        values = {name: getattr(out, name) for name in SCRIPT_STATS_FIELDS}
        values["running"] = bool(out.running)
        values["configured"] = bool(out.configured)
        return ScriptStats(**values)

    # --- lifetime -------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once close() has begun."""
        with self._cond:
            return self._handle is None or self._closing

    def close(self) -> None:
        """Kills and reaps running scripts and frees the runtime (about a second at most).

        Waits for calls in progress on other threads; later calls raise ClosedError. Idempotent.
        """
        me = threading.get_ident()
        with self._cond:
            if self._callers.get(me):
                # Only a signal handler can get here (no user code runs inside a gsp call);
                # waiting for our own call would deadlock.
                raise GspError("close() called while this thread is inside a call on the runtime")
            if self._closing:  # another thread is freeing it: return once it is done
                while self._closing:
                    self._cond.wait()
                return
            if self._handle is None:
                return
            self._closing = True
            while self._calls:
                self._cond.wait()
            handle, self._handle = self._handle, None
        try:
            self._lib.cdll.gsp_runtime_free(handle)
        finally:
            with self._cond:
                self._closing = False
                self._cond.notify_all()
            with self._backlog_lock:
                self._backlog.clear()
            _live.discard(self)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A half-constructed runtime has no _cond; at interpreter shutdown close() may meet
        # torn-down globals, and a finalizer must not raise either way.
        if "_cond" in self.__dict__:
            try:
                self.close()
            except Exception:  # noqa: S110
                pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<gsp.Runtime {state} lib={self._lib.version if '_lib' in self.__dict__ else '?'}>"
