#!/bin/sh
# Usage: counter.sh DIR -c|-d. Prints the COUNTER value stored in DIR/value (Difference); the
# metric's name comes from DIR/name when it exists, so a test can change the configuration.
dir=$1
if [ "$2" = "-c" ]; then
  name=$(cat "$dir/name" 2>/dev/null || echo Total)
  echo "{\"maxruntime\": 5000, \"metrics\": [{\"id\": 1, \"name\": \"$name\", \"datatype\": \"COUNTER\", \"calctype\": \"Difference\", \"dimensions\": [{\"id\": 1, \"name\": \"series\"}]}]}"
  exit 0
fi
echo "M1 \"1:a\" $(cat "$dir/value")"
