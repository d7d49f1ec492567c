"""Differences a running Cinder 29 showed (conformance/, docs/conformance.md), now fixed.

Each test pins one answer that `make conformance` compares with real Cinder; these run
without Cinder, in `make test`.
"""

from __future__ import annotations

import time

from fake_cinder.cli import build_fake, build_parser
from fake_cinder.core import connection_info
from tests.helpers.api import (
    CEPH_VOLUME,
    CONNECTOR,
    SERVER,
    SERVER2,
    SHARED_VOLUME,
    VOLUME,
    Api,
    fault,
)


def test_replication_status_is_null_and_targets_are_shared_for_iscsi(api):
    volume = api.volume(VOLUME, version="3.48")
    assert volume["replication_status"] is None
    assert volume["shared_targets"] is True
    assert volume["service_uuid"] == connection_info.SERVICE_UUID
    assert "shared_targets" not in api.volume(VOLUME, version="3.47")


def test_shared_targets_follow_the_protocol():
    assert connection_info.shares_targets("iSCSI") is True
    assert connection_info.shares_targets("NVMe-TCP") is None
    assert connection_info.shares_targets("ceph") is False
    assert connection_info.shares_targets("fc") is False


def test_an_rbd_volume_does_not_share_targets(api):
    assert api.volume(CEPH_VOLUME)["shared_targets"] is False


def test_the_version_document_carries_the_version_headers(client):
    response = client.get("/")
    assert response.status_code == 300
    assert response.headers["OpenStack-API-Version"] == "volume 3.0"
    assert response.headers["Vary"] == "OpenStack-API-Version"
    asked = client.get("/", headers={"OpenStack-API-Version": "volume 3.54"})
    assert asked.headers["OpenStack-API-Version"] == "volume 3.54"


def test_the_v3_redirect_has_an_empty_body(api):
    response = api.client.get("/v3", headers=api.headers())
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/v3/"
    assert response.data == b""


def test_an_action_without_a_body_is_no_such_action(api, admin):
    attachment_id = api.create(VOLUME, SERVER)["id"]
    expected = (400, "There is no such action: None. Verify the request body and "
                     "Content-Type header and try again.")
    assert fault(api.post(f"attachments/{attachment_id}/action")) == expected
    assert fault(admin.post(f"volumes/{VOLUME}/action", url_project="demo",
                            project="demo")) == expected


def test_the_nova_conflict_carries_the_exception_name(api):
    attachment_id = api.create(VOLUME, SERVER, connector=CONNECTOR)["id"]
    assert fault(api.delete(f"attachments/{attachment_id}")) == (
        409, f"ConflictNovaUsingAttachment: Detach volume from instance {SERVER} using the "
             "Compute API")


def test_cinderclient_noauth_headers_make_an_admin(client):
    """python-cinderclient's noauth plugin: a user:project token and X-User-Id/X-Project-Id
    without X-Roles. Cinder's noauth middleware reads the token and makes an admin."""
    headers = {"X-Auth-Token": "demo:demo", "X-User-Id": "demo", "X-Project-Id": "demo",
               "OpenStack-API-Version": "volume 3.71", "X-Service-Roles": "service"}
    created = client.post("/v3/demo/attachments", headers=headers, json={"attachment": {
        "volume_uuid": VOLUME, "instance_uuid": SERVER, "connector": CONNECTOR}})
    attachment_id = created.get_json()["attachment"]["id"]
    client.post(f"/v3/demo/attachments/{attachment_id}/action", headers=headers,
                json={"os-complete": None})
    volume = client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers).get_json()["volume"]
    assert volume["attachments"][0]["host_name"] == CONNECTOR["host"]
    assert "os-vol-host-attr:host" in volume  # an admin's view


def test_identity_headers_with_roles_still_win_over_a_token(client):
    headers = {"X-Auth-Token": "demo:demo", "X-User-Id": "demo", "X-Project-Id": "demo",
               "X-Roles": "member", "OpenStack-API-Version": "volume 3.71"}
    volume = client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers).get_json()["volume"]
    assert "os-vol-host-attr:host" not in volume


def test_volume_links_follow_the_request_url(api, client):
    volume = api.volume(VOLUME)
    assert volume["links"][0]["href"].endswith(f"/v3/demo/volumes/{VOLUME}")
    projectless = api.get(f"volumes/{VOLUME}", url_project=None).get_json()["volume"]
    assert projectless["links"][0]["href"] == f"http://localhost/v3/volumes/{VOLUME}"
    assert projectless["links"][1]["href"] == f"http://localhost/volumes/{VOLUME}"


def test_volume_create_answers_before_the_volume_is_created(api):
    response = api.post("volumes", {"volume": {"size": 1, "name": "new"}})
    assert response.status_code == 202
    created = response.get_json()["volume"]
    assert created["status"] == "creating"
    assert created["updated_at"] is None
    assert "os-vol-tenant-attr:tenant_id" not in created
    assert api.volume(created["id"])["status"] == "available"


def test_volume_delete_answers_webob_s_empty_202(api):
    volume_id = api.new_volume()
    response = api.delete(f"volumes/{volume_id}")
    assert response.status_code == 202
    assert response.data == b""
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"


def test_volume_types_are_listed_newest_first(api):
    names = [t["name"] for t in api.get("types").get_json()["volume_types"]]
    assert names == ["ceph", "multiattach", "__DEFAULT__"]


def test_the_default_type_has_no_type_access_field(api, admin):
    for caller in (api, admin):
        shown = caller.get("types/default").get_json()["volume_type"]
        assert shown["name"] == "__DEFAULT__"
        assert "os-volume-type-access:is_public" not in shown


def test_a_volume_that_cannot_be_reserved_is_refused_before_the_connector(api):
    api.create(VOLUME, SERVER)
    response = api.post("attachments", {"attachment": {
        "volume_uuid": VOLUME, "instance_uuid": SERVER2, "connector": {"host": "compute-1"}}})
    assert fault(response) == (400, f"Invalid volume: Volume {VOLUME} status must be available "
                                    "or downloading to reserve, but the current status is "
                                    "reserved.")


def test_a_deleted_volume_passes_through_deleting(checked_fake):
    """With ``volume_delete_seconds`` (``serve --volume-delete-seconds``) a deleted volume
    is ``deleting`` for a while, as while Cinder's volume manager deletes it; an
    attachment create meanwhile is refused with 400, not 404."""
    fake = checked_fake("fixtures/default.json", volume_delete_seconds=0.05)
    api = Api(fake.app.test_client())
    volume_id = api.new_volume()
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    assert api.volume(volume_id)["status"] == "deleting"
    response = api.post("attachments", {"attachment": {"volume_uuid": volume_id}})
    assert fault(response) == (400, f"Invalid volume: Volume {volume_id} status must be "
                                    "available or downloading to reserve, but the current "
                                    "status is deleting.")
    deadline = time.monotonic() + 10
    while api.get(f"volumes/{volume_id}").status_code != 404:
        assert time.monotonic() < deadline, "the volume was never deleted"
        time.sleep(0.01)
    assert volume_id not in fake.store.volumes


def test_volumes_are_gone_at_once_by_default(api, fake):
    volume_id = api.new_volume()
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    assert api.get(f"volumes/{volume_id}").status_code == 404


def test_serve_takes_the_delete_delay():
    args = build_parser().parse_args(["serve", "--volume-delete-seconds", "0.5"])
    assert build_fake(args).volume_delete_seconds == 0.5


def test_a_reader_may_look_but_not_write(api):
    attachment_id = api.create(VOLUME, SERVER)["id"]
    reader = api.as_(roles="reader")
    assert reader.show(attachment_id)["id"] == attachment_id
    refused = {
        "volume:attachment_create": reader.post("attachments", {"attachment": {
            "volume_uuid": VOLUME, "instance_uuid": SERVER}}),
        "volume:attachment_update": reader.put(f"attachments/{attachment_id}",
                                               {"attachment": {"connector": CONNECTOR}}),
        "volume:attachment_complete": reader.post(f"attachments/{attachment_id}/action",
                                                  {"os-complete": None}),
        "volume:attachment_delete": reader.delete(f"attachments/{attachment_id}"),
        "volume:create": reader.post("volumes", {"volume": {"size": 1}}),
        "volume:delete": reader.delete(f"volumes/{VOLUME}"),
    }
    for policy, response in refused.items():
        assert fault(response) == (403, f"Policy doesn't allow {policy} to be performed.")
    assert api.show(attachment_id)["status"] == "reserved"


def test_nova_uses_the_newest_connected_attachment_of_an_instance(api):
    """The fake's Nova maps an instance's volume to its newest connected attachment: an
    older one of the same instance is not in use, and anyone may delete it."""
    older = api.create(SHARED_VOLUME, SERVER, connector=CONNECTOR)["id"]
    api.complete(older)
    newer = api.create(SHARED_VOLUME, SERVER, connector=CONNECTOR)["id"]
    assert api.delete(f"attachments/{newer}").status_code == 409
    assert api.delete(f"attachments/{older}").status_code == 200
    assert api.delete(f"attachments/{newer}").status_code == 409
