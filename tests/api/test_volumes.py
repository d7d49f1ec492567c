"""The volume surface the attach flows need: volume types, volumes, os-reset_status."""

from __future__ import annotations

import pytest

from tests.helpers.api import SERVER, UNKNOWN, VOLUME, fault

MULTIATTACH_TYPE = "b1a6c0de-3d5e-4f7a-9c1b-2e4d6f8a0b02"


def make_type(admin, name: str, **fields) -> dict:
    response = admin.post("types", {"volume_type": {"name": name, **fields}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["volume_type"]


# -- volume types ----------------------------------------------------------------------------------
def test_create_volume_type(admin):
    created = make_type(admin, "gold", description="fast",
                        extra_specs={"multiattach": "<is> True", "storage_protocol": "FC"})
    assert created["name"] == "gold"
    assert created["description"] == "fast"
    assert created["is_public"] is True
    assert created["os-volume-type-access:is_public"] is True
    assert created["extra_specs"] == {"multiattach": "<is> True", "storage_protocol": "FC"}
    assert "qos_specs_id" not in created  # Cinder 29's create answer lacks it (checked)
    shown = admin.get(f"types/{created['id']}").get_json()["volume_type"]
    assert shown == {**created, "qos_specs_id": None}


def test_duplicate_volume_type_name_409s(admin):
    make_type(admin, "gold")
    response = admin.post("types", {"volume_type": {"name": "gold"}})
    assert fault(response) == (409, "Volume Type gold already exists.")
    assert "conflictingRequest" in response.get_json()
    names = [t["name"] for t in admin.get("types").get_json()["volume_types"]]
    assert names.count("gold") == 1


def test_members_cannot_create_volume_types(api):
    response = api.post("types", {"volume_type": {"name": "gold"}})
    assert fault(response) == (403, "Policy doesn't allow volume_extension:type_create to "
                                    "be performed.")


@pytest.mark.parametrize(("body", "message"), [
    ({"volume_type": {}}, "Invalid input for field/attribute volume_type. Value: {}. 'name' is "
                          "a required property"),
    ({"volume_type": {"name": ""}}, "Invalid input for field/attribute name. Value: . '' "
                                    "should be non-empty"),
    ({}, "'volume_type' is a required property"),
])
def test_volume_type_body_is_validated(admin, body, message):
    assert fault(admin.post("types", body)) == (400, message)


def test_list_and_show_volume_types(api, admin):
    names = {t["name"] for t in api.get("types").get_json()["volume_types"]}
    assert names == {"__DEFAULT__", "multiattach", "ceph"}
    shown = api.get(f"types/{MULTIATTACH_TYPE}").get_json()["volume_type"]
    assert shown["extra_specs"] == {"multiattach": "<is> True"}
    assert api.get("types/default").get_json()["volume_type"]["name"] == "__DEFAULT__"


def test_members_see_only_user_visible_extra_specs(api):
    ceph = next(t for t in api.get("types").get_json()["volume_types"] if t["name"] == "ceph")
    assert ceph["extra_specs"] == {}


def test_unknown_volume_type_404s(api):
    assert fault(api.get(f"types/{UNKNOWN}")) == (404,
                                                   f"Volume type {UNKNOWN} could not be found.")


def test_private_volume_types_are_visible_to_their_project_and_admins(api, admin):
    private = make_type(admin, "secret", **{"os-volume-type-access:is_public": False})
    assert private["is_public"] is False
    assert fault(api.get(f"types/{private['id']}"))[0] == 404
    assert "secret" not in {t["name"] for t in api.get("types").get_json()["volume_types"]}
    assert admin.get(f"types/{private['id']}").status_code == 200


# -- volumes ---------------------------------------------------------------------------------------
def test_create_volume_is_available_at_once(api):
    """The 202 answers what Cinder answers before its volume manager ran ("creating");
    the fake has no scheduler: the volume is available at once."""
    response = api.post("volumes", {"volume": {"size": 3, "name": "data"}})
    assert response.status_code == 202
    volume = response.get_json()["volume"]
    assert volume["status"] == "creating"
    assert volume["size"] == 3
    assert volume["name"] == "data"
    assert volume["multiattach"] is False
    assert volume["attachments"] == []
    assert volume["volume_type"] == "__DEFAULT__"
    shown = api.volume(volume["id"])
    assert shown["status"] == "available"
    assert shown["updated_at"] is not None
    assert {k: v for k, v in shown.items()
            if k not in ("status", "updated_at", "os-vol-tenant-attr:tenant_id",
                         "service_uuid")} == {
        k: v for k, v in volume.items() if k not in ("status", "updated_at", "service_uuid")}


@pytest.mark.parametrize("type_ref", ["multiattach", MULTIATTACH_TYPE])
def test_multiattach_volume_type_makes_multiattach_volumes(api, type_ref):
    volume_id = api.new_volume(type_ref)
    assert api.volume(volume_id)["multiattach"] is True


def test_new_volume_type_with_multiattach_extra_spec(api, admin):
    make_type(admin, "shared", extra_specs={"multiattach": "<is> True"})
    volume_id = api.new_volume("shared")
    first = api.create(volume_id, SERVER)
    api.complete(first["id"])
    second = api.create(volume_id, "8a3c1b2d-0000-4000-8000-000000000009")
    assert second["status"] == "reserved"


def test_create_volume_with_an_unknown_type_404s(api):
    response = api.post("volumes", {"volume": {"size": 1, "volume_type": "nope"}})
    assert fault(response) == (404, "Volume type with name nope could not be found.")
    missing = "00000000-0000-4000-8000-0000000000aa"
    response = api.post("volumes", {"volume": {"size": 1, "volume_type": missing}})
    assert fault(response) == (404, f"Volume type {missing} could not be found.")


def test_create_volume_without_size(api):
    response = api.post("volumes", {"volume": {"name": "x"}})
    # Cinder HEAD's create flow (_extract_size) validates the missing size as None.
    assert fault(response) == (400, "Invalid input received: Volume size 'None' must be an "
                                    "integer and greater than 0")


@pytest.mark.parametrize(("size", "message"), [
    (0, "Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1"),
    (-1, "Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1"),
    # Cinder's _SchemaValidator applies minimum/maximum to digit strings as numbers.
    ("0", "Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1"),
    ("2147483648", "Invalid input for field/attribute size. Value: 2147483648. 2147483648 is "
                   "greater than the maximum of 2147483647"),
])
def test_create_volume_with_a_size_below_1(api, fake, size, message):
    response = api.post("volumes", {"volume": {"size": size}})
    assert fault(response) == (400, message)
    assert len(fake.store.volumes) == 3


def test_create_volume_size_as_a_string(api):
    response = api.post("volumes", {"volume": {"size": "2"}})
    assert response.status_code == 202
    assert response.get_json()["volume"]["size"] == 2


def test_multiattach_parameter_is_refused(api):
    response = api.post("volumes", {"volume": {"size": 1, "multiattach": True}})
    assert fault(response) == (400, "multiattach parameter has been removed. The default "
                                    "behavior is to use multiattach enabled volume types. "
                                    "Contact your administrator to create a multiattach "
                                    "enabled volume type and use it to create multiattach "
                                    "volumes.")


def test_volume_lists(api, admin):
    created = api.new_volume()
    listed = api.get("volumes").get_json()["volumes"]
    assert listed[0]["id"] == created  # newest first
    detail = api.get("volumes/detail").get_json()["volumes"]
    assert [v["id"] for v in detail] == [v["id"] for v in listed]
    other = api.as_(project="other")
    assert other.get("volumes").get_json()["volumes"] == []
    assert admin.get("volumes").get_json()["volumes"] == []
    everything = admin.get("volumes", query={"all_tenants": "1"}).get_json()["volumes"]
    assert created in {v["id"] for v in everything}


def test_show_unknown_or_foreign_volume_404s(api):
    assert fault(api.get(f"volumes/{UNKNOWN}")) == (404, f"Volume {UNKNOWN} could not be found.")
    assert fault(api.as_(project="other").get(f"volumes/{VOLUME}")) == (
        404, f"Volume {VOLUME} could not be found.")


def test_delete_volume(api):
    volume_id = api.new_volume()
    response = api.delete(f"volumes/{volume_id}")
    assert response.status_code == 202
    assert response.get_data() == b""
    assert fault(api.get(f"volumes/{volume_id}"))[0] == 404
    assert fault(api.delete(f"volumes/{volume_id}"))[0] == 404


@pytest.mark.parametrize("status", ["maintenance", "reserved", "attaching", "creating"])
def test_delete_volume_in_a_busy_status_400s(api, admin, status):
    admin.post(f"volumes/{VOLUME}/action", {"os-reset_status": {"status": status}})
    response = api.delete(f"volumes/{VOLUME}")
    assert fault(response)[0] == 400
    assert fault(response)[1].startswith("Invalid volume: Volume status must be available or")


@pytest.mark.parametrize("status", ["error", "error_restoring", "error_extending",
                                    "error_managing"])
def test_delete_volume_in_an_error_status(api, admin, status):
    admin.post(f"volumes/{VOLUME}/action", {"os-reset_status": {"status": status}})
    assert api.delete(f"volumes/{VOLUME}").status_code == 202


# -- os-reset_status -------------------------------------------------------------------------------
def test_reset_status_by_an_admin(api, admin):
    response = admin.post(f"volumes/{VOLUME}/action", {"os-reset_status": {"status": "error"}})
    assert response.status_code == 202
    assert response.get_data() == b""
    assert api.volume()["status"] == "error"


def test_reset_status_needs_an_admin(api):
    response = api.post(f"volumes/{VOLUME}/action", {"os-reset_status": {"status": "error"}})
    assert fault(response)[0] == 403
    assert api.volume()["status"] == "available"


def test_reset_status_validates_the_status(admin, api):
    response = admin.post(f"volumes/{VOLUME}/action", {"os-reset_status": {"status": "bogus"}})
    assert fault(response)[0] == 400
    assert api.volume()["status"] == "available"


def test_unknown_volume_action(api):
    response = api.post(f"volumes/{VOLUME}/action", {"os-nothing": {}})
    assert fault(response) == (400, "There is no such action: os-nothing. Verify the request "
                                    "body and Content-Type header and try again.")
