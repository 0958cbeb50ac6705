#!/usr/bin/env python3
"""A Python script's usual start-up cost, with a one-metric configuration."""
import sys

if sys.argv[-1] == "-c":
    print('{"maxruntime": 5000, "metrics": [{"id": 1, "name": "one", "datatype": "DOUBLE"}]}')
else:
    print("M1 1")
