"""The route table of every URL the fake serves, and Cinder's v3 request handling.

Two kinds of routes share one table (``Router``), compiled once per process:

- ``/v3`` API operations (``Router.add``/``add_actions``): each says once which
  operation it is, its URL, the microversions it exists in and what an injected
  fault can be aimed at; its handler gets a validated ``ApiRequest``. ``dispatch``
  checks in the order of Cinder's router and wsgi.Resource: the URL's project id,
  version header, content type, action lookup, body parsing, the project id's owner,
  version gate, schema, injected faults, handler;
- every other URL (``Router.web``): the version documents, Keystone's /identity,
  Nova's /compute, the /_fake/ control API, /openapi.json. A view takes a
  ``WebRequest`` and returns a werkzeug ``Response``.

The table is werkzeug's routing alone: ``app.FakeWsgi`` matches a request against it
and calls the route (Flask's dispatch only serves the routes a user adds to
``fake.app``).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as RoutingNotFound
from werkzeug.http import parse_options_header
from werkzeug.routing import Map, Rule
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_content_length

from ..core.context import Caller
from ..core.errors import BadRequest, CinderError, NotFound
from ..core.projects import routes_project
from ..core.transitions import REQUEST_ID
from . import fault_injection
from . import microversions as mv
from .fault_injection import FaultTargets
from .views import BareValue

if TYPE_CHECKING:
    from ..fake import FakeCinder
    from .openapi import RouteDoc
    from .request_record import RequestRecord

JSON_TYPES = ("application/json", "application/vnd.openstack.volume+json")
MAX_REQUEST_BODY_SIZE = 114688  # oslo.middleware's sizelimit default
MALFORMED_BODY = "Malformed request body"


@dataclass(slots=True)
class ApiRequest:
    """What a handler needs to know about its request."""

    fake: FakeCinder
    caller: Caller
    version: mv.APIVersion
    operation: str
    params: dict[str, str]
    http: Request
    body: Any = None
    args: dict[str, str] = field(default_factory=dict)
    url_project_id: str | None = None  # the project id in the URL, if it had one
    async_failure: bool = False  # an injected fault: the volume manager's work fails
    request_id: str | None = None  # Cinder's req-... id of this request

    @property
    def base_url(self) -> str:
        """Where the client reached the fake (scheme and host), for links."""
        return self.http.host_url.rstrip("/")


Handler = Callable[[ApiRequest], tuple[int, Any]]


@dataclass(slots=True)
class JsonAnswer:
    """An operation's answer as Cinder's wsgi layer serializes it: a status and a JSON
    body (b"" for none; Cinder sends the JSON content type even then). It becomes a
    werkzeug ``Response`` only where one is needed (a response hook, Flask's handling):
    the fake's own pipeline sends it as it is (``app.send_answer``)."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation: its handler, the microversions it exists in, the Cinder
    policies it asks (``core.policy``'s names; ``()``: none, as Cinder's attachment reads;
    None: not declared, which the route table's tests refuse), and what an injected fault
    can be aimed at (``fault_targets``; by default the records its URL names, filled in by
    ``Router``)."""

    name: str
    handler: Handler
    min_version: mv.APIVersion = mv.MIN_VERSION
    max_version: mv.APIVersion = mv.MAX_VERSION
    validates_body: bool = False
    validates_query: bool = False
    policies: tuple[str, ...] | None = None
    fault_targets: FaultTargets | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """A URL under /v3 (with and without a project id) and its method.

    Compared and hashed by identity: each is one entry of the route table."""

    method: str
    rule: str
    operation: Operation | None = None
    # For POST .../action: the action key in the body -> its operation.
    actions: dict[str, Operation] | None = None

    @property
    def operations(self) -> list[Operation]:
        return [self.operation] if self.operation else list((self.actions or {}).values())


@dataclass(slots=True)
class WebRequest:
    """What a view outside /v3 gets: the fake, werkzeug's request, the URL's
    parameters and the request's record (``record.operation`` names it in the
    journal)."""

    fake: FakeCinder
    http: Request
    params: dict[str, str]
    record: RequestRecord

    @property
    def base_url(self) -> str:
        """Where the client reached the fake (scheme and host), for links."""
        return self.http.host_url.rstrip("/")


View = Callable[[WebRequest], Response]


@dataclass(frozen=True, slots=True, eq=False)
class WebRoute:
    """A URL outside the v3 API (its full werkzeug rule) and its method.

    ``name`` identifies it (``module.view`` unless given); ``doc`` describes it in
    /openapi.json. ``strict_slashes``: whether a trailing slash must match exactly
    (otherwise ``/identity`` and ``/identity/`` are one URL)."""

    method: str
    rule: str
    view: View
    name: str
    doc: RouteDoc | None = None
    strict_slashes: bool = False


class Router:
    """Collects routes; ``url_map`` compiles them for matching."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.web_routes: list[WebRoute] = []

    def add(self, method: str, rule: str, operation: Operation) -> None:
        """A v3 API operation at ``/v3/[<project_id>/]rule``."""
        self._check_new(method, rule)
        self.routes.append(Route(method, rule, operation=_targeted(operation, rule)))

    def add_actions(self, rule: str, actions: dict[str, Operation]) -> None:
        """``POST .../action``: the body's one key picks the operation. One call per
        URL holds all of its actions."""
        self._check_new("POST", rule)
        self.routes.append(Route("POST", rule, actions={
            name: _targeted(operation, rule) for name, operation in actions.items()}))

    def _check_new(self, method: str, rule: str) -> None:
        """A second route for the same method and URL would never be reached."""
        for route in self.routes:
            if route.method == method and route.rule == rule:
                what = "actions" if route.actions is not None else "a route"
                names = ", ".join(sorted(route.actions or {})) or (
                    route.operation.name if route.operation else "")
                raise ValueError(f"{method} {rule} already has {what} ({names}): add to "
                                 "that declaration instead of declaring the URL again")

    def web(self, method: str, rule: str, view: View, *, doc: RouteDoc | None = None,
            name: str | None = None, strict_slashes: bool = False) -> None:
        """A URL outside /v3 (a full rule such as ``/_fake/faults/<fault_id>``)."""
        doc = doc or getattr(view, "openapi_doc", None)
        module = view.__module__.rsplit(".", 1)[-1]
        self.web_routes.append(WebRoute(method, rule, view, name or f"{module}.{view.__name__}",
                                        doc, strict_slashes))

    def rules(self) -> Iterator[tuple[str, Route, bool]]:
        """(URL rule, route, whether the URL carries the project id) of every route."""
        for route in self.routes:
            yield f"/v3/<project_id>/{route.rule}", route, True
            yield f"/v3/{route.rule}", route, False

    def url_map(self) -> Map:
        """Every route compiled for matching; each rule's endpoint is its Route or
        WebRoute."""
        # Cinder's router matches /v3 paths exactly: "volumes/" is its 404, not the list.
        rules = [Rule(url, endpoint=route, methods=[route.method], strict_slashes=True)
                 for url, route, _scoped in self.rules()]
        rules += [Rule(route.rule, endpoint=route, methods=[route.method],
                       strict_slashes=route.strict_slashes) for route in self.web_routes]
        # Built once and only read afterwards (matching is then thread safe).
        url_map = Map(rules, strict_slashes=False)
        url_map.update()
        return url_map


def _targeted(operation: Operation, rule: str) -> Operation:
    """The operation with its fault targets: those it declares, else its URL's records."""
    if operation.fault_targets is not None:
        return operation
    return dataclasses.replace(operation, fault_targets=FaultTargets.of_rule(rule))


@functools.lru_cache(maxsize=256)
def _mimetype(content_type: str) -> str:
    """request.mimetype, parsed once per Content-Type value (clients send a handful)."""
    return parse_options_header(content_type)[0].lower()


def body_absent(req: Request) -> bool:
    """A request with neither a Content-Length nor a chunked body has none (HTTP/1.1),
    and werkzeug's get_data would read b"": known without building an input stream.
    (Some servers, waitress among them, mark every input as terminated.)"""
    if req.content_length is not None:
        return False
    environ = req.environ
    return ("wsgi.input_terminated" not in environ
            or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower())


class HttpRequest(Request):
    """A request to the fake's own pipeline (``app.FakeWsgi``): bodies are cut off at
    Cinder's size limit while read (chunked ones too, as oslo's sizelimit middleware
    does)."""

    max_content_length = MAX_REQUEST_BODY_SIZE

    @cached_property
    def content_length(self) -> int | None:  # type: ignore[override]
        # werkzeug's, read from the environ: its own builds the headers view for it,
        # whose misses raise KeyError (2 us of every request).
        return get_content_length(self.environ)


def _read_body(req: Request) -> tuple[str | None, bytes]:
    """Cinder's get_body: (content type, raw body); an empty body has no type."""
    if body_absent(req):
        return None, b""
    length = req.content_length
    if type(req) is HttpRequest and length is not None:
        # The fake's own request, whose input nothing has read yet (Flask's request may
        # have been read by a user's hook): its Content-Length body straight from the
        # input; werkzeug's stream would wrap the input twice first (a tenth of the
        # pipeline's cost). get_data reads it again from the copy left in its place.
        # begin() answered a length over MAX_REQUEST_BODY_SIZE with its 413 unread.
        environ = req.environ
        raw = environ["wsgi.input"].read(length)
        if len(raw) < length:
            raise ClientDisconnected()  # what werkzeug's stream raises there
        environ["wsgi.input"] = io.BytesIO(raw)
    else:
        raw = req.get_data(cache=True)
        if (length is None and len(raw) >= MAX_REQUEST_BODY_SIZE
                and req.environ["wsgi.input"].read(1)):
            # A chunked body stops at MAX_CONTENT_LENGTH; anything left means it was
            # larger.
            raise RequestEntityTooLarge()
    if not raw:
        return None, b""
    content_type = _mimetype(req.environ.get("CONTENT_TYPE", ""))
    if content_type not in JSON_TYPES:
        raise CinderError("Unsupported Content-Type", status=415)
    return content_type, raw


# Deeper JSON than this is refused: Python's parser and deepcopy (dump/load) recurse per
# level, so a deeply nested connector would otherwise end in a 500 or an undumpable state.
MAX_BODY_DEPTH = 32


def _too_deep(value: Any) -> bool:
    level: list[Any] = [value]
    for _ in range(MAX_BODY_DEPTH):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return any(isinstance(item, (dict, list)) for item in level)


def oslo_json_loads(raw: bytes) -> Any:
    """A body's JSON as Cinder and Nova read it (oslo's ``jsonutils.loads``): decoded as
    strict UTF-8 first, so a byte-order mark or a UTF-16 or UTF-32 body is malformed
    there (Python's ``json.loads`` of bytes would detect those encodings and take them;
    seen on Cinder 29: 400). Raises ValueError, also for JSON nested deeper than
    Python's parser goes."""
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


def _decode(raw: bytes) -> Any:
    try:
        decoded = oslo_json_loads(raw)
    except ValueError:
        raise BadRequest(MALFORMED_BODY) from None
    # A body with at most MAX_BODY_DEPTH opening brackets cannot nest deeper: counting
    # bytes (in C) spares the walk for nearly every body. Each "{" or "[" is one such
    # byte in UTF-8; other bytes can only raise the count.
    if raw.count(b"{") + raw.count(b"[") > MAX_BODY_DEPTH and _too_deep(decoded):
        raise BadRequest(f"{MALFORMED_BODY}: JSON nested deeper than {MAX_BODY_DEPTH} levels")
    return decoded


def _pick_action(route: Route, raw: bytes) -> tuple[Operation, Any]:
    """Cinder's action_peek: the body must be an object with exactly one key."""
    if not raw:
        # No body: Cinder looks up the action None.
        raise BadRequest("There is no such action: None. Verify the request body and "
                         "Content-Type header and try again.")
    decoded = _decode(raw)
    if not isinstance(decoded, dict):
        if isinstance(decoded, (list, str)) and len(decoded) != 1:
            raise BadRequest(MALFORMED_BODY)
        raise NotFound("The resource could not be found.")
    if len(decoded) != 1:
        raise BadRequest(MALFORMED_BODY)
    (name,) = decoded
    operation = (route.actions or {}).get(name)
    if operation is None:
        raise BadRequest(f"There is no such action: {name}. Verify the request body and "
                         "Content-Type header and try again.")
    return operation, decoded


# Clients send the same version header on every request: negotiate each value once
# (refusals raise, and exceptions are never cached).
_negotiate = functools.lru_cache(maxsize=256)(mv.negotiate)


def dispatch(route: Route, req: Request, record: RequestRecord,
             params: dict[str, str]) -> Response | JsonAnswer:
    """One request of a matched route, from the version header to the response.

    ``record`` is the request's record: what is learnt here (version, operation,
    payload) is written into it for the headers and the journal.
    """
    if req.method != route.method:
        # Werkzeug adds HEAD to GET rules; Cinder's router matches only the declared
        # method, so anything else is its plain 404.
        raise RoutingNotFound()
    fake = record.fake
    caller = record.caller
    assert caller is not None  # begin() answered 401 to a /v3 request without one
    project_id = params.pop("project_id", None)
    if project_id is not None and not routes_project(fake.store, caller, project_id):
        raise RoutingNotFound()  # Cinder's router takes no such project id
    record.params = params  # the journal reads the attachment id from them
    version = record.api_version = _negotiate(req.environ.get(mv.ENVIRON_KEY),
                                              fake.max_version)
    content_type, raw = _read_body(req)
    record.body = raw  # for the journal
    if route.actions is not None:
        operation, body = _pick_action(route, raw)
    else:
        assert route.operation is not None
        operation = route.operation
        body = _decode(raw) if content_type else None
    record.operation = operation.name
    if project_id is not None and project_id != caller.project_id:
        raise BadRequest("Malformed request url")
    if not operation.min_version <= version <= operation.max_version:
        raise NotFound("The resource could not be found.")
    args = req.args.to_dict() if req.query_string else {}
    if operation.validates_body:
        # No body at all makes Cinder fail with a 500; validating {} names what is
        # missing. A JSON null is a body, and is validated as one.
        fake.schemas.validate(operation.name, "request", version,
                              {} if content_type is None else body, raw=raw)
    if operation.validates_query:
        fake.schemas.validate(operation.name, "query", version, args)
    if fake.faults:
        assert operation.fault_targets is not None  # Router fills them in
        fault_injection.fire(fake, operation.name, operation.fault_targets, caller, params,
                             body, record)
    api_request = ApiRequest(fake=fake, caller=caller, version=version,
                             operation=operation.name, params=params, http=req, body=body,
                             args=args, url_project_id=project_id,
                             async_failure=record.async_failure,
                             request_id=record.request_id)
    started = REQUEST_ID.set(record.request_id)  # the manager's messages carry it
    try:
        status, payload = operation.handler(api_request)
    finally:
        REQUEST_ID.reset(started)
    record.payload = payload  # the journal reads a created attachment's id from it
    fault_injection.after_handler(fake, record)
    if isinstance(payload, Response):
        if isinstance(payload, BareValue):
            record.api_version = None  # WebOb sends it without Cinder's version headers
        return payload
    return JsonAnswer(status, b"" if payload is None else json.dumps(payload).encode())
