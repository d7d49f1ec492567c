"""FakeCinder: one fake Cinder with its own state, schemas and Flask app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask, Request
from werkzeug.wrappers import Response

from .api import microversions as mv
from .api.app import create_app
from .api.validation import SchemaRegistry
from .core import snapshot
from .core.clock import Clock
from .core.context import Caller
from .core.identity import TokenRegistry
from .core.state import Store

_SCHEMAS: dict[str, SchemaRegistry] = {}


def schema_registry(directory: Path | None = None) -> SchemaRegistry:
    """Schemas are compiled once per process and shared by every fake."""
    key = str(directory)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = SchemaRegistry(directory)
    return _SCHEMAS[key]


class FakeCinder:
    """An in-memory Cinder.

    ``fixtures`` preloads state (a path to a JSON state file, or the data);
    ``seed`` makes ids and timestamps repeat from run to run;
    ``protect_in_use_attachments`` is Cinder's bug-2004555 rule (deleting a
    connected attachment needs a service token); turn it off for suites that
    do not send service tokens. ``control_token`` guards ``/_fake/``: requests
    there must carry it in ``X-Fake-Control-Token``.
    """

    def __init__(self, fixtures: str | Path | dict[str, Any] | None = None, *,
                 seed: int | None = None, max_version: str = str(mv.MAX_VERSION),
                 protect_in_use_attachments: bool = True,
                 control_token: str | None = None) -> None:
        self.clock = Clock(seed)
        self.store = Store(self.clock)
        self.schemas = schema_registry()
        self.max_version = mv.APIVersion.parse(max_version)
        self.protect_in_use_attachments = protect_in_use_attachments
        self.control_token = control_token
        # The tokens the fake Keystone (/identity) issued; they identify API callers.
        self.tokens = TokenRegistry()
        self._app: Flask | None = None
        if fixtures is not None:
            self.load(fixtures)

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app(self)
        return self._app

    # -- state ------------------------------------------------------------------------------------
    def load(self, source: str | Path | dict[str, Any], replace: bool = True) -> None:
        data = source if isinstance(source, dict) else json.loads(
            Path(source).read_text(encoding="utf-8"))
        snapshot.load(self.store, data, replace=replace)

    def dump(self) -> dict[str, Any]:
        return snapshot.dump(self.store)

    # -- hooks of the request pipeline (extended by the test-hook layer) ---------------------------
    def resolve_token(self, token: str) -> Caller | None:
        """The caller of a token the fake Keystone issued; None for any other token
        (read as a noauth ``user:project`` token). An expired one raises a 401."""
        return self.tokens.resolve(token)

    def before_operation(self, operation: str, caller: Caller, params: dict[str, str],
                         body: Any) -> None:
        """Called once per API operation after validation, before the core runs."""

    def after_request(self, request: Request, response: Response) -> None:
        """Called for every response."""

    def record_exception(self, error: Exception) -> None:
        """Called when handling a request raised an unexpected exception."""
