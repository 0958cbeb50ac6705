#!/bin/sh
# A script `gsp check` passes without a warning: every field declared, every metric reported,
# a Difference COUNTER (fed from /proc/uptime, which only grows) and an event on every run.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{
  "maxruntime": 5000,
  "period": 60,
  "metrics": [
    {"id": 1, "name": "Disk used", "description": "Used space per mount point", "groups": "System/Disk",
     "unit": "%", "tags": "DISK", "datatype": "GAUGE", "calctype": "Instant",
     "dimensions": [{"id": 1, "name": "mount"}]},
    {"id": 2, "name": "Uptime ticks", "description": "Centiseconds since boot, per period",
     "groups": "System", "unit": "", "tags": "", "datatype": "COUNTER", "calctype": "Difference"}
  ],
  "events": [
    {"id": 1, "name": "Heartbeat", "description": "Emitted on every run",
     "attributeDescriptions": [{"name": "Run", "type": "integer", "unit": ""}]}
  ]
}
JSON
  exit 0
fi
echo 'M1 "1:/" 42.5'
echo "M2 $(cut -d' ' -f1 /proc/uptime | tr -d .)"
echo 'E1 0 0 "still alive" "{"Run":1}" S'
