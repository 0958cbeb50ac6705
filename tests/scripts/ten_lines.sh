#!/bin/sh
# Ten data lines, half of them with a dimension: a small run (tests/allocations.rs).
if [ "$1" = -c ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id":1,"datatype":"DOUBLE"},{"id":2,"datatype":"DOUBLE"},{"id":3,"datatype":"DOUBLE"},{"id":4,"datatype":"DOUBLE"},{"id":5,"datatype":"DOUBLE","dimensions":[{"id":1,"name":"if"}]}]}'
  exit 0
fi
printf 'M1 1.5\nM2 2.5\nM3 3.5\nM4 4.5\nM5 "1:eth0" 1\nM5 "1:eth1" 2\nM5 "1:eth2" 3\nM5 "1:eth3" 4\nM5 "1:eth4" 5\nM5 "1:eth5" 6\n'
