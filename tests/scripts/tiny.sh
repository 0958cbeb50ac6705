#!/bin/sh
# The smallest useful script: one metric with a dimension.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 10000, "metrics": [{"id": 1, "name": "One", "datatype": "COUNTER", "calctype": "Difference", "dimensions": [{"id": 1, "name": "d"}]}]}'
  exit 0
fi
echo "M1 \"1:x\" $$"
