#!/bin/sh
# Reports the working directory, two environment variables and the nice level it runs with.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "probe", "dimensions": [{"id": 1, "name": "what"}, {"id": 2, "name": "value"}]}]}'
  exit 0
fi
echo "M1 \"1:cwd,2:$(pwd)\" 1"
echo "M1 \"1:allowed,2:${GSP_GO_ALLOWED:-unset}\" 1"
echo "M1 \"1:hidden,2:${GSP_GO_HIDDEN:-unset}\" 1"
awk '{print "M1 \"1:nice,2:" $19 "\" 1"}' /proc/self/stat
