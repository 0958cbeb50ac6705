"""Statuses become exceptions that carry them; Python-side checks refuse what C would misread."""

from __future__ import annotations

import pytest

import gsp
from gsp import Status
from gsp.errors import status_error


def test_invalid_command_lines(rt: gsp.Runtime) -> None:
    with pytest.raises(gsp.InvalidArgumentError) as info:
        rt.add_script("'unclosed")
    err = info.value
    assert err.status is Status.INVALID_ARGUMENT
    assert err.function == "gsp_script_add"
    assert isinstance(err, gsp.StatusError) and isinstance(err, gsp.GspError)
    assert isinstance(err, ValueError)
    # The status's name and libgsp's own reason (gsp_last_error_message).
    assert "GSP_STATUS_INVALID_ARGUMENT" in str(err) and "'unclosed" in str(err)
    assert "cannot split command line" in str(err)
    with pytest.raises(gsp.InvalidArgumentError):
        rt.add_script("   ")
    # ctypes would cut the string at the NUL and register "/bin/true".
    with pytest.raises(gsp.InvalidArgumentError, match="NUL"):
        rt.add_script("/bin/true\0 --evil")
    with pytest.raises(gsp.InvalidArgumentError, match="UTF-8"):
        rt.add_script("/bin/\udcff")
    with pytest.raises(TypeError):
        rt.add_script(b"/bin/true")  # type: ignore[arg-type]
    assert rt.stats().scripts == 0


def test_unknown_script_ids(rt: gsp.Runtime) -> None:
    with pytest.raises(gsp.NotFoundError) as info:
        rt.remove_script(999)
    assert info.value.status is Status.NOT_FOUND
    assert info.value.function == "gsp_script_remove"
    assert isinstance(info.value, LookupError)
    with pytest.raises(gsp.NotFoundError):
        rt.reconfigure_script(999)
    # Out of uint64 range: no such script either (ctypes would wrap -1 to 2**64-1).
    with pytest.raises(gsp.NotFoundError):
        rt.remove_script(-1)
    with pytest.raises(TypeError):
        rt.remove_script("1")  # type: ignore[arg-type]


def test_invalid_options() -> None:
    with pytest.raises(gsp.InvalidArgumentError) as info:
        gsp.Runtime(worker_threads=0)  # refused by libgsp (1..64), which says why
    assert info.value.function == "gsp_runtime_new"
    assert "worker_threads must be between 1 and 64" in str(info.value)
    with pytest.raises(gsp.InvalidArgumentError, match="out of range"):
        gsp.Runtime(queue_capacity=-1)
    with pytest.raises(gsp.InvalidArgumentError, match="out of range"):
        gsp.Runtime(kill_grace_ms=2**32)
    with pytest.raises(TypeError):
        gsp.Runtime(worker_threads=True)
    with pytest.raises(TypeError):
        gsp.Runtime(bogus=1)  # type: ignore[call-arg]
    with pytest.raises(gsp.InvalidArgumentError):
        gsp.Runtime(extra_env={"A=B": "c"})
    with pytest.raises(gsp.InvalidArgumentError):
        gsp.Runtime(extra_env={"": "c"})
    with pytest.raises(gsp.InvalidArgumentError, match="NUL"):
        gsp.Runtime(extra_env={"A": "b\0c"})


def test_invalid_call_arguments(rt: gsp.Runtime) -> None:
    with pytest.raises(gsp.InvalidArgumentError):
        rt.drain(max_records=0)
    with pytest.raises(gsp.InvalidArgumentError):
        rt.wait(-1)
    with pytest.raises(gsp.InvalidArgumentError):
        rt.wait(float("nan"))
    with pytest.raises(gsp.InvalidArgumentError):
        rt.tick(2**63)
    with pytest.raises(gsp.InvalidArgumentError):
        next(rt.records(batch_size=0))


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (Status.NULL_ARGUMENT, gsp.NullArgumentError),
        (Status.INVALID_ARGUMENT, gsp.InvalidArgumentError),
        (Status.NOT_FOUND, gsp.NotFoundError),
        (Status.BUSY, gsp.BusyError),
        (Status.INTERNAL, gsp.InternalError),
    ],
)
def test_every_status_has_its_exception(status: Status, cls: type[gsp.StatusError]) -> None:
    text = gsp.library().status_text(status)
    assert text.startswith(f"GSP_STATUS_{status.name}")
    err = status_error(status, "gsp_tick", text)
    assert type(err) is cls and err.status is status
    assert str(err) == f"gsp_tick(): {text}"


def test_unknown_status_is_still_an_error() -> None:
    err = status_error(77, "gsp_tick", gsp.library().status_text(77))
    assert type(err) is gsp.StatusError
    assert err.status == 77 and err.status.name == "UNKNOWN_77"
    assert "GSP_STATUS_UNKNOWN" in str(err)
