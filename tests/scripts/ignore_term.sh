#!/bin/sh
# Usage: ignore_term.sh PIDFILE -c|-d. Ignores SIGTERM and SIGHUP and never finishes.
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 300, "metrics": [{"id": 1, "name": "Never", "datatype": "DOUBLE"}]}'
  exit 0
fi
trap '' TERM HUP
echo "$$" > "$1"
while :; do sleep 1; done
