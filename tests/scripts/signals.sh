#!/bin/sh
# Reports the signal dispositions and mask a child of the script inherits (as hex masks).
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "mask", "datatype": "DOUBLE", "dimensions": [{"id": 1, "name": "ignored"}, {"id": 2, "name": "blocked"}]}]}'
  exit 0
fi
ign=$(awk '/^SigIgn/ {print $2}' /proc/self/status)
blk=$(awk '/^SigBlk/ {print $2}' /proc/self/status)
echo "M1 \"1:$ign,2:$blk\" 1"
