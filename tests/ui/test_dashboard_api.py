"""What the dashboard is served with and reads, over a live socket (no browser):
its page and files, the token rule, GET /_fake/volumes and the journal's cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.api import microversions as mv
from fake_cinder.api.dashboard import ASSETS
from fake_cinder.resources import fixture_path
from tests.helpers.api import CONNECTOR, SERVER, SHARED_VOLUME, VOLUME

NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "X-Service-Roles": "service"}
TOKEN = {"X-Fake-Control-Token": "s3cret"}


pytestmark = pytest.mark.fake_cinder_state("default.json")


@pytest.fixture
def url(fake: FakeCinder) -> Iterator[str]:
    with fake.serve() as server:
        yield server.url


def _attach(url: str, volume: str = VOLUME) -> dict:
    response = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": volume, "instance_uuid": SERVER, "connector": CONNECTOR}})
    assert response.status_code == 200, response.text
    return response.json()["attachment"]


def test_page_and_its_files_are_served_from_the_package(url: str) -> None:
    for path in ("/_fake/ui", "/_fake/ui/"):
        page = requests.get(url + path, timeout=5)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert 'x-data="dashboard"' in page.text
    for name, kind in (("dashboard.js", "javascript"), ("dashboard.css", "text/css"),
                       ("vendor/alpine-3.17.5.min.js", "javascript"),
                       ("vendor/pico-2.1.1.min.css", "text/css")):
        served = requests.get(f"{url}/_fake/ui/{name}", timeout=5)
        assert served.status_code == 200, name
        assert kind in served.headers["Content-Type"]
        assert served.content == (ASSETS / name).read_bytes()
    # Each vendored library ships with its licence; nothing is fetched from elsewhere.
    assert {p.name for p in (ASSETS / "vendor").glob("LICENSE-*")} == {
        "LICENSE-alpine.md", "LICENSE-pico.md"}
    page = (ASSETS / "index.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert requests.get(f"{url}/_fake/ui/nothing.js", timeout=5).status_code == 404


def test_meta_names_every_operation(url: str) -> None:
    from fake_cinder.api.app import OPERATIONS

    meta = requests.get(f"{url}/_fake/ui/meta.json", timeout=5).json()
    assert meta == {"operations": sorted(OPERATIONS)}


def test_the_page_is_open_but_the_control_api_needs_the_token() -> None:
    fake = FakeCinder(fixture_path("default.json"), control_token="s3cret")
    with fake.serve() as server:
        assert requests.get(f"{server.url}/_fake/ui", timeout=5).status_code == 200
        assert requests.get(f"{server.url}/_fake/ui/meta.json", timeout=5).status_code == 200
        for path in ("/_fake/volumes", "/_fake/requests", "/_fake/state"):
            assert requests.get(server.url + path, timeout=5).status_code == 401, path
            assert requests.get(server.url + path, headers=TOKEN, timeout=5).status_code == 200
        # A path that only looks like the dashboard's does not open the control API.
        assert requests.get(f"{server.url}/_fake/uistate", timeout=5).status_code == 401


def test_volumes_overview_derives_type_protocol_multiattach_and_lifecycle(
        fake: FakeCinder, url: str) -> None:
    attachment = _attach(url)
    done = requests.post(f"{url}/v3/demo/attachments/{attachment['id']}/action",
                         headers=NOVA, json={"os-complete": None}, timeout=5)
    assert done.status_code == 204
    body = requests.get(f"{url}/_fake/volumes", timeout=5).json()
    assert fake.schemas.errors("fake_volume_list", "response", mv.MIN_VERSION, body) == []
    by_name = {v["name"]: v for v in body["volumes"]}
    assert {n: (v["volume_type"], v["protocol"], v["multiattach"])
            for n, v in by_name.items()} == {
        "demo-volume": ("__DEFAULT__", "iscsi", False),
        "demo-shared": ("multiattach", "iscsi", True),
        "demo-ceph": ("ceph", "rbd", False)}
    used = by_name["demo-volume"]
    assert used["status"] == "in-use"
    [shown] = used["attachments"]
    assert shown["id"] == attachment["id"]
    assert (shown["attach_status"], shown["instance_uuid"]) == ("attached", SERVER)
    assert shown["connection_info"]["driver_volume_type"] == "iscsi"
    assert shown["lifecycle"] == fake.journal.lifecycle(attachment["id"]) == [
        "reserved", "attaching", "attached"]
    assert by_name["demo-shared"]["attachments"] == []


def test_lifecycles_in_one_pass_agree_with_lifecycle(fake: FakeCinder, url: str) -> None:
    first, second = _attach(url), _attach(url, SHARED_VOLUME)
    requests.delete(f"{url}/v3/demo/attachments/{second['id']}", timeout=5, headers={
        **NOVA, "X-Roles": "admin"})
    every = fake.journal.lifecycles()
    assert set(every) == {first["id"], second["id"]}
    for attachment_id, statuses in every.items():
        assert statuses == fake.journal.lifecycle(attachment_id)
    assert every[second["id"]][-1] == "deleted"


def test_journal_cursor_and_response_bodies(url: str) -> None:
    _attach(url)
    requests.get(f"{url}/v3/demo/attachments/{VOLUME}", headers=NOVA, timeout=5)  # 404
    every = requests.get(f"{url}/_fake/requests", timeout=5).json()["requests"]
    assert [e["status"] for e in every] == [200, 404]
    assert every[0]["response"]["attachment"]["volume_id"] == VOLUME
    assert every[1]["response"]["itemNotFound"]["code"] == 404
    after = requests.get(f"{url}/_fake/requests?since={every[0]['seq']}", timeout=5).json()
    assert [e["seq"] for e in after["requests"]] == [every[1]["seq"]]
    latest = every[-1]["seq"]
    assert requests.get(f"{url}/_fake/requests?since={latest}", timeout=5).json() == {
        "requests": []}
    both = requests.get(f"{url}/_fake/requests?since=0&status=404", timeout=5).json()
    assert [e["seq"] for e in both["requests"]] == [latest]
    for bad in ("x", "-1"):
        refused = requests.get(f"{url}/_fake/requests?since={bad}", timeout=5)
        assert refused.status_code == 400
        assert "since must" in refused.json()["badRequest"]["message"]


def test_long_response_bodies_are_cut(fake: FakeCinder) -> None:
    from fake_cinder.core.journal import RESPONSE_BODY_LIMIT

    fake.load(fixture_path("large.json"))
    with fake.serve() as server:
        listing = requests.get(f"{server.url}/v3/admin/volumes/detail?all_tenants=1",
                               headers={**NOVA, "X-Auth-Token": "admin:admin"}, timeout=10)
    assert len(listing.content) > RESPONSE_BODY_LIMIT
    [entry] = fake.journal.entries("volume_list_detail")
    assert entry.raw_response == listing.content[:RESPONSE_BODY_LIMIT]
    assert isinstance(entry.response, str)  # no longer JSON: shown as text


def test_volumes_overview_shows_metadata_and_clones(fake: FakeCinder, url: str) -> None:
    """The volumes view shows each volume's metadata and the volume a clone came from."""
    headers = {"X-User-Id": "demo", "X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}
    set_meta = requests.post(f"{url}/v3/demo/volumes/{VOLUME}/metadata", headers=headers,
                             json={"metadata": {"tier": "gold"}}, timeout=5)
    assert set_meta.status_code == 200
    cloned = requests.post(f"{url}/v3/demo/volumes", headers=headers, timeout=5,
                           json={"volume": {"source_volid": VOLUME, "name": "copy"}})
    assert cloned.status_code == 202
    body = requests.get(f"{url}/_fake/volumes", timeout=5).json()
    assert fake.schemas.errors("fake_volume_list", "response", mv.MIN_VERSION, body) == []
    by_name = {v["name"]: v for v in body["volumes"]}
    assert by_name["demo-volume"]["metadata"] == {"tier": "gold"}
    assert by_name["copy"]["source_volid"] == VOLUME
    page = requests.get(f"{url}/_fake/ui", timeout=5).text
    assert 'class="metadata"' in page and "'clone of ' + v.source_volid" in page
