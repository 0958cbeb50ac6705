#!/bin/sh
# A 100 MB line without a newline.
if [ "$1" = "-c" ]; then echo '{"maxruntime": 30000, "metrics": [{"id": 1}]}'; exit 0; fi
head -c 100000000 /dev/zero | tr '\0' 'a'
