#!/bin/sh
# Data mode fails with a message on stderr.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Up", "description": "service up", "datatype": "GAUGE", "calctype": "Instant"}]}'
  exit 0
fi
echo "check_service: connection refused" >&2
exit 2
