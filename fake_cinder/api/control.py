"""The /_fake/ control API: state, faults and the request journal over plain HTTP.

What FakeCinder's Python API does, a black-box client in any language can do
here. These requests are not journaled and nothing of this lives under /v3.
Errors use Cinder's fault body (``{"badRequest": {"code": 400, "message": ...}}``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, request
from werkzeug.wrappers import Response

from ..core import quotas as quota_rules
from ..core.errors import BadRequest, NotFound
from ..core.journal import FILTER_KEYS
from ..core.snapshot import StateError
from .fault_bodies import JSON

if TYPE_CHECKING:
    from ..fake import FakeCinder

PREFIX = "/_fake"
# Whole states go through /_fake/state: Cinder's 114688-byte request limit is not for them.
MAX_CONTROL_BODY_SIZE = 64 * 1024 * 1024
control = Blueprint("fake_control", __name__, url_prefix=PREFIX)


@control.before_request
def _allow_whole_states() -> None:
    request.max_content_length = MAX_CONTROL_BODY_SIZE


def _fake() -> FakeCinder:
    return current_app.extensions["fake_cinder"]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type=JSON)


def _no_content() -> Response:
    return Response(b"", status=204, content_type=JSON)


def _body() -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise BadRequest("Malformed request body") from None


@control.get("/health")
def health() -> Response:
    return _json({"status": "ok"})


# -- state ----------------------------------------------------------------------------------------
@control.get("/state")
def get_state() -> Response:
    return _json(_fake().dump())


@control.put("/state")
def put_state() -> Response:
    state = _body()
    try:
        _fake().load(state if state is not None else {}, name="request body")
    except StateError as exc:
        raise BadRequest(str(exc)) from None
    return _json(_fake().dump())


@control.post("/state")
def add_state() -> Response:
    """Add records (a state, merged into the current one: ``load(..., replace=False)``)."""
    state = _body()
    try:
        _fake().load(state if state is not None else {}, replace=False, name="request body")
    except StateError as exc:
        raise BadRequest(str(exc)) from None
    return _json(_fake().dump())


@control.post("/reset")
def reset() -> Response:
    _fake().reset(project_id=request.args.get("project_id") or None)
    return _no_content()


# -- quotas ---------------------------------------------------------------------------------------
def _quota_view() -> dict[str, Any]:
    state = _fake().dump().get("quotas") or {}
    return {"defaults": state.get("defaults", {}), "projects": state.get("projects", {})}


@control.get("/quotas")
def get_quotas() -> Response:
    """The quota limits set in place of Cinder's defaults (FakeCinder.set_quotas)."""
    return _json(_quota_view())


@control.put("/quotas")
def put_quotas() -> Response:
    """Set limits: ``{"defaults": {...}, "projects": {"<id>": {...}}}``, all or nothing."""
    body = _body()
    parts = [(None, body.get("defaults", {}))] if isinstance(body, dict) else []
    if isinstance(body, dict) and isinstance(body.get("projects", {}), dict):
        parts += list(body.get("projects", {}).items())
    if (not isinstance(body, dict) or set(body) - {"defaults", "projects"}
            or not all(isinstance(limits, dict) for _project, limits in parts)):
        raise BadRequest("The body must be a JSON object with a \"defaults\" object and/or "
                         "a \"projects\" object of objects.")
    fake = _fake()
    with fake.store.lock:
        for _project, limits in parts:  # every part is checked before any is set
            quota_rules.checked_quota_set(fake.store, limits)
        for project_id, limits in parts:
            fake.set_quotas(project_id, **limits)
    return _json(_quota_view())


# -- faults ---------------------------------------------------------------------------------------
@control.get("/faults")
def list_faults() -> Response:
    return _json({"faults": [f.to_dict() for f in _fake().faults.list()]})


@control.post("/faults")
def add_fault() -> Response:
    options = _body()
    if not isinstance(options, dict) or not isinstance(options.get("operation"), str):
        raise BadRequest("The body must be a JSON object with an \"operation\".")
    try:
        handle = _fake().inject(**options)
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    return _json({"fault": handle.fault.to_dict()}, status=201)


@control.delete("/faults")
def clear_faults() -> Response:
    _fake().faults.clear()
    return _no_content()


@control.get("/faults/<fault_id>")
def show_fault(fault_id: str) -> Response:
    fault = _fake().faults.get(fault_id)
    if fault is None:
        raise NotFound(f"Fault {fault_id} could not be found.")
    return _json({"fault": fault.to_dict()})


@control.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    if not _fake().faults.remove(fault_id):
        raise NotFound(f"Fault {fault_id} could not be found.")
    return _no_content()


# -- journal --------------------------------------------------------------------------------------
def _journal_filters() -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key, value in request.args.items():
        if key == "operation":
            continue
        if key not in FILTER_KEYS:
            raise BadRequest(f"Unknown filter {key}; use operation or {', '.join(FILTER_KEYS)}.")
        if key == "status":
            try:
                filters[key] = int(value)
            except ValueError:
                raise BadRequest("status must be an integer") from None
        else:
            filters[key] = value
    return filters


@control.get("/requests")
def list_requests() -> Response:
    entries = _fake().journal.entries(request.args.get("operation"), **_journal_filters())
    return _json({"requests": [e.to_dict() for e in entries]})


@control.delete("/requests")
def clear_requests() -> Response:
    _fake().journal.clear()
    return _no_content()


@control.get("/attachments/<attachment_id>/lifecycle")
def lifecycle(attachment_id: str) -> Response:
    return _json({"attachment_id": attachment_id,
                  "statuses": _fake().journal.lifecycle(attachment_id)})


def install(app: Flask) -> None:
    """Add /_fake/ to a fake's app."""
    app.register_blueprint(control)
