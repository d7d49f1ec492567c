"""BEHAVIOR.md section 4: the shapes of attachments, connection info and version documents."""

from __future__ import annotations

import re

import pytest

from tests.helpers.api import CONNECTOR, SERVER, SHARED_VOLUME, VOLUME

DETAIL_KEYS = {"id", "status", "instance", "volume_id", "attached_at", "detached_at",
               "attach_mode", "connection_info"}
SUMMARY_KEYS = {"id", "status", "instance", "volume_id"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
ISCSI_KEYS = {"target_discovered", "target_portal", "target_iqn", "target_lun", "volume_id",
              "auth_method", "auth_username", "auth_password", "driver_volume_type",
              "attachment_id", "access_mode", "encrypted", "cacheable", "qos_specs",
              "enforce_multipath"}


def versions_document(base: str) -> dict:
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": "3.71", "min_version": "3.0",
        "updated": "2023-08-31T00:00:00Z",
        "links": [{"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}]}]}


def test_show_create_update_have_exactly_the_detail_keys(api):
    created = api.create()
    assert set(created) == DETAIL_KEYS
    assert set(api.show(created["id"])) == DETAIL_KEYS
    assert set(api.update(created["id"], CONNECTOR)) == DETAIL_KEYS


def test_index_and_delete_have_exactly_the_summary_keys(api):
    first = api.create(volume_id=VOLUME)
    second = api.create(volume_id=VOLUME)  # the same instance again
    listed = api.listing()
    assert [set(a) for a in listed] == [SUMMARY_KEYS, SUMMARY_KEYS]
    remaining = api.remove(first["id"])
    assert remaining == [{"id": second["id"], "status": "reserved", "instance": SERVER,
                          "volume_id": VOLUME}]


def test_detail_has_the_detail_keys_and_no_links(api):
    for _ in range(3):
        api.create()
    response = api.get("attachments/detail", query={"limit": "1"})
    assert set(response.get_json()) == {"attachments"}
    assert [set(a) for a in response.get_json()["attachments"]] == [DETAIL_KEYS]
    response = api.get("attachments", query={"limit": "1"})
    assert set(response.get_json()) == {"attachments"}


def test_unset_timestamps_are_empty_strings(api):
    created = api.create()
    assert created["attached_at"] == ""
    assert created["detached_at"] == ""
    listed = api.listing(detail=True)[0]
    assert listed["attached_at"] == listed["detached_at"] == ""


def test_set_timestamps_have_microseconds_and_no_zone(api):
    created = api.create(connector=CONNECTOR)
    attached_at = api.show(created["id"])["attached_at"]
    assert TIMESTAMP.match(attached_at), attached_at
    volume = api.volume()
    assert TIMESTAMP.match(volume["created_at"])
    api.complete(created["id"])
    assert TIMESTAMP.match(api.volume()["attachments"][0]["attached_at"])


def test_attach_mode_is_the_string_null_until_set(api):
    created = api.create()
    assert created["attach_mode"] == "null"
    assert api.show(created["id"])["attach_mode"] == "null"
    api.update(created["id"], CONNECTOR)
    assert api.show(created["id"])["attach_mode"] == "rw"


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_mode_at_3_54_sets_attach_mode(api, mode):
    created = api.create(mode=mode, version="3.54")
    assert created["attach_mode"] == mode
    assert api.show(created["id"])["attach_mode"] == mode


def test_ro_mode_keeps_access_mode_rw(api):
    created = api.create(mode="ro", connector=CONNECTOR, version="3.54")
    assert created["attach_mode"] == "ro"
    assert created["connection_info"]["access_mode"] == "rw"
    reserved = api.create(SHARED_VOLUME, mode="ro", version="3.54")
    updated = api.update(reserved["id"], CONNECTOR)
    assert updated["connection_info"]["access_mode"] == "rw"


def test_iscsi_connection_info_is_flattened_with_the_manager_keys(api):
    created = api.create(connector=CONNECTOR)
    info = created["connection_info"]
    assert set(info) == ISCSI_KEYS
    assert info["driver_volume_type"] == "iscsi"
    assert info["attachment_id"] == created["id"]
    assert info["volume_id"] == VOLUME
    assert info["access_mode"] == "rw"
    assert info["encrypted"] is False
    assert info["cacheable"] is False
    assert info["qos_specs"] is None
    assert info["enforce_multipath"] is False
    assert info["target_discovered"] is False
    assert info["auth_method"] == "CHAP"
    assert info["target_portal"].endswith(":3260")
    assert info["target_iqn"] == f"iqn.2010-10.org.openstack:volume-{VOLUME}"
    assert isinstance(info["target_lun"], int)


def test_enforce_multipath_comes_from_the_connector(api):
    created = api.create(connector=dict(CONNECTOR, enforce_multipath=True))
    assert created["connection_info"]["enforce_multipath"] is True


def test_root_is_a_300_version_document_without_identity(client):
    response = client.get("/")
    assert response.status_code == 300
    assert response.get_json() == versions_document("http://localhost")
    assert response.headers["Content-Type"] == "application/json"


def test_v3_root_is_a_200_version_document(api, client):
    response = client.get("/v3/", headers=api.headers(version=None))
    assert response.status_code == 200
    assert response.get_json() == versions_document("http://localhost")


@pytest.mark.parametrize("base", ["http://cinder.example.org:8776", "https://[::1]:9000"])
def test_version_documents_link_to_the_request_host(api, client, base):
    assert client.get("/", base_url=base).get_json() == versions_document(base)
    response = client.get("/v3/", base_url=base, headers=api.headers())
    assert response.get_json() == versions_document(base)


def test_version_document_follows_a_lower_maximum(checked_fake):
    low = checked_fake(max_version="3.60").app.test_client()
    assert low.get("/").get_json()["versions"][0]["version"] == "3.60"


def test_volume_shapes(api, admin):
    listed = api.get("volumes").get_json()["volumes"]
    assert {v["id"] for v in listed} >= {VOLUME}
    assert all(set(v) == {"id", "name", "links"} for v in listed)
    volume = api.volume()
    for key in ("status", "multiattach", "attachments", "size", "volume_type", "id",
                "os-vol-tenant-attr:tenant_id"):
        assert key in volume
    assert volume["multiattach"] is False
    assert "os-vol-host-attr:host" not in volume
    assert "os-vol-host-attr:host" in admin.volume()
    detail = api.get("volumes/detail").get_json()["volumes"]
    assert {v["id"] for v in detail} == {v["id"] for v in listed}
