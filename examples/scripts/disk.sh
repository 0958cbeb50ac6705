#!/bin/sh
# Disk usage per mount point: metrics with a dimension, and an event when a filesystem is fuller
# than DISK_EVENT_PCT percent (default 90; set it to 0 to see an event on any machine).
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 10000, "period": 60,
 "metrics": [
  {"id": 1, "name": "Disk used", "description": "Used space per mount point", "groups": "System/Disk",
   "unit": "%", "tags": "DISK", "datatype": "GAUGE", "calctype": "Instant",
   "dimensions": [{"id": 1, "name": "mount"}]}
 ],
 "events": [
  {"id": 1, "name": "Disk almost full", "description": "A filesystem is above the threshold",
   "attributeDescriptions": [{"name": "Used", "type": "integer", "unit": "%"}]}
 ]}
JSON
  exit 0
fi
threshold=${DISK_EVENT_PCT:-90}
df -P -x tmpfs -x devtmpfs -x overlay 2>/dev/null | awk -v t="$threshold" 'NR > 1 {
  pct = $5; sub(/%/, "", pct)
  printf "M1 \"1:%s\" %s\n", $6, pct
  if (pct + 0 >= t + 0)
    printf "E1 0 0 \"%s is %s%% full\" \"{\"Used\":%s}\" S\n", $6, pct, pct
}'
