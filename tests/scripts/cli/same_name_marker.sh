#!/bin/sh
# Two metrics with the same name, and a probe that fails: it prints its failure marker (-1)
# as the value and complains on stderr.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60, "metrics": [
  {"id": 1, "name": "Requests", "description": "served", "datatype": "GAUGE", "calctype": "Instant"},
  {"id": 2, "name": "Requests", "description": "failed", "datatype": "GAUGE", "calctype": "Instant"}
]}
JSON
  exit 0
fi
echo "curl: (7) Failed to connect to localhost port 8080" >&2
echo "M1 -1"
echo "M2 0"
