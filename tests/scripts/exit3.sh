#!/bin/sh
# Prints a metric and an error, then exits 3: the output must not be parsed.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "Ignored", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo "M1 1"
echo "check_thing: connection refused" >&2
exit 3
