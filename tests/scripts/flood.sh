#!/bin/sh
# Prints metric lines forever.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 20000, "metrics": [{"id": 1, "name": "Flood", "datatype": "DOUBLE"}]}'
  exit 0
fi
yes "M1 1"
