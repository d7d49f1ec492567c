"""pytest plugin (registered through the pytest11 entry point): fake Cinder fixtures."""

from __future__ import annotations

import pytest

from .fake import FakeCinder


@pytest.fixture
def fake_cinder() -> FakeCinder:
    """A fresh, empty FakeCinder for one test."""
    return FakeCinder()
