"""examples/agent.py runs scripts and prints their records as JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import child_env, script

AGENT = Path(__file__).resolve().parents[1] / "examples" / "agent.py"


def test_agent_prints_records() -> None:
    proc = subprocess.run(
        [sys.executable, str(AGENT), "--seconds", "4", script("metrics.sh"), script("events.sh")],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [r["record"] for r in records]
    assert kinds.count("ScriptConfig") == 2
    assert kinds.count("MetricSample") == 3 and kinds.count("Event") == 2
    eth0 = next(r for r in records if r["record"] == "MetricSample")
    assert eth0["value"] == 8.5
    assert eth0["dimensions"] == [{"id": 1, "name": "interface", "value": "eth0"}]
    event = next(r for r in records if r["record"] == "Event")
    assert event["scope"] == "SERVER"
    assert "agent: Stats(" in proc.stderr


def test_agent_refuses_a_bad_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(AGENT), "--seconds", "1", "'unclosed"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "GSP_STATUS_INVALID_ARGUMENT" in proc.stderr
