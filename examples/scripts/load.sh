#!/bin/sh
# Load averages: metrics without dimensions (the original line form `M1 0.42`).
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{
  "maxruntime": 5000,
  "period": 60,
  "metrics": [
    {"id": 1, "name": "Load average 1m", "description": "Run-queue length averaged over 1 minute",
     "groups": "System/Load", "unit": "", "tags": "", "datatype": "DOUBLE", "calctype": "Instant"},
    {"id": 2, "name": "Load average 5m", "description": "Run-queue length averaged over 5 minutes",
     "groups": "System/Load", "unit": "", "tags": "", "datatype": "DOUBLE", "calctype": "Instant"},
    {"id": 3, "name": "Load average 15m", "description": "Run-queue length averaged over 15 minutes",
     "groups": "System/Load", "unit": "", "tags": "", "datatype": "DOUBLE", "calctype": "Instant"}
  ]
}
JSON
  exit 0
fi
read -r one five fifteen _ < /proc/loadavg
echo "M1 $one"
echo "M2 $five"
echo "M3 $fifteen"
