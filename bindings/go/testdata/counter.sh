#!/bin/sh
# A Difference counter that grows by 5 per run (state in $GSP_TEST_STATE), and an Instant
# run number, so a test can tell a run finished even when Difference emits nothing.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Bytes", "datatype": "COUNTER", "calctype": "Difference",
   "dimensions": [{"id": 1, "name": "iface"}]},
  {"id": 2, "name": "Run", "datatype": "LONG", "calctype": "Instant"}
 ]}
JSON
  exit 0
fi
n=$(cat "$GSP_TEST_STATE" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$GSP_TEST_STATE"
echo "M1 \"1:eth0\" $((1000 + 5 * n))"
echo "M2 $n"
