#!/usr/bin/env python3
"""Enlarges its stdout pipe to 1 MiB (F_SETPIPE_SZ), writes about 1 MiB of metric lines at once
and exits, before gsp starts watching the pipe: every line must still arrive."""
import fcntl
import sys

LINES = 80_000
if sys.argv[-1] == "-c":
    print('{"maxruntime": 10000, "metrics": [{"id": 1, "name": "n", "datatype": "DOUBLE"}]}')
    sys.exit(0)
fcntl.fcntl(1, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
data = "".join(f"M1 {i:08d}\n" for i in range(LINES)).encode()
assert len(data) <= 1 << 20
sys.stdout.buffer.write(data)
sys.stdout.buffer.flush()
