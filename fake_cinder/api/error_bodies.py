"""Cinder's two error shapes.

Inside Cinder's API router errors are ``{"<name>": {"code": 400, "message": ...}}``;
outside it (auth, routing, size limit) they come from WebOb with a string code
and a title.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from ..core.fault_injection import DroppedConnection

# Cinder's wsgi.Fault names by status; any other status is a computeFault.
CINDER_ERROR_NAMES = {
    400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
    405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
    429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
}
_TITLES = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           413: "Request Entity Too Large"}
WEBOB_MESSAGES = {
    401: ("This server could not verify that you are authorized to access the document you "
          "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
          "browser does not understand how to supply the credentials required."),
    404: "The resource could not be found.",
    413: "Request is too large. Larger than max_request_body_size (%s).",
}
JSON = "application/json"


def cinder_error_body(status: int, message: str) -> dict:
    return {CINDER_ERROR_NAMES.get(status, "computeFault"): {"code": status, "message": message}}


def cinder_error_response(status: int, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    body = cinder_error_body(status, message)
    retry_after = (headers or {}).get("Retry-After")
    if status == 413 and retry_after:
        # Cinder's Fault repeats the Retry-After header in its 413 bodies.
        body[CINDER_ERROR_NAMES[413]]["retryAfter"] = retry_after
    return Response(json.dumps(body), status=status, headers=headers, content_type=JSON)


def rewrite_as_cinder_error(response: Response, status: int, message: str) -> None:
    """Make a response that is not sent yet Cinder's error body instead (its headers stay)."""
    response.status_code = status
    response.content_type = JSON
    response.set_data(json.dumps(cinder_error_body(status, message)))


def webob_response(status: int, message: str | None = None) -> Response:
    """An error raised before Cinder's router: WebOb's JSON error page."""
    title = _TITLES.get(status, "Error")
    body = {"code": f"{status} {title}", "title": title,
            "message": f"{message or WEBOB_MESSAGES.get(status, '')}<br /><br />\n\n\n"}
    return Response(json.dumps(body), status=status, content_type=JSON)


def token_refused(host_url: str) -> Response:
    """keystonemiddleware's answer to a token it refuses outside /identity: WebOb's 401,
    saying where to authenticate."""
    response = webob_response(401)
    response.headers["WWW-Authenticate"] = f'Keystone uri="{host_url.rstrip("/")}/identity"'
    return response


# Sockets that a WSGI server exposes in the environ (werkzeug, gunicorn).
_SOCKET_KEYS = ("werkzeug.socket", "gunicorn.socket")


class DroppedResponse(Response):
    """A response that never reaches the client: iterating it closes the socket.

    Raising from the body iterator (before any byte is written) is how a WSGI
    app can abort a request: werkzeug's server treats a ConnectionError there
    as a dropped connection and sends nothing; shutting the socket down first
    ends keep-alive too, so the client sees the connection close. Under a test
    client (no socket) the DroppedConnection reaches the test.
    """

    def __init__(self, environ: dict[str, Any], error: DroppedConnection) -> None:
        super().__init__(self._abort(environ, error), status=500, content_type=JSON)
        # On the instance: Flask's make_response turns the response into its own class.
        self.dropped = True

    @staticmethod
    def _abort(environ: dict[str, Any], error: DroppedConnection) -> Iterator[bytes]:
        for key in _SOCKET_KEYS:
            sock = environ.get(key)
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):  # already gone
                    sock.shutdown(socket.SHUT_RDWR)
        raise error
        yield b""  # pragma: no cover  (makes this a generator)
