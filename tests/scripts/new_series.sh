#!/bin/sh
# A Difference metric whose dimension values are new every run (they carry the pid), as a
# script that puts a request id or a timestamp into a dimension does.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "Requests", "datatype": "COUNTER", "calctype": "Difference", "dimensions": [{"id": 1, "name": "request"}]}]}'
  exit 0
fi
i=0
while [ $i -lt 50 ]; do
  echo "M1 \"1:$$-$i\" $i"
  i=$((i + 1))
done
