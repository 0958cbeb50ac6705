#!/usr/bin/env python3
"""Reports what the child inherited: descriptors, process group, stdin (signals: signals.sh,
since Python changes its own signal dispositions at startup)."""
import os
import sys

if sys.argv[-1] == "-c":
    print('{"maxruntime": 5000, "metrics": ['
          '{"id": 1, "name": "fd", "datatype": "DOUBLE", "dimensions": [{"id": 1, "name": "fd"}]},'
          '{"id": 2, "name": "own process group", "datatype": "DOUBLE"},'
          '{"id": 5, "name": "stdin is /dev/null", "datatype": "DOUBLE"}]}')
    sys.exit(0)
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    print(f'M1 "1:{fd}" 1')
print(f"M2 {int(os.getpgrp() == os.getpid())}")
print(f"M5 {int(os.readlink('/proc/self/fd/0') == '/dev/null')}")
