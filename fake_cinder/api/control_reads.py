"""The control API's list reads: queries checked against schemas/, paging numbers, and
answers a poller revalidates (an ETag; a bodiless 304 while unchanged).

A query gets Cinder's 400 with its schema's message. The dashboard polls the page it
shows every second: unchanged, the page crosses the wire as headers only.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from .error_bodies import JSON
from .microversions import MIN_VERSION
from .routing import WebRequest


def checked_query(req: WebRequest, operation: str) -> dict[str, str]:
    """The query string as a dict, after ``schemas/<operation>.query.json`` accepted it."""
    query = req.http.args.to_dict()
    req.fake.schemas.validate(operation, "query", MIN_VERSION, query)
    return query


def whole_number(query: dict[str, str], key: str) -> int | None:
    """A paging number the schema checked (digits only), or None when absent."""
    value = query.get(key)
    return None if value is None else int(value)


def revalidated_json(req: WebRequest, payload: Any) -> Response:
    """The JSON answer with a strong ETag of its bytes; 304 without a body when the
    client's ``If-None-Match`` names it. ``no-cache``: always asked again, never stale."""
    response = Response(json.dumps(payload), content_type=JSON)
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(req.http)
