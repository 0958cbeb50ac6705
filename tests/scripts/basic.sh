#!/bin/sh
# Every metric and event line shape, plus one undeclared metric id.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{
  "maxruntime": 5000,
  "period": 60,
  "metrics": [
    {"id": 1, "name": "Plain", "datatype": "DOUBLE", "calctype": "Instant"},
    {"id": 2, "name": "Traffic", "datatype": "GUAGE", "calctype": "Instant",
     "dimensions": [{"id": 1, "name": "interface"}, {"id": 2, "name": "direction"}]}
  ],
  "events": [
    {"id": 1, "name": "Exit", "attributeDescriptions": [{"name": "Exit code", "type": "integer"}]}
  ]
}
JSON
  exit 0
fi
echo "M1 8.5"
printf 'M2 "1:eth0,2:rx"\t 12\r\n'
echo 'M2 "" 3'
echo 'M9 1'
echo 'E1 -300 0 "The event triggered" "{"Exit code":137}" S'
