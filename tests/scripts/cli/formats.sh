#!/bin/sh
# Usage: formats.sh STATE_DIR -c|-d. Names, types and values that stress the output formats:
# two metrics named alike, a Difference COUNTER (+100 per run, kept in STATE_DIR/count), units,
# a dimension named "script", dimension values with quotes, commas, equals signs, spaces and
# backslashes, and an event whose message and attributes hold quotes.
dir=$1
if [ "$2" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Disk used", "description": "Used space", "unit": "%", "datatype": "GAUGE",
   "calctype": "Instant", "dimensions": [{"id": 1, "name": "Mount point"}]},
  {"id": 2, "name": "Requests", "description": "Requests served", "datatype": "COUNTER",
   "calctype": "Instant"},
  {"id": 3, "name": "Requests", "description": "Requests waiting", "datatype": "GAUGE",
   "calctype": "Instant"},
  {"id": 4, "name": "Bytes received", "description": "Bytes per period", "unit": "B",
   "datatype": "COUNTER", "calctype": "Difference", "dimensions": [{"id": 1, "name": "interface"}]},
  {"id": 5, "name": "Odd labels", "description": "Awkward \"dimension\" values \\ here",
   "datatype": "DOUBLE", "calctype": "Instant",
   "dimensions": [{"id": 1, "name": "script"}, {"id": 2, "name": "path"}]}
 ],
 "events": [{"id": 1, "name": "Disk full", "description": "A disk filled up",
   "attributeDescriptions": [{"name": "Used", "type": "integer", "unit": "%"}]}]}
JSON
  exit 0
fi
count=$(cat "$dir/count" 2>/dev/null || echo 1000)
count=$((count + 100))
echo "$count" > "$dir/count"
echo 'M1 "1:/" 42.5'
echo 'M1 "1:/var/log dir" 7'
echo 'M2 17'
echo 'M3 3'
echo "M4 \"1:eth0\" $count"
echo 'M5 "1:say "hi", a=b c\d,2:C:\" -1.5e-7'
echo 'E1 -60 0 "Disk "/" is full" "{"Used":95,"Path":"/"}" S'
