"""The dashboard at /_fake/ui: a web page over the /_fake/ control API.

This module only serves the page and its files (``fake_cinder/dashboard/``, shipped
in the package: nothing comes from a CDN) and the operation names the page offers
in its menus. Everything it shows or changes goes through the control API, so the
page itself needs no control token; its calls carry the one the user types in.
"""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Response

from . import control, openapi
from .error_bodies import JSON
from .routing import Router, WebRequest

PREFIX = control.PREFIX + "/ui"
ASSETS = Path(__file__).resolve().parent.parent / "dashboard"
openapi.pages(PREFIX)


def serves(path: str) -> bool:
    """Whether a path is the dashboard's (open without the control token)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def _file(req: WebRequest, name: str) -> Response:
    # Never cached: a new fake version's page must not meet an old script.
    return send_from_directory(ASSETS, name, req.http.environ, max_age=0)


def index(req: WebRequest) -> Response:
    return _file(req, "index.html")


def page_file(req: WebRequest) -> Response:
    """A file of the dashboard (werkzeug's NotFound outside it)."""
    return _file(req, req.params["name"])


def meta(req: WebRequest) -> Response:
    """The operation names (for the fault form and the journal filter)."""
    return Response(json.dumps({"operations": sorted(req.fake.app.operations)}),
                    content_type=JSON)


def register(router: Router) -> None:
    """/_fake/ui (with or without its slash), its meta.json and its files."""
    router.web("GET", PREFIX, index)
    router.web("GET", PREFIX + "/meta.json", meta)
    router.web("GET", PREFIX + "/<path:name>", page_file)
