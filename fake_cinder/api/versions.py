"""Version documents: GET / (300), GET /v3/ (200) and the /v3 redirect."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from . import microversions as mv
from .error_bodies import JSON
from .openapi import RouteDoc
from .routing import Router, WebRequest

UPDATED = "2023-08-31T00:00:00Z"
OPERATION = "versions"  # the name of its response schema


def versions_document(base_url: str, max_version: mv.APIVersion) -> dict[str, Any]:
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": str(max_version),
        "min_version": str(mv.MIN_VERSION), "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }]}


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def versions(req: WebRequest) -> Response:
    req.record.operation = OPERATION
    # Cinder's version document negotiates too: the response carries the version headers
    # (volume 3.0 without a request header), and a bad header gets its 400 or 406.
    req.record.api_version = mv.negotiate(req.http.headers.get(mv.HEADER),
                                          req.fake.max_version)
    return _json(versions_document(req.base_url, req.fake.max_version), 300)


def versions_v3(req: WebRequest) -> Response:
    req.record.operation = OPERATION
    req.record.api_version = mv.negotiate(req.http.headers.get(mv.HEADER),
                                          req.fake.max_version)
    return _json(versions_document(req.base_url, req.fake.max_version), 200)


def versions_v3_redirect(req: WebRequest) -> Response:
    response = redirect(f"{req.base_url}/v3/", code=302)
    response.set_data(b"")  # Cinder's redirect has no body, and this type
    response.content_type = "text/plain; charset=utf8"
    return response


def register(router: Router) -> None:
    router.web("GET", "/", versions, doc=RouteDoc(
        "versions", "List API versions (Cinder answers 300)", 300, errors=(400, 406),
        microversioned=True, min_version=mv.MIN_VERSION, max_version=mv.MAX_VERSION))
    router.web("GET", "/v3/", versions_v3, doc=RouteDoc(
        "versions_v3", "Show the v3 version document", errors=(400, 401, 406, 413),
        authenticated=True, microversioned=True, min_version=mv.MIN_VERSION,
        max_version=mv.MAX_VERSION))
    router.web("GET", "/v3", versions_v3_redirect, strict_slashes=True, doc=RouteDoc(
        "versions_v3_redirect", "Redirect /v3 to /v3/", 302, errors=(401, 413),
        authenticated=True))
