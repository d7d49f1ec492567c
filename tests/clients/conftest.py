"""Fixtures of the client tests (helpers live in client_support.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests import client_support from this directory (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))

from client_support import Live, live_fake  # noqa: E402


@pytest.fixture
def live() -> Iterator[Live]:
    """The usual client-test fake: Cinder's rules, except that a connected attachment
    may be deleted without a service token (the clients cannot send one)."""
    with live_fake(protect_in_use_attachments=False) as running:
        yield running
