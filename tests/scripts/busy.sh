#!/bin/sh
# Data runs burn CPU for a while (for per-script cost accounting).
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 20000, "metrics": [{"id": 1, "name": "Busy", "datatype": "DOUBLE"}]}'
  exit 0
fi
i=0
while [ $i -lt 200000 ]; do i=$((i + 1)); done
echo "M1 $i"
