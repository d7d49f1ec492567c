"""The fake's WSGI pipeline: one route table, one request pipeline.

Every request to a URL the fake serves goes through ``FakeWsgi``: it is identified
first (Cinder's size limit, the control token, keystonemiddleware's caller), then
matched against the process-wide route table (``ROUTER``, compiled once into
``ROUTE_MAP``) and handled (``routing.dispatch`` for the /v3 API, a view for the
rest); errors become Cinder's error bodies, and the response gets Cinder's
headers, then the response hooks and a journal entry (``journaling``). An operation's
JSON answer (``routing.JsonAnswer``) becomes a werkzeug response only when a response
hook is there to see one; otherwise ``send_answer`` hands the server what that
response would have sent.

Flask's own request handling (app and request contexts, session, signals, hook
lists) costs about 30 us a request, as much as all of the fake's own work, so the
pipeline runs on werkzeug's public request, response and routing API alone.
``fake.app`` (``flask_app.FakeFlask``) sends requests here directly while it has no
routes or request hooks of a user's; with some, through Flask's request handling
(``respond`` is the pipeline without its journal entry, for that path).

What the pipeline learns of a request is its ``RequestRecord``.
"""

from __future__ import annotations

import functools
import hmac
import logging
import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from ..core.clock import uuid4_text
from ..core.directory import IdentityError
from ..core.errors import SERVER_ERROR, CinderError
from ..core.fault_injection import DroppedConnection
from . import (
    attachments,
    backends,
    backends_control,
    compute,
    control,
    dashboard,
    encryption,
    extensions,
    glance,
    groups,
    keystone,
    keystone_admin,
    messages,
    metadata,
    openapi,
    qos_specs,
    quota_classes,
    quotas,
    server_volumes,
    snapshots,
    transfers,
    versions,
    volume_summary,
    volume_types,
    volumes,
)
from . import microversions as mv
from .caller import caller_from_headers, wsgi_identity_headers
from .error_bodies import (
    JSON,
    DroppedResponse,
    cinder_error_response,
    token_refused,
    webob_response,
)
from .journaling import after_response, journal
from .request_record import RequestRecord
from .route_shapes import ShapeCache
from .routing import (
    MAX_REQUEST_BODY_SIZE,
    HttpRequest,
    JsonAnswer,
    Route,
    Router,
    WebRequest,
    WebRoute,
    dispatch,
)

if TYPE_CHECKING:
    from ..fake import FakeCinder

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_LOG = logging.getLogger("fake_cinder")
CONTROL_TOKEN_HEADER = "X-Fake-Control-Token"


def build_router() -> Router:
    """Every route of the fake; a module with routes adds them in its ``register``."""
    router = Router()
    attachments.register(router)
    volumes.register(router)
    snapshots.register(router)
    quotas.register(router)
    encryption.register(router)
    backends.register(router)
    backends_control.register(router)
    groups.register(router)
    metadata.register(router)  # issue 19 (volfeat): metadata, summary, extensions, ...
    volume_summary.register(router)
    extensions.register(router)
    messages.register(router)
    transfers.register(router)
    versions.register(router)
    keystone.register(router)
    keystone_admin.register(router)
    compute.register(router)
    glance.register(router)
    server_volumes.register(router)
    control.register(router)
    dashboard.register(router)
    openapi.register(router)
    volume_types.register(router)  # issue 20: types, QoS specs, quota classes
    qos_specs.register(router)
    quota_classes.register(router)
    return router


ROUTER = build_router()
ROUTE_MAP = ROUTER.url_map()
# Every API operation name, from the route table (what faults and the journal name).
OPERATIONS = frozenset(op.name for route in ROUTER.routes for op in route.operations)
# Matching only reads the adapter: one serves every request, fake and thread.
_ROUTES = ROUTE_MAP.bind("fake-cinder")
# werkzeug's matches, remembered per path shape (its UUIDs aside); None: not applicable.
_SHAPES = ShapeCache.for_map(ROUTE_MAP, _ROUTES)


def match(path: str, method: str) -> tuple[Route | WebRoute, dict[str, Any]]:
    """The route serving ``method path`` and the URL's parameters (werkzeug's
    NotFound, MethodNotAllowed or RequestRedirect when there is none)."""
    endpoint, params = (_SHAPES or _ROUTES).match(path, method)
    return cast("Route | WebRoute", endpoint), cast("dict[str, Any]", params)


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


def begin(fake: FakeCinder, req: Request, record: RequestRecord) -> Response | None:
    """Check what comes before routing; a response here ends the request (413, 401)."""
    path = req.path
    v3 = is_v3(path)  # Cinder's API: neither the control API nor Glance's (checked first)
    if not v3 and path.startswith(control.PREFIX + "/"):
        # Cinder's size limit is not for the fake's own control API: it takes whole states.
        req.max_content_length = control.MAX_CONTROL_BODY_SIZE
    elif not v3 and glance.is_image_path(path):
        req.max_content_length = glance.MAX_UPLOAD_BODY  # image data, not Cinder's bodies
    else:
        req.max_content_length = MAX_REQUEST_BODY_SIZE
        length = req.content_length
        if length is not None and length > MAX_REQUEST_BODY_SIZE:
            return webob_response(413)
    if not v3 and not _control_allowed(fake, req):
        return cinder_error_response(401, f"Missing or wrong {CONTROL_TOKEN_HEADER} header.")
    if v3:
        caller = caller_from_headers(wsgi_identity_headers(req.environ), fake.resolve_token)
        if caller is None:
            return webob_response(401)
        record.caller = caller
    return None


def error_response(fake: FakeCinder, req: Request, record: RequestRecord,
                   error: Exception) -> Response:
    """The answer to an error raised while handling a request."""
    if isinstance(error, CinderError):
        return cinder_error_response(error.status, error.message, error.headers)
    if isinstance(error, mv.VersionError):
        # Cinder echoes the requested (unsupported) version on its 406s, and only there.
        unsupported = isinstance(error, mv.UnsupportedVersion) and error.requested.major >= 3
        record.api_version = getattr(error, "requested", None) if unsupported else None
        return cinder_error_response(error.status, error.message)
    if isinstance(error, IdentityError):
        if keystone.is_keystone_path(req.path):
            return keystone.error_response(error, req.host_url)
        return token_refused(req.host_url)  # an expired token of the fake Keystone
    if isinstance(error, DroppedConnection):
        return DroppedResponse(req.environ, error)
    if isinstance(error, RequestRedirect) and not is_v3(req.path):
        return error.get_response()  # a doubled slash outside /v3: the merged URL
    if (isinstance(error, MethodNotAllowed) and req.method == "OPTIONS"
            and not is_v3(req.path) and req.path != "/" and error.valid_methods):
        # Outside Cinder's URLs (Keystone, compute, /_fake/), OPTIONS answers which methods
        # a URL has, as Flask did there; Cinder's router answers it with its 404.
        return Response(status=200, headers={
            "Allow": ", ".join(sorted({*error.valid_methods, "OPTIONS"}))})
    if isinstance(error, HTTPException):
        # Werkzeug's errors here are routing failures: Cinder's router answers 404.
        record.api_version = None
        return webob_response(413 if error.code == 413 else 404)
    _LOG.exception("unexpected error handling %s %s", req.method, req.path)
    fake.record_exception(error)
    return cinder_error_response(500, SERVER_ERROR)


def cinder_headers(record: RequestRecord) -> list[tuple[str, str]]:
    """The request id, and the microversion headers when the request had a version."""
    request_id = record.request_id
    version = record.api_version
    if version is None:
        return [("X-OpenStack-Request-Id", request_id)]
    return [("X-OpenStack-Request-Id", request_id), ("X-Compute-Request-Id", request_id),
            (mv.HEADER, mv.header_value(version)), ("Vary", mv.HEADER)]


def answer(fake: FakeCinder, req: Request, record: RequestRecord) -> Response | JsonAnswer:
    """The fake's answer to a request, without Cinder's headers yet."""
    try:
        response = begin(fake, req, record)
        if response is None:
            endpoint, params = match(req.path, req.method)
            if isinstance(endpoint, Route):
                return dispatch(endpoint, req, record, params)
            record.route = endpoint
            record.params = params
            return endpoint.view(WebRequest(fake, req, params, record))
    except Exception as error:  # noqa: BLE001  (every error gets Cinder's answer)
        return error_response(fake, req, record, error)
    return response


def as_response(result: Response | JsonAnswer, record: RequestRecord) -> Response:
    """An answer as a werkzeug response, with Cinder's headers."""
    if isinstance(result, JsonAnswer):
        result = Response(result.body, status=result.status, content_type=JSON)
    # add, not set: no response carries these yet, and set scans the headers each time.
    add = result.headers.add
    for name, value in cinder_headers(record):
        add(name, value)
    return result


def respond(fake: FakeCinder, req: Request, record: RequestRecord) -> Response:
    """The fake's answer to a request as a response, with Cinder's headers (not
    journaled yet)."""
    return as_response(answer(fake, req, record), record)


class FakeWsgi:
    """One fake's pipeline as a WSGI application: every URL the fake serves."""

    __slots__ = ("fake",)

    def __init__(self, fake: FakeCinder) -> None:
        self.fake = fake

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        # Not stored in the environ (werkzeug's default): environ and request would
        # reference each other, and each request's objects would wait for the cyclic
        # collector instead of going when the request ends.
        req = HttpRequest(environ, populate_request=False)
        fake = self.fake
        record = RequestRecord(fake, new_request_id())
        result = answer(fake, req, record)
        if type(result) is JsonAnswer and not fake.response_hooks:
            journal(fake, req, record, result.status, result.body)
            return send_answer(result, record, start_response)
        response = as_response(result, record)
        after_response(fake, req, response, record)
        return send(response, environ, start_response)


def send_answer(result: JsonAnswer, record: RequestRecord,
                start_response: Callable[..., Any]) -> list[bytes]:
    """Hand an operation's JSON answer to the server as werkzeug would send it as a
    response (``as_response``): the same status line and headers, without building
    one (a tenth of the pipeline's cost). A 204 has no body and no Content-Length
    (RFC 9110). Never a HEAD's: Cinder's routes take no HEAD (dispatch refuses it)."""
    status = result.status
    body = result.body
    if status == 204:
        headers = [("Content-Type", JSON)]
    else:
        headers = [("Content-Type", JSON), ("Content-Length", str(len(body)))]
    headers += cinder_headers(record)
    start_response(_status_line(status), headers)
    return [body] if status != 204 else []


@functools.lru_cache(maxsize=64)
def _status_line(status: int) -> str:
    """werkzeug's status line for a code ("202 ACCEPTED")."""
    return Response(status=status).status


def send(response: Response, environ: dict[str, Any], start_response: Callable[..., Any]
         ) -> Iterable[bytes]:
    """Hand a response to the server. The fake's own answers (one body of bytes, no
    Location, not to a HEAD) go out as they are: werkzeug's ``__call__`` would copy and
    re-check each header to fix a Location or a length up, which these never need, and
    send the same bytes. A 204 goes without its body and its Content-Length, as werkzeug
    sends it (RFC 9110 forbids both). Anything else goes through werkzeug."""
    items = response.response
    if (type(response) is Response and type(items) is list and len(items) == 1
            and type(items[0]) is bytes and environ["REQUEST_METHOD"] != "HEAD"):
        status = response.status_code
        headers = response.headers
        if status >= 200 and status not in (204, 304) and _sends_as_is(headers):
            start_response(response.status, headers.to_wsgi_list())
            return _Body(items, response.close)
        if status == 204 and not items[0] and _sends_as_is(headers):
            start_response(response.status, [(name, value) for name, value in headers
                                             if name.lower() != "content-length"])
            return _Body((), response.close)
    return response(environ, start_response)


class _Body(list[bytes]):
    """A response's body items, closed by the server with the response (its close()
    runs the call_on_close callbacks): werkzeug's ClosingIterator, without its cost."""

    __slots__ = ("close",)

    def __init__(self, items: Iterable[bytes], close: Callable[[], None]) -> None:
        super().__init__(items)
        self.close = close


def _sends_as_is(headers: Headers) -> bool:
    """A Content-Length and no (Content-)Location: what werkzeug would send unchanged."""
    has_length = False
    for name, _value in headers:
        name = name.lower()
        if name == "content-length":
            has_length = True
        elif name in ("location", "content-location"):
            return False
    return has_length
