#!/bin/sh
# A clean configuration and data runs with every kind of bad line; metric 3 is never printed.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Good", "description": "printed fine", "datatype": "GAUGE", "calctype": "Instant",
   "dimensions": [{"id": 1, "name": "disk"}]},
  {"id": 2, "name": "Broken", "description": "printed without a value", "datatype": "GAUGE", "calctype": "Instant"},
  {"id": 3, "name": "Forgotten", "description": "never printed", "datatype": "GAUGE", "calctype": "Instant"}
 ],
 "events": [{"id": 1, "name": "Alarm", "description": "an alarm", "attributeDescriptions": []}]}
JSON
  exit 0
fi
echo 'M1 "1:sda" 5'
echo 'M2 '
echo 'M1 "1:sda" five'
echo 'M7 1'
echo 'M1 "2:sdb" 1'
echo 'E9 0 0 "undeclared" "{}" S'
echo 'hello world'
