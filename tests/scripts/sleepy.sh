#!/bin/sh
# Usage: sleepy.sh PIDFILE -c|-d. Data mode starts a grandchild that holds stdout, records both
# pids, and sleeps far past its 300 ms maxruntime.
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 300, "metrics": [{"id": 1, "name": "Never", "datatype": "DOUBLE"}]}'
  exit 0
fi
sleep 30 &
echo "$$ $!" > "$1"
echo "M1 1"
sleep 30
