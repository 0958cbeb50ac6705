"""Runtime options reach the scripts: environment, working directory, limits, nice, user."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gsp
from gsp import DiagnosticKind, EnvMode
from support import SCRIPTS, Clock, diagnostics, metrics, pump, script


@pytest.fixture(autouse=True)
def host_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The runtime captures the host's environment when it is created.
    monkeypatch.setenv("GSP_TEST_HOST_VAR", "host")


def probe(clock: Clock, command_line: str | None = None, **options: Any) -> dict[str, Any]:
    """Runs envprobe.sh once under ``options``; its dimensions by name, plus its nice level."""
    with gsp.Runtime(extra_env={"GSP_TEST_EXTRA": "extra"}, **options) as rt:
        rt.add_script(command_line or script("envprobe.sh"))
        got = pump(rt, clock, lambda rs: len(metrics(rs)) >= 2 or bool(diagnostics(rs)))
    assert diagnostics(got) == []
    probe_line, nice_line = metrics(got)
    seen: dict[str, Any] = {d.name: d.value for d in probe_line.dimensions}
    seen["nice"] = int(nice_line.value)
    return seen


def test_defaults(clock: Clock) -> None:
    seen = probe(clock)
    assert (seen["host_var"], seen["extra_var"]) == ("host", "extra")
    assert seen["cwd"] == os.getcwd()
    assert seen["uid"] == str(os.geteuid())


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"env_mode": EnvMode.INHERIT}, "host"),
        ({"env_mode": EnvMode.CLEAR}, "unset"),
        ({"env_allow": ["GSP_TEST_HOST_VAR"]}, "host"),  # implies ALLOWLIST
        ({"env_mode": EnvMode.ALLOWLIST, "env_allow": ["HOME"]}, "unset"),
    ],
)
def test_environment(clock: Clock, options: dict[str, Any], expected: str) -> None:
    seen = probe(clock, **options)
    assert (seen["host_var"], seen["extra_var"]) == (expected, "extra")


def test_working_dir_limits_and_nice(clock: Clock, tmp_path: Path) -> None:
    nice = min(os.nice(0) + 5, 19)  # raising the nice level needs no privilege
    seen = probe(clock, working_dir=tmp_path, rlimit_nofile=64, rlimit_cpu_s=30, nice=nice)
    assert seen["cwd"] == str(tmp_path)
    assert (seen["nofile"], seen["cpu"]) == ("64", "30")
    assert seen["nice"] == nice


def test_invalid_containment_options() -> None:
    with pytest.raises(gsp.InvalidArgumentError):
        gsp.Runtime(nice=20)  # refused by libgsp: -20..19
    with pytest.raises(gsp.InvalidArgumentError):
        gsp.Runtime(run_as_group="root")  # needs run_as_user
    with pytest.raises(gsp.InvalidArgumentError, match="out of range"):
        gsp.Runtime(rlimit_nofile=-1)
    with pytest.raises(TypeError):
        gsp.Runtime(env_allow="HOME")


@pytest.fixture
def public_copy() -> Iterator[Path]:
    """envprobe.sh where any user can run it (pytest's tmp_path is private to its user)."""
    directory = Path(tempfile.mkdtemp(prefix="gsp-test-"))
    try:
        directory.chmod(0o755)
        target = directory / "envprobe.sh"
        shutil.copy(SCRIPTS / "envprobe.sh", target)
        target.chmod(0o755)
        yield target
    finally:
        shutil.rmtree(directory)


@pytest.mark.skipif(os.geteuid() != 0, reason="running scripts as another user needs root")
def test_run_as_user(clock: Clock, public_copy: Path) -> None:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody'")
    seen = probe(clock, str(public_copy), run_as_user="nobody", working_dir=public_copy.parent)
    assert seen["uid"] == str(nobody.pw_uid)


@pytest.mark.skipif(os.geteuid() != 0, reason="refuse_root matters only when the host is root")
def test_refuse_root(clock: Clock) -> None:
    with gsp.Runtime(refuse_root=True) as rt:
        sid = rt.add_script(script("envprobe.sh"))
        got = pump(rt, clock, lambda rs: bool(diagnostics(rs)))
    (refused,) = diagnostics(got)
    assert (refused.script_id, refused.kind) == (sid, DiagnosticKind.SPAWN_FAILED)
    assert "root" in refused.message


def test_splay_keeps_the_first_run_within_a_period(clock: Clock) -> None:
    with gsp.Runtime(splay=True) as rt:
        rt.add_script(script("metrics.sh"))
        configured = pump(rt, clock, lambda rs: any(isinstance(r, gsp.ScriptConfig) for r in rs))
        config_tick = clock.ticks[-1]
        got = configured + pump(rt, clock, lambda rs: len(metrics(configured + rs)) >= 3)
    first = metrics(got)[0]
    assert config_tick <= first.time_ms <= config_tick + 60_000
