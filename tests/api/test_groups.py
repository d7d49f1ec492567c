"""Generic volume groups: group types and specs (3.11), groups (3.13, 3.14, 3.20),
group snapshots (3.14, 3.19), volumes created in a group, the groups quota."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from tests.helpers.api import UNKNOWN, VOLUME, fault


def new_group_type(admin, name: str = "gt", **fields) -> dict:
    response = admin.post("group_types", {"group_type": {"name": name, **fields}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["group_type"]


def default_type_id(api) -> str:
    return api.volume()["volume_type_id"]


def new_group(api, group_type: str, volume_types: list[str], **fields) -> dict:
    response = api.post("groups", {"group": {"group_type": group_type,
                                             "volume_types": volume_types, **fields}})
    assert response.status_code == 202, response.get_json()
    return api.get(f"groups/{response.get_json()['group']['id']}").get_json()["group"]


def test_group_type_lifecycle(admin, api):
    created = new_group_type(admin, "gold", description="d", group_specs={"k": "v"})
    assert created["group_specs"] == {"k": "v"} and created["is_public"] is True
    assert fault(admin.post("group_types", {"group_type": {"name": "gold"}})) == (
        409, "Group Type gold already exists.")
    # Non-admins see types without their specs, and may not manage them.
    shown = api.get(f"group_types/{created['id']}").get_json()["group_type"]
    assert "group_specs" not in shown and shown["name"] == "gold"
    assert fault(api.post("group_types", {"group_type": {"name": "x"}}))[0] == 403
    updated = admin.put(f"group_types/{created['id']}",
                        {"group_type": {"description": "new"}}).get_json()["group_type"]
    assert updated["description"] == "new"
    assert fault(admin.put(f"group_types/{created['id']}", {"group_type": {}})) == (
        400, "Specify group type name, description or a combination thereof.")
    # Newest first, then the type Cinder's migrations create for consistency groups.
    assert [t["name"] for t in api.get("group_types").get_json()["group_types"]] == [
        "gold", "default_cgsnapshot_type"]
    assert admin.delete(f"group_types/{created['id']}").status_code == 202
    assert fault(admin.get(f"group_types/{created['id']}")) == (
        404, f"Group type {created['id']} could not be found.")


def test_group_types_need_3_11_and_there_is_no_default(admin):
    assert admin.as_(version="3.10").get("group_types").status_code == 404
    assert fault(admin.get("group_types/default")) == (
        404, "Default group type can not be found.")


def test_private_group_types_are_listed_for_admins_only(admin, api):
    new_group_type(admin, "private", is_public=False)
    new_group_type(admin, "public")
    assert [t["name"] for t in api.get("group_types").get_json()["group_types"]] == [
        "public", "default_cgsnapshot_type"]
    listed = admin.get("group_types", query={"is_public": "none"}).get_json()["group_types"]
    assert [t["name"] for t in listed] == ["public", "private", "default_cgsnapshot_type"]
    # tempest's list_group_types(sort="name:asc", is_public=None) sends the string None.
    by_name = admin.get("group_types", query={"sort": "name:asc", "is_public": "None"})
    assert [t["name"] for t in by_name.get_json()["group_types"]] == [
        "default_cgsnapshot_type", "private", "public"]
    only_private = admin.get("group_types", query={"is_public": "False"})
    assert [t["name"] for t in only_private.get_json()["group_types"]] == ["private"]
    assert fault(api.post("groups", {"group": {"group_type": "default_cgsnapshot_type",
                                               "volume_types": [default_type_id(api)]}}))[0] == 400


def test_group_specs(admin, api):
    type_id = new_group_type(admin)["id"]
    path = f"group_types/{type_id}/group_specs"
    assert admin.post(path, {"group_specs": {"a": "1", "b": "2"}}).status_code == 202
    assert admin.get(path).get_json() == {"group_specs": {"a": "1", "b": "2"}}
    assert admin.get(f"{path}/a").get_json() == {"a": "1"}
    assert admin.put(f"{path}/a", {"a": "3"}).get_json() == {"a": "3"}
    assert fault(admin.put(f"{path}/a", {"b": "3"})) == (400, "Request body and URI mismatch")
    assert admin.delete(f"{path}/a").status_code == 202
    assert fault(admin.get(f"{path}/a")) == (
        404, f"Group Type {type_id} has no extra spec with key a.")
    assert fault(admin.delete(f"{path}/a")) == (
        404, f"Group Type {type_id} has no specs with key a.")
    assert fault(api.get(path))[0] == 403
    assert fault(admin.post(path, {"group_specs": {"bad key!": "1"}}))[0] == 400


def test_group_lifecycle_with_volumes(admin, api, fake):
    type_id = new_group_type(admin)["id"]
    volume_type = default_type_id(api)
    group = new_group(api, "gt", [volume_type], name="  g1 ")
    assert group["name"] == "g1" and group["status"] == "available"
    assert group["group_type"] == type_id and group["volume_types"] == [volume_type]
    assert group["replication_status"] == "disabled" and "project_id" not in group
    # Add the fixture volume; it shows its group, and may not be deleted meanwhile.
    update = api.put(f"groups/{group['id']}", {"group": {"add_volumes": VOLUME}})
    assert update.status_code == 202
    assert api.volume()["group_id"] == group["id"]
    assert api.as_(version="3.12").volume().get("group_id") is None
    listed = api.get(f"groups/{group['id']}", query={"list_volume": "true"})
    assert listed.get_json()["group"]["volumes"] == [VOLUME]
    assert fault(api.delete(f"volumes/{VOLUME}"))[0] == 400
    assert fault(api.post(f"groups/{group['id']}/action", {"delete": {}})) == (
        400, f"Invalid Group: Group {group['id']} still contains volumes. The "
             "delete-volumes flag is required to delete it.")
    # A volume created in the group is in it at once.
    assert fault(api.post("volumes", {"volume": {"size": 1, "group_id": group["id"]}})) == (
        400, "Invalid input received: volume_type must be provided when creating a volume "
             "in a group.")
    created = api.post("volumes", {"volume": {"size": 1, "group_id": group["id"],
                                              "volume_type": volume_type}})
    assert created.status_code == 202, created.get_json()
    new_id = created.get_json()["volume"]["id"]
    assert fake.volume(new_id)["group_id"] == group["id"]
    removed = api.put(f"groups/{group['id']}", {"group": {"remove_volumes": new_id}})
    assert removed.status_code == 202
    assert fake.volume(new_id)["group_id"] is None
    gone = api.post(f"groups/{group['id']}/action", {"delete": {"delete-volumes": True}})
    assert gone.status_code == 202
    assert fault(api.get(f"volumes/{VOLUME}"))[0] == 404
    assert fault(api.get(f"groups/{group['id']}")) == (
        404, f"Group {group['id']} could not be found.")


def test_group_update_rules(admin, api):
    new_group_type(admin)
    group = new_group(api, "gt", [default_type_id(api)])
    path = f"groups/{group['id']}"
    assert fault(api.put(path, {"group": {"add_volumes": UNKNOWN}})) == (
        400, f"Invalid volume: Cannot add volume {UNKNOWN} to group {group['id']} because "
             "volume cannot be found.")
    assert fault(api.put(path, {"group": {"remove_volumes": VOLUME}})) == (
        400, f"Invalid volume: Cannot remove volume {VOLUME} from group {group['id']} "
             "because it is not in the group.")
    assert fault(api.put(path, {"group": {"add_volumes": VOLUME,
                                          "remove_volumes": VOLUME}})) == (
        400, f"Invalid volume: UUIDs ['{VOLUME}'] are in both add and remove volume list.")
    assert fault(api.put(path, {"group": {"name": group["name"]}})) == (
        400, f"Invalid Group: Cannot update group {group['id']} because no valid name, "
             "description, add_volumes, or remove_volumes were provided.")
    assert fault(api.put(path, {"group": {}}))[0] == 400  # the schema's anyOf
    # A volume type a group takes cannot be deleted (Cinder's group_volume_type_mapping).
    admin.post("types", {"volume_type": {"name": "grouped"}})
    grouped = [t for t in admin.get("types").get_json()["volume_types"]
               if t["name"] == "grouped"][0]["id"]
    both = new_group(api, "gt", [grouped, default_type_id(api)])
    assert both["volume_types"] == sorted([grouped, default_type_id(api)])  # Cinder's: by id
    assert fault(admin.delete(f"types/{grouped}")) == (400, "Target volume type is still in use.")


def test_group_create_refusals(admin, api):
    assert fault(api.post("groups", {"group": {"group_type": "nope",
                                               "volume_types": [default_type_id(api)]}})) == (
        404, "Group type with name nope could not be found.")
    new_group_type(admin)
    assert fault(api.post("groups", {"group": {"group_type": "gt",
                                               "volume_types": ["nope"]}}))[0] == 404
    assert api.as_(version="3.12").post("groups", {"group": {}}).status_code == 404


def test_groups_quota(admin, api, fake):
    new_group_type(admin)
    fake.set_quotas("demo", groups=1)
    new_group(api, "gt", [default_type_id(api)])
    response = api.post("groups", {"group": {"group_type": "gt",
                                             "volume_types": [default_type_id(api)]}})
    assert fault(response) == (
        413, "GroupLimitExceeded: Maximum number of groups allowed (1) exceeded")
    quota = api.get("os-quota-sets/demo", query={"usage": "true"}).get_json()["quota_set"]
    assert quota["groups"]["in_use"] == 1


def test_group_snapshots_and_create_from_source(admin, api, fake):
    new_group_type(admin)
    group = new_group(api, "gt", [default_type_id(api)])
    api.put(f"groups/{group['id']}", {"group": {"add_volumes": VOLUME}})
    created = api.post("group_snapshots", {"group_snapshot": {"group_id": group["id"],
                                                              "name": "gs"}})
    assert created.status_code == 202, created.get_json()
    summary = created.get_json()["group_snapshot"]
    assert set(summary) == {"id", "name", "group_type_id"}
    shown = api.get(f"group_snapshots/{summary['id']}").get_json()["group_snapshot"]
    assert shown["group_id"] == group["id"] and shown["status"] == "available"
    [member] = [s for s in api.get("snapshots/detail").get_json()["snapshots"]
                if s["group_snapshot_id"] == summary["id"]]
    assert member["volume_id"] == VOLUME
    # A member snapshot goes with its group snapshot only (admins may force it).
    assert fault(api.delete(f"snapshots/{member['id']}")) == (
        400, "Invalid snapshot: Snapshot status must be available or error and must not be "
             "part of a group.")
    listed = api.get("group_snapshots").get_json()["group_snapshots"]
    assert listed == [{"id": summary["id"], "name": "gs"}]
    assert fault(api.post(f"groups/{group['id']}/action", {"delete": {}})) == (
        400, "Invalid Group: Group has existing snapshots.")
    # A group from the group snapshot, and one cloned from the group.
    for source in ({"group_snapshot_id": summary["id"]}, {"source_group_id": group["id"]}):
        made = api.post("groups/action", {"create-from-src": {"name": "copy", **source}})
        assert made.status_code == 202, made.get_json()
        copy_id = made.get_json()["group"]["id"]
        copy = api.get(f"groups/{copy_id}", query={"list_volume": "1"}).get_json()["group"]
        assert len(copy["volumes"]) == 1 and copy["group_type"] == group["group_type"]
    # Reset status is admin-only, from 3.19.
    action = f"group_snapshots/{summary['id']}/action"
    assert fault(api.post(action, {"reset_status": {"status": "error"}}))[0] == 403
    assert admin.as_(version="3.18").post(action, {"reset_status": {"status": "error"}}
                                          ).status_code == 404
    assert admin.post(action, {"reset_status": {"status": "error"}}).status_code == 202
    assert fake.group_snapshots()[0]["status"] == "error"
    assert api.delete(f"group_snapshots/{summary['id']}").status_code == 202
    assert fault(api.get(f"group_snapshots/{summary['id']}")) == (
        404, f"GroupSnapshot {summary['id']} could not be found.")
    assert not [s for s in fake.snapshots() if s.get("group_snapshot_id")]


def test_group_reset_status_is_admin_only_from_3_20(admin, api, fake):
    new_group_type(admin)
    group = new_group(api, "gt", [default_type_id(api)])
    action = f"groups/{group['id']}/action"
    body = {"reset_status": {"status": "error"}}
    assert fault(api.post(action, body))[0] == 403
    assert admin.as_(version="3.19").post(action, body).status_code == 404
    assert admin.post(action, {"reset_status": {"status": "bogus"}}).status_code == 400
    assert admin.post(action, body).status_code == 202
    assert fake.group(group["id"])["status"] == "error"


def test_groups_are_per_project_and_listed_with_filters(admin, api):
    new_group_type(admin)
    volume_type = default_type_id(api)
    first = new_group(api, "gt", [volume_type], name="one")
    new_group(api, "gt", [volume_type], name="two")
    other = api.as_(project="other")
    assert other.get("groups").get_json()["groups"] == []
    assert fault(other.get(f"groups/{first['id']}"))[0] == 404
    named = api.get("groups", query={"name": "one"}).get_json()["groups"]
    assert named == [{"id": first["id"], "name": "one"}]
    page = api.get("groups/detail", query={"limit": "1"}).get_json()
    assert len(page["groups"]) == 1 and page["group_links"][0]["rel"] == "next"
    assert fault(api.get("groups", query={"bogus": "1"}))[0] == 400
    everything = admin.get("groups/detail", query={"all_tenants": "1"}).get_json()["groups"]
    assert len(everything) == 2 and everything[0]["project_id"] == "demo"


@pytest.mark.parametrize("replace", [True, False])
def test_python_api_state_files_and_reset(replace):
    fake = FakeCinder("default.json")
    group_type = fake.add_group_type("gt", group_specs={"consistent_group_snapshot_enabled":
                                                        "<is> True"})
    volume = fake.volumes(project_id="demo")[0]
    group = fake.add_group(project_id="demo", group_type=group_type["id"],
                           volume_types=[volume["volume_type_id"]], volumes=[volume["id"]])
    assert fake.volume(volume["id"])["group_id"] == group["id"]
    assert fake.groups(project_id="demo") == [group]
    state = fake.dump()
    assert [g["id"] for g in state["groups"]] == [group["id"]]
    other = FakeCinder()
    other.load(state, replace=replace)
    assert other.dump() == state
    fake.reset(project_id="demo")
    assert fake.groups() == []
    assert [t["name"] for t in fake.group_types()] == ["default_cgsnapshot_type", "gt"]
    fake.reset()
    assert fake.group_types() == []


def test_a_volume_in_a_group_is_not_retyped(admin, api, fake):
    """Cinder's retype expects group_id (None, ''): a group's member is refused with the
    conditional update's message; once removed, it retypes."""
    fake.add_volume_type("gold")
    group = new_group(api, new_group_type(admin)["id"], [default_type_id(api)])
    assert api.put(f"groups/{group['id']}", {"group": {"add_volumes": VOLUME}},
                   version="3.13").status_code == 202
    retype = {"os-retype": {"new_type": "gold"}}
    assert fault(api.post(f"volumes/{VOLUME}/action", retype)) == (
        400, "Invalid volume: Retype needs volume to be in available or in-use state, not "
             "be part of an active migration or a consistency group, requested type has to "
             "be different that the one from the volume, and for in-use volumes front-end "
             "qos specs cannot change.")
    assert api.put(f"groups/{group['id']}", {"group": {"remove_volumes": VOLUME}},
                   version="3.13").status_code == 202
    assert api.post(f"volumes/{VOLUME}/action", retype).status_code == 202
    assert api.volume()["volume_type"] == "gold"
