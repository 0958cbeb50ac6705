#!/bin/sh
# Declares metric ids 0..2 but prints M1..M3 (an off-by-one seen in public scripts); the value
# of M3 changes from run to run (the shell's pid), as real values do.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60, "metrics": [
  {"id": 0, "name": "Load 1", "description": "1-minute load", "datatype": "DOUBLE", "calctype": "Instant"},
  {"id": 1, "name": "Load 5", "description": "5-minute load", "datatype": "DOUBLE", "calctype": "Instant"},
  {"id": 2, "name": "Load 15", "description": "15-minute load", "datatype": "DOUBLE", "calctype": "Instant"}
]}
JSON
  exit 0
fi
echo "M1 0.5"
echo "M2 0.4"
echo "M3 $$"
