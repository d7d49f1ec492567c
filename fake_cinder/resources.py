"""Where the data directories live: the repository's schemas/ and fixtures/, which
an installed package carries as fake_cinder.schemas and fake_cinder.fixtures."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """The directory ``schemas`` or ``fixtures``, installed or in a checkout."""
    try:
        installed = Path(str(importlib.resources.files(f"fake_cinder.{name}")))
        if installed.is_dir():
            return installed
    except (ModuleNotFoundError, TypeError):
        pass
    checkout = _REPOSITORY / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"fake-cinder's {name}/ directory is missing")


def fixture_path(name: str) -> Path:
    """A fixture shipped with fake-cinder, by file name (``default.json``)."""
    return data_dir("fixtures") / name
