"""Python binding of libgsp, the generic script plugin runtime (ctypes over its C ABI).

    with gsp.Runtime() as rt:
        rt.add_script("/opt/scripts/check.sh --verbose")
        while True:
            rt.tick()                 # your clock; runs start on gsp's threads
            rt.wait(1.0)              # optional: block until records arrive
            for record in rt.records():
                print(record)

libgsp is found through GSP_LIBRARY, a copy in gsp/_lib/, or a gsp repository's target/release
or target/debug above the package or the current directory; see library().
"""

from __future__ import annotations

from ._enum import (
    Calctype,
    Datatype,
    DiagnosticKind,
    EnvMode,
    RecordKind,
    Scope,
    Severity,
    Status,
)
from ._loader import BINDING_VERSION, Library, load_library
from .errors import (
    BusyError,
    ClosedError,
    GspError,
    InternalError,
    InvalidArgumentError,
    LibraryError,
    NotFoundError,
    NullArgumentError,
    StatusError,
)
from .records import (
    AttributeDef,
    Diagnostic,
    Dimension,
    DimensionDef,
    Event,
    EventDef,
    MetricDef,
    MetricSample,
    Record,
    ScriptConfig,
    ScriptStats,
    Stats,
)
from .runtime import Runtime

__version__ = "0.1.0"


def library() -> Library:
    """The loaded libgsp (path, version), loading it if needed; raises LibraryError."""
    return load_library()


def version() -> str:
    """libgsp's version string, e.g. "0.1.0"; raises LibraryError if it cannot be loaded."""
    return load_library().version


__all__ = [
    "BINDING_VERSION",
    "AttributeDef",
    "BusyError",
    "Calctype",
    "ClosedError",
    "Datatype",
    "Diagnostic",
    "DiagnosticKind",
    "EnvMode",
    "Dimension",
    "DimensionDef",
    "Event",
    "EventDef",
    "GspError",
    "InternalError",
    "InvalidArgumentError",
    "Library",
    "LibraryError",
    "MetricDef",
    "MetricSample",
    "NotFoundError",
    "NullArgumentError",
    "Record",
    "RecordKind",
    "Runtime",
    "ScriptConfig",
    "ScriptStats",
    "Scope",
    "Severity",
    "Stats",
    "Status",
    "StatusError",
    "library",
    "version",
]
