"""The dashboard at /_fake/ui: a web page over the /_fake/ control API.

This module only serves the page and its files (``fake_cinder/dashboard/``, shipped
in the package: nothing comes from a CDN) and the operation names the page offers
in its menus. Everything it shows or changes goes through the control API, so the
page itself needs no control token; its calls carry the one the user types in.
``page_file`` and ``meta`` know nothing of Flask; the blueprint below wires them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Response

from . import control, openapi
from .fault_bodies import JSON

PREFIX = control.PREFIX + "/ui"
ASSETS = Path(__file__).resolve().parent.parent / "dashboard"


def serves(path: str) -> bool:
    """Whether a path is the dashboard's (open without the control token)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def page_file(environ: dict[str, Any], name: str) -> Response:
    """A file of the dashboard (werkzeug's NotFound outside it). Never cached: a new
    fake version's page must not meet an old script."""
    return send_from_directory(ASSETS, name, environ, max_age=0)


def meta() -> Response:
    """The operation names (for the fault form and the journal filter)."""
    from ..fake import OPERATIONS  # fake.py imports this module through the app

    return Response(json.dumps({"operations": sorted(OPERATIONS)}), content_type=JSON)


dashboard = Blueprint("fake_dashboard", __name__, url_prefix=PREFIX)
openapi.pages(dashboard.name)
dashboard.add_url_rule("/", "index", lambda: page_file(request.environ, "index.html"))
dashboard.add_url_rule("/meta.json", "meta", meta)
dashboard.add_url_rule("/<path:name>", "file",
                       lambda name: page_file(request.environ, name))


def install(app: Flask) -> None:
    """Add /_fake/ui to a fake's app."""
    app.register_blueprint(dashboard)
