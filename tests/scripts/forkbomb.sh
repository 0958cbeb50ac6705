#!/bin/sh
# A fork bomb in data mode.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 2000, "metrics": [{"id": 1, "name": "never"}]}'
  exit 0
fi
bomb() { bomb | bomb & }
bomb
while :; do :; done  # builtins only: keeps running until the timeout without forking
