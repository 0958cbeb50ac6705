#!/bin/sh
# Usage: closed_stdout.sh PIDFILE -c|-d. Closes stdout and stderr, then keeps running.
if [ "$2" = "-c" ]; then echo '{"maxruntime": 500, "metrics": [{"id": 1}]}'; exit 0; fi
echo "$$" > "$1"
exec >&- 2>&-
sleep 30
