#!/usr/bin/env python3
"""A configuration of 100,000 metrics, each of which earns a note (no datatype), and a data run
with one value: the configuration record must reach a host whose queue is small."""
import json
import sys

if sys.argv[-1] == "-c":
    metrics = [{"id": i, "name": f"m{i}"} for i in range(1, 100_001)]
    json.dump({"maxruntime": 10000, "metrics": metrics}, sys.stdout)
    sys.exit(0)
print("M1 1")
