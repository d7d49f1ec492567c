"""The request journal: what is recorded, the cap, and the assertion helpers."""

from __future__ import annotations

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.core.journal import Journal
from tests.helpers.attach_calls import BASE, CONNECTOR, INSTANCE, MEMBER, NOVA, AttachCalls

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"
SHARED = "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22"


pytestmark = pytest.mark.fake_cinder_state("default.json")


def test_entries_record_the_request(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    created = api.create(VOLUME, connector=CONNECTOR)
    api.client.get(f"{BASE}/attachments?limit=5", headers=MEMBER)
    api.client.get("/v3/demo/nowhere", headers=NOVA)
    api.client.get(f"{BASE}/attachments")  # no identity: 401
    create, listing, unrouted, anonymous = fake.journal.entries()
    assert create.to_dict() == {
        "seq": create.seq, "operation": "attachment_create", "method": "POST",
        "path": "/v3/demo/attachments", "query": "", "project_id": "demo",
        "microversion": "3.54", "status": 200,
        "body": {"attachment": {"volume_uuid": VOLUME, "instance_uuid": INSTANCE,
                                "connector": CONNECTOR}},
        "request_id": created.headers["X-OpenStack-Request-Id"], "fault": None,
        "attachment_id": created.json["attachment"]["id"], "attachment_status": "attaching",
        "response": created.json}
    assert (listing.operation, listing.query, listing.body) == (
        "attachment_list", "limit=5", None)
    assert [a["id"] for a in listing.response["attachments"]] == [
        created.json["attachment"]["id"]]
    assert (unrouted.operation, unrouted.status, unrouted.microversion) == (None, 404, None)
    assert unrouted.response == api.client.get("/v3/demo/nowhere", headers=NOVA).json
    assert (anonymous.operation, anonymous.status, anonymous.project_id) == (None, 401, None)
    assert [e.seq for e in fake.journal.entries()] == sorted(
        e.seq for e in fake.journal.entries())


def test_non_json_bodies_are_kept_as_text(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    response = api.client.post(f"{BASE}/attachments", headers=NOVA, data="{oops",
                               content_type="application/json")
    assert response.status_code == 400
    [entry] = fake.journal.entries()
    assert entry.body == "{oops" and entry.operation is None


def test_over_size_bodies_are_not_read(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    response = client.post(f"{BASE}/attachments", headers=NOVA, data=b"x" * 200_000,
                           content_type="application/json")
    assert response.status_code == 413
    [entry] = fake.journal.entries()
    assert (entry.status, entry.body) == (413, None)


def test_over_size_chunked_bodies_are_journaled(fake: FakeCinder) -> None:
    def chunks():
        for _ in range(20):
            yield b"x" * 10_000

    with fake.serve() as server:
        response = requests.post(f"{server.url}{BASE}/attachments", headers={
            **NOVA, "Content-Type": "application/json"}, data=chunks(), timeout=10)
    assert response.status_code == 413
    [entry] = fake.journal.entries()
    assert entry.status == 413 and len(entry.raw_body) <= 114688  # never more than the limit


def test_version_errors_are_journaled_without_operation(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    client.get(f"{BASE}/attachments", headers={**NOVA, "OpenStack-API-Version": "volume 9.1"})
    [entry] = fake.journal.entries()
    assert entry.status == 406 and entry.microversion == "9.1"


def test_cap_keeps_the_newest() -> None:
    fake = FakeCinder(journal_size=3)
    client = fake.app.test_client()
    for limit in range(5):
        client.get(f"{BASE}/attachments?limit={limit}", headers=NOVA)
    assert [e.query for e in fake.journal.entries()] == ["limit=2", "limit=3", "limit=4"]
    fake.journal.cap = 2
    assert [e.query for e in fake.journal.entries()] == ["limit=3", "limit=4"]
    with pytest.raises(ValueError):
        Journal(cap=0)


def test_filters(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    first = api.create(VOLUME).json["attachment"]["id"]
    api.show(first)
    api.show("7b1e2f6a-0000-4000-8000-0000000000ff")
    assert fake.journal.count("attachment_show") == 2
    assert fake.journal.count("attachment_show", status=404) == 1
    assert fake.journal.count(attachment_id=first) == 2
    assert fake.journal.count(method="POST", path="/v3/demo/attachments") == 1
    with pytest.raises(TypeError, match="colour"):
        fake.journal.entries(colour="red")


def test_assertion_helpers_pass_and_fail_with_the_journal(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    attachment_id = api.attach(VOLUME)
    journal = fake.journal
    journal.assert_called("attachment_update")
    journal.assert_called("attachment_update", times=1, status=200)
    journal.assert_order("attachment_create", "attachment_update", "attachment_complete")
    journal.assert_order("attachment_create", "attachment_complete")
    journal.assert_not_called("attachment_delete")
    with pytest.raises(AssertionError, match=r"expected attachment_delete to be called at least "
                       r"once, called 0 time\(s\)\njournal:\n  #1 attachment_create POST"
                       r" /v3/demo/attachments microversion=3.54 -> 200\n"):
        journal.assert_called("attachment_delete")
    with pytest.raises(AssertionError,
                       match="expected attachment_update to be called exactly 2 time"):
        journal.assert_called("attachment_update", times=2)
    with pytest.raises(AssertionError, match="attachment_create .step 2. not found"):
        journal.assert_order("attachment_update", "attachment_create")
    with pytest.raises(AssertionError, match="attachment_complete to be called never, called 1"):
        journal.assert_not_called("attachment_complete")
    with pytest.raises(AssertionError, match=r"went through \['reserved', 'attaching', "
                       r"'attached'\], expected \['reserved'\]"):
        journal.assert_lifecycle(attachment_id, ["reserved"])


@pytest.mark.parametrize("check", [
    lambda journal: journal.assert_not_called("attachment_craete"),
    lambda journal: journal.assert_called("attachment_craete"),
    lambda journal: journal.assert_called("attachment_craete", times=0),
    lambda journal: journal.assert_order("attachment_create", "attachment_craete"),
    lambda journal: journal.entries("attachment_craete"),
    lambda journal: journal.count("attachment_craete", status=200),
], ids=["assert_not_called", "assert_called", "assert_called-times", "assert_order",
        "entries", "count"])
def test_unknown_operation_names_raise_listing_the_valid_ones(fake: FakeCinder, check) -> None:
    AttachCalls(fake).create(VOLUME)
    with pytest.raises(ValueError) as raised:
        check(fake.journal)
    message = str(raised.value)
    assert message.startswith("unknown operation 'attachment_craete' "
                              "(did you mean 'attachment_create'?); one of ")
    assert "attachment_delete, attachment_list" in message and "volume_show" in message


def test_unknown_operation_names_over_http_are_a_400(fake: FakeCinder) -> None:
    listed = fake.app.test_client().get("/_fake/requests?operation=attachment_craete")
    assert listed.status_code == 400
    assert listed.json["badRequest"]["message"].startswith(
        "unknown operation 'attachment_craete'")


def test_failure_output_shows_each_entrys_microversion_and_fault(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    client.get(f"{BASE}/attachments", headers={"X-Auth-Token": "demo:demo"})  # 3.0: 404
    fault = fake.inject("volume_list", status=503)
    client.get(f"{BASE}/volumes", headers=NOVA)
    with pytest.raises(AssertionError) as raised:
        fake.journal.assert_called("attachment_list", status=200)
    assert str(raised.value).splitlines()[1:] == [
        "journal:",
        "  #1 attachment_list GET /v3/demo/attachments microversion=3.0 -> 404",
        f"  #2 volume_list GET /v3/demo/volumes microversion=3.54 -> 503 fault={fault.id}"]


def test_lifecycle_follows_stored_statuses_not_stale_responses(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    created = api.create(VOLUME, connector=CONNECTOR)
    assert created.json["attachment"]["status"] == "reserved"  # Cinder's stale answer
    attachment_id = created.json["attachment"]["id"]
    updated = api.update(attachment_id)
    assert updated.json["attachment"]["status"] == "attaching"  # stale again
    api.complete(attachment_id)
    api.show(attachment_id)
    api.delete(attachment_id)
    api.show(attachment_id)  # 404 afterwards: nothing more to record
    assert fake.journal.lifecycle(attachment_id) == [
        "reserved", "attaching", "attached", "deleted"]


def test_lifecycle_of_multiattach_attachments_is_per_attachment(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    first = api.attach(SHARED, "8a3c1b2d-0000-4000-8000-000000000001")
    second = api.create(SHARED, "8a3c1b2d-0000-4000-8000-000000000002").json["attachment"]["id"]
    api.delete(first)
    assert fake.journal.lifecycle(first) == ["reserved", "attaching", "attached", "deleted"]
    assert fake.journal.lifecycle(second) == ["reserved"]


def test_lifecycle_without_the_create_starts_where_it_was_seen(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    attachment_id = api.create(VOLUME).json["attachment"]["id"]
    fake.journal.clear()
    api.update(attachment_id)
    assert fake.journal.lifecycle(attachment_id) == ["attaching"]
    assert fake.journal.lifecycle("7b1e2f6a-0000-4000-8000-0000000000ff") == []


def test_failed_requests_do_not_invent_statuses(fake: FakeCinder) -> None:
    api = AttachCalls(fake)
    attachment_id = api.attach(VOLUME)
    member = AttachCalls(fake, {**NOVA, "X-Service-Roles": ""})
    assert member.delete(attachment_id).status_code == 409
    assert fake.journal.lifecycle(attachment_id) == ["reserved", "attaching", "attached"]
