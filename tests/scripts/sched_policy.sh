#!/bin/sh
# Prints its own scheduling policy (field 41 of /proc/PID/stat) as M1 (tests/scheduling.rs).
if [ "$1" = -c ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id":1,"datatype":"DOUBLE"}]}'
  exit 0
fi
stat=$(cat /proc/$$/stat)
set -- ${stat##*) }
shift 38
echo "M1 $1"
