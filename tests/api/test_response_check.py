"""The schema check every test relies on catches what it should (it is not vacuous)."""

from __future__ import annotations

import contextlib
import json

import pytest
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from fake_cinder.api import app as pipeline
from fake_cinder.api import microversions as mv
from fake_cinder.api.routing import WebRoute
from tests.helpers.response_check import response_problems

ATTACHMENT = {"id": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11", "status": "reserved",
              "instance": None, "volume_id": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11",
              "attached_at": "", "detached_at": "", "attach_mode": "null",
              "connection_info": {}}


def check(fake, status: int, body, operation: str | None = "attachment_show",
          path: str = "/") -> list[str]:
    record = {"operation": operation, "api_version": mv.APIVersion(3, 27)}
    with contextlib.suppress(HTTPException):  # what the pipeline records of a route
        route, _params = pipeline.match(path, "GET")
        if isinstance(route, WebRoute):
            record["route"] = route
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    with fake.app.test_request_context(path):
        return response_problems(fake, Response(data, status=status,
                                                content_type="application/json"),
                                 request._get_current_object(), record)


def test_a_good_body_passes(fake):
    assert check(fake, 200, {"attachment": ATTACHMENT}) == []


@pytest.mark.parametrize("change", [
    {"extra": 1}, {"attached_at": None}, {"attached_at": "2024-01-01T00:00:00Z"},
    {"attach_mode": "wo"}, {"status": "bogus"}, {"id": "not-a-uuid"}])
def test_a_wrong_attachment_is_caught(fake, change):
    assert check(fake, 200, {"attachment": {**ATTACHMENT, **change}}) != []


def test_a_missing_key_is_caught(fake):
    partial = {k: v for k, v in ATTACHMENT.items() if k != "connection_info"}
    assert check(fake, 200, {"attachment": partial}) != []


def test_faults_are_checked_by_shape(fake):
    assert check(fake, 404, {"itemNotFound": {"code": 404, "message": "x"}}) == []
    assert check(fake, 404, {"notAFault": {"code": 404, "message": "x"}}) != []
    assert check(fake, 400, {"badRequest": {"code": "400", "message": "x"}}) != []
    assert check(fake, 404, {"badRequest": {"code": 404, "message": "x"}}) != []
    assert check(fake, 500, {"computeFault": {"code": 500, "message": "x"}}) == []
    assert check(fake, 404, {"code": "404 Not Found", "title": "Not Found",
                             "message": "x<br /><br />\n\n\n"}) == []
    assert check(fake, 404, {"code": "404 Not Found", "message": "x"}) != []


def test_unnamed_operations_and_empty_bodies(fake):
    assert check(fake, 200, {"attachment": ATTACHMENT}, operation=None) != []
    assert check(fake, 204, b"") == []
    assert check(fake, 200, b"") != []
    assert check(fake, 200, b"not json") != []


def test_keystone_and_compute_responses_are_checked(fake):
    """Their routes are named by their RouteDoc; /identity's errors are Keystone's."""
    error = {"error": {"code": 401, "title": "Unauthorized", "message": "x"}}
    assert check(fake, 401, error, None, "/identity/v3/projects") == []
    assert check(fake, 401, {"unauthorized": {"code": 401, "message": "x"}}, None,
                 "/identity/v3/projects") != []
    assert check(fake, 200, {"projects": [], "links": {}}, None, "/identity/v3/projects") != []
    assert check(fake, 200, {"servers": []}, None, "/compute/v2.1/servers/detail") == []
    assert check(fake, 200, {"server": {"id": "x"}}, None, "/compute/v2.1/servers/x") != []
