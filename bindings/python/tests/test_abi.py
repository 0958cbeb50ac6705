"""The ctypes declarations match include/gsp.h, as the C compiler sees it.

A probe generated from the header's own struct, enum and prototype lists is compiled against the
real header; it prints every struct's size and alignment, every field's offset, size and kind,
and every enum constant. Anything the header has that the binding lacks (or the reverse) fails.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gsp import _ffi
from gsp._enum import C_ENUMS
from gsp._loader import BINDING_VERSION
from support import REPO

HEADER = REPO / "include" / "gsp.h"


def header_text() -> str:
    if not HEADER.is_file():
        pytest.fail(f"{HEADER} not found: the tests must run from a gsp checkout")
    # Comments carry prose (and words like `struct`) that would confuse the parsing below.
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", HEADER.read_text(), flags=re.S)


def header_structs(text: str) -> dict[str, list[str]]:
    """struct name -> field names, from `typedef struct gsp_x { ... } gsp_x;`."""
    out = {}
    for name, body in re.findall(r"typedef struct (gsp_\w+) \{(.*?)\} \1;", text, flags=re.S):
        out[name] = [re.findall(r"(\w+)\s*$", decl)[0] for decl in body.split(";") if decl.strip()]
    return out


def header_enums(text: str) -> dict[str, list[str]]:
    """enum name -> constant names."""
    out = {}
    for name, body in re.findall(
        r"enum (gsp_\w+)\s*(?:#if.*?#endif[^\n]*)?\s*\{(.*?)\};", text, flags=re.S
    ):
        out[name] = re.findall(r"(GSP_\w+)\s*=", body)
    return out


def header_functions(text: str) -> dict[str, tuple[str, list[str]]]:
    """function -> (return type, parameter types without names), normalized."""
    out = {}
    for ret, name, params in re.findall(
        r"^(const char \*|gsp_status|void)\s*(gsp_\w+)\((.*?)\);", text, flags=re.S | re.M
    ):
        types = []
        for p in params.split(","):
            p = " ".join(p.split())
            if p in ("void", ""):
                continue
            # Drop the parameter name, `struct` and `const`: "const struct gsp_runtime *rt"
            # -> "gsp_runtime *".
            p = re.sub(r"\b(const|struct)\b", "", re.sub(r"\w+$", "", p))
            types.append(" ".join(p.replace("*", " * ").split()))
        out[name] = (" ".join(ret.replace("const", "").split()), types)
    return out


# How a normalized C type is spelled in ctypes.
C_TYPES: dict[str, Any] = {
    "char *": ctypes.c_char_p,
    "gsp_status": ctypes.c_uint32,
    "void": None,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "uint64_t *": ctypes.POINTER(ctypes.c_uint64),
    "uint32_t *": ctypes.POINTER(ctypes.c_uint32),
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "void *": ctypes.c_void_p,
    "gsp_runtime *": ctypes.c_void_p,
    "gsp_runtime * *": ctypes.POINTER(ctypes.c_void_p),
    "gsp_options *": ctypes.POINTER(_ffi.COptions),
    "gsp_stats *": ctypes.POINTER(_ffi.CStats),
    "gsp_script_stats *": ctypes.POINTER(_ffi.CScriptStats),
    "gsp_record_fn": _ffi.RECORD_FN,
}

# _Generic names the kind of a field's type: signed/unsigned integer, floating, string, pointer.
PROBE_PRELUDE = r"""
#include <stddef.h>
#include <stdio.h>
#include "gsp.h"
#define KIND(x) _Generic((x), \
  float: 'f', double: 'f', \
  signed char: 'i', short: 'i', int: 'i', long: 'i', long long: 'i', \
  _Bool: 'u', unsigned char: 'u', unsigned short: 'u', unsigned int: 'u', unsigned long: 'u', \
  unsigned long long: 'u', \
  char *: 's', const char *: 's', \
  default: 'p')
#define FIELD(T, f) printf("field %s %s %zu %zu %c\n", #T, #f, offsetof(T, f), \
  sizeof(((T *)0)->f), KIND(((T *)0)->f))
int main(void) {
  printf("define GSP_VERSION_MAJOR %d\n", GSP_VERSION_MAJOR);
  printf("define GSP_VERSION_MINOR %d\n", GSP_VERSION_MINOR);
"""


def ctypes_kind(t: Any) -> str:
    if t is ctypes.c_char_p:
        return "s"
    if t in (ctypes.c_double, ctypes.c_float):
        return "f"
    if issubclass(t, (ctypes._Pointer, ctypes.c_void_p)):
        return "p"
    # A signed integer type stores -1 as -1; an unsigned one wraps it.
    return "i" if t(-1).value == -1 else "u"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the C compiler says about the header, for every struct and enum the header has."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler (cc, gcc or clang) to check the ctypes layout against gsp.h")
    text = header_text()
    lines = [PROBE_PRELUDE]
    for struct, fields in header_structs(text).items():
        lines.append(
            f'  printf("struct {struct} %zu %zu\\n", sizeof({struct}), _Alignof({struct}));'
        )
        lines += [f"  FIELD({struct}, {f});" for f in fields]
    for constants in header_enums(text).values():
        lines += [f'  printf("const {c} %lld\\n", (long long){c});' for c in constants]
    lines.append("  return 0;\n}\n")
    work = tmp_path_factory.mktemp("abi")
    src, exe = work / "probe.c", work / "probe"
    src.write_text("\n".join(lines))
    build = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Werror", "-I", str(HEADER.parent), str(src), "-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, f"probe did not compile:\n{build.stderr}"
    run = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    out: dict[str, Any] = {"struct": {}, "field": {}, "const": {}, "define": {}}
    for line in run.stdout.splitlines():
        what, *rest = line.split()
        if what == "struct":
            out["struct"][rest[0]] = (int(rest[1]), int(rest[2]))
        elif what == "field":
            out["field"][(rest[0], rest[1])] = (int(rest[2]), int(rest[3]), rest[4])
        else:
            out[what][rest[0]] = int(rest[1])
    return out


def test_every_struct_matches(probe: dict[str, Any]) -> None:
    text = header_text()
    structs = header_structs(text)
    assert set(structs) == set(_ffi.C_STRUCTS), "structs in gsp.h vs. _ffi.C_STRUCTS"
    for name, cls in _ffi.C_STRUCTS.items():
        declared = [f[0] for f in cls._fields_]
        assert declared == structs[name], f"{name}: field names/order differ from gsp.h"
        assert probe["struct"][name] == (ctypes.sizeof(cls), ctypes.alignment(cls)), name
        for field in cls._fields_:
            field_name, field_type = field[0], field[1]
            member = getattr(cls, field_name)
            ours = (member.offset, member.size, ctypes_kind(field_type))
            assert probe["field"][(name, field_name)] == ours, f"{name}.{field_name}"


def test_every_enum_matches(probe: dict[str, Any]) -> None:
    enums = header_enums(header_text())
    assert set(enums) == set(C_ENUMS), "enums in gsp.h vs. _enum.C_ENUMS"
    for c_name, (py_enum, prefix) in C_ENUMS.items():
        header_values = {c.removeprefix(prefix): probe["const"][c] for c in enums[c_name]}
        ours = {m.name: m.value for m in py_enum}
        assert ours == header_values, c_name


def test_every_function_matches() -> None:
    functions = header_functions(header_text())
    assert set(functions) == set(_ffi.FUNCTIONS), "functions in gsp.h vs. _ffi.FUNCTIONS"
    for name, (ret, params) in functions.items():
        restype, argtypes = _ffi.FUNCTIONS[name]
        assert C_TYPES[ret] is restype, f"{name} returns {ret}"
        assert [C_TYPES[p] for p in params] == argtypes, f"{name}{tuple(params)}"


def test_record_callback_type() -> None:
    # gsp_record_fn: void (*)(void *user_data, const struct gsp_record *record)
    assert _ffi.RECORD_FN._restype_ is None
    assert tuple(_ffi.RECORD_FN._argtypes_) == (ctypes.c_void_p, ctypes.POINTER(_ffi.CRecord))
    text = header_text()
    assert re.search(
        r"typedef void \(\*gsp_record_fn\)\(void \*\w+, const struct gsp_record \*\w+\);", text
    ), "gsp_record_fn changed in gsp.h"


def test_header_version_is_the_bindings(probe: dict[str, Any]) -> None:
    header = (probe["define"]["GSP_VERSION_MAJOR"], probe["define"]["GSP_VERSION_MINOR"])
    assert header == BINDING_VERSION


def test_parsers_see_the_whole_header() -> None:
    # Guards the regexes above: if the header's formatting changes they must not find nothing.
    text = header_text()
    assert len(header_structs(text)) >= 12 and len(header_enums(text)) >= 7
    assert len(header_functions(text)) >= 12
    assert Path(HEADER).read_text().count("typedef struct gsp_") == len(header_structs(text)) + 1
