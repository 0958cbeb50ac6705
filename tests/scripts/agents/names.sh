#!/bin/sh
# Names that collectd's 127-byte parts and separators make hard: a metric name of 140 characters,
# dimension values with slashes, quotes, backslashes, control characters and 140 bytes of
# two-byte characters. The native plugin and gsp run --format collectd must name them alike.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60, "metrics": [
 {"id": 1, "name": "Requests served by the frontend load balancer Requests served by the frontend load balancer Requests served by the frontend load balancer", "description": "long", "datatype": "GAUGE", "calctype": "Instant"},
 {"id": 2, "name": "Température", "description": "odd values", "datatype": "GAUGE",
  "calctype": "Instant", "dimensions": [{"id": 1, "name": "path"}, {"id": 2, "name": "label"}]}
]}
JSON
  exit 0
fi
echo 'M1 1'
echo 'M2 "1:/srv/a\\b,2:say \"hi\"" 2'
echo 'M2 "1:éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé" 3'
printf 'M2 "1:tab\there\rcr" 4\n'
