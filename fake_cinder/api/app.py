"""The Flask app factory: Cinder's middleware order around thin route handlers."""

from __future__ import annotations

import hmac
import logging
import uuid
from typing import TYPE_CHECKING

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..core.errors import CinderError
from . import attachments, compute, control, keystone, microversions, versions, volumes
from .faults import fault_response, webob_response
from .identity import caller_from_headers
from .routing import MAX_REQUEST_BODY_SIZE, Router

if TYPE_CHECKING:
    from ..fake import FakeCinder

_LOG = logging.getLogger("fake_cinder")
SERVER_ERROR = ("The server has either erred or is incapable of performing the requested "
                "operation.")


def build_router() -> Router:
    router = Router()
    attachments.register(router)
    volumes.register(router)
    return router


ROUTER = build_router()


def _is_v3(path: str) -> bool:
    return path == "/v3" or path.startswith("/v3/")


CONTROL_TOKEN_HEADER = "X-Fake-Control-Token"


def _control_allowed(fake: FakeCinder) -> bool:
    """/_fake/ can reset and rewrite everything: with a control token set, only its holders."""
    expected = getattr(fake, "control_token", None)
    if not expected or not (request.path + "/").startswith(control.PREFIX + "/"):
        return True
    given = request.headers.get(CONTROL_TOKEN_HEADER, "")
    return hmac.compare_digest(given.encode(), expected.encode())


def create_app(fake: FakeCinder) -> Flask:
    app = Flask("fake_cinder")
    app.extensions["fake_cinder"] = fake
    app.url_map.strict_slashes = False
    # Bodies without a Content-Length (chunked) are cut off while read, as oslo's
    # sizelimit middleware does; declared lengths are refused up front below.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BODY_SIZE

    @app.before_request
    def identify() -> Response | None:
        g.fake = fake
        g.request_id = f"req-{uuid.uuid4()}"
        g.api_version = None
        g.operation = None
        g.caller = None
        length = request.content_length
        # The size limit is Cinder's; /_fake/ (the fake's own control API) takes whole states.
        if (length is not None and length > MAX_REQUEST_BODY_SIZE
                and not request.path.startswith("/_fake/")):
            return webob_response(413)
        if not _control_allowed(fake):
            return fault_response(401, f"Missing or wrong {CONTROL_TOKEN_HEADER} header.")
        if _is_v3(request.path):
            g.caller = caller_from_headers(request.headers, fake.resolve_token)
            if g.caller is None:
                return webob_response(401)
        return None

    @app.after_request
    def decorate(response: Response) -> Response:
        response.headers["X-OpenStack-Request-Id"] = g.get("request_id", "")
        version = g.get("api_version")
        if version is not None:
            response.headers["X-Compute-Request-Id"] = g.request_id
            response.headers[microversions.HEADER] = microversions.header_value(version)
            response.headers["Vary"] = microversions.HEADER
        fake.after_request(request, response)
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
    return app
