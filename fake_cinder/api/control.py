"""The /_fake/ control API: state, faults and the request journal over plain HTTP.

What FakeCinder's Python API does, a black-box client in any language can do
here. These requests are not journaled and nothing of this lives under /v3.
Errors use Cinder's error body (``{"badRequest": {"code": 400, "message": ...}}``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..core import quotas as quota_rules
from ..core.errors import BadRequest, NotFound
from ..core.journal import FILTER_KEYS
from ..core.overview import STATUS_CLASSES, journal_page, types_overview, volumes_page
from ..core.state_files import StateError
from .control_reads import checked_query, revalidated_json, whole_number
from .error_bodies import JSON
from .openapi import RouteDoc
from .routing import Router, View, WebRequest

if TYPE_CHECKING:
    from ..fake import FakeCinder

PREFIX = "/_fake"
# Whole states go through /_fake/state: Cinder's 114688-byte request limit is not for them.
MAX_CONTROL_BODY_SIZE = 64 * 1024 * 1024


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type=JSON)


def _no_content() -> Response:
    return Response(b"", status=204, content_type=JSON)


def _body(request: Request) -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise BadRequest("Malformed request body") from None


def fake_health(req: WebRequest) -> Response:
    return _json({"status": "ok"})


# -- state ----------------------------------------------------------------------------------------
def fake_state_show(req: WebRequest) -> Response:
    return _json(req.fake.dump())


def fake_state_replace(req: WebRequest) -> Response:
    state = _body(req.http)
    try:
        req.fake.load(state if state is not None else {}, name="request body")
    except StateError as exc:
        raise BadRequest(str(exc)) from None
    return _json(req.fake.dump())


def fake_state_add(req: WebRequest) -> Response:
    """Add records (a state, merged into the current one: ``load(..., replace=False)``)."""
    state = _body(req.http)
    try:
        req.fake.load(state if state is not None else {}, replace=False, name="request body")
    except StateError as exc:
        raise BadRequest(str(exc)) from None
    return _json(req.fake.dump())


def fake_reset(req: WebRequest) -> Response:
    req.fake.reset(project_id=req.http.args.get("project_id") or None)
    return _no_content()


def fake_volume_list(req: WebRequest) -> Response:
    """Every volume with its type's name, protocol and multiattach in effect, its
    attachments and their lifecycles (what the dashboard shows); a page of them with
    ``limit``/``offset``, filtered by ``project_id``, ``status`` and ``search``."""
    query = checked_query(req, "fake_volume_list")
    return revalidated_json(req, volumes_page(
        req.fake.store, req.fake.journal, limit=whole_number(query, "limit"),
        offset=whole_number(query, "offset") or 0, project_id=query.get("project_id"),
        status=query.get("status"), search=query.get("search")))


def fake_type_list(req: WebRequest) -> Response:
    """Every volume type with its extra specs, QoS specs, encryption, access list and
    volume count (the dashboard's types view)."""
    return revalidated_json(req, {"volume_types": types_overview(req.fake.store)})


# -- quotas ---------------------------------------------------------------------------------------
def _quota_view(fake: FakeCinder) -> dict[str, Any]:
    state = fake.dump().get("quotas") or {}
    return {"defaults": state.get("defaults", {}), "projects": state.get("projects", {})}


def fake_quotas_show(req: WebRequest) -> Response:
    """The quota limits set in place of Cinder's defaults (FakeCinder.set_quotas)."""
    return _json(_quota_view(req.fake))


def fake_quotas_update(req: WebRequest) -> Response:
    """Set limits: ``{"defaults": {...}, "projects": {"<id>": {...}}}``, all or nothing."""
    body = _body(req.http)
    parts = [(None, body.get("defaults", {}))] if isinstance(body, dict) else []
    if isinstance(body, dict) and isinstance(body.get("projects", {}), dict):
        parts += list(body.get("projects", {}).items())
    if (not isinstance(body, dict) or set(body) - {"defaults", "projects"}
            or not all(isinstance(limits, dict) for _project, limits in parts)):
        raise BadRequest("The body must be a JSON object with a \"defaults\" object and/or "
                         "a \"projects\" object of objects.")
    fake = req.fake
    with fake.store.lock:
        for _project, limits in parts:  # every part is checked before any is set
            quota_rules.checked_quota_set(fake.store, limits)
        for project_id, limits in parts:
            fake.set_quotas(project_id, **limits)
    return _json(_quota_view(req.fake))


# -- faults ---------------------------------------------------------------------------------------
def fake_fault_list(req: WebRequest) -> Response:
    return revalidated_json(req, {"faults": [f.to_dict() for f in req.fake.faults.list()]})


def fake_fault_create(req: WebRequest) -> Response:
    options = _body(req.http)
    if not isinstance(options, dict) or not isinstance(options.get("operation"), str):
        raise BadRequest("The body must be a JSON object with an \"operation\".")
    try:
        handle = req.fake.inject(**options)
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    return _json({"fault": handle.fault.to_dict()}, status=201)


def fake_fault_clear(req: WebRequest) -> Response:
    req.fake.faults.clear()
    return _no_content()


def fake_fault_show(req: WebRequest) -> Response:
    fault_id = req.params["fault_id"]
    fault = req.fake.faults.get(fault_id)
    if fault is None:
        raise NotFound(f"Fault {fault_id} could not be found.")
    return _json({"fault": fault.to_dict()})


def fake_fault_delete(req: WebRequest) -> Response:
    fault_id = req.params["fault_id"]
    if not req.fake.faults.remove(fault_id):
        raise NotFound(f"Fault {fault_id} could not be found.")
    return _no_content()


# -- journal --------------------------------------------------------------------------------------
_JOURNAL_PAGING = ("operation", "since", "order", "limit", "offset")


def _journal_filters(request: Request) -> dict[str, Any]:
    """The entry filters of the query (a status class is not one: see list_requests)."""
    filters: dict[str, Any] = {}
    for key, value in request.args.items():
        if key in _JOURNAL_PAGING:
            continue
        if key not in FILTER_KEYS:
            raise BadRequest(f"Unknown filter {key}; use operation, since, order, limit, "
                             f"offset or {', '.join(FILTER_KEYS)}.")
        if key == "status":
            if value in STATUS_CLASSES:
                continue
            try:
                filters[key] = int(value)
            except ValueError:
                raise BadRequest("status must be an integer") from None
        else:
            filters[key] = value
    return filters


def _since(request: Request) -> int:
    """``since=N``: only entries after sequence number N (a poller's cursor)."""
    value = request.args.get("since", "0")
    try:
        since = int(value)
    except ValueError:
        raise BadRequest("since must be an integer") from None
    if since < 0:
        raise BadRequest("since must not be negative")
    return since


def fake_request_list(req: WebRequest) -> Response:
    """The journal, filtered, after ``since``; ``order=newest`` and ``limit``/``offset``
    page it (the dashboard's journal), ``status`` may be a class (``4xx``, ``dropped``)."""
    filters = _journal_filters(req.http)
    since = _since(req.http)
    query = checked_query(req, "fake_request_list")
    try:
        entries = req.fake.journal.entries(query.get("operation"), **filters)
    except ValueError as exc:  # an unknown operation name
        raise BadRequest(str(exc)) from None
    status = query.get("status")
    return revalidated_json(req, journal_page(
        req.fake.journal, [e for e in entries if e.seq > since],
        status_class=status if status in STATUS_CLASSES else None,
        newest_first=query.get("order") == "newest", limit=whole_number(query, "limit"),
        offset=whole_number(query, "offset") or 0))


def fake_request_clear(req: WebRequest) -> Response:
    req.fake.journal.clear()
    return _no_content()


def fake_lifecycle(req: WebRequest) -> Response:
    attachment_id = req.params["attachment_id"]
    return _json({"attachment_id": attachment_id,
                  "statuses": req.fake.journal.lifecycle(attachment_id)})


# -- asynchronous transitions -------------------------------------------------------------------
def _transitions_view(fake: FakeCinder) -> dict[str, Any]:
    return {"operations": fake.transition_operations(), **fake.transitions()}


def fake_transition_list(req: WebRequest) -> Response:
    """Every asynchronous operation with its statuses, the progressions set, the pending
    work."""
    return revalidated_json(req, _transitions_view(req.fake))


def fake_transition_update(req: WebRequest) -> Response:
    """``{"seconds": S}``, ``{"polls": N}``, ``{"manual": true}`` or ``{"immediate": true}``
    for one operation (``*``: the default of all)."""
    options = _body(req.http)
    if not isinstance(options, dict):
        raise BadRequest("The body must be a JSON object with one of seconds, polls, "
                         "manual or immediate.")
    unknown = set(options) - {"seconds", "polls", "manual", "immediate"}
    if unknown:
        raise BadRequest(f"Unknown options {', '.join(sorted(unknown))}; use one of "
                         "seconds, polls, manual or immediate.")
    try:
        req.fake.set_transition(req.params["operation"], **options)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return _json(_transitions_view(req.fake))


def fake_advance(req: WebRequest) -> Response:
    """Finish pending work: all, or ``?volume_id=``, ``?snapshot_id=``, ``?operation=``."""
    unknown = set(req.http.args) - {"volume_id", "snapshot_id", "operation"}
    if unknown:
        raise BadRequest(f"Unknown filter {', '.join(sorted(unknown))}; use volume_id, "
                         "snapshot_id or operation.")
    try:
        done = req.fake.advance(**req.http.args.to_dict())
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return _json({"advanced": done})


# The control API's errors are Cinder faults (400, 404) and a 413 over its own 64 MiB limit.
# POST /_fake/faults is not fuzzed: it makes the fake fail.
_ERRORS = (400, 413)
ROUTES: list[tuple[str, str, View, RouteDoc]] = [
    ("GET", "/health", fake_health, RouteDoc("fake_health", "Control API: is the fake up")),
    ("GET", "/state", fake_state_show, RouteDoc("fake_state_show", "Control API: the whole state",
                                          response="state")),
    ("PUT", "/state", fake_state_replace, RouteDoc(
        "fake_state_replace", "Control API: replace the state", errors=_ERRORS,
        request="state", response="state", request_required=False)),
    ("POST", "/state", fake_state_add, RouteDoc(
        "fake_state_add", "Control API: add records to the state", errors=_ERRORS,
        request="state", response="state", request_required=False)),
    ("POST", "/reset", fake_reset, RouteDoc(
        "fake_reset", "Control API: forget everything, or one project_id", 204)),
    ("GET", "/faults", fake_fault_list, RouteDoc("fake_fault_list",
                                             "Control API: the injected faults")),
    ("POST", "/faults", fake_fault_create, RouteDoc(
        "fake_fault_create", "Control API: inject a fault", 201, errors=_ERRORS,
        response="fake_fault_show.response", fuzz=False)),
    ("DELETE", "/faults", fake_fault_clear, RouteDoc(
        "fake_fault_clear", "Control API: remove every fault", 204)),
    ("GET", "/faults/<fault_id>", fake_fault_show, RouteDoc(
        "fake_fault_show", "Control API: one fault", errors=(404, 413))),
    ("DELETE", "/faults/<fault_id>", fake_fault_delete, RouteDoc(
        "fake_fault_delete", "Control API: remove one fault", 204, errors=(404, 413))),
    ("GET", "/requests", fake_request_list, RouteDoc(
        "fake_request_list", "Control API: the request journal", errors=_ERRORS)),
    ("DELETE", "/requests", fake_request_clear, RouteDoc(
        "fake_request_clear", "Control API: empty the journal", 204)),
    ("GET", "/attachments/<attachment_id>/lifecycle", fake_lifecycle, RouteDoc(
        "fake_lifecycle", "Control API: an attachment's statuses")),
    ("GET", "/quotas", fake_quotas_show, RouteDoc(
        "fake_quotas_show", "Control API: the quota limits set in place of Cinder's defaults")),
    ("PUT", "/quotas", fake_quotas_update, RouteDoc(
        "fake_quotas_update", "Control API: set quota limits (defaults, per project)",
        errors=_ERRORS, response="fake_quotas_show.response")),
    ("GET", "/transitions", fake_transition_list, RouteDoc(
        "fake_transition_list", "Control API: asynchronous operations, their progressions "
                                "and the pending work")),
    ("PUT", "/transitions/<operation>", fake_transition_update, RouteDoc(
        "fake_transition_update", "Control API: how long one operation's transition lasts",
        errors=_ERRORS, response="fake_transition_list.response")),
    ("POST", "/advance", fake_advance, RouteDoc(
        "fake_advance", "Control API: finish pending work (all, or one record's)",
        errors=_ERRORS)),
    ("GET", "/volumes", fake_volume_list, RouteDoc(
        "fake_volume_list", "Control API: every volume with its attachments and their "
                            "lifecycles, or a page of them", errors=_ERRORS)),
    ("GET", "/types", fake_type_list, RouteDoc(
        "fake_type_list", "Control API: every volume type with its QoS specs and access")),
]


def register(router: Router) -> None:
    """The /_fake/ control API."""
    for method, rule, view, doc in ROUTES:
        router.web(method, PREFIX + rule, view, doc=doc)
