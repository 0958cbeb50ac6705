#!/bin/sh
# Configures fine, then every data run fails with exit status 3 after a line on stderr.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [{"id": 1, "name": "Never", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo 'M1 1'
echo 'disk on fire' >&2
exit 3
