"""fake-cinder: an in-memory fake of the OpenStack Cinder v3 block-storage API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .core.errors import RecordNotFound
from .core.snapshot import StateError
from .fake import FakeCinder

__all__ = ["FakeCinder", "RecordNotFound", "StateError", "create_app"]
__version__ = "0.1.0"


def create_app(**options: Any) -> Flask:
    """A Flask app backed by a fresh FakeCinder (options as for FakeCinder)."""
    return FakeCinder(**options).app
