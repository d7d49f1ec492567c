"""The response check of the whole suite: every response of the Cinder APIs a test's
fake sends is judged by the response schemas in ``schemas/``."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from fake_cinder import FakeCinder
from fake_cinder.api import microversions as mv

# The statuses the Cinder API answers with an empty body.
EMPTY_STATUSES = (202, 204, 302, 412)  # 412: a metadata PUT whose If-Match is stale


def response_problems(fake: FakeCinder, response: Response, request: Request,
                      record: dict[str, Any]) -> list[str]:
    """What is wrong with one response of the fake, judged by the schemas
    (``record``: what the fake learnt of the request, as its response hooks get it)."""
    status = response.status_code
    raw = response.get_data()
    if status == 302:
        return [] if response.headers.get("Location") else ["302 without Location"]
    body: Any
    if not raw:
        if status in EMPTY_STATUSES:
            return []
        if status != 200:
            return [f"{status} with an empty body"]
        if fake.schemas.find(record.get("operation") or "", "response",
                             record.get("api_version") or mv.MIN_VERSION) is None:
            return []  # an operation that never has a body (quota_delete's empty 200)
        body = None  # Cinder's empty ResponseObject: its schema must allow null
    elif _under(request.path, "/image") and response.mimetype != "application/json":
        return glance_page_problems(response)
    elif response.mimetype == "text/html" and status == 200:
        body = raw.decode()  # a bare string Cinder hands to WebOb: its schema says string
    elif response.mimetype != "application/json":
        return [f"{status} with content type {response.mimetype}"]
    else:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return [f"{status}: body is not JSON: {exc}"]
    version = record.get("api_version") or mv.MIN_VERSION
    if status >= 400:
        # WebOb's errors (outside Cinder's router) carry a string code; Keystone has its own.
        webob = isinstance(body, dict) and isinstance(body.get("code"), str)
        operation = ("webob_fault" if webob else "keystone_error" if is_keystone_path(
            request.path) else "fault")
        version = mv.MIN_VERSION
    else:
        operation = record.get("operation") or documented_operation(fake, record)
        if operation is None:
            return [f"{status} from an unnamed operation"]
    return [f"{operation} {status}: {problem}"
            for problem in fake.schemas.errors(operation, "response", version, body)]


def glance_page_problems(response: Response) -> list[str]:
    """Glance's answers that are not JSON: image data, and WebOb's HTML error pages (for
    clients that do not ask for JSON, as glanceclient)."""
    status = response.status_code
    if status == 200 and response.mimetype == "application/octet-stream":
        return []
    page = response.get_data(as_text=True)
    if status >= 400 and response.mimetype == "text/html" and f"<h1>{status} " in page:
        return []
    return [f"{status} with content type {response.mimetype}"]


def documented_operation(fake: FakeCinder, record: dict[str, Any]) -> str | None:
    """The response schema's operation of a route described by a RouteDoc (Keystone's,
    compute's): its ``response`` file's, else its own."""
    route = record.get("route")  # the pipeline's record of a route outside /v3
    doc = route.doc if route is not None else None
    if doc is None:
        return None
    entry = fake.schemas.by_name.get(doc.response or "")
    return entry.operation if entry else doc.operation


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def is_keystone_path(path: str) -> bool:
    return _under(path, "/identity")


def is_cinder_path(path: str) -> bool:
    """The APIs the fake serves (Cinder's versions document and /v3, Keystone's /identity,
    Nova's /compute, Glance's /image), not the fake's own extras."""
    return path == "/" or any(_under(path, p) for p in ("/v3", "/identity", "/compute",
                                                        "/image"))


def install_response_check(fake: FakeCinder, problems: list[str]) -> None:
    """Check every Cinder API response of ``fake``; what is wrong goes to ``problems``."""

    def check(request: Request, response: Response, record: dict[str, Any]) -> None:
        if is_cinder_path(request.path):
            problems.extend(f"{request.method} {request.path}: {p}"
                            for p in response_problems(fake, response, request, record))

    fake.response_hooks.append(check)
