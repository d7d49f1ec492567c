"""Fixtures of the client tests (helpers live in tests/helpers/clients.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.clients import Live, live_fake, use_readme_clouds_yaml


@pytest.fixture
def live() -> Iterator[Live]:
    """The usual client-test fake: Cinder's rules, except that a connected attachment
    may be deleted without a service token (the clients cannot send one)."""
    with live_fake(protect_in_use_attachments=False) as running:
        yield running


@pytest.fixture
def clouds_yaml(live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's clouds.yaml, pointed at ``live``."""
    return use_readme_clouds_yaml(live.url, tmp_path, monkeypatch)
