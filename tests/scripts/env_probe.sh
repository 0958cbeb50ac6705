#!/bin/sh
# Reports which of the test's host variables reached the script (shells invent PATH, so the
# probe uses variables of its own), and GSP_TEST_VALUE.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "has GSP_HOST_A"}, {"id": 2, "name": "has GSP_HOST_B"}, {"id": 3, "name": "value"}]}'
  exit 0
fi
if [ -n "${GSP_HOST_A+x}" ]; then echo "M1 1"; else echo "M1 0"; fi
if [ -n "${GSP_HOST_B+x}" ]; then echo "M2 1"; else echo "M2 0"; fi
echo "M3 ${GSP_TEST_VALUE:-0}"
