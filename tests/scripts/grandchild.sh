#!/bin/sh
# Usage: grandchild.sh PIDFILE -c|-d. Exits at once, leaving a grandchild that holds stdout open.
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 20000, "metrics": [{"id": 1, "name": "Done", "datatype": "DOUBLE"}]}'
  exit 0
fi
sleep 30 &
echo "$!" > "$1"
echo "M1 1"
exit 0
