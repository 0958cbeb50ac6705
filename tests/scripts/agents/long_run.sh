#!/bin/sh
# Usage: long_run.sh PIDFILE -c|-d. Data runs record their pid and sleep 45 s (maxruntime 50 s):
# a run still going when the agent stops, which the agent's shutdown must kill.
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 50000, "period": 60, "metrics": [{"id": 1, "name": "Never", "description": "never printed", "datatype": "GAUGE", "calctype": "Instant"}]}'
  exit 0
fi
echo "$$" > "$1"
exec sleep 45
