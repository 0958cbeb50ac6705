#!/bin/sh
# Two events: a server event with unescaped JSON attributes at "now", and an application event
# that started 30 s before the run.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "period": 60, "metrics": [], "events": [
    {"id": 1, "name": "Process died", "description": "A worker exited",
     "attributeDescriptions": [{"name": "Exit code", "type": "integer"},
                               {"name": "Uptime", "type": "integer", "unit": "s"}]},
    {"id": 2, "name": "App restarted", "description": "The application restarted"}]}'
  exit 0
fi
echo 'E1 0 0 "worker died" "{"Exit code":137,"Uptime":42}" S'
echo 'E2 -30 0 "app restarted" "" A'
