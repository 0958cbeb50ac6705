#!/bin/sh
# Output that tries to break gsp's bridges (issue 11, item 18): CR, VT, FF, tab, NUL, NEL and
# U+2028 in HELP text, dimension values and an event message, each trying to start a line
# `gsp_injected 666` of its own, and an event time past the int64 nanosecond range.
if [ "$1" = "-c" ]; then
  cat <<'JSON'
{"maxruntime": 5000, "period": 60,
 "metrics": [{"id": 1, "name": "Hostile", "description": "cr\rgsp_injected 666\u000bvt\u000cff\u0085nel\u2028ls\ttab\u0000nul",
   "datatype": "GAUGE", "calctype": "Instant", "dimensions": [{"id": 1, "name": "where"}]}],
 "events": [{"id": 1, "name": "Far future", "description": "an event after 2262"}]}
JSON
  exit 0
fi
printf 'M1 "1:cr\rgsp_injected 666\r" 1\n'
printf 'M1 "1:vt\vgsp_injected 666\fff" 2\n'
printf 'M1 "1:tab\tnul\000end" 3\n'
printf 'M1 "1:nel\302\205gsp_injected 666\342\200\250ls" 4\n'
printf 'E1 99999999999 99999999999 "msg\rgsp_injected 666\tx" "{}" S\n'
