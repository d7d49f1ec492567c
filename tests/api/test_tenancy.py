"""BEHAVIOR.md sections 1 and 6: identity, project isolation, admins and delete protection."""

from __future__ import annotations

import pytest

from fake_cinder.resources import fixture_path
from tests.helpers.api import CONNECTOR, SERVER, SERVER2, VOLUME, fault

MALFORMED_URL = (400, "Malformed request url")


def not_found(attachment_id: str) -> tuple[int, str]:
    return 404, ("Volume attachment could not be found with filter: "
                 f"attachment_id = {attachment_id}.")


@pytest.fixture
def other(api):
    """A member of project ``other``."""
    return api.as_(project="other")


# -- identity
def test_keystone_headers_identify_the_caller(client, fake):
    headers = {"X-User-Id": "alice", "X-Project-Id": "demo", "X-Roles": "reader,member",
               "OpenStack-API-Version": "volume 3.27"}
    response = client.post("/v3/demo/attachments", headers=headers,
                           json={"attachment": {"volume_uuid": VOLUME}})
    assert response.status_code == 200
    assert fake.store.attachments[response.get_json()["attachment"]["id"]].project_id == "demo"


def test_x_tenant_id_is_read_as_the_project(client):
    headers = {"X-Tenant-Id": "demo", "X-Roles": "reader",
               "OpenStack-API-Version": "volume 3.27"}
    assert client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers).status_code == 200
    # Without a role on the project, Cinder's volume:get refuses it: Not Found.
    del headers["X-Roles"]
    assert client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers).status_code == 404


def test_noauth_token_user_colon_project_is_an_admin_of_that_project(client):
    headers = {"X-Auth-Token": "someone:tenant-a", "OpenStack-API-Version": "volume 3.27"}
    # An admin: it sees the demo project's volume, and lists with all_tenants.
    assert client.get(f"/v3/tenant-a/volumes/{VOLUME}", headers=headers).status_code == 200
    assert fault(client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers)) == MALFORMED_URL


def test_noauth_bare_token_is_its_own_project(client):
    headers = {"X-Auth-Token": "demo"}
    assert client.get(f"/v3/demo/volumes/{VOLUME}", headers=headers).status_code == 200


def test_headers_win_over_a_token(client):
    headers = {"X-Auth-Token": "admin:admin", "X-Project-Id": "other", "X-Roles": "member"}
    assert fault(client.get(f"/v3/other/volumes/{VOLUME}", headers=headers)) == (
        404, f"Volume {VOLUME} could not be found.")


# -- URL project
OTHER_HEX_PROJECT = "0ddba11-0000"  # made of [0-9a-f-]: Cinder routes it
@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "attachments", None),
    ("GET", "attachments/detail", None),
    ("POST", "attachments", {"attachment": {"volume_uuid": VOLUME}}),
    ("GET", f"attachments/{VOLUME}", None),
    ("PUT", f"attachments/{VOLUME}", {"attachment": {"connector": CONNECTOR}}),
    ("DELETE", f"attachments/{VOLUME}", None),
    ("POST", f"attachments/{VOLUME}/action", {"os-complete": None}),
    ("GET", f"volumes/{VOLUME}", None),
    ("GET", "volumes", None),
])
def test_url_project_other_than_the_callers_is_malformed(api, fake, method, path, body):
    response = api.call(method, path, body, url_project=OTHER_HEX_PROJECT)
    assert fault(response) == MALFORMED_URL
    assert fake.store.attachments == {}


def test_url_project_check_comes_before_the_version_gate(api):
    # Cinder checks the URL's project before dispatching to the (versioned) method.
    response = api.get("attachments", url_project=OTHER_HEX_PROJECT, version="3.0")
    assert fault(response) == MALFORMED_URL


def test_admins_also_need_their_own_project_in_the_url(admin):
    assert fault(admin.get("attachments", url_project="demo")) == MALFORMED_URL


# -- isolation
def test_another_projects_member_cannot_see_or_touch_an_attachment(api, other):
    attachment_id = api.create(connector=CONNECTOR)["id"]
    assert fault(other.get(f"attachments/{attachment_id}")) == not_found(attachment_id)
    assert fault(other.put(f"attachments/{attachment_id}",
                           {"attachment": {"connector": CONNECTOR}})) == not_found(attachment_id)
    assert fault(other.post(f"attachments/{attachment_id}/action",
                            {"os-complete": None})) == not_found(attachment_id)
    assert fault(other.delete(f"attachments/{attachment_id}",
                              service=True)) == not_found(attachment_id)
    assert api.show(attachment_id)["status"] == "attaching"


def test_another_projects_member_cannot_attach_a_foreign_volume(other, fake):
    response = other.post("attachments", {"attachment": {"volume_uuid": VOLUME}})
    assert fault(response) == (404, f"Volume {VOLUME} could not be found.")
    assert fake.store.attachments == {}


@pytest.mark.parametrize("detail", [False, True], ids=["index", "detail"])
def test_another_projects_member_lists_nothing(api, other, detail):
    api.create()
    assert other.listing(detail=detail) == []
    assert other.listing(detail=detail, query={"all_tenants": "1"}) == []
    assert other.listing(detail=detail, query={"volume_id": VOLUME}) == []


def test_projects_see_only_their_own(api, other):
    mine = api.create()["id"]
    volume = other.new_volume()
    theirs = other.create(volume)["id"]
    assert [a["id"] for a in api.listing()] == [mine]
    assert [a["id"] for a in other.listing()] == [theirs]


def test_another_projects_admin_can_show_and_delete(api, admin):
    attachment_id = api.create(connector=CONNECTOR)["id"]
    assert admin.show(attachment_id)["status"] == "attaching"
    assert admin.remove(attachment_id) == []
    assert api.volume()["status"] == "available"


def test_another_projects_admin_can_attach_and_complete(api, admin, fake):
    attachment = admin.create(VOLUME, SERVER)
    admin.update(attachment["id"])
    admin.complete(attachment["id"])
    assert fake.store.attachments[attachment["id"]].project_id == "demo"
    assert api.show(attachment["id"])["status"] == "attached"


# -- all_tenants
@pytest.mark.parametrize("value", ["1", "0", "true", ""])
def test_all_tenants_shows_every_project_to_admins(api, other, admin, value):
    mine = api.create()["id"]
    theirs = other.create(other.new_volume())["id"]
    assert admin.listing() == []
    listed = admin.listing(query={"all_tenants": value})
    assert {a["id"] for a in listed} == {mine, theirs}
    assert [a["id"] for a in listed] == [theirs, mine]  # newest first across projects


def test_all_tenants_with_filters_and_paging(api, other, admin):
    mine = api.create()["id"]
    theirs = other.create(other.new_volume())["id"]
    page = admin.listing(query={"all_tenants": "1", "limit": "1"})
    assert [a["id"] for a in page] == [theirs]
    page = admin.listing(query={"all_tenants": "1", "limit": "1", "marker": theirs})
    assert [a["id"] for a in page] == [mine]
    listed = admin.listing(query={"all_tenants": "1", "volume_id": VOLUME})
    assert [a["id"] for a in listed] == [mine]


def test_all_tenants_is_ignored_for_members(api, other):
    api.create()
    theirs = other.create(other.new_volume())["id"]
    assert [a["id"] for a in other.listing(query={"all_tenants": "1"})] == [theirs]


# -- delete protection (Cinder's fix for bug 2004555)
@pytest.mark.parametrize("stage", ["attaching", "attached"])
def test_deleting_a_connected_attachment_needs_a_service_token(api, fake, stage):
    attachment_id = api.create(VOLUME, SERVER, connector=CONNECTOR)["id"]
    if stage == "attached":
        api.complete(attachment_id)
    response = api.delete(f"attachments/{attachment_id}")
    assert fault(response) == (409, "ConflictNovaUsingAttachment: Detach volume from instance "
                                 f"{SERVER} "
                                 "using the Compute API")
    assert "conflictingRequest" in response.get_json()
    assert api.show(attachment_id)["status"] == stage
    assert api.delete(f"attachments/{attachment_id}", service=True).status_code == 200
    assert attachment_id not in fake.store.attachments


def test_admins_without_a_service_token_are_refused_too(api, admin):
    attachment_id = api.create(VOLUME, SERVER, connector=CONNECTOR)["id"]
    response = admin.delete(f"attachments/{attachment_id}")
    assert fault(response) == (409, "ConflictNovaUsingAttachment: Detach volume from instance "
                                 f"{SERVER} "
                                 "using the Compute API")


def test_service_role_in_x_roles_is_not_a_service_token(api):
    attachment_id = api.create(VOLUME, SERVER, connector=CONNECTOR)["id"]
    response = api.delete(f"attachments/{attachment_id}", roles="member,service")
    assert response.status_code == 409


def test_reserves_and_attachments_without_instance_delete_freely(api):
    reserved = api.create(VOLUME, SERVER)["id"]
    assert api.delete(f"attachments/{reserved}").status_code == 200
    connected = api.create(VOLUME, None, connector=CONNECTOR)["id"]
    assert api.delete(f"attachments/{connected}").status_code == 200


def test_protection_can_be_turned_off(checked_fake):
    fake = checked_fake(fixture_path("default.json"), protect_in_use_attachments=False)
    plain = fake.app.test_client()
    headers = {"X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}
    created = plain.post("/v3/demo/attachments", headers=headers, json={"attachment": {
        "volume_uuid": VOLUME, "instance_uuid": SERVER2, "connector": CONNECTOR}})
    attachment_id = created.get_json()["attachment"]["id"]
    response = plain.delete(f"/v3/demo/attachments/{attachment_id}", headers=headers)
    assert response.status_code == 200
    assert fake.store.attachments == {}


@pytest.mark.parametrize("roles", ["Admin", "reader, ADMIN", "admin"])
def test_admin_role_is_matched_without_case(api, roles):
    caller = api.as_(project="elsewhere", roles=roles)
    assert caller.get(f"volumes/{VOLUME}").status_code == 200


@pytest.mark.parametrize("service_roles", ["Service", "reader,service"])
def test_service_role_is_matched_without_case(api, service_roles):
    attachment_id = api.create(VOLUME, SERVER, connector=CONNECTOR)["id"]
    response = api.delete(f"attachments/{attachment_id}",
                          extra={"X-Service-Roles": service_roles})
    assert response.status_code == 200
