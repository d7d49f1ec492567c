"""The /_fake/ control API, over a live socket with a plain HTTP client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.helpers.attach_calls import CONNECTOR, INSTANCE, NOVA

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"


pytestmark = pytest.mark.fake_cinder_state("default.json")


@pytest.fixture
def url(fake: FakeCinder) -> Iterator[str]:
    with fake.serve() as server:
        yield server.url


def _create(url: str, **extra: object) -> requests.Response:
    return requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": VOLUME, "instance_uuid": INSTANCE, **extra}})


def test_health(url: str) -> None:
    response = requests.get(f"{url}/_fake/health", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_state_get_and_put(fake: FakeCinder, url: str) -> None:
    state = requests.get(f"{url}/_fake/state", timeout=5).json()
    assert state == fake.dump()
    large = json.loads(fixture_path("large.json").read_text())
    put = requests.put(f"{url}/_fake/state", json=large, timeout=30)  # bigger than 114688
    assert put.status_code == 200
    assert put.json() == fake.dump()
    assert len(fake.attachments()) == len(large["attachments"])


def test_bad_state_is_a_400_naming_the_path(fake: FakeCinder, url: str) -> None:
    before = fake.dump()
    bad = {**before, "volumes": [{**before["volumes"][0], "size": -1}]}
    response = requests.put(f"{url}/_fake/state", json=bad, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"badRequest": {"code": 400, "message": (
        "request body: $.volumes[0].size: -1 is less than the minimum of 0")}}
    garbage = requests.put(f"{url}/_fake/state", data="{", timeout=5)
    assert garbage.json()["badRequest"]["message"] == "Malformed request body"
    for method in ("PUT", "POST"):
        listed = requests.request(method, f"{url}/_fake/state", json=[1], timeout=5)
        assert listed.status_code == 400
        assert listed.json()["badRequest"]["message"] == (
            "request body: $: [1] is not of type 'object'")
    assert fake.dump() == before


def test_reset_all_and_one_project(fake: FakeCinder, url: str) -> None:
    baseline = fake.dump()
    fake.add_volume(project_id="demo", name="extra")
    fake.add_volume(project_id="other", name="theirs")
    response = requests.post(f"{url}/_fake/reset?project_id=demo", timeout=5)
    assert response.status_code == 204
    assert [v["name"] for v in fake.volumes(project_id="other")] == ["theirs"]
    assert len(fake.volumes(project_id="demo")) == 3
    assert requests.post(f"{url}/_fake/reset", timeout=5).status_code == 204
    assert fake.dump() == baseline


def test_faults_crud_and_effect(fake: FakeCinder, url: str) -> None:
    created = requests.post(f"{url}/_fake/faults", timeout=5, json={
        "operation": "attachment_create", "status": 413, "retry_after": 3, "times": None})
    assert created.status_code == 201
    fault = created.json()["fault"]
    assert fault["id"] and fault["status"] == 413 and fault["times"] is None
    assert fault["headers"] == {"Retry-After": "3"}
    listed = requests.get(f"{url}/_fake/faults", timeout=5).json()["faults"]
    assert [f["id"] for f in listed] == [fault["id"]]
    for _ in range(2):
        refused = _create(url)
        assert refused.status_code == 413 and refused.headers["Retry-After"] == "3"
    shown = requests.get(f"{url}/_fake/faults/{fault['id']}", timeout=5).json()["fault"]
    assert shown["fired"] == 2
    assert requests.delete(f"{url}/_fake/faults/{fault['id']}", timeout=5).status_code == 204
    assert requests.delete(f"{url}/_fake/faults/{fault['id']}", timeout=5).status_code == 404
    assert requests.get(f"{url}/_fake/faults/nope", timeout=5).status_code == 404
    assert _create(url).status_code == 200
    requests.post(f"{url}/_fake/faults", json={"operation": "volume_list", "latency": 0.01},
                  timeout=5)
    assert requests.delete(f"{url}/_fake/faults", timeout=5).status_code == 204
    assert fake.faults.list() == []


@pytest.mark.parametrize("body, problem", [
    ({"status": 500}, 'with an "operation"'),
    ([], 'with an "operation"'),
    ({"operation": "attachment_nap", "status": 500}, "unknown operation"),
    ({"operation": "attachment_show", "status": 200}, "400..599"),
    ({"operation": "attachment_show", "status": 500, "colour": "red"}, "colour"),
    ({"operation": "attachment_show"}, "needs an effect"),
    ({"operation": "attachment_show", "status": "500"}, "status must be an integer"),
    ({"operation": "attachment_show", "status": 500, "headers": {"a": 1}}, "headers must"),
    ({"operation": "attachment_show", "status": 500, "headers": []}, "headers must"),
    ({"operation": "attachment_show", "latency": "1"}, "latency must be a number"),
    ({"operation": "attachment_show", "status": 500, "times": 1.5}, "times must"),
    ({"operation": "attachment_show", "status": 500, "probability": "x"}, "probability"),
    ({"operation": "attachment_show", "drop_connection": 1}, "true or false"),
    ({"operation": "attachment_show", "status": 500, "volume_id": 7}, "volume_id must"),
    ({"operation": "attachment_show", "status": 500, "message": {}}, "message must"),
    ({"operation": "attachment_show", "status": 500, "seed": "x"}, "seed must"),
    ({"operation": "attachment_show", "status": 500, "retry_after": [1]}, "retry_after"),
])
def test_bad_faults_are_400s(fake: FakeCinder, url: str, body: object, problem: str) -> None:
    response = requests.post(f"{url}/_fake/faults", json=body, timeout=5)
    assert response.status_code == 400
    assert problem in response.json()["badRequest"]["message"]
    assert fake.faults.list() == []


def test_backend_failure_and_drop_over_http(fake: FakeCinder, url: str) -> None:
    requests.post(f"{url}/_fake/faults", timeout=5,
                  json={"operation": "attachment_create", "backend_failure": True})
    failed = _create(url, connector=CONNECTOR)
    assert failed.status_code == 500
    [attachment] = fake.attachments()
    assert attachment["attach_status"] == "error_attaching"
    requests.post(f"{url}/_fake/faults", timeout=5,
                  json={"operation": "attachment_show", "drop_connection": True})
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v3/demo/attachments/{attachment['id']}", headers=NOVA, timeout=5)
    lifecycle = requests.get(f"{url}/_fake/attachments/{attachment['id']}/lifecycle",
                             timeout=5).json()
    assert lifecycle == {"attachment_id": attachment["id"],
                         "statuses": ["reserved", "error_attaching"]}


def test_requests_journal_over_http(fake: FakeCinder, url: str) -> None:
    created = _create(url).json()["attachment"]
    requests.get(f"{url}/v3/demo/attachments/{created['id']}", headers=NOVA, timeout=5)
    requests.get(f"{url}/v3/demo/attachments/7b1e2f6a-0000-4000-8000-0000000000ff",
                 headers=NOVA, timeout=5)
    requests.get(f"{url}/_fake/state", timeout=5)
    journal = requests.get(f"{url}/_fake/requests", timeout=5).json()["requests"]
    assert [(r["operation"], r["status"]) for r in journal] == [
        ("attachment_create", 200), ("attachment_show", 200), ("attachment_show", 404)]
    assert journal[0]["body"]["attachment"]["volume_uuid"] == VOLUME
    assert journal[0]["project_id"] == "demo" and journal[0]["microversion"] == "3.54"
    only = requests.get(f"{url}/_fake/requests?operation=attachment_show&status=404",
                        timeout=5).json()["requests"]
    assert [r["seq"] for r in only] == [journal[2]["seq"]]
    by_attachment = requests.get(f"{url}/_fake/requests?attachment_id={created['id']}",
                                 timeout=5).json()["requests"]
    assert len(by_attachment) == 2
    assert requests.get(f"{url}/_fake/requests?colour=red", timeout=5).status_code == 400
    assert requests.get(f"{url}/_fake/requests?status=x", timeout=5).status_code == 400
    assert requests.delete(f"{url}/_fake/requests", timeout=5).status_code == 204
    assert requests.get(f"{url}/_fake/requests", timeout=5).json() == {"requests": []}
    assert len(fake.journal) == 0


def test_control_api_is_not_under_v3(url: str) -> None:
    for path in ("/v3/_fake/health", "/v3/demo/_fake/state", "/v3/_fake/requests"):
        response = requests.get(f"{url}{path}", headers=NOVA, timeout=5)
        assert response.status_code == 404, path
    assert requests.get(f"{url}/_fake/nothing", timeout=5).status_code == 404


def test_post_state_adds_records(fake: FakeCinder, url: str) -> None:
    before = fake.dump()
    added = {"volume_types": [{"id": "7b1e2f6a-0000-4000-8000-0000000000a1", "name": "gold"}],
             "volumes": [{"id": "7b1e2f6a-0000-4000-8000-0000000000a2", "project_id": "other",
                          "volume_type": "gold", "created_at": "2024-02-01T00:00:00.000000"}],
             "identity": {"users": [{"id": "alice", "name": "alice", "password": "pw"}]}}
    response = requests.post(f"{url}/_fake/state", json=added, timeout=5)
    assert response.status_code == 200
    state = fake.dump()
    assert state["volumes"][:3] == before["volumes"]
    assert state["volumes"][3]["volume_type_id"] == "7b1e2f6a-0000-4000-8000-0000000000a1"
    assert state["identity"] == {"users": [{"id": "alice", "name": "alice", "password": "pw"}]}
    again = requests.post(f"{url}/_fake/state", json=added, timeout=5)
    assert again.status_code == 400
    assert again.json()["badRequest"]["message"].startswith(
        "request body: $.volume_types[0].id: duplicate volume type id")
    assert fake.dump() == state
