#!/bin/sh
# Data runs take one second.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 10000, "metrics": [{"id": 1, "name": "Slept", "datatype": "DOUBLE"}]}'
  exit 0
fi
sleep 1
echo "M1 1"
