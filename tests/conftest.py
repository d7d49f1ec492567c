"""Shared fixtures: a fresh fake per test and pytest-flask's ``app``."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path


@pytest.fixture
def fake() -> FakeCinder:
    return FakeCinder(fixture_path("default.json"))


@pytest.fixture
def app(fake: FakeCinder):
    """pytest-flask's ``client`` fixture uses this app."""
    return fake.app
