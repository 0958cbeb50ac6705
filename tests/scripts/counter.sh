#!/bin/sh
# Usage: counter.sh DIR -c|-d. Prints the COUNTER value stored in DIR/value (Difference).
dir=$1
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "Total", "datatype": "COUNTER", "calctype": "Difference", "dimensions": [{"id": 1, "name": "series"}]}]}'
  exit 0
fi
echo "M1 \"1:a\" $(cat "$dir/value")"
