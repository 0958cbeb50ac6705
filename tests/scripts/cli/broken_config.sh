#!/bin/sh
# A configuration with one of each field problem `gsp check` reports (line numbers matter:
# the tests expect them where they are).
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{
  "maxRuntime": 5000,
  "period": 10,
  "metrics": [
    {"id": 1, "description": "no name", "datatype": "GAUGEE", "calctype": "Instant"},
    {"id": 1, "name": "Again", "description": "same id", "datatype": "GAUGE", "calctype": "Instant"},
    {"id": 2, "name": "Speed", "description": "misspelt calctype", "datatype": "DOUBLE", "calctype": "Diference",
     "dimensions": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]},
    {"id": 3, "name": "Quiet", "datatype": "COUNT", "calctype": "Instant", "dimension": []}
  ]
}
JSON
  exit 0
fi
echo "M1 1"
echo "M2 2"
echo "M3 3"
