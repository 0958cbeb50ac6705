#!/bin/sh
# Exits 0 with a warning on stderr: data is delivered and the stderr becomes a warning.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "Value", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo "M1 4"
echo "warning: cache is stale" >&2
