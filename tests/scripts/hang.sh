#!/bin/sh
# Usage: hang.sh PIDFILE -c|-d. Data mode starts a grandchild, appends both pids to PIDFILE and
# runs far longer than any test (maxruntime 50 s), so only a removal or a free ends it.
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 50000, "metrics": [{"id": 1, "name": "Never"}]}'
  exit 0
fi
sleep 30 &
echo "$$ $!" >> "$1"
sleep 30
