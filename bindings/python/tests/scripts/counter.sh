#!/bin/sh
# A Difference COUNTER (1000, then 1150 on every later run, tracked in the file $GSP_STATE) and
# an Instant marker M2 that shows each data run happened.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [
    {"id": 1, "name": "Bytes", "datatype": "COUNTER", "calctype": "Difference",
     "dimensions": [{"id": 1, "name": "interface"}]},
    {"id": 2, "name": "Runs", "datatype": "DOUBLE", "calctype": "Instant"}]}'
  exit 0
fi
if [ -f "$GSP_STATE" ]; then value=1150; else value=1000; : > "$GSP_STATE"; fi
echo "M1 \"1:eth0\" $value"
echo "M2 1"
