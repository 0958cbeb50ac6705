#!/bin/sh
# Asks for a period below the minimum and a maxruntime above the maximum.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 99999, "period": 10, "metrics": [{"id": 1, "name": "x", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo "M1 1"
