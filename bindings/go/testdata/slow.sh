#!/bin/sh
# A data run that hangs: writes its pid to $GSP_TEST_PIDFILE (when set) and sleeps 30 s.
# maxruntime is $GSP_TEST_MAXRUNTIME ms (default 300).
if [ "$1" = "-c" ]; then
  echo "{\"maxruntime\": ${GSP_TEST_MAXRUNTIME:-300}, \"period\": 60, \"metrics\": [{\"id\": 1, \"name\": \"Late\", \"datatype\": \"LONG\"}]}"
  exit 0
fi
if [ -n "$GSP_TEST_PIDFILE" ]; then
  echo $$ > "$GSP_TEST_PIDFILE.tmp" && mv "$GSP_TEST_PIDFILE.tmp" "$GSP_TEST_PIDFILE"
fi
exec sleep 30
