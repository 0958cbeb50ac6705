#!/usr/bin/env python3
"""ABI guard: every function in include/gsp.h has a doc comment that covers threading, and every
public struct's size and field offsets and every enum constant's value, read by a C compiler from
include/gsp.h, must equal the committed table tests/abi/abi.txt.

The probe is generated from the header, so a new field or constant is caught too. An intended ABI
change is a reviewed edit: run `python3 tests/abi/check.py --update` and commit the table.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "gsp.h"
TABLE = Path(__file__).resolve().parent / "abi.txt"


def declarations(header: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    text = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    structs = []
    for name, body in re.findall(r"typedef struct (gsp_\w+) \{(.*?)\} \1;", text, re.S):
        fields = [re.search(r"(\w+)\s*$", d.strip()).group(1) for d in body.split(";") if d.strip()]
        structs.append((name, fields))
    constants = re.findall(r"^\s*(GSP_[A-Z0-9_]+) =", text, re.M)
    return structs, constants


def probe_source(structs: list[tuple[str, list[str]]], constants: list[str]) -> str:
    out = ['#include <stdio.h>', '#include <stddef.h>', '#include "gsp.h"', "int main(void) {"]
    for name, fields in structs:
        out.append(f'  printf("struct {name} size %zu align %zu\\n", sizeof({name}), _Alignof({name}));')
        for f in fields:
            out.append(
                f'  printf("  {name}.{f} offset %zu size %zu\\n", offsetof({name}, {f}), sizeof((({name} *)0)->{f}));'
            )
    for c in constants:
        out.append(f'  printf("const {c} %lld\\n", (long long){c});')
    out += ["  return 0;", "}"]
    return "\n".join(out) + "\n"


def measure() -> str:
    structs, constants = declarations(HEADER.read_text())
    if not structs or not constants:
        sys.exit("check.py: found no structs or constants in include/gsp.h")
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "probe.c", Path(tmp) / "probe"
        src.write_text(probe_source(structs, constants))
        cc = os.environ.get("CC", "cc")
        flags = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
        subprocess.run([cc, *flags, f"-I{HEADER.parent}", "-o", str(exe), str(src)], check=True)
        return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


def undocumented_functions(header: str) -> list[str]:
    """Functions whose declaration lacks a doc comment that says how it behaves across threads."""
    lines = header.split("\n")
    bad = []
    for i, line in enumerate(lines):
        m = re.match(r"^(?:const char \*|gsp_status |void )(gsp_\w+)\(", line)
        if not m:
            continue
        j = i - 1
        while j > 0 and lines[i - 1].strip() == "*/" and not lines[j].strip().startswith("/**"):
            j -= 1
        doc = " ".join(lines[j:i]) if lines[i - 1].strip() == "*/" else ""
        if "thread" not in doc.lower():
            bad.append(m.group(1))
    return bad


def main() -> int:
    undocumented = undocumented_functions(HEADER.read_text())
    if undocumented:
        print(f"functions without a doc comment on threading in gsp.h: {', '.join(undocumented)}")
        return 1
    actual = measure()
    if "--update" in sys.argv:
        TABLE.write_text(actual)
        print(f"wrote {TABLE}")
        return 0
    expected = TABLE.read_text() if TABLE.exists() else ""
    if actual != expected:
        import difflib

        sys.stdout.writelines(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), "abi.txt (committed)", "include/gsp.h (now)"
            )
        )
        print("ABI changed: if intended, run `python3 tests/abi/check.py --update` and commit the table.")
        return 1
    print(f"ABI unchanged: {actual.count('struct ')} structs, {actual.count('const ')} constants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
