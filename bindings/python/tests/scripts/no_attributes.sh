#!/bin/sh
# An event declared without attributes, a metric without dimensions, and one event occurrence.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Up", "datatype": "GAUGE"}], "events": [{"id": 1, "name": "Restart", "description": "The service restarted"}]}'
  exit 0
fi
echo 'M1 1'
echo 'E1 0 0 "restarted" "{}" S'
