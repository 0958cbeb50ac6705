"""The C enums as IntEnums whose values match include/gsp.h (checked by tests/test_abi.py)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class OpenIntEnum(IntEnum):
    """An IntEnum that accepts values it does not name.

    A library of the same major.minor may add an enum value (a new diagnostic kind, say); such a
    value becomes a pseudo-member named ``UNKNOWN_<n>`` instead of failing the whole drain.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


class Status(OpenIntEnum):
    """gsp_status: the result of every gsp function that can fail."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_ARGUMENT = 2
    NOT_FOUND = 3
    BUSY = 4
    INTERNAL = 5


class RecordKind(OpenIntEnum):
    """gsp_record_kind: which member of a gsp_record is set."""

    CONFIG = 1
    METRIC = 2
    EVENT = 3
    DIAGNOSTIC = 4


class Datatype(OpenIntEnum):
    """gsp_datatype: a metric's datatype (the script's spelling is in ``datatype_name``)."""

    UNKNOWN = 0
    DOUBLE = 1
    GAUGE = 2
    COUNT = 3
    COUNTER = 4
    LONG = 5
    HISTOGRAM = 6
    BINARY = 7


class Calctype(OpenIntEnum):
    """gsp_calctype: how a metric's value is calculated."""

    INSTANT = 0
    DIFFERENCE = 1
    AVERAGE = 2


class Scope(OpenIntEnum):
    """gsp_scope: where an event belongs."""

    SERVER = 0
    APPLICATION = 1


class Severity(OpenIntEnum):
    """gsp_severity: how serious a diagnostic is."""

    INFO = 0
    WARNING = 1
    ERROR = 2


class DiagnosticKind(OpenIntEnum):
    """gsp_diagnostic_kind: what a diagnostic is about."""

    SPAWN_FAILED = 1
    CONFIG_INVALID = 2
    CONFIG_TIMEOUT = 3
    EXIT_STATUS = 4
    TIMEOUT = 5
    OUTPUT_TRUNCATED = 6
    LINE_INVALID = 7
    UNKNOWN_METRIC = 8
    UNKNOWN_EVENT = 9
    UNKNOWN_DIMENSION = 10
    OVERRUN = 11
    VALUE_CLAMPED = 12
    RECORDS_DROPPED = 13
    STDERR = 14
    SIGCHLD_IGNORED = 15
    SERIES_LIMIT = 16
    INTERNAL = 17


class EnvMode(OpenIntEnum):
    """gsp_env_mode: which of the host's environment variables scripts get."""

    INHERIT = 0
    """The host's environment (as of Runtime()) plus extra_env."""
    CLEAR = 1
    """Only extra_env."""
    ALLOWLIST = 2
    """The variables named in env_allow, plus extra_env."""


# C enum type -> (binding enum, prefix of its constants in gsp.h); the ABI test walks this.
C_ENUMS: dict[str, tuple[type[OpenIntEnum], str]] = {
    "gsp_status": (Status, "GSP_STATUS_"),
    "gsp_record_kind": (RecordKind, "GSP_RECORD_"),
    "gsp_datatype": (Datatype, "GSP_DATATYPE_"),
    "gsp_calctype": (Calctype, "GSP_CALCTYPE_"),
    "gsp_scope": (Scope, "GSP_SCOPE_"),
    "gsp_severity": (Severity, "GSP_SEVERITY_"),
    "gsp_diagnostic_kind": (DiagnosticKind, "GSP_DIAG_"),
    "gsp_env_mode": (EnvMode, "GSP_ENV_"),
}
