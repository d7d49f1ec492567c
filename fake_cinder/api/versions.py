"""Version documents: GET / (300), GET /v3/ (200) and the /v3 redirect."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, redirect, request
from werkzeug.wrappers import Response

from . import microversions as mv

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


def register(app: Flask) -> None:
    def base_url() -> str:
        return request.host_url.rstrip("/")

    def root() -> tuple[dict, int]:
        fake = app.extensions["fake_cinder"]
        g.operation = OPERATION
        # Cinder's version document negotiates too: the response carries the version
        # headers (volume 3.0 without a request header).
        g.api_version = mv.negotiate(request.headers.get(mv.HEADER), fake.max_version)
        return versions_document(base_url(), fake.max_version), 300

    def v3_root() -> dict:
        fake = app.extensions["fake_cinder"]
        g.operation = OPERATION
        g.api_version = mv.negotiate(request.headers.get(mv.HEADER), fake.max_version)
        return versions_document(base_url(), fake.max_version)

    def v3_redirect() -> Response:
        response = redirect(f"{base_url()}/v3/", code=302)
        response.set_data(b"")  # Cinder's redirect has no body, and this type
        response.content_type = "text/plain; charset=utf8"
        return response

    app.add_url_rule("/", "versions", root, methods=["GET"], provide_automatic_options=False)
    app.add_url_rule("/v3/", "versions_v3", v3_root, methods=["GET"],
                     provide_automatic_options=False)
    app.add_url_rule("/v3", "versions_v3_redirect", v3_redirect, methods=["GET"],
                     strict_slashes=True, provide_automatic_options=False)
