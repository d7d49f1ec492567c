"""The control API's pages, which the dashboard reads (issue 24), over a live socket:
GET /_fake/volumes with limit/offset and its filters, GET /_fake/requests newest first a
page at a time with status classes, and the ETag/304 a poll revalidates with."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.api.microversions import MIN_VERSION
from tests.helpers.api import CONNECTOR, SERVER, VOLUME

NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "X-Service-Roles": "service"}

pytestmark = pytest.mark.fake_cinder_state("default.json")


@pytest.fixture
def url(fake: FakeCinder) -> Iterator[str]:
    with fake.serve() as server:
        yield server.url


def read(fake: FakeCinder, url: str, path: str, schema: str, **params: Any) -> Any:
    response = requests.get(f"{url}/_fake/{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert fake.schemas.errors(schema, "response", MIN_VERSION, body) == []
    return body


def volumes(fake: FakeCinder, url: str, **params: Any) -> Any:
    return read(fake, url, "volumes", "fake_volume_list", **params)


def add_volumes(fake: FakeCinder) -> None:
    """40 more volumes in three projects, some in-use and some in error, named alike."""
    for index in range(40):
        fake.add_volume(project_id=("demo", "other", "third")[index % 3],
                        name=f"bulk-{index:02d}", status="in-use" if index % 4 else "error")


def test_every_page_is_its_slice_of_the_whole_list_under_every_filter(
        fake: FakeCinder, url: str) -> None:
    add_volumes(fake)
    whole = volumes(fake, url)
    assert whole["count"] == len(whole["volumes"]) == 43
    assert [p["project_id"] for p in whole["projects"]] == ["demo", "other", "third"]
    assert whole["statuses"] == ["available", "error", "in-use"]
    filters: list[dict[str, str]] = [
        {}, {"project_id": "other"}, {"status": "error"}, {"search": "BULK-1"},
        {"search": "bulk", "status": "in-use", "project_id": "third"}, {"project_id": "none"},
        {"search": VOLUME[:8]}]
    for query in filters:
        everything = volumes(fake, url, **query)
        expected = [v for v in whole["volumes"]
                    if query.get("project_id", v["project_id"]) == v["project_id"]
                    and query.get("status", v["status"]) == v["status"]
                    and (query.get("search", "").lower() in (v["name"] or "").lower()
                         or query.get("search", "") in v["id"])]
        assert everything["volumes"] == expected, query
        for limit, offset in itertools.product((0, 1, 7, 25), (0, 3, 20, 50)):
            page = volumes(fake, url, limit=limit, offset=offset, **query)
            assert page["volumes"] == expected[offset:offset + limit], (query, limit, offset)
            assert page["count"] == len(expected)
            assert page["projects"] == whole["projects"]


def test_search_finds_a_volume_by_its_attachment_or_server(fake: FakeCinder, url: str) -> None:
    created = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER, "connector": CONNECTOR}})
    attachment = created.json()["attachment"]["id"]
    for needle in (attachment, SERVER.upper()[:13].lower(), VOLUME):
        found = volumes(fake, url, search=needle, limit=5)
        assert [v["id"] for v in found["volumes"]] == [VOLUME], needle
    demo = next(p for p in volumes(fake, url, limit=0)["projects"] if p["project_id"] == "demo")
    assert demo == {"project_id": "demo", "volumes": 3, "attachments": 1}


@pytest.mark.parametrize(("query", "message"), [
    ({"limit": "x"}, "limit must be a whole number (0 or more)"),
    ({"limit": "-1"}, "limit must be a whole number (0 or more)"),
    ({"offset": "1.5"}, "offset must be a whole number (0 or more)"),
    ({"search": "x" * 256}, "search must be at most 255 characters"),
    ({"sort": "name"}, "Additional properties are not allowed ('sort' was unexpected)"),
])
def test_a_bad_volume_query_is_refused(fake: FakeCinder, url: str, query: dict[str, str],
                                       message: str) -> None:
    before = fake.dump()
    refused = requests.get(f"{url}/_fake/volumes", params=query, timeout=5)
    assert refused.status_code == 400
    assert refused.json() == {"badRequest": {"code": 400, "message": message}}
    assert fake.dump() == before


def test_an_unchanged_read_is_revalidated_without_a_body(fake: FakeCinder, url: str) -> None:
    # (GET /_fake/backends has one too, but its services' heartbeats change every second.)
    for path in ("volumes?limit=25", "requests?order=newest&limit=50", "types", "faults",
                 "transitions"):
        first = requests.get(f"{url}/_fake/{path}", timeout=5)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache"
        again = requests.get(f"{url}/_fake/{path}", headers={"If-None-Match": etag}, timeout=5)
        assert (again.status_code, again.content) == (304, b""), path
    etag = requests.get(f"{url}/_fake/volumes?limit=25", timeout=5).headers["ETag"]
    fake.add_volume(name="new")
    changed = requests.get(f"{url}/_fake/volumes?limit=25", headers={"If-None-Match": etag},
                           timeout=5)
    assert changed.status_code == 200 and changed.json()["count"] == 4


def test_the_journal_newest_first_a_page_at_a_time(fake: FakeCinder, url: str) -> None:
    for index in range(12):
        path = f"volumes/{VOLUME}" if index % 3 else "volumes/nothing-here"
        requests.get(f"{url}/v3/demo/{path}", timeout=5,
                     headers={"X-Auth-Token": "demo:demo"})
    every = read(fake, url, "requests", "fake_request_list")["requests"]
    assert len(every) == 12
    newest = list(reversed(every))
    page = read(fake, url, "requests", "fake_request_list", order="newest", limit=5, offset=5)
    assert page["requests"] == newest[5:10]
    assert (page["count"], page["total"]) == (12, 12)
    assert page["facets"] == {"operations": ["volume_show"], "project_ids": ["demo"],
                              "statuses": [200, 404]}
    missing = read(fake, url, "requests", "fake_request_list", order="newest", limit=3,
                   status="4xx")
    assert missing["count"] == 4
    assert [e["seq"] for e in missing["requests"]] == [
        e["seq"] for e in newest if e["status"] == 404][:3]
    assert read(fake, url, "requests", "fake_request_list", status="2xx", limit=50,
                operation="volume_show", project_id="demo")["count"] == 8
    assert read(fake, url, "requests", "fake_request_list", status="dropped",
                limit=50)["count"] == 0
    # Without a limit the answer is what it always was: the entries, oldest first.
    assert requests.get(f"{url}/_fake/requests?status=5xx", timeout=5).json() == {
        "requests": []}


@pytest.mark.parametrize(("query", "message"), [
    ("order=oldest-first", "order must be oldest or newest"),
    ("limit=ten", "limit must be a whole number (0 or more)"),
    ("status=6xx", "status must be an integer"),
    ("page=2", "Unknown filter page; use operation, since, order, limit, offset or method, "
               "path, project_id, microversion, status, attachment_id, fault."),
])
def test_a_bad_journal_query_is_refused(url: str, query: str, message: str) -> None:
    refused = requests.get(f"{url}/_fake/requests?{query}", timeout=5)
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"] == message
