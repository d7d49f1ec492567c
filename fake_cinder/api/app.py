"""The Flask app factory: Cinder's middleware order around thin route handlers."""

from __future__ import annotations

import hmac
import logging
import random
from typing import TYPE_CHECKING

from flask import Flask, Request, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..core.clock import uuid4_text
from ..core.errors import CinderError
from . import attachments, compute, control, keystone, microversions, openapi, versions, volumes
from .faults import fault_response, webob_response
from .flask_app import FakeFlask
from .identity import WsgiHeaders, caller_from_headers
from .routing import MAX_REQUEST_BODY_SIZE, Router

if TYPE_CHECKING:
    from ..fake import FakeCinder

_LOG = logging.getLogger("fake_cinder")
SERVER_ERROR = ("The server has either erred or is incapable of performing the requested "
                "operation.")


def new_request_id() -> str:
    """A request id in Cinder's form, ``req-`` and a random version-4 UUID."""
    return "req-" + uuid4_text(random.getrandbits(128))


def build_router() -> Router:
    router = Router()
    attachments.register(router)
    volumes.register(router)
    return router


ROUTER = build_router()


def _is_v3(path: str) -> bool:
    return path == "/v3" or path.startswith("/v3/")


CONTROL_TOKEN_HEADER = "X-Fake-Control-Token"


def _control_allowed(fake: FakeCinder, req: Request) -> bool:
    """/_fake/ can reset and rewrite everything: with a control token set, only its holders."""
    expected = fake.control_token
    if not expected or not (req.path + "/").startswith(control.PREFIX + "/"):
        return True
    given = req.headers.get(CONTROL_TOKEN_HEADER, "")
    return hmac.compare_digest(given.encode(), expected.encode())


def create_app(fake: FakeCinder) -> Flask:
    # FakeFlask: a new app per test must be cheap. No /static route: Cinder has none.
    app = FakeFlask("fake_cinder", static_folder=None)
    app.extensions["fake_cinder"] = fake
    app.url_map.strict_slashes = False
    # Bodies without a Content-Length (chunked) are cut off while read, as oslo's
    # sizelimit middleware does; declared lengths are refused up front below.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BODY_SIZE

    @app.before_request
    def identify() -> Response | None:
        # Unwrap the context proxies once (each access through them costs a lookup) and
        # fill g's dict in one call (what g's __setattr__ does, a Python call each).
        state, req = vars(g._get_current_object()), request._get_current_object()
        state.update(fake=fake, request_id=new_request_id(), api_version=None, operation=None,
                     caller=None)
        length = req.content_length
        # The size limit is Cinder's; /_fake/ (the fake's own control API) takes whole states.
        if (length is not None and length > MAX_REQUEST_BODY_SIZE
                and not req.path.startswith("/_fake/")):
            return webob_response(413)
        if not _control_allowed(fake, req):
            return fault_response(401, f"Missing or wrong {CONTROL_TOKEN_HEADER} header.")
        if _is_v3(req.path):
            caller = caller_from_headers(WsgiHeaders(req.environ), fake.resolve_token)
            if caller is None:
                return webob_response(401)
            state["caller"] = caller
        return None

    @app.after_request
    def decorate(response: Response) -> Response:
        state = vars(g._get_current_object())
        request_id = state.get("request_id", "")
        # add, not set: no response carries these yet, and set scans the headers each time.
        add = response.headers.add
        add("X-OpenStack-Request-Id", request_id)
        version = state.get("api_version")
        if version is not None:
            add("X-Compute-Request-Id", request_id)
            add(microversions.HEADER, microversions.header_value(version))
            add("Vary", microversions.HEADER)
        fake.after_request(request._get_current_object(), response)
        return response

    @app.errorhandler(CinderError)
    def cinder_error(error: CinderError) -> Response:
        return fault_response(error.status, error.message, error.headers)

    @app.errorhandler(microversions.VersionError)
    def version_error(error: microversions.VersionError) -> Response:
        g.api_version = None
        if isinstance(error, microversions.UnsupportedVersion) and error.requested.major >= 3:
            # Cinder echoes the requested (unsupported) version on its 406s.
            g.api_version = error.requested
        return fault_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        # Werkzeug's errors here are routing failures: Cinder's router answers 404.
        g.api_version = None
        if error.code == 413:
            return webob_response(413)
        return webob_response(404)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        _LOG.exception("unexpected error handling %s %s", request.method, request.path)
        fake.record_exception(error)
        return fault_response(500, SERVER_ERROR)

    versions.register(app)
    keystone.register(app)
    compute.register(app)
    ROUTER.install(app)
    openapi.register(app, ROUTER)
    return app
