"""The OpenAPI document: complete, built from the schemas, and the README table in sync."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import jsonschema
import schemathesis
from werkzeug.wrappers import Response

from fake_cinder import FakeCinder
from fake_cinder.api import openapi
from fake_cinder.api.app import ROUTER
from fake_cinder.api.routing import Router, WebRequest

README = Path(__file__).resolve().parents[2] / "docs" / "api-coverage.md"


def _document(fake: FakeCinder) -> dict:
    return openapi.build_document(ROUTER, fake.schemas, fake.max_version)


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    return set()


def test_served_without_identity(client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["openapi"] == "3.1.0"


def test_is_a_valid_openapi_3_1_document(fake: FakeCinder) -> None:
    document = _document(fake)
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert all(result.ok() for result in schema.get_all_operations())


def test_every_served_rule_is_described(fake: FakeCinder) -> None:
    assert openapi.undocumented_routes(ROUTER) == []
    paths = _document(fake)["paths"]
    for route in ROUTER.routes:
        for prefix in ("/v3/{project_id}/", "/v3/"):
            assert route.method.lower() in paths[prefix + openapi.openapi_path(route.rule)]
    assert {"/", "/v3/", "/v3", "/openapi.json", "/_fake/state",
            "/_fake/faults/{fault_id}"} <= set(paths)


def test_schemas_are_embedded_once_and_all_used(fake: FakeCinder) -> None:
    document = _document(fake)
    components = document["components"]["schemas"]
    files = {path.stem for path in fake.schemas.directory.glob("*.json")}
    assert set(components) == files >= set(fake.schemas.by_name)
    used = {ref.removeprefix(openapi.COMPONENT).split("/")[0]
            for ref in _refs(document["paths"])}
    assert used == set(components)
    for schema in components.values():
        assert "$schema" not in schema
        jsonschema.Draft202012Validator.check_schema(schema)


def test_operations_carry_versions_bodies_and_errors(fake: FakeCinder) -> None:
    paths = _document(fake)["paths"]
    complete = paths["/v3/{project_id}/attachments/{attachment_id}/action"]["post"]
    header = next(p for p in complete["parameters"] if p["name"] == "OpenStack-API-Version")
    assert header["in"] == "header"
    assert header["schema"]["enum"][0] == "volume 3.44"
    assert header["schema"]["enum"][-2:] == ["volume 3.71", "volume latest"]
    assert set(complete["responses"]) == {"204", "400", "401", "403", "404", "406", "413", "415"}
    assert complete["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/fault.response"}
    create = paths["/v3/attachments"]["post"]
    assert create["x-min-version"] == "3.27"
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"anyOf": [
        {"$ref": "#/components/schemas/attachment_create.request"},
        {"$ref": "#/components/schemas/attachment_create.request.v3_54"}]}
    listing = paths["/v3/{project_id}/attachments"]["get"]
    assert {"limit", "marker", "sort", "offset"} <= {p["name"] for p in listing["parameters"]}
    assert "409" in paths["/v3/attachments/{attachment_id}"]["delete"]["responses"]


def test_each_operation_documents_the_success_its_handler_answers(fake: FakeCinder) -> None:
    """A handler says its success status in a literal ``return 202, ...``; the document
    must list that status for the operation (schemathesis fails an undocumented one, and
    a table of them had drifted: 15 operations' 202s were documented as 200). A handler
    that delegates (``return _list(req, ...)``) is not seen here; the fuzz sees it."""
    paths = _document(fake)["paths"]
    missing = []
    for url, route, _scoped in ROUTER.rules():
        documented = paths[openapi.openapi_path(url)][route.method.lower()]["responses"]
        for operation in route.operations:
            source = inspect.getsource(operation.handler)
            for status in set(re.findall(r"return (\d{3})\b", source)):
                if status not in documented:
                    missing.append(f"{route.method} {url} ({operation.name}): {status}")
    assert missing == []


def test_a_route_with_policies_documents_their_403(fake: FakeCinder) -> None:
    paths = _document(fake)["paths"]
    for url, route, _scoped in ROUTER.rules():
        if any(operation.policies for operation in route.operations):
            assert "403" in paths[openapi.openapi_path(url)][route.method.lower()]["responses"]


def test_routes_added_later_describe_themselves() -> None:
    """What the /_fake/ and Keystone routes do: a documented view appears, a bare one
    is reported."""
    router = Router()

    @openapi.documented(openapi.RouteDoc("attachment_show", "probe", errors=(404,),
                                         fuzz=False))
    def described(req: WebRequest) -> Response:
        return Response("{}")

    router.web("POST", "/_fake/probe/<int:n>", described)
    router.web("POST", "/_fake/probe2/<n>", described)
    router.web("GET", "/_fake/bare", lambda req: Response("{}"))
    fake = FakeCinder()
    document = openapi.build_document(router, fake.schemas)
    operation = document["paths"]["/_fake/probe/{n}"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/attachment_show.response"}
    assert set(operation["responses"]) == {"200", "404"}
    assert operation["x-fuzz"] is False
    assert document["paths"]["/_fake/probe2/{n}"]["post"]["operationId"] == "attachment_show_2"
    assert openapi.undocumented_routes(router) == ["GET /_fake/bare"]


def test_readme_coverage_table_is_current(fake: FakeCinder) -> None:
    readme = README.read_text(encoding="utf-8")
    table = openapi.coverage_table(ROUTER)
    assert openapi.readme_with_table(readme, table) == readme, (
        "README's coverage table is stale: run `make coverage-table`")
    assert "| attachment_complete | POST |" in table and "| 3.44 | 3.71 |" in table
