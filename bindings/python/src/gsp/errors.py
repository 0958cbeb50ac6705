"""Exceptions raised by the binding. Every one derives from GspError."""

from __future__ import annotations

from ._enum import Status


class GspError(Exception):
    """Base class of every exception the binding raises."""


class LibraryError(GspError):
    """libgsp could not be found or loaded, or it is a version the binding was not written for."""


class ClosedError(GspError):
    """A method was called on a Runtime after close()."""


class StatusError(GspError):
    """A gsp function returned a status other than GSP_STATUS_OK.

    ``status`` is the Status, ``function`` the C function that returned it.
    """

    def __init__(self, status: Status, function: str, detail: str, context: str = "") -> None:
        super().__init__(f"{function}({context}): {detail}")
        self.status = status
        self.function = function


class NullArgumentError(StatusError):
    """GSP_STATUS_NULL_ARGUMENT: a required pointer was NULL (a bug in the binding)."""


class InvalidArgumentError(StatusError, ValueError):
    """GSP_STATUS_INVALID_ARGUMENT: a malformed command line, option or value."""


class NotFoundError(StatusError, LookupError):
    """GSP_STATUS_NOT_FOUND: no script with that id (never registered, or removed)."""


class BusyError(StatusError):
    """GSP_STATUS_BUSY: not allowed now (a drain from inside a drain callback)."""


class InternalError(StatusError):
    """GSP_STATUS_INTERNAL: a failure inside libgsp (a caught panic, or the OS refused)."""


STATUS_ERRORS: dict[Status, type[StatusError]] = {
    Status.NULL_ARGUMENT: NullArgumentError,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NOT_FOUND: NotFoundError,
    Status.BUSY: BusyError,
    Status.INTERNAL: InternalError,
}


def status_error(status: int, function: str, detail: str, context: str = "") -> StatusError:
    """The exception for a non-OK ``status``; unknown values give a plain StatusError.

    ``detail`` is gsp_status_str()'s text, ``context`` the arguments worth showing.
    """
    st = Status(status)
    return STATUS_ERRORS.get(st, StatusError)(st, function, detail, context)
