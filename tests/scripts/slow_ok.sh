#!/bin/sh
# Data runs take about 3 s (for overrun tests).
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 50000, "metrics": [{"id": 1, "name": "Slow", "datatype": "DOUBLE"}]}'
  exit 0
fi
sleep 3
echo "M1 1"
