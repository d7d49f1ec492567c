"""The control API's backends: list them with their services, add one, change a service
(/_fake/backends, /_fake/services), as the Python API's add_backend and set_service."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core import backends as backend_rules
from ..core.errors import BadRequest, CinderError
from ..core.models import record_to_dict
from ..core.state_files import StateError, check
from .control import PREFIX, _body, _json
from .control_reads import revalidated_json
from .openapi import RouteDoc
from .routing import Router, WebRequest

_ERRORS = (400, 413)
_SERVICE_FIELDS = {"host", "binary", "disabled", "disabled_reason", "state", "frozen"}


def _overview(req: WebRequest) -> dict[str, Any]:
    with req.fake.store.lock:
        return {"backends": req.fake.backends(), "services": req.fake.services(),
                "pools": backend_rules.pools_overview(req.fake.store)}


def fake_backend_list(req: WebRequest) -> Response:
    """Every backend with its pools, every service as os-services shows it, and every
    pool's use (what the dashboard shows)."""
    return revalidated_json(req, _overview(req))


def fake_backend_add(req: WebRequest) -> Response:
    """Add a backend (a state file's backend record), or replace the one of its host."""
    data = _body(req.http)
    try:
        check({"backends": [data]}, "request body")
    except StateError as exc:
        raise BadRequest(str(exc)) from None
    added = backend_rules.add_backend(req.fake.store, backend_rules.backend_from_dict(data))
    return _json(record_to_dict(added), 201)


def fake_service_update(req: WebRequest) -> Response:
    """Change a service: ``{"host", "binary" (default cinder-volume), "disabled",
    "disabled_reason", "state" (up or down), "frozen"}``."""
    body = _body(req.http)
    if (not isinstance(body, dict) or not isinstance(body.get("host"), str)
            or set(body) - _SERVICE_FIELDS):
        raise BadRequest("The body must be a JSON object with a \"host\" and any of "
                         "binary, disabled, disabled_reason, state, frozen.")
    try:
        backend_rules.set_service(
            req.fake.store, body["host"], body.get("binary", backend_rules.VOLUME_BINARY),
            disabled=body.get("disabled"), disabled_reason=body.get("disabled_reason"),
            state=body.get("state"), frozen=body.get("frozen"))
    except CinderError as exc:
        raise BadRequest(exc.message) from None
    return _json(_overview(req))


def register(router: Router) -> None:
    router.web("GET", PREFIX + "/backends", fake_backend_list, doc=RouteDoc(
        "fake_backend_list", "Control API: the backends and their services"))
    router.web("POST", PREFIX + "/backends", fake_backend_add, doc=RouteDoc(
        "fake_backend_add", "Control API: add a backend", 201, errors=_ERRORS))
    router.web("PUT", PREFIX + "/services", fake_service_update, doc=RouteDoc(
        "fake_service_update", "Control API: disable, stop or freeze a service",
        errors=_ERRORS, response="fake_backend_list.response"))
