#!/bin/sh
# An endless stream of NUL bytes.
if [ "$1" = "-c" ]; then echo '{"maxruntime": 30000, "metrics": [{"id": 1}]}'; exit 0; fi
cat /dev/zero
