"""The Flask app factory: Cinder's middleware order around thin route handlers.

The /v3 API itself runs in ``wsgi.V3Api`` in front of the app (see there why);
the app serves the rest through the same request frame (``wsgi.begin``,
``wsgi.error_response``, ``wsgi.finish``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, g, request
from werkzeug.wrappers import Response

from . import (
    attachments,
    compute,
    control,
    encryption,
    keystone,
    openapi,
    quotas,
    snapshots,
    versions,
    volumes,
)
from .flask_app import FakeFlask
from .routing import MAX_REQUEST_BODY_SIZE, Router
from .wsgi import V3Api, begin, error_response, finish

if TYPE_CHECKING:
    from ..fake import FakeCinder


def build_router() -> Router:
    router = Router()
    attachments.register(router)
    volumes.register(router)
    snapshots.register(router)
    quotas.register(router)
    encryption.register(router)
    return router


ROUTER = build_router()
ROUTE_MAP = ROUTER.url_map()


def create_app(fake: FakeCinder) -> Flask:
    # FakeFlask: a new app per test must be cheap. No /static route: Cinder has none.
    app = FakeFlask("fake_cinder", static_folder=None)
    app.extensions["fake_cinder"] = fake
    app.url_map.strict_slashes = False
    # Bodies without a Content-Length (chunked) are cut off while read, as oslo's
    # sizelimit middleware does; declared lengths are refused up front below.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BODY_SIZE

    # g's attribute dict is the request's record (wsgi.State); read through vars() once,
    # not attribute by attribute through the context proxy.
    @app.before_request
    def identify() -> Response | None:
        return begin(fake, request._get_current_object(), vars(g._get_current_object()))

    @app.after_request
    def decorate(response: Response) -> Response:
        return finish(fake, request._get_current_object(), response,
                      vars(g._get_current_object()))

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        return error_response(fake, request._get_current_object(),
                              vars(g._get_current_object()), error)

    versions.register(app)
    keystone.register(app)
    compute.register(app)
    control.install(app)
    openapi.register(app, ROUTER)
    app.wsgi_app = V3Api(fake, app.wsgi_app, ROUTE_MAP)  # type: ignore[method-assign]
    return app
