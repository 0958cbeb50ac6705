#!/bin/sh
# Writes terminal control characters (ESC, BEL, CR) to stderr and more lines than a tiny queue
# holds to stdout.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "n", "datatype": "DOUBLE"}]}'
  exit 0
fi
printf 'warning: \033[31mred\033[0m\a\r\n' >&2
for i in 1 2 3 4 5 6 7 8 9 10; do echo "M1 $i"; done
