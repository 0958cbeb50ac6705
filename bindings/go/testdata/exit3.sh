#!/bin/sh
# Configures fine; every data run fails with exit status 3 after complaining on stderr.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Never", "datatype": "LONG"}]}'
  exit 0
fi
echo 'M1 1'
echo 'backend unreachable' >&2
exit 3
