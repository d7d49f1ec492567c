"""The dashboard at /_fake/ui: a web page over the /_fake/ control API.

This module only serves the page and its files (``fake_cinder/dashboard/``, shipped
in the package: nothing comes from a CDN) and the names the page offers in its
menus. Everything it shows or changes goes through the control API, so the page
itself needs no control token; its calls carry the one the user types in.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Flask, send_from_directory
from werkzeug.wrappers import Response

from . import control, openapi
from .fault_bodies import JSON

PREFIX = control.PREFIX + "/ui"
ASSETS = Path(__file__).resolve().parent.parent / "dashboard"
dashboard = Blueprint("fake_dashboard", __name__, url_prefix=PREFIX)
openapi.pages(dashboard.name)


def serves(path: str) -> bool:
    """Whether a path is the dashboard's (open without the control token)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


@dashboard.get("/")
def index() -> Response:
    # Never cached: a new fake version's page must not meet an old script.
    return send_from_directory(ASSETS, "index.html", max_age=0)


@dashboard.get("/meta.json")
def meta() -> Response:
    """The operation names (for the fault form and the journal filter)."""
    from ..fake import OPERATIONS  # fake.py imports this module through the app

    return Response(json.dumps({"operations": sorted(OPERATIONS)}), content_type=JSON)


@dashboard.get("/<path:name>")
def asset(name: str) -> Response:
    return send_from_directory(ASSETS, name, max_age=0)


def install(app: Flask) -> None:
    """Add /_fake/ui to a fake's app."""
    app.register_blueprint(dashboard)
