#!/bin/sh
# Random binary output (under the stdout cap), then exit 0.
if [ "$1" = "-c" ]; then echo '{"maxruntime": 30000, "metrics": [{"id": 1}]}'; exit 0; fi
head -c 300000 /dev/urandom
echo; echo "M1 1"
