"""Fixtures for the binding's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import gsp
from support import Clock


@pytest.fixture
def rt() -> Iterator[gsp.Runtime]:
    with gsp.Runtime() as runtime:
        yield runtime


@pytest.fixture
def clock() -> Clock:
    return Clock()
