#!/bin/sh
# Usage: grandchildren.sh PIDFILE -c|-d. Leaves 50 grandchildren holding stdout open.
if [ "$2" = "-c" ]; then echo '{"maxruntime": 30000, "metrics": [{"id": 1}]}'; exit 0; fi
i=0; pids=""
while [ $i -lt 50 ]; do sleep 60 & pids="$pids $!"; i=$((i + 1)); done
echo "$pids" > "$1"
echo "M1 1"
