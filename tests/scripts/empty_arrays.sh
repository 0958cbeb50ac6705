#!/bin/sh
# Every array a record can carry, empty: a metric without dimensions, an event without
# attribute descriptions, a metric line without a dimension list.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "Bare", "datatype": "DOUBLE"}], "events": [{"id": 1, "name": "Plain"}]}'
  exit 0
fi
echo "M1 1.5"
echo 'E1 0 0 "nothing attached" "{ }"'
