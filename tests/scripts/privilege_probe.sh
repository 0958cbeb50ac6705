#!/bin/sh
# Reports what privileges a script holds: ids, every supplementary group, the capability sets,
# no_new_privs, and whether it can become root.
if [ "$1" = "-c" ]; then
  echo '{"maxruntime": 5000, "metrics": [{"id": 1, "name": "privilege", "dimensions": [{"id": 1, "name": "what"}, {"id": 2, "name": "value"}]}]}'
  exit 0
fi
awk '/^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs):/ {
  v = ""; for (i = 2; i <= NF; i++) v = v (i > 2 ? " " : "") $i
  sub(":", "", $1); print "M1 \"1:" $1 ",2:" v "\" 1"
}' /proc/self/status
if python3 -c 'import os; os.setuid(0)' 2>/dev/null; then root=yes; else root=no; fi
echo "M1 \"1:setuid0,2:$root\" 1"
