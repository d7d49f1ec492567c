"""The OpenAPI 3.1 document of the fake, generated from what the app really serves.

Nothing here restates a schema: paths come from the route table (routing.py's
``Router``): a v3 route is described by its ``Route``/``Operation``, any other
by the ``RouteDoc`` it was registered with, and the request, query
and response schemas are the files of ``schemas/`` (found by their
``x-operation``/``x-kind``), placed once under ``components/schemas`` and
referenced from there.

Routes outside /v3 (the /_fake/ control API, the Keystone under /identity, the
compute lookups under /compute) are described by ``Router.web(..., doc=RouteDoc(...))``
or the ``documented(...)`` decorator on the view; their schemas are ordinary
``schemas/`` files whose ``x-operation`` is ``RouteDoc.operation`` (or files named
by ``RouteDoc.request``/``response``; ``RouteDoc.fault`` names the error body when
it is not Cinder's, e.g. Keystone's). ``undocumented_routes(router)`` lists any
route that has no description (a test keeps that list empty).

``make coverage-table`` (``python -m fake_cinder.api.openapi --readme``)
rewrites the coverage table of docs/api-coverage.md; ``python -m fake_cinder.api.openapi``
prints the document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from werkzeug.wrappers import Response

from . import microversions as mv
from .routing import Route, Router, WebRequest
from .validation import SchemaRegistry, schema_registry

JSON = "application/json"
COMPONENT = "#/components/schemas/"
FAULT = "fault.response"
WEBOB_FAULT = "webob_fault.response"
# Statuses answered before Cinder's router (WebOb's shape) or inside it (Cinder's fault).
_WEBOB_ONLY = {401, 413}
_EITHER = {404}
_STATUS_TEXT = {
    200: "OK", 202: "Accepted", 204: "No Content", 300: "Multiple Choices", 302: "Found",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    406: "Not Acceptable", 409: "Conflict", 413: "Request Entity Too Large",
    415: "Unsupported Media Type",
}
# Every request through the v3 pipeline can fail these ways: a bad version header or body
# (400), no identity (401), unknown id or a version below the route's (404), an unsupported
# version (406), an over-size body (413), a body that is not JSON (415).
V3_ERRORS = (400, 401, 404, 406, 413, 415)
# What the operations add to that (the statuses their handlers and the core raise); a 403
# comes from an operation's policies (``_router_doc``).
OPERATION_ERRORS: dict[str, tuple[int, ...]] = {
    "attachment_update": (409,),
    "attachment_delete": (409,),
    # Volume actions (api/volume_actions.py).
    "volume_detach": (409,),
    "volume_terminate_connection": (409,),
    "volume_force_detach": (409,),
    "volume_migrate_completion": (409,),
    "volume_reimage": (409,),
    # issue 20, types (api/volume_types.py, qos_specs.py): names and access taken.
    **dict.fromkeys(("volume_type_create", "volume_type_update", "volume_type_access_add",
                     "qos_specs_create"), (409,)),
    # Issue 19 (volfeat): a metadata PUT whose If-Match names another ETag.
    "volume_metadata_update_all": (412,),
    "volume_metadata_update": (412,),
    # Images (api/volume_images.py): an image name that matches several.
    "volume_create": (409,),
    # Generic volume groups (api/groups.py): a group type's name taken.
    "group_type_create": (409,),
    "group_type_update": (409,),
}
# Operations that answer Cinder's 413 fault when over a quota.
QUOTA_OPERATIONS = {"volume_create", "snapshot_create", "transfer_accept",
                    "volume_transfer_accept", "volume_retype", "group_create",
                    "group_create_from_src", "group_snapshot_create"}
# Success statuses other than 200 (handlers return them; Operation does not declare them).
OPERATION_SUCCESS: dict[str, int] = {
    "attachment_complete": 204,
    "volume_create": 202,
    "volume_delete": 202,
    "volume_reset_status": 202,
    # Volume actions (api/volume_actions.py): all 202 but these two (200 with a body).
    **{f"volume_{name}": 202 for name in (
        "begin_detaching", "roll_detaching", "reserve", "unreserve", "terminate_connection",
        "attach", "detach", "force_detach", "extend", "reimage", "update_readonly_flag")},
    "snapshot_create": 202,
    "snapshot_delete": 202,
    "snapshot_update_status": 202,
    "encryption_delete": 202,
    **dict.fromkeys((  # issue 20, types
        "volume_type_delete", "volume_type_extra_spec_delete", "volume_type_access_add",
        "volume_type_access_remove", "volume_retype", "qos_specs_delete",
        "qos_specs_delete_keys", "qos_specs_associate", "qos_specs_disassociate",
        "qos_specs_disassociate_all"), 202),
    **{f"{prefix}_{name}": 202 for prefix in ("transfer", "volume_transfer")
       for name in ("create", "accept", "delete")},
    "message_delete": 204,
    "volume_upload_image": 202,
    "volume_migrate": 202,
    "snapshot_force_delete": 202,
    "snapshot_reset_status": 202,
    # Generic volume groups (api/groups.py).
    **dict.fromkeys((
        "group_type_create", "group_type_delete", "group_specs_create", "group_spec_delete",
        "group_create", "group_create_from_src", "group_update", "group_delete",
        "group_reset_status", "group_snapshot_create", "group_snapshot_delete",
        "group_snapshot_reset_status"), 202),
}
README_START = "<!-- coverage-table:start (python -m fake_cinder.api.openapi --readme) -->"
README_END = "<!-- coverage-table:end -->"


@dataclass(frozen=True, slots=True)
class RouteDoc:
    """How one route outside the v3 API (a ``Router.web`` rule) is described.

    ``operation`` names the operationId and the ``schemas/`` files
    (``x-operation``) for its request body, query and response.
    """

    operation: str
    summary: str = ""
    success: int = 200
    errors: tuple[int, ...] = (413,)
    authenticated: bool = False
    microversioned: bool = False
    min_version: mv.APIVersion | None = None
    max_version: mv.APIVersion | None = None
    request_required: bool = True
    # Schema files (by stem) to use instead of the operation's, e.g. a shared "state".
    request: str | None = None
    response: str | None = None
    # The schema file of its errors when they are not Cinder's faults (Keystone's); a 413
    # stays WebOb's, answered before any route runs.
    fault: str | None = None
    # False for routes a fuzzer must not call at random (e.g. ones that make the fake fail
    # on purpose): the operation gets "x-fuzz": false and tests/fuzz skips it.
    fuzz: bool = True
    # Errors may also be WebOb's HTML page (Glance's, to a client not asking for JSON).
    error_pages: bool = False


F = TypeVar("F", bound=Callable[..., Any])
# URL prefixes that serve web pages, not an API (the dashboard): not described, not listed.
_PAGES: set[str] = set()


def documented(doc: RouteDoc) -> Callable[[F], F]:
    """Decorator form: describe a view wherever it is registered (``Router.web`` reads
    it when no ``doc`` is given there)."""
    def mark(view: F) -> F:
        view.openapi_doc = doc  # type: ignore[attr-defined]
        return view
    return mark


# -- which rule is what ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DescribedRoute:
    """One (path, method) of the app with its description."""

    path: str
    method: str
    doc: RouteDoc
    route: Route | None = None  # the v3 route-table entry it comes from, if any
    project_scoped: bool = False


_CONVERTER = re.compile(r"<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


def _router_doc(route: Route) -> RouteDoc:
    operations = route.operations
    names = [op.name for op in operations]
    errors = set(V3_ERRORS)
    for operation in operations:
        errors.update(OPERATION_ERRORS.get(operation.name, ()))
        if operation.policies:
            errors.add(403)  # a caller the policies refuse
    return RouteDoc(
        operation=" | ".join(names),
        summary=", ".join(names),
        success=OPERATION_SUCCESS.get(names[0], 200),
        errors=tuple(sorted(errors)),
        authenticated=True, microversioned=True,
        min_version=min(op.min_version for op in operations),
        max_version=max(op.max_version for op in operations))


def described_routes(router: Router) -> Iterator[DescribedRoute]:
    """Every (rule, method) served that has a description: the v3 API's routes, then
    the other routes in the order they were registered."""
    for url, route, scoped in router.rules():
        yield DescribedRoute(openapi_path(url), route.method, _router_doc(route), route, scoped)
    for web in router.web_routes:
        if web.doc is not None:
            yield DescribedRoute(openapi_path(web.rule), web.method, web.doc)


def pages(prefix: str) -> None:
    """Mark the routes under a URL prefix as web pages (the dashboard): they are no part
    of the API document."""
    _PAGES.add(prefix)


def _is_page(rule: str) -> bool:
    return any(rule == prefix or rule.startswith(prefix + "/") for prefix in _PAGES)


def undocumented_routes(router: Router) -> list[str]:
    """'METHOD /rule' of every route outside /v3 nobody described (web pages aside); the
    v3 API's routes are all described by their operations."""
    return [f"{web.method} {web.rule}" for web in router.web_routes
            if web.doc is None and not _is_page(web.rule)]


# -- schemas ------------------------------------------------------------------------------------
def _as_2020_12(schema: Any) -> Any:
    """A draft-04 schema as OpenAPI 3.1 (JSON Schema 2020-12) reads it: no $schema,
    boolean exclusiveMinimum/Maximum turned into numbers."""
    if isinstance(schema, list):
        return [_as_2020_12(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: _as_2020_12(v) for k, v in schema.items() if k != "$schema"}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = result.get(exclusive)
        if isinstance(flag, bool):
            del result[exclusive]
            if flag and bound in result:
                result[exclusive] = result.pop(bound)
    return result


def _rebase(schema: Any, name: str) -> Any:
    """Point a schema file's internal references (#/...) at where it is embedded."""
    if isinstance(schema, list):
        return [_rebase(item, name) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {k: _rebase(v, name) for k, v in schema.items() if k != "$id"}
    ref = result.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        result["$ref"] = f"{COMPONENT}{name}/{ref[2:]}"
    return result


def embedded_schemas(schemas: SchemaRegistry) -> dict[str, Any]:
    """Every file of the schemas directory, by stem: the operations' schemas (as the
    registry loaded them) and shared ones such as state.json."""
    result = {}
    for path in sorted(schemas.directory.glob("*.json")):
        entry = schemas.by_name.get(path.stem)
        schema = entry.schema if entry else json.loads(path.read_text(encoding="utf-8"))
        result[path.stem] = _rebase(_as_2020_12(schema), path.stem)
    return result


def _refs(schemas: SchemaRegistry, operations: list[str], kind: str,
          named: str | None = None) -> dict[str, Any] | None:
    """A reference to the schema of these operations (anyOf over version ranges/actions),
    or to the schema file ``named``."""
    refs = [{"$ref": COMPONENT + named}] if named else [
        {"$ref": COMPONENT + entry.name}
        for name in operations for entry in schemas.entries.get((name, kind), ())]
    if not refs:
        return None
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def _operation_names(described: DescribedRoute) -> list[str]:
    if described.route is not None:
        return [op.name for op in described.route.operations]
    return [described.doc.operation]


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# -- parameters ---------------------------------------------------------------------------------
def _version_header(low: mv.APIVersion, high: mv.APIVersion) -> dict[str, Any]:
    values = [f"{mv.SERVICE} {low.major}.{minor}" for minor in range(low.minor, high.minor + 1)]
    values.append(f"{mv.SERVICE} latest")
    return {"name": mv.HEADER, "in": "header", "required": False,
            "description": "The microversion (Cinder answers 400 for a malformed value, 406 "
                           "for an unsupported one, 404 below the operation's minimum).",
            "schema": {"type": "string", "enum": values}}


def _parameters(described: DescribedRoute, schemas: SchemaRegistry,
                max_version: mv.APIVersion) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", described.path)]
    doc = described.doc
    if doc.microversioned:
        low = doc.min_version or mv.MIN_VERSION
        high = min(doc.max_version or max_version, max_version)
        params.append(_version_header(low, high))
    seen: set[str] = set()
    for name in _operation_names(described):
        for entry in schemas.entries.get((name, "query"), ()):
            required = set(entry.schema.get("required", ()))
            for key in entry.schema.get("properties", {}):
                if key not in seen:
                    seen.add(key)
                    params.append({"name": key, "in": "query", "required": key in required,
                                   "schema": {"$ref": f"{COMPONENT}{entry.name}/properties/"
                                                      f"{_pointer(key)}"}})
    return params


# -- responses ----------------------------------------------------------------------------------
def _error_response(status: int, fault: str | None = None,
                    quota: bool = False, pages: bool = False) -> dict[str, Any]:
    if fault is not None and status != 413:
        schema: dict[str, Any] = {"$ref": COMPONENT + fault}
    elif quota and status == 413:
        # A body over the size limit (WebOb's shape), or over a quota (Cinder's overLimit).
        schema = {"anyOf": [{"$ref": COMPONENT + FAULT}, {"$ref": COMPONENT + WEBOB_FAULT}]}
    elif status in _WEBOB_ONLY:
        schema = {"$ref": COMPONENT + WEBOB_FAULT}
    elif status in _EITHER:
        schema = {"anyOf": [{"$ref": COMPONENT + FAULT}, {"$ref": COMPONENT + WEBOB_FAULT}]}
    else:
        schema = {"$ref": COMPONENT + FAULT}
    content: dict[str, Any] = {JSON: {"schema": schema}}
    if pages:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": _STATUS_TEXT.get(status, "Error"), "content": content}


def _responses(described: DescribedRoute, schemas: SchemaRegistry) -> dict[str, Any]:
    doc = described.doc
    names = _operation_names(described)
    # The actions of one route may succeed differently (202 empty, or 200 with a body).
    by_status: dict[int, list[str]] = {doc.success: []}
    for name in names:
        status = OPERATION_SUCCESS.get(name, 200) if described.route is not None else doc.success
        by_status.setdefault(status, []).append(name)
    responses: dict[str, Any] = {}
    for status, operations in sorted(by_status.items()):
        success: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Success")}
        schema = _refs(schemas, operations or names, "response", doc.response)
        if schema is not None:
            success["content"] = {JSON: {"schema": schema}}
        responses[str(status)] = success
    for status in sorted(doc.errors):
        responses[str(status)] = _error_response(
            status, doc.fault, quota=bool(QUOTA_OPERATIONS & set(_operation_names(described))),
            pages=doc.error_pages)
    return responses


def _operation(described: DescribedRoute, schemas: SchemaRegistry,
               max_version: mv.APIVersion) -> dict[str, Any]:
    doc = described.doc
    names = _operation_names(described)
    operation_id = "_".join(names) + ("" if described.route is None or described.project_scoped
                                      else "_without_project")
    result: dict[str, Any] = {"operationId": operation_id, "summary": doc.summary or doc.operation,
                              "parameters": _parameters(described, schemas, max_version)}
    if described.route is not None:
        result["tags"] = [described.route.rule.split("/")[0]]
    if doc.min_version is not None:
        result["x-min-version"] = str(doc.min_version)
        result["x-max-version"] = str(min(doc.max_version or max_version, max_version))
    request = _refs(schemas, names, "request", doc.request)
    if request is not None:
        result["requestBody"] = {"required": doc.request_required,
                                 "content": {JSON: {"schema": request}}}
    result["responses"] = _responses(described, schemas)
    if not doc.fuzz:
        result["x-fuzz"] = False
    if doc.authenticated:
        result["security"] = [{"token": []}, {"project": []}]
    return result


def build_document(router: Router, schemas: SchemaRegistry,
                   max_version: mv.APIVersion = mv.MAX_VERSION) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for described in described_routes(router):
        operation = _operation(described, schemas, max_version)
        # operationIds must be unique; one RouteDoc may describe several rules.
        base, suffix = operation["operationId"], 2
        while operation["operationId"] in used:
            operation["operationId"] = f"{base}_{suffix}"
            suffix += 1
        used.add(operation["operationId"])
        paths.setdefault(described.path, {})[described.method.lower()] = operation
    components = embedded_schemas(schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "fake-cinder", "version": str(max_version),
                 "description": "An in-memory fake of the OpenStack Cinder v3 block-storage API "
                                f"(microversions {mv.MIN_VERSION} to {max_version})."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                          "description": "A token of the fake Keystone, or noauth "
                                         "'user:project' (an admin)."},
                "project": {"type": "apiKey", "in": "header", "name": "X-Project-Id",
                            "description": "keystonemiddleware's headers (with X-User-Id, "
                                           "X-Roles, X-Service-Roles)."},
            },
        },
    }


_BUILT: dict[tuple[int, int, mv.APIVersion], bytes] = {}


def openapi(req: WebRequest) -> Response:
    """GET /openapi.json: built once per process for each set of schemas and version."""
    from .app import ROUTER

    fake = req.fake
    key = (id(ROUTER), id(fake.schemas), fake.max_version)
    body = _BUILT.get(key)
    if body is None:
        document = build_document(ROUTER, fake.schemas, fake.max_version)
        text = json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"
        body = _BUILT[key] = text.encode()
    return Response(body, content_type=JSON)


def register(router: Router) -> None:
    router.web("GET", "/openapi.json", openapi,
               doc=RouteDoc("openapi", "This OpenAPI document"))


# -- the README coverage table --------------------------------------------------------------------
def coverage_rows(router: Router) -> list[tuple[str, str, str, str, str]]:
    """(operation, method, path, min, max); a v3 route's two URLs (with and without the
    project id) make one row."""
    rows = []
    for described in described_routes(router):
        if described.route is not None and not described.project_scoped:
            continue  # its /v3/{project_id}/... twin has the row
        doc = described.doc
        path = described.path.replace("/v3/{project_id}/", "/v3/[{project_id}/]")
        low = str(doc.min_version) if doc.min_version else "–"
        high = str(doc.max_version) if doc.max_version else "–"
        for name in _operation_names(described):
            if described.route is not None:
                operation = next(o for o in described.route.operations if o.name == name)
                low, high = str(operation.min_version), str(operation.max_version)
            rows.append((name, described.method, path, low, high))
    return rows


def coverage_table(router: Router) -> str:
    lines = ["| operation | method | path | min version | max version |",
             "|---|---|---|---|---|"]
    lines += [f"| {op} | {method} | `{path}` | {low} | {high} |"
              for op, method, path, low, high in coverage_rows(router)]
    return "\n".join(lines)


def readme_with_table(readme: str, table: str) -> str:
    """The README text with the table between the markers (appended when missing)."""
    block = f"{README_START}\n{table}\n{README_END}"
    if README_START in readme and README_END in readme:
        head, rest = readme.split(README_START, 1)
        return head + block + rest.split(README_END, 1)[1]
    return readme.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fake_cinder.api.openapi")
    parser.add_argument("--readme", nargs="?", const="docs/api-coverage.md", metavar="PATH",
                        help="rewrite the coverage table in this file "
                             "(default docs/api-coverage.md)")
    args = parser.parse_args(argv)
    from .app import ROUTER as router  # the route table registers this module's routes
    if args.readme:
        path = Path(args.readme)
        path.write_text(readme_with_table(path.read_text(encoding="utf-8"),
                                          coverage_table(router)), encoding="utf-8")
        print(f"updated the coverage table in {path}")
        return 0
    json.dump(build_document(router, schema_registry(), mv.MAX_VERSION), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
