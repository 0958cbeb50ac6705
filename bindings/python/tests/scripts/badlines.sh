#!/bin/sh
# Line 2 does not parse and line 3 names an undeclared metric; lines 1 and 4 are still delivered.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Good", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo 'M1 1'
echo 'this is not a metric'
echo 'M9 5'
echo 'M1 2'
