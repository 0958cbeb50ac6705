#!/usr/bin/env python3
"""Data mode leaves the process group gsp made for it (joins its parent's group), ignores
SIGTERM and sleeps: only a signal to the process itself ends it. With GSP_TEST_PIDFILE set,
writes its pid there once it has left the group."""
import os
import signal
import sys
import time

if sys.argv[-1] == "-c":
    print('{"maxruntime": 1000, "metrics": [{"id": 1, "name": "never", "datatype": "DOUBLE"}]}')
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.setpgid(0, os.getpgid(os.getppid()))
pidfile = os.environ.get("GSP_TEST_PIDFILE")
if pidfile:
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(pidfile + ".tmp", pidfile)
print("M1 1", flush=True)
time.sleep(3600)
