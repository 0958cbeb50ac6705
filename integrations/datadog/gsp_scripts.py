"""A Datadog Agent check that runs generic scripts with libgsp (through gsp's Python binding).

Install as a custom check: this file as ``checks.d/gsp_scripts.py`` and
``conf.d/gsp_scripts.yaml`` beside the Agent's configuration (see README.md). Each check run
starts every configured script's data mode once, waits for the runs (at most ``timeout``) and
submits what they produced: the Agent's collection interval replaces the scripts' periods.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import gsp
from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.base.utils.tagging import GENERIC_TAGS

__version__ = "0.1.0"

# A gather waits this long for configuration runs (gsp kills them at 1 s).
CONFIG_WAIT_S = 10.0
SERVICE_CHECK = "script"  # submitted as gsp.script


def snake(text: str) -> str:
    """Lowercase ASCII words joined by _ (the rule of src/bin/gsp/names.rs)."""
    out: list[str] = []
    gap = prev_lower = False
    for c in text:
        if not (c.isascii() and c.isalnum()):
            gap, prev_lower = True, False
            continue
        if (gap or (prev_lower and c.isupper())) and out:
            out.append("_")
        gap = False
        prev_lower = not c.isupper()
        out.append(c.lower())
    return "".join(out)


def id_part(i: int) -> str:
    return f"n{-i}" if i < 0 else str(i)


class MetricNames:
    """How one declared metric is submitted."""

    def __init__(self, name: str, kind: str, tag_keys: Mapping[int, str]) -> None:
        self.name = name
        self.kind = kind  # "gauge", "count" or "monotonic_count"
        self.tag_keys = tag_keys


def metric_names(config: gsp.ScriptConfig) -> dict[int, MetricNames]:
    """Names, submission types and dimension tag keys for a configuration's metrics."""
    stems = {m.id: snake(m.name) or f"metric_{id_part(m.id)}" for m in config.metrics}
    out: dict[int, MetricNames] = {}
    for m in config.metrics:
        name = stems[m.id]
        if list(stems.values()).count(name) > 1:
            name += f"_{id_part(m.id)}"
        counter = m.datatype == gsp.Datatype.COUNTER
        difference = m.calctype == gsp.Calctype.DIFFERENCE
        # A running total: the Agent computes the delta. A Difference of a counter: already the
        # count for the period. Anything else is a gauge.
        kind = "monotonic_count" if counter and not difference else "count" if counter else "gauge"
        keys: dict[int, str] = {}
        for d in m.dimensions:
            key = snake(d.name) or f"dim_{id_part(d.id)}"
            # Tags the Agent reserves (host, env, service, ...) must not come from a check.
            if key[0].isdigit() or key in GENERIC_TAGS:
                key = f"dim_{key}"
            while key == "script" or key in keys.values():
                key += f"_{id_part(d.id)}"
            keys[d.id] = key
        out[m.id] = MetricNames(name, kind, keys)
    return out


class GspScriptsCheck(AgentCheck):  # type: ignore[no-untyped-call]  # AgentCheck.__init_subclass__
    """Runs the instance's ``scripts``; see the module docstring."""

    __NAMESPACE__ = "gsp"

    def __init__(self, name: str, init_config: Mapping[str, Any], instances: Sequence[Any]) -> None:
        super().__init__(name, init_config, instances)
        self._runtime: gsp.Runtime | None = None
        self._ids: dict[int, str] = {}
        self._names: dict[int, dict[int, MetricNames]] = {}
        self._problems: dict[int, list[gsp.Diagnostic]] = {}

    # --- configuration ---------------------------------------------------------------------

    def _settings(self) -> tuple[list[str], float, dict[str, str], list[str]]:
        instance = self.instance or {}
        scripts = instance.get("scripts")
        if not isinstance(scripts, list) or not scripts or not all(
            isinstance(s, str) and s.strip() for s in scripts
        ):
            raise ConfigurationError(
                "`scripts` must be a non-empty list of command lines, "
                'e.g. scripts: ["/opt/gsp/disk.sh", "python3 /opt/gsp/netdev.py"]'
            )
        timeout = instance.get("timeout", 55)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigurationError(f"`timeout` must be a number of seconds above 0, not {timeout!r}")
        env = instance.get("env") or {}
        if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise ConfigurationError("`env` must map variable names to strings")
        tags = instance.get("tags") or []
        return scripts, float(timeout), env, [str(t) for t in tags]

    def _start(self, scripts: list[str], env: dict[str, str]) -> gsp.Runtime:
        runtime = gsp.Runtime(extra_env=env)
        try:
            for command in scripts:
                try:
                    self._ids[runtime.add_script(command)] = command
                except gsp.InvalidArgumentError as e:
                    raise ConfigurationError(
                        f"script {command!r}: {e} (quote words that hold spaces)"
                    ) from e
        except BaseException:
            runtime.close()
            self._ids.clear()
            raise
        self._runtime = runtime
        return runtime

    # --- a check run -------------------------------------------------------------------------

    def check(self, _: Any) -> None:
        scripts, timeout, env, tags = self._settings()
        runtime = self._runtime or self._start(scripts, env)
        self._problems = {i: [] for i in self._ids}
        runs_before = {i: runtime.script_stats(i).data_runs for i in self._ids}
        deadline = time.monotonic() + CONFIG_WAIT_S
        while time.monotonic() < deadline and any(
            runtime.script_stats(i).config_runs == 0 for i in self._ids
        ):
            self._step(runtime, tags)
        # Every configured script runs once per check: gsp starts a script's first data run
        # itself at the tick after its configuration, so a run that started (or even ended)
        # while waiting for the others' configurations counts.
        pending: dict[int, int] = {}
        for i in self._ids:
            st = runtime.script_stats(i)
            if not st.configured or st.data_runs > runs_before[i]:
                continue
            if st.running or runtime.run_now(i):
                pending[i] = st.data_runs
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            self._step(runtime, tags)
            # A run is counted only once its records are queued: the next drain has them all.
            for i, before in list(pending.items()):
                if runtime.script_stats(i).data_runs > before:
                    del pending[i]
        self._submit(runtime.drain(), tags)
        for i in pending:
            self.log.warning(
                "gsp: script %r did not finish within timeout %s s; its data comes with a later run",
                self._ids[i],
                timeout,
            )
        self._service_checks(tags)

    def _step(self, runtime: gsp.Runtime, tags: list[str]) -> None:
        runtime.tick()
        runtime.wait(0.05)
        self._submit(runtime.drain(), tags)

    def _submit(self, records: list[gsp.Record], tags: list[str]) -> None:
        for r in records:
            script = self._ids.get(getattr(r, "script_id", 0), "")
            if isinstance(r, gsp.ScriptConfig):
                self._names[r.script_id] = metric_names(r)
                self.log.info(
                    "gsp: script %r configured: %d metrics, %d events",
                    script,
                    len(r.metrics),
                    len(r.events),
                )
            elif isinstance(r, gsp.MetricSample):
                self._metric(r, script, tags)
            elif isinstance(r, gsp.Event):
                self._event(r, script, tags)
            elif isinstance(r, gsp.Diagnostic):
                self._diagnostic(r, script)

    def _metric(self, m: gsp.MetricSample, script: str, tags: list[str]) -> None:
        names = self._names.get(m.script_id, {}).get(m.metric_id)
        if names is None:
            self.log.warning("gsp: script %r: metric %d is not configured; value dropped", script, m.metric_id)
            return
        metric_tags = [*tags, f"script:{script}"]
        metric_tags += [
            f"{names.tag_keys[d.id]}:{d.value}" for d in m.dimensions if d.id in names.tag_keys and d.value
        ]
        submit = {"gauge": self.gauge, "count": self.count, "monotonic_count": self.monotonic_count}
        submit[names.kind](names.name, m.value, tags=metric_tags)

    def _event(self, e: gsp.Event, script: str, tags: list[str]) -> None:
        text = e.message if e.attributes_json == "{}" else f"{e.message}\n{e.attributes_json}"
        self.event(
            {
                "timestamp": e.start_s,
                "event_type": "gsp",
                "source_type_name": "gsp",
                "msg_title": e.name,
                "msg_text": text,
                "alert_type": "warning",
                "aggregation_key": f"{script}:{e.event_id}",
                "tags": [
                    *tags,
                    f"script:{script}",
                    f"event_id:{e.event_id}",
                    f"scope:{'A' if e.scope == gsp.Scope.APPLICATION else 'S'}",
                ],
            }
        )

    def _diagnostic(self, d: gsp.Diagnostic, script: str) -> None:
        level = {gsp.Severity.ERROR: self.log.error, gsp.Severity.WARNING: self.log.warning}
        level.get(d.severity, self.log.info)(
            "gsp: %s(%s): %s", f"script {script!r} " if script else "", d.kind.name, d.message
        )
        if d.script_id in self._problems and d.severity != gsp.Severity.INFO:
            self._problems[d.script_id].append(d)

    def _service_checks(self, tags: list[str]) -> None:
        """gsp.script per script: CRITICAL after an error diagnostic, WARNING after a warning."""
        for i, command in self._ids.items():
            problems = self._problems.get(i, [])
            if any(d.severity == gsp.Severity.ERROR for d in problems):
                status = self.CRITICAL
            elif problems:
                status = self.WARNING
            else:
                status = self.OK
            message = "; ".join(f"{d.kind.name}: {d.message}" for d in problems)[:2000]
            self.service_check(
                SERVICE_CHECK, status, tags=[*tags, f"script:{command}"], message=message
            )

    def cancel(self) -> None:
        """Called when the Agent unschedules the check: kills running scripts, frees libgsp."""
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
