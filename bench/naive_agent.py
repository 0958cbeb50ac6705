#!/usr/bin/env python3
"""The naive peer: what an agent author writes without gsp. Runs SCRIPT -d N times with
subprocess.run and splits the metric lines. Prints runs, wall seconds and this process's own
CPU seconds (children excluded)."""
import json
import resource
import subprocess
import sys
import time


def main() -> None:
    n, script = int(sys.argv[1]), sys.argv[2]
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_SELF)
    values = 0
    for _ in range(n):
        out = subprocess.run([script, "-d"], capture_output=True, check=False).stdout
        for line in out.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith("M"):
                float(parts[-1])
                values += 1
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"runs": n, "wall_s": wall, "cpu_s": cpu, "values": values}))


if __name__ == "__main__":
    main()
