#!/bin/sh
# One metric, period 60; for tests that run it more often with --period-override.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Tick", "description": "always 1", "datatype": "GAUGE", "calctype": "Instant"}]}'
  exit 0
fi
echo "M1 1"
