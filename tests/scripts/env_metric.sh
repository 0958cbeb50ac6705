#!/bin/sh
# One metric with a dimension whose value comes from the environment (GSP_TEST_VALUE).
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "From env", "datatype": "DOUBLE", "calctype": "Instant", "dimensions": [{"id": 1, "name": "source"}]}]}'
  exit 0
fi
echo "M1 \"1:env\" ${GSP_TEST_VALUE:-}"
