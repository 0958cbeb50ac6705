#!/usr/bin/env python3
"""A minimal monitoring agent: runs generic scripts and prints their records as JSON lines.

    python3 agent.py [--seconds N] SCRIPT_COMMAND_LINE...

    python3 agent.py --seconds 5 examples/scripts/load.sh 'python3 examples/scripts/netdev.py'

Runs until Ctrl-C or SIGTERM (or for N seconds); the runtime's counters go to stderr at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

import gsp


def plain(value: Any) -> Any:
    """A record as JSON-ready data, enums by name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def to_json(record: gsp.Record) -> str:
    return json.dumps({"record": type(record).__name__, **plain(record)})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run generic scripts; print records as JSON.")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("scripts", nargs="+", metavar="SCRIPT", help="a script command line")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds

    with gsp.Runtime() as rt:
        for command_line in args.scripts:
            try:
                rt.add_script(command_line)
            except gsp.InvalidArgumentError as e:
                print(f"agent: {command_line!r}: {e}", file=sys.stderr)
                return 2
        while not stop.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            rt.tick()  # the host's clock; runs start on gsp's threads
            # Ticking about once a second is enough; records wake us early. The wait is sliced,
            # so a signal is handled within a fraction of a second.
            rt.wait(1.0 if left is None else min(1.0, left))
            for record in rt.records():
                print(to_json(record), flush=True)
        stats = rt.stats()
    print(f"agent: {stats}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
