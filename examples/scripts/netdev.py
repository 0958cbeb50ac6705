#!/usr/bin/env python3
"""Network traffic per interface: dimensions and Difference on COUNTER totals.

The script prints the kernel's running byte totals; gsp's Difference calctype turns them into
bytes per period (the first run emits nothing, a counter reset emits nothing).
"""
import json
import sys

CONFIG = {
    "maxruntime": 5000,
    "period": 60,
    "metrics": [
        {"id": 1, "name": "Bytes received", "description": "Bytes received per period",
         "groups": "Networking/Traffic", "unit": "B", "tags": "NETWORK",
         "datatype": "COUNTER", "calctype": "Difference",
         "dimensions": [{"id": 1, "name": "interface"}]},
        {"id": 2, "name": "Bytes sent", "description": "Bytes sent per period",
         "groups": "Networking/Traffic", "unit": "B", "tags": "NETWORK",
         "datatype": "COUNTER", "calctype": "Difference",
         "dimensions": [{"id": 1, "name": "interface"}]},
    ],
}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[-1] == "-c":
        print(json.dumps(CONFIG, indent=2))
        return 0
    with open("/proc/net/dev", encoding="ascii") as f:
        for line in f.readlines()[2:]:
            name, fields = line.split(":", 1)
            values = fields.split()
            print(f'M1 "1:{name.strip()}" {values[0]}')
            print(f'M2 "1:{name.strip()}" {values[8]}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
