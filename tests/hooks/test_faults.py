"""Injected faults: matching, when they fire, and each effect through the API."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.api.microversions import MIN_VERSION
from fake_cinder.core.fault_injection import DroppedConnection, FaultRegistry
from tests.helpers.attach_calls import BASE, CONNECTOR, INSTANCE, NOVA, AttachCalls


@pytest.fixture
def fake() -> FakeCinder:
    fake = FakeCinder(seed=3)
    fake.add_volume_type("__DEFAULT__")
    fake.add_volume_type("multi", multiattach=True)
    return fake


@pytest.fixture
def volume(fake: FakeCinder) -> str:
    return fake.add_volume(project_id="demo", name="data")["id"]


# -- when and which -------------------------------------------------------------------------------
def test_times_counts_only_matching_calls() -> None:
    registry = FaultRegistry()
    fault = registry.add("attachment_show", status=503, times=2, project_id="demo")
    other_project = {"project_id": "other", "volume_id": None, "attachment_id": None}
    demo = {"project_id": "demo", "volume_id": None, "attachment_id": None}
    assert registry.fire("attachment_show", other_project) is None
    assert registry.fire("attachment_list", demo) is None
    assert registry.fire("attachment_show", demo) is fault
    assert registry.fire("attachment_show", demo) is fault
    assert registry.fire("attachment_show", demo) is None
    assert fault.fired == 2 and fault.exhausted


def test_always_and_first_match_wins() -> None:
    registry = FaultRegistry()
    always = registry.add("volume_show", latency=0.01, times=None)
    later = registry.add("volume_show", status=500)
    context = {"project_id": "p", "volume_id": "v", "attachment_id": None}
    assert [registry.fire("volume_show", context) for _ in range(5)] == [always] * 5
    assert later.fired == 0
    assert registry.remove(always.id) and not registry.remove(always.id)
    assert registry.fire("volume_show", context) is later


def test_probability_is_seeded() -> None:
    def pattern(seed: int) -> list[bool]:
        registry = FaultRegistry()
        registry.add("attachment_list", status=503, probability=0.3, times=None, seed=seed)
        context = {"project_id": "p", "volume_id": None, "attachment_id": None}
        return [registry.fire("attachment_list", context) is not None for _ in range(200)]

    first = pattern(11)
    assert first == pattern(11)
    assert first != pattern(12)
    assert 30 < sum(first) < 90  # about 60 of 200


def test_probability_uses_the_fakes_seed(fake: FakeCinder, volume: str) -> None:
    def statuses(fake: FakeCinder) -> list[int]:
        fake.inject("volume_show", status=500, probability=0.5, times=None)
        client = fake.app.test_client()
        return [client.get(f"{BASE}/volumes/{volume}", headers=NOVA).status_code
                for _ in range(30)]

    twin = FakeCinder(seed=3)
    twin.add_volume(project_id="demo", id=volume)
    assert statuses(fake) == statuses(twin)
    assert {200, 500} == set(statuses(fake))


@pytest.mark.parametrize("options, problem", [
    ({}, "needs an effect"),
    ({"status": 500, "drop_connection": True}, "one effect"),
    ({"status": 200}, "400..599"),
    ({"latency": -1}, "latency"),
    ({"status": 500, "times": 0}, "times"),
    ({"status": 500, "probability": 2}, "probability"),
    ({"backend_failure": True, "operation": "volume_show"}, "backend failure"),
    ({"status": 500, "operation": "attachment_explode"}, "unknown operation"),
])
def test_bad_faults_are_refused(fake: FakeCinder, options: dict, problem: str) -> None:
    operation = options.pop("operation", "attachment_show")
    with pytest.raises(ValueError, match=problem):
        fake.inject(operation, **options)
    assert fake.faults.list() == []


def test_unknown_option_is_refused(fake: FakeCinder) -> None:
    with pytest.raises(TypeError, match="colour"):
        fake.inject("attachment_show", status=500, colour="red")


def test_match_by_volume_and_attachment(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    other = fake.add_volume(project_id="demo", name="other")["id"]
    first = api.create(volume).json["attachment"]["id"]
    second = api.create(other).json["attachment"]["id"]
    fake.inject("attachment_show", status=404, volume_id=other, times=None)
    assert api.show(first).status_code == 200
    assert api.show(second).status_code == 404
    fake.faults.clear()
    fake.inject("attachment_show", status=409, attachment_id=first, times=None)
    assert api.show(second).status_code == 200
    assert api.show(first).status_code == 409
    third = fake.add_volume(project_id="demo", name="third")["id"]
    fourth = fake.add_volume(project_id="demo", name="fourth")["id"]
    fake.inject("attachment_create", status=503, volume_id=fourth)
    assert api.create(third).status_code == 200
    assert api.create(fourth).status_code == 503


def test_match_by_project(fake: FakeCinder) -> None:
    mine = fake.add_volume(project_id="demo")["id"]
    theirs = fake.add_volume(project_id="other")["id"]
    fake.inject("volume_show", status=500, project_id="other", times=None)
    client = fake.app.test_client()
    assert client.get(f"{BASE}/volumes/{mine}", headers=NOVA).status_code == 200
    other_headers = {**NOVA, "X-Auth-Token": "nova:other"}
    assert client.get(f"/v3/other/volumes/{theirs}", headers=other_headers).status_code == 500


# -- HTTP status effects --------------------------------------------------------------------------
@pytest.mark.parametrize("operation, status, fault_name, message", [
    ("attachment_create", 500, "computeFault", "Unable to create attachment for volume."),
    ("attachment_update", 500, "computeFault", "Unable to update the attachment."),
    ("attachment_complete", 500, "computeFault",
     "The server has either erred or is incapable of performing the requested operation."),
    ("attachment_delete", 503, "serviceUnavailable",
     "The server is currently unavailable. Please try again at a later time."),
    ("attachment_update", 409, "conflictingRequest",
     "There was a conflict when trying to complete your request."),
    ("volume_create", 413, "overLimit",
     "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota "
     "'volumes'."),
])
def test_status_faults_answer_cinders_fault_body(fake: FakeCinder, volume: str, operation: str,
                                                 status: int, fault_name: str,
                                                 message: str) -> None:
    api = AttachCalls(fake)
    attachment_id = api.create(volume).json["attachment"]["id"]
    before = fake.dump()
    fake.inject(operation, status=status)
    calls = {
        "attachment_create": lambda: api.create(volume),
        "attachment_update": lambda: api.update(attachment_id),
        "attachment_complete": lambda: api.complete(attachment_id),
        "attachment_delete": lambda: api.delete(attachment_id),
        "volume_create": lambda: api.client.post(f"{BASE}/volumes", headers=NOVA,
                                                 json={"volume": {"size": 1}}),
    }
    response = calls[operation]()
    assert response.status_code == status
    assert response.json == {fault_name: {"code": status, "message": message}}
    assert fake.schemas.errors("fault", "response", MIN_VERSION, response.json) == []
    assert response.headers["OpenStack-API-Version"] == "volume 3.54"
    assert fake.dump() == before  # an HTTP fault changes nothing
    assert calls[operation]().status_code < 300  # it fired once


def test_status_fault_with_message_headers_and_retry_after(fake: FakeCinder,
                                                           volume: str) -> None:
    api = AttachCalls(fake)
    fake.inject("attachment_create", status=413, message="Too many attachments.",
                headers={"X-Why": "test"}, retry_after=7)
    response = api.create(volume)
    assert response.status_code == 413
    assert response.headers["Retry-After"] == "7" and response.headers["X-Why"] == "test"
    assert response.json == {"overLimit": {"code": 413, "message": "Too many attachments.",
                                           "retryAfter": "7"}}
    assert fake.schemas.errors("fault", "response", MIN_VERSION, response.json) == []
    fake.inject("attachment_create", status=429, retry_after=1)
    response = api.create(volume)
    assert response.headers["Retry-After"] == "1"
    assert "retryAfter" not in response.json["overLimit"]  # Cinder adds it to 413s only


def test_faults_fire_after_validation(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    fake.inject("attachment_create", status=503)
    bad = api.client.post(f"{BASE}/attachments", headers=NOVA,
                          json={"attachment": {"volume_uuid": "not-a-uuid"}})
    assert bad.status_code == 400
    assert fake.faults.list()[0].fired == 0
    assert api.create(volume).status_code == 503


# -- latency --------------------------------------------------------------------------------------
def test_latency_does_not_hold_the_store_lock(fake: FakeCinder, volume: str) -> None:
    fake.inject("volume_show", latency=0.6, times=None)
    headers = NOVA
    with fake.serve() as server:
        slow_done = threading.Event()

        def slow() -> None:
            requests.get(f"{server.url}{BASE}/volumes/{volume}", headers=headers, timeout=10)
            slow_done.set()

        started = time.monotonic()
        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.1)
        # A write needs the store lock: it must not wait for the sleeping request.
        fast = requests.post(f"{server.url}{BASE}/attachments", headers=headers, timeout=10,
                             json={"attachment": {"volume_uuid": volume}})
        slow_was_done = slow_done.is_set()
        thread.join()
        slow_elapsed = time.monotonic() - started
    assert fast.status_code == 200
    assert not slow_was_done
    assert slow_elapsed >= 0.6


# -- backend failures -----------------------------------------------------------------------------
def test_backend_failure_on_update(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    attachment_id = api.create(volume).json["attachment"]["id"]
    volume_before = fake.volume(volume)
    fake.inject("attachment_update", backend_failure=True)
    response = api.update(attachment_id)
    assert response.status_code == 500
    assert response.json == {"computeFault": {
        "code": 500, "message": "Unable to update attachment (Volume driver not ready.)."}}
    stored = fake.attachment(attachment_id)
    assert stored["attach_status"] == "error_attaching"
    assert stored["connector"]["host"] == "compute-1"
    assert stored["connection_info"] == {} and stored["attached_at"] is None
    assert stored["attach_mode"] == "null"
    assert fake.volume(volume) == volume_before  # still reserved
    assert volume_before["status"] == "reserved"
    fake.journal.assert_lifecycle(attachment_id, ["reserved", "error_attaching"])
    # Cinder refuses to connect an attachment of a volume in an error state, not of an
    # attachment in one: a retry succeeds.
    assert api.update(attachment_id).status_code == 200
    assert fake.attachment(attachment_id)["attach_status"] == "attaching"


def test_backend_failure_on_update_keeps_cinders_own_checks(fake: FakeCinder,
                                                            volume: str) -> None:
    api = AttachCalls(fake)
    attachment_id = api.create(volume).json["attachment"]["id"]
    fake.inject("attachment_update", backend_failure=True, times=None)
    before = fake.dump()
    missing = api.update(attachment_id, connector={"host": "compute-1"})  # no initiator
    assert missing.status_code == 400
    assert api.update("7b1e2f6a-0000-4000-8000-0000000000ff").status_code == 404
    assert fake.dump() == before


def test_backend_failure_on_update_of_an_attached_volume(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    attachment_id = api.attach(volume)
    fake.inject("attachment_update", backend_failure=True)
    assert api.update(attachment_id).status_code == 500
    assert fake.volume(volume)["status"] == "in-use"
    assert fake.attachment(attachment_id)["attach_status"] == "error_attaching"


def test_backend_failure_on_create_with_connector(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    fake.inject("attachment_create", backend_failure=True)
    plain = api.create(volume, instance=None)  # no connector: the backend is not called
    assert plain.status_code == 200
    assert api.delete(plain.json["attachment"]["id"]).status_code == 200
    response = api.create(volume, connector=CONNECTOR)
    assert response.status_code == 500
    assert response.json["computeFault"]["message"] == (
        "Unable to create attachment for volume (Volume driver not ready.).")
    [stored] = fake.attachments(volume_id=volume)
    assert stored["attach_status"] == "error_attaching"
    assert stored["instance_uuid"] == INSTANCE
    assert stored["connector"] == CONNECTOR and stored["connection_info"] == {}
    assert fake.volume(volume)["status"] == "reserved"
    entry = fake.journal.entries("attachment_create")[-1]
    assert entry.attachment_id == stored["id"] and entry.status == 500
    fake.journal.assert_lifecycle(stored["id"], ["reserved", "error_attaching"])


def test_backend_failure_on_create_with_a_bad_connector_changes_nothing(
        fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    fake.inject("attachment_create", backend_failure=True)
    before = fake.dump()
    response = api.create(volume, connector={"host": "compute-1"})
    assert response.status_code == 400
    assert "initiator" in response.json["badRequest"]["message"]
    assert fake.dump() == before


def test_backend_failure_on_delete(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    reserved_volume = fake.add_volume(project_id="demo")["id"]
    reserved = api.create(reserved_volume).json["attachment"]["id"]
    attachment_id = api.attach(volume)
    fake.inject("attachment_delete", backend_failure=True)
    # A reserved attachment never reaches the backend: the fault does not match it.
    assert api.delete(reserved).status_code == 200
    response = api.delete(attachment_id)
    assert response.status_code == 500
    assert response.json == {"computeFault": {"code": 500, "message": (
        "The server has either erred or is incapable of performing the requested "
        "operation.")}}
    assert fake.attachment(attachment_id)["attach_status"] == "error_detaching"
    assert fake.volume(volume)["status"] == "in-use"
    fake.journal.assert_lifecycle(
        attachment_id, ["reserved", "attaching", "attached", "error_detaching"])
    assert api.delete(attachment_id).status_code == 200  # a retry works
    assert fake.volume(volume)["status"] == "available"


def test_backend_failure_on_delete_respects_the_nova_rule(fake: FakeCinder,
                                                          volume: str) -> None:
    api = AttachCalls(fake)
    attachment_id = api.attach(volume)
    fake.inject("attachment_delete", backend_failure=True)
    member = AttachCalls(fake, {**NOVA, "X-Service-Roles": ""})
    response = member.delete(attachment_id)
    assert response.status_code == 409
    assert fake.attachment(attachment_id)["attach_status"] == "attached"


# -- dropped connections --------------------------------------------------------------------------
def test_dropped_connection_over_a_socket(fake: FakeCinder, volume: str) -> None:
    fake.inject("volume_show", drop_connection=True, times=2)
    with fake.serve() as server, requests.Session() as session:
        url = f"{server.url}{BASE}/volumes/{volume}"
        for _ in range(2):
            with pytest.raises(requests.ConnectionError):
                session.get(url, headers=NOVA, timeout=5)
        assert session.get(url, headers=NOVA, timeout=5).status_code == 200
    assert [e.status for e in fake.journal.entries("volume_show")] == [None, None, 200]
    assert fake.errors == []


def test_dropped_connection_through_the_test_client(fake: FakeCinder, volume: str) -> None:
    fake.inject("volume_show", drop_connection=True)
    client = fake.app.test_client()
    with pytest.raises(DroppedConnection):
        client.get(f"{BASE}/volumes/{volume}", headers=NOVA).get_data()
    assert client.get(f"{BASE}/volumes/{volume}", headers=NOVA).status_code == 200


def test_handle_removes_and_counts(fake: FakeCinder, volume: str) -> None:
    api = AttachCalls(fake)
    handle = fake.inject("attachment_create", status=503, times=None)
    assert [api.create(volume, instance=None).status_code for _ in range(3)] == [503] * 3
    assert handle.fired == 3
    handle.remove()
    assert fake.faults.list() == []
    assert api.create(volume, instance=None).status_code == 200
