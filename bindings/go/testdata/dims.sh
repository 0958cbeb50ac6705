#!/bin/sh
# Metrics with and without a dimension, an event, and one line naming an undeclared metric.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Speed", "description": "Link speed", "groups": "Net", "unit": "Gb/s",
   "tags": "NET", "datatype": "GAUGE", "calctype": "Instant", "dimensions": [{"id": 1, "name": "iface"}]},
  {"id": 2, "name": "Sessions", "datatype": "LONG", "calctype": "Instant"}
 ],
 "events": [
  {"id": 1, "name": "Crash", "description": "A process died",
   "attributeDescriptions": [{"name": "Exit code", "type": "integer", "unit": ""}]}
 ]}
JSON
  exit 0
fi
echo 'M1 "1:eth0" 8.5'
echo 'M2 12'
echo 'E1 0 0 "worker died" "{"Exit code":137}" S'
echo 'M7 3'
