#!/bin/sh
# sleeper.sh PIDFILE MAXRUNTIME_MS: data runs write their pid to PIDFILE and sleep 30 s, so they
# outlive a small maxruntime (a TIMEOUT) or are still running when the runtime is closed.
for mode; do :; done  # the mode (-c or -d) is the last argument
if [ "$mode" = "-c" ]; then
  echo "{\"maxruntime\": $2, \"period\": 60, \"metrics\": [{\"id\": 1, \"name\": \"Slow\", \"datatype\": \"DOUBLE\"}]}"
  exit 0
fi
echo $$ > "$1.tmp" && mv "$1.tmp" "$1"  # atomic: a reader never sees an empty file
exec sleep 30
