#!/bin/sh
# The script of the package example: one metric with a dimension.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Temperature", "unit": "C", "datatype": "GAUGE", "dimensions": [{"id": 1, "name": "sensor"}]}]}'
  exit 0
fi
echo 'M1 "1:cpu" 42.5'
