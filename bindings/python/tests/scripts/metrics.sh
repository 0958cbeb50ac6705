#!/bin/sh
# Two metrics: M1 with a dimension list (two dimensions declared), M2 without one.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Traffic", "description": "Bytes per interface", "groups": "Net/Traffic",
   "unit": "B", "tags": "NETWORK", "datatype": "GAUGE", "calctype": "Instant",
   "dimensions": [{"id": 1, "name": "interface"}, {"id": 2, "name": "direction"}]},
  {"id": 2, "name": "Processes", "description": "Process count", "groups": "System",
   "unit": "", "tags": "", "datatype": "DOUBLE", "calctype": "Instant"}
 ]}
JSON
  exit 0
fi
echo 'M1 "1:eth0" 8.5'
echo 'M1 "1:lo,2:rx" 3'
echo 'M2 12'
