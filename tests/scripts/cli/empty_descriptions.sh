#!/bin/sh
# 27 metrics with "description": "" (a deliberate choice, as in a public script) and one real
# problem: metric 27 is printed without a value.
if [ "$1" = "-c" ]; then
  printf '{"maxruntime": 5000, "period": 60, "metrics": [\n'
  i=1
  while [ $i -le 27 ]; do
    sep=","
    [ $i -eq 27 ] && sep=""
    printf '  {"id": %d, "name": "Metric %d", "description": "", "datatype": "GAUGE", "calctype": "Instant"}%s\n' $i $i "$sep"
    i=$((i + 1))
  done
  printf ']}\n'
  exit 0
fi
i=1
while [ $i -le 26 ]; do
  echo "M$i $i"
  i=$((i + 1))
done
echo "M27 "
