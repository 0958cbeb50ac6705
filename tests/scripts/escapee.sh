#!/bin/sh
# Usage: escapee.sh PIDFILE -c|-d. Starts a helper in a new session (out of the process group),
# waits until it has left, records its pid, then exits (or, with ESCAPEE_HANG=1, hangs past
# maxruntime).
if [ "$2" = "-c" ]; then
  echo '{"maxruntime": 500, "metrics": [{"id": 1, "name": "ran"}]}'
  exit 0
fi
setsid sh -c 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0"; exec sleep 60' "$1" < /dev/null > /dev/null 2>&1 &
while [ ! -s "$1" ]; do sleep 0.05; done
echo "M1 1"
if [ "${ESCAPEE_HANG:-0}" = 1 ]; then sleep 30; fi
