"""Every request's frame, and the /v3 API served without Flask's request context.

Whatever answers a request, it is identified first (Cinder's size limit,
keystonemiddleware's caller), errors become Cinder's fault bodies, and the
response gets Cinder's headers and a journal entry. The same functions do this
on both paths a request can take:

- ``V3Api``, a WSGI middleware in front of the Flask app, runs /v3/... API
  requests (nearly everything a test suite sends) straight through the router.
  Flask's request handling (app and request contexts, session, signals, hook
  lists) costs about 30 us a request, as much as all of the fake's own work;
- the Flask app's hooks (``app.py``) run them for everything else: the version
  documents, /identity, /compute, /_fake/ and /openapi.json.

A request's record (``State``) is a plain dict: the fake, request id, caller,
microversion, operation, payload and fault ids, read by the headers and the
journal. On the Flask path it is the attribute dict of ``flask.g``.
"""

from __future__ import annotations

import hmac
import logging
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from ..core.clock import uuid4_text
from ..core.errors import CinderError
from ..core.fault_injection import SERVER_ERROR, DroppedConnection
from ..core.identity import IdentityError
from . import control, dashboard
from . import microversions as mv
from .fault_bodies import DroppedResponse, fault_response, token_refused, webob_response
from .identity import WsgiHeaders, caller_from_headers
from .routing import MAX_REQUEST_BODY_SIZE, dispatch

if TYPE_CHECKING:
    from ..fake import FakeCinder

State = dict[str, Any]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_LOG = logging.getLogger("fake_cinder")
CONTROL_TOKEN_HEADER = "X-Fake-Control-Token"


def new_request_id() -> str:
    """A request id in Cinder's form, ``req-`` and a random version-4 UUID."""
    return "req-" + uuid4_text(random.getrandbits(128))


def is_v3(path: str) -> bool:
    return path == "/v3" or path.startswith("/v3/")


def _control_allowed(fake: FakeCinder, req: Request) -> bool:
    """/_fake/ can reset and rewrite everything: with a control token set, only its holders.
    The dashboard's page is open: it asks for the token and sends it on its own calls."""
    expected = fake.control_token
    path = req.path
    if not expected or not (path + "/").startswith(control.PREFIX + "/") or dashboard.serves(path):
        return True
    given = req.headers.get(CONTROL_TOKEN_HEADER, "")
    return hmac.compare_digest(given.encode(), expected.encode())


def begin(fake: FakeCinder, req: Request, state: State) -> Response | None:
    """Start the request's record; a response here ends the request (413, 401)."""
    state.update(fake=fake, request_id=new_request_id(), api_version=None, operation=None,
                 caller=None)
    length = req.content_length
    path = req.path
    # The size limit is Cinder's; /_fake/ (the fake's own control API) takes whole states.
    if (length is not None and length > MAX_REQUEST_BODY_SIZE
            and not path.startswith(control.PREFIX + "/")):
        return webob_response(413)
    if not _control_allowed(fake, req):
        return fault_response(401, f"Missing or wrong {CONTROL_TOKEN_HEADER} header.")
    if is_v3(path):
        caller = caller_from_headers(WsgiHeaders(req.environ), fake.resolve_token)
        if caller is None:
            return webob_response(401)
        state["caller"] = caller
    return None


def error_response(fake: FakeCinder, req: Request, state: State,
                   error: Exception) -> Response:
    """The answer to an error raised while handling a request."""
    if isinstance(error, CinderError):
        return fault_response(error.status, error.message, error.headers)
    if isinstance(error, mv.VersionError):
        # Cinder echoes the requested (unsupported) version on its 406s, and only there.
        unsupported = isinstance(error, mv.UnsupportedVersion) and error.requested.major >= 3
        state["api_version"] = error.requested if unsupported else None
        return fault_response(error.status, error.message)
    if isinstance(error, IdentityError):  # an expired token of the fake Keystone
        return token_refused(req.host_url)
    if isinstance(error, DroppedConnection):
        return DroppedResponse(req.environ, error)
    if isinstance(error, HTTPException):
        # Werkzeug's errors here are routing failures: Cinder's router answers 404.
        state["api_version"] = None
        return webob_response(413 if error.code == 413 else 404)
    _LOG.exception("unexpected error handling %s %s", req.method, req.path)
    fake.record_exception(error)
    return fault_response(500, SERVER_ERROR)


def finish(fake: FakeCinder, req: Request, response: Response, state: State) -> Response:
    """Cinder's response headers, then the journal entry."""
    request_id = state.get("request_id", "")
    # add, not set: no response carries these yet, and set scans the headers each time.
    add = response.headers.add
    add("X-OpenStack-Request-Id", request_id)
    version = state.get("api_version")
    if version is not None:
        add("X-Compute-Request-Id", request_id)
        add(mv.HEADER, mv.header_value(version))
        add("Vary", mv.HEADER)
    fake.after_request(req, response, state)
    return response


class ApiHttpRequest(Request):
    """A /v3 request: bodies are cut off at Cinder's size limit while read."""

    max_content_length = MAX_REQUEST_BODY_SIZE


class V3Api:
    """WSGI middleware: /v3/... through Cinder's router, anything else to ``app``."""

    def __init__(self, fake: FakeCinder, app: WsgiApp, url_map: Map) -> None:
        self.fake = fake
        self.app = app
        # Matching only reads the adapter: one serves every request and thread.
        self._routes = url_map.bind("fake-cinder")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        req = ApiHttpRequest(environ)
        path = req.path
        if not path.startswith("/v3/") or path == "/v3/":  # /v3/ is a version document
            return self.app(environ, start_response)
        fake = self.fake
        state: State = {}
        try:
            response = begin(fake, req, state)
            if response is None:
                route, params = self._routes.match(path, req.method)
                response = dispatch(route, req, state, params)
        except Exception as error:  # noqa: BLE001  (every error gets Cinder's answer)
            response = error_response(fake, req, state, error)
        return finish(fake, req, response, state)(environ, start_response)
