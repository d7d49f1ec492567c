"""fake-cinder: an in-memory fake of the OpenStack Cinder v3 block-storage API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api.flask_app import FakeFlask
    from .core.errors import RecordNotFound
    from .core.state_files import StateError
    from .fake import FakeCinder

__all__ = ["FakeCinder", "RecordNotFound", "StateError", "create_app"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported on first use: the pytest plugin imports this package at every pytest start.
    if name == "FakeCinder":
        from .fake import FakeCinder
        return FakeCinder
    if name == "RecordNotFound":
        from .core.errors import RecordNotFound
        return RecordNotFound
    if name == "StateError":
        from .core.state_files import StateError
        return StateError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_app(**options: Any) -> FakeFlask:
    """The Flask app of a fresh FakeCinder (options as for FakeCinder; ``app.fake`` is it)."""
    from .fake import FakeCinder
    return FakeCinder(**options).app
