"""Fixtures of the client tests (helpers live in client_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .client_support import README_URL, Live, live_fake, readme_blocks


@pytest.fixture
def live() -> Iterator[Live]:
    """The usual client-test fake: Cinder's rules, except that a connected attachment
    may be deleted without a service token (the clients cannot send one)."""
    with live_fake(protect_in_use_attachments=False) as running:
        yield running


@pytest.fixture
def clouds_yaml(live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's clouds.yaml, pointed at ``live``, as the SDK's only config file."""
    path = tmp_path / "clouds.yaml"
    [(_language, clouds)] = [b for b in readme_blocks("openstacksdk") if b[0] == "yaml"]
    path.write_text(clouds.replace(README_URL, live.url), encoding="utf-8")
    for name in ("OS_CLOUD", "OS_AUTH_URL", "OS_AUTH_TYPE", "OS_USERNAME", "OS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path
