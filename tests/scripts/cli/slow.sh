#!/bin/sh
# Data runs take 2.5 s of a 3000 ms maxruntime (83%).
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 3000, "period": 60, "metrics": [{"id": 1, "name": "Slow", "description": "takes its time", "datatype": "GAUGE", "calctype": "Instant"}]}'
  exit 0
fi
sleep 2.5
echo "M1 1"
