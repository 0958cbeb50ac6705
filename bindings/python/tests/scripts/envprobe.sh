#!/bin/sh
# Reports what a run gets: two environment variables, the working directory, the open-files and
# CPU-time limits and the user id as dimensions of M1, and the nice level as M2.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [
    {"id": 1, "name": "Probe", "datatype": "DOUBLE", "dimensions": [
      {"id": 1, "name": "host_var"}, {"id": 2, "name": "extra_var"}, {"id": 3, "name": "cwd"},
      {"id": 4, "name": "nofile"}, {"id": 5, "name": "cpu"}, {"id": 6, "name": "uid"}]},
    {"id": 2, "name": "Nice", "datatype": "DOUBLE"}]}'
  exit 0
fi
echo "M1 \"1:${GSP_TEST_HOST_VAR:-unset},2:${GSP_TEST_EXTRA:-unset},3:$(pwd),4:$(ulimit -n),5:$(ulimit -t),6:$(id -u)\" 1"
echo "M2 $(nice)"
