#!/bin/sh
# Configuration JSON with a missing comma on line 4.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{
  "maxruntime": 5000,
  "metrics": [
    {"id": 1, "name": "A" "datatype": "GAUGE"}
  ]
}
JSON
  exit 0
fi
echo "M1 1"
