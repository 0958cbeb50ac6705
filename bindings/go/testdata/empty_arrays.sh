#!/bin/sh
# Every array of the C ABI that can be empty is: no events, 20 metrics without dimensions (the
# last declaring "dimensions": []), and samples without dimension values.
if [ "$1" = "-c" ]; then
  printf '{"maxruntime": 5000, "period": 60, "metrics": ['
  for i in $(seq 1 19); do printf '{"id": %d, "name": "Plain %d", "datatype": "GAUGE"}, ' "$i" "$i"; done
  printf '{"id": 20, "name": "Bare", "datatype": "LONG", "dimensions": []}]}\n'
  exit 0
fi
for i in $(seq 1 20); do echo "M$i $i"; done
