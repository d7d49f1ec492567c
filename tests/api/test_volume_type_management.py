"""Volume type management (admins): update, delete, extra specs and the access list of
private types, with Cinder 29's texts (cinder/api/contrib/types_manage.py,
types_extra_specs.py, volume_type_access.py; conformance/scenarios_types.py compares
the same calls with a running Cinder)."""

from __future__ import annotations

import pytest

from tests.helpers.api import UNKNOWN, fault


def make_type(admin, name: str, **fields) -> dict:
    response = admin.post("types", {"volume_type": {"name": name, **fields}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["volume_type"]


def private_type(admin, name: str = "secret") -> dict:
    return make_type(admin, name, **{"os-volume-type-access:is_public": False})


# -- update ---------------------------------------------------------------------------------------
def test_update_name_description_and_visibility(admin):
    created = make_type(admin, "gold", description="before")
    response = admin.put(f"types/{created['id']}", {"volume_type": {
        "name": "platinum", "description": "after", "is_public": "false"}})
    assert response.status_code == 200
    assert response.get_json() == {"volume_type": {
        "id": created["id"], "name": "platinum", "description": "after", "is_public": False,
        "extra_specs": {}}}
    shown = admin.get(f"types/{created['id']}").get_json()["volume_type"]
    assert (shown["name"], shown["is_public"]) == ("platinum", False)
    # None leaves a field as it is; an empty description is a description.
    response = admin.put(f"types/{created['id']}", {"volume_type": {"description": ""}})
    assert response.get_json()["volume_type"]["name"] == "platinum"
    assert response.get_json()["volume_type"]["description"] == ""


@pytest.mark.parametrize(("body", "message"), [
    ({}, "Specify volume type name, description, is_public or a combination thereof."),
    ({"name": "   "}, "Volume type name can not be empty."),
    ({"is_public": "maybe"}, None),
])
def test_update_refusals(admin, body, message):
    created = make_type(admin, "gold")
    status, text = fault(admin.put(f"types/{created['id']}", {"volume_type": body}))
    assert status == 400
    if message:
        assert text == message
    assert admin.get(f"types/{created['id']}").get_json()["volume_type"]["name"] == "gold"


def test_update_to_a_taken_name_conflicts_and_members_are_refused(admin, api):
    make_type(admin, "gold")
    silver = make_type(admin, "silver")
    assert fault(admin.put(f"types/{silver['id']}", {"volume_type": {"name": "gold"}})) == (
        409, "Volume Type gold already exists.")
    assert fault(api.put(f"types/{silver['id']}", {"volume_type": {"name": "x"}})) == (
        403, "Policy doesn't allow volume_extension:type_update to be performed.")
    assert fault(admin.put(f"types/{UNKNOWN}", {"volume_type": {"name": "x"}})) == (
        404, f"Volume type {UNKNOWN} could not be found.")


def test_a_renamed_type_keeps_its_quotas(admin, fake):
    created = make_type(admin, "gold")
    fake.set_quotas("demo", volumes_gold=3)
    admin.put(f"types/{created['id']}", {"volume_type": {"name": "platinum"}})
    quotas = fake.quotas("demo")
    assert quotas["volumes_platinum"] == 3 and "volumes_gold" not in quotas


# -- delete ---------------------------------------------------------------------------------------
def test_delete(admin, api, fake):
    created = make_type(admin, "gold")
    assert fault(api.delete(f"types/{created['id']}")) == (
        403, "Policy doesn't allow volume_extension:type_delete to be performed.")
    response = admin.delete(f"types/{created['id']}")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert fault(admin.get(f"types/{created['id']}"))[0] == 404
    assert fault(admin.delete(f"types/{created['id']}")) == (
        404, f"Volume type {created['id']} could not be found.")
    assert "volumes_gold" not in fake.quotas("demo")


def test_a_type_in_use_and_the_default_type_stay(admin, api):
    created = make_type(admin, "gold")
    volume_id = api.new_volume("gold")
    assert fault(admin.delete(f"types/{created['id']}")) == (
        400, "Target volume type is still in use.")
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    default = admin.get("types/default").get_json()["volume_type"]
    assert fault(admin.delete(f"types/{default['id']}")) == (
        400, f"The volume type {default['id']} is a default volume type and cannot be "
             "deleted.")
    assert admin.delete(f"types/{created['id']}").status_code == 202


# -- extra specs ----------------------------------------------------------------------------------
def test_extra_specs_every_method(admin, api):
    type_id = make_type(admin, "gold", extra_specs={"a": "1"})["id"]
    response = admin.post(f"types/{type_id}/extra_specs",
                          {"extra_specs": {"b": "2", "multiattach": "<is> True"}})
    assert (response.status_code, response.get_json()) == (
        200, {"extra_specs": {"b": "2", "multiattach": "<is> True"}})
    assert admin.get(f"types/{type_id}/extra_specs").get_json() == {
        "extra_specs": {"a": "1", "b": "2", "multiattach": "<is> True"}}
    # Non-admins see the user-visible keys only.
    assert api.get(f"types/{type_id}/extra_specs").get_json() == {
        "extra_specs": {"multiattach": "<is> True"}}
    assert fault(api.get(f"types/{type_id}/extra_specs/b")) == (
        404, f"Volume Type {type_id} has no extra specs with key b.")
    assert admin.get(f"types/{type_id}/extra_specs/b").get_json() == {"b": "2"}
    response = admin.put(f"types/{type_id}/extra_specs/b", {"b": "3"})
    assert (response.status_code, response.get_json()) == (200, {"b": "3"})
    assert fault(admin.put(f"types/{type_id}/extra_specs/b", {"a": "3"})) == (
        400, "Request body and URI mismatch")
    assert fault(admin.put(f"types/{type_id}/extra_specs/b", {"a": "3", "b": "4"}))[0] == 400
    response = admin.delete(f"types/{type_id}/extra_specs/b")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert fault(admin.delete(f"types/{type_id}/extra_specs/b")) == (
        404, f"Volume Type {type_id} has no extra specs with key b.")
    assert admin.get(f"types/{type_id}").get_json()["volume_type"]["extra_specs"] == {
        "a": "1", "multiattach": "<is> True"}


def test_extra_specs_refusals(admin, api):
    type_id = make_type(admin, "gold", extra_specs={"multiattach": "<is> True"})["id"]
    assert fault(admin.post(f"types/{type_id}/extra_specs",
                            {"extra_specs": {"cacheable": "<is> True"}})) == (
        400, "cacheable cannot be set with multiattach.")
    assert fault(admin.post(f"types/{type_id}/extra_specs",
                            {"extra_specs": {"a b": "1"}}))[0] == 400
    assert fault(api.post(f"types/{type_id}/extra_specs", {"extra_specs": {"c": "1"}})) == (
        403, "Policy doesn't allow volume_extension:types_extra_specs:create to be "
             "performed.")
    # The type's lookup comes before the delete's policy.
    assert fault(api.delete(f"types/{UNKNOWN}/extra_specs/a"))[0] == 404
    assert fault(api.delete(f"types/{type_id}/extra_specs/a"))[0] == 403
    api.new_volume("gold")
    for response in (admin.post(f"types/{type_id}/extra_specs", {"extra_specs": {"a": "1"}}),
                     admin.put(f"types/{type_id}/extra_specs/a", {"a": "1"}),
                     admin.delete(f"types/{type_id}/extra_specs/multiattach")):
        assert fault(response) == (400, "Volume Type is currently in use.")
    assert admin.get(f"types/{type_id}/extra_specs").get_json() == {
        "extra_specs": {"multiattach": "<is> True"}}


# -- access ---------------------------------------------------------------------------------------
def test_private_types_are_seen_by_the_projects_given_access(admin, api):
    type_id = private_type(admin)["id"]
    assert fault(api.get(f"types/{type_id}"))[0] == 404
    assert admin.get(f"types/{type_id}/os-volume-type-access").get_json() == {
        "volume_type_access": []}
    response = admin.post(f"types/{type_id}/action", {"addProjectAccess": {"project": "demo"}})
    assert (response.status_code, response.get_data()) == (202, b"")
    assert fault(admin.post(f"types/{type_id}/action",
                            {"addProjectAccess": {"project": "demo"}})) == (
        409, f"Volume type access for {type_id} / demo combination already exists.")
    assert api.get(f"types/{type_id}").status_code == 200
    assert "secret" in {t["name"] for t in api.get("types").get_json()["volume_types"]}
    assert admin.get(f"types/{type_id}/os-volume-type-access").get_json() == {
        "volume_type_access": [{"volume_type_id": type_id, "project_id": "demo"}]}
    api.new_volume("secret")
    assert fault(admin.post(f"types/{type_id}/action",
                            {"removeProjectAccess": {"project": "other"}})) == (
        404, f"Volume type access not found for {type_id} / other combination.")
    assert admin.post(f"types/{type_id}/action",
                      {"removeProjectAccess": {"project": "demo"}}).status_code == 202
    assert fault(api.get(f"types/{type_id}"))[0] == 404


def test_access_refusals(admin, api):
    type_id = private_type(admin)["id"]
    public_id = make_type(admin, "open")["id"]
    assert fault(api.post(f"types/{type_id}/action",
                          {"addProjectAccess": {"project": "demo"}})) == (
        403, "Policy doesn't allow volume_extension:volume_type_access:addProjectAccess to "
             "be performed.")
    assert fault(api.get(f"types/{type_id}/os-volume-type-access"))[0] == 403
    assert fault(admin.get(f"types/{public_id}/os-volume-type-access")) == (
        404, "Access list not available for public volume types.")
    for action in ("addProjectAccess", "removeProjectAccess"):
        assert fault(admin.post(f"types/{public_id}/action", {action: {"project": "x"}})) == (
            400, "Invalid volume type: Type access modification is not applicable to public "
                 "volume type.")
    assert fault(admin.post(f"types/{type_id}/action", {"addProjectAccess": {}}))[0] == 400
    assert fault(admin.post(f"types/{UNKNOWN}/action",
                            {"addProjectAccess": {"project": "x"}}))[0] == 404
    assert fault(admin.post(f"types/{type_id}/action", {"share": {}})) == (
        400, "There is no such action: share. Verify the request body and Content-Type "
             "header and try again.")


def test_null_extra_specs_are_kept_as_null(admin):
    """As Cinder 29 keeps them (seen in conformance/scenarios_types.py)."""
    type_id = make_type(admin, "gold", extra_specs={"k": None})["id"]
    admin.post(f"types/{type_id}/extra_specs", {"extra_specs": {"c": None}})
    assert admin.get(f"types/{type_id}/extra_specs").get_json() == {
        "extra_specs": {"k": None, "c": None}}
    assert admin.get(f"types/{type_id}/extra_specs/c").get_json() == {"c": None}
