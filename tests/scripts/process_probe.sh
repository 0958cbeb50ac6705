#!/bin/sh
# Reports the working directory, user, group, nice level and resource limits a script gets.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "probe", "dimensions": [{"id": 1, "name": "what"}, {"id": 2, "name": "value"}]}]}'
  exit 0
fi
echo "M1 \"1:cwd,2:$(pwd)\" 1"
awk '/^Uid:/ {print "M1 \"1:uid,2:" $2 "\" 1"} /^Gid:/ {print "M1 \"1:gid,2:" $2 "\" 1"} /^Groups:/ {print "M1 \"1:groups,2:" $2 "\" 1"}' /proc/self/status
awk '{print "M1 \"1:nice,2:" $19 "\" 1"}' /proc/self/stat
awk -F'  +' '/^Max (cpu time|open files|processes|address space)/ {print "M1 \"1:" $1 ",2:" $2 "\" 1"}' /proc/self/limits
