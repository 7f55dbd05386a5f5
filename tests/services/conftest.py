"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.services._webhook_receiver import Receiver, receiver


@pytest.fixture
def rx() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 for the test."""
    with receiver() as r:
        yield r
