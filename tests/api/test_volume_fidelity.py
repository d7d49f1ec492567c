"""Volume surface details checked against Cinder's source (see each test's docstring)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.api import fault


def _volume(api, name: str, size: int = 1, **fields) -> str:
    response = api.post("volumes", {"volume": {"size": size, "name": name, **fields}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["volume"]["id"]


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [v["id"] for v in response.get_json()["volumes"]]


@pytest.fixture
def api(api):
    """A member of a project of its own: its lists hold only what a test made."""
    return api.as_(project="fidelity")


@pytest.fixture
def three(api) -> list[str]:
    """Three new volumes of the member's project, oldest first."""
    return [_volume(api, "vol-a", size=1, metadata={"tier": "gold"}),
            _volume(api, "vol-b", size=2),
            _volume(api, "vol-c", size=3, metadata={"tier": "gold", "x": "y"})]


def _newest_first(api) -> list[str]:
    return _ids(api.get("volumes"))


# -- paging: cinder/api/v3/volumes.py VolumeController._get_volumes --------------------------------
@pytest.mark.parametrize("path", ["volumes", "volumes/detail"])
def test_limit_and_marker_page_through_volumes_with_next_links(api, three, path):
    everything = _newest_first(api)
    first = api.get(path, query={"limit": "2"})
    assert _ids(first) == everything[:2]
    (link,) = first.get_json()["volumes_links"]
    assert link["rel"] == "next"
    href = urlsplit(link["href"])
    assert href.path == f"/v3/fidelity/{path}"
    assert parse_qs(href.query) == {"limit": ["2"], "marker": [everything[1]]}
    second = api.get(path, query={"limit": "2", "marker": everything[1]})
    assert _ids(second) == everything[2:4]


def test_a_page_short_of_the_limit_has_no_next_link(api, three):
    body = api.get("volumes", query={"limit": "1000"}).get_json()
    assert "volumes_links" not in body
    assert "volumes_links" not in api.get("volumes").get_json()


def test_an_unknown_marker_is_a_404(api, three):
    missing = "00000000-0000-4000-8000-00000000dead"
    assert fault(api.get("volumes", query={"marker": missing})) == (
        404, f"Volume {missing} could not be found.")


def test_a_marker_of_another_projects_volume_places_the_page(api, three, fake):
    """Cinder reads the list with an elevated context: another project's volume is a
    marker like any other (its created_at and id place the page); conformance checks it."""
    elsewhere = fake.add_volume(project_id="elsewhere", name="theirs")["id"]
    newest_first = _newest_first(api)
    assert elsewhere not in newest_first
    # Made after the three: every one of them comes after it, newest first.
    assert _ids(api.get("volumes", query={"marker": elsewhere})) == newest_first
    assert _ids(api.get("volumes", query={"marker": elsewhere, "sort": "created_at:asc"})) == []


@pytest.mark.parametrize(("query", "message"), [
    ({"limit": "x"}, "limit param must be an integer"),
    ({"limit": "-1"}, "limit param must be positive"),
    ({"offset": "-1"}, "offset must be >= 0"),
    ({"sort": "size:sideways"}, "Invalid input received: Unknown sort direction, must be "
                                "'desc' or 'asc'."),
    ({"sort": "colour"}, "Invalid input received: Invalid sort key"),
])
def test_bad_paging_parameters_are_400s(api, three, query, message):
    assert fault(api.get("volumes", query=query)) == (400, message)


def test_sort_by_name_and_size_and_offset(api, three):
    assert _ids(api.get("volumes", query={"sort": "name:asc"})) == three
    assert _ids(api.get("volumes", query={"sort": "name:desc"})) == three[::-1]
    assert _ids(api.get("volumes", query={"sort_key": "size", "sort_dir": "asc"})) == three
    assert _ids(api.get("volumes", query={"sort": "size:asc", "offset": "1"})) == three[1:]


# -- filters: resource_filters.json "volume", VolumeAPI.check_volume_filters -----------------------
def test_filter_by_name_status_size_and_metadata(api, admin, three):
    assert _ids(api.get("volumes", query={"name": "vol-b"})) == [three[1]]
    assert _ids(api.get("volumes", query={"size": "3"})) == [three[2]]
    gold = _ids(api.get("volumes", query={"metadata": "{'tier': 'gold'}"}))
    assert gold == [three[2], three[0]]
    both = api.get("volumes/detail", query={"metadata": '{"tier": "gold", "x": "y"}'})
    assert _ids(both) == [three[2]]
    assert _ids(api.get("volumes", query={"metadata": "tier"})) == []
    reset = admin.post(f"volumes/{three[0]}/action",
                       {"os-reset_status": {"status": "error"}})
    assert reset.status_code == 202
    assert _ids(api.get("volumes", query={"status": "error"})) == [three[0]]
    assert _ids(api.get("volumes", query={"bootable": "false", "name": "vol-a"})) == [three[0]]
    assert _ids(api.get("volumes", query={"bootable": "true", "name": "vol-a"})) == []


def test_a_bad_boolean_filter_is_a_400_from_3_2(api, three):
    assert fault(api.get("volumes", query={"bootable": "maybe"})) == (
        400, "Invalid input received: 'bootable = maybe'")
    old = api.as_(version="3.1")
    # Before 3.2 anything but a false spelling means true.
    assert _ids(old.get("volumes", query={"bootable": "maybe", "name": "vol-a"})) == []


def test_members_unknown_filters_are_400s_from_3_31_and_dropped_before(api, three):
    assert fault(api.get("volumes", query={"host": "x"})) == (
        400, "Invalid filters host are found in query options.")
    old = api.as_(version="3.30")
    assert _ids(old.get("volumes", query={"host": "x"})) == three[::-1]


def test_admins_filters_on_unknown_columns_match_nothing(admin):
    assert _ids(admin.get("volumes", query={"colour": "blue"})) == []


# -- all_tenants: VolumeAPI.get_all reads it with get_bool_param -----------------------------------
def test_all_tenants_is_a_boolean_for_volumes(api, admin, three):
    everything = _ids(admin.get("volumes", query={"all_tenants": "True"}))
    assert set(three) <= set(everything)
    assert set(three).isdisjoint(_ids(admin.get("volumes")))
    # A false all_tenants stays a filter on a column volumes do not have: nothing matches.
    assert _ids(admin.get("volumes", query={"all_tenants": "0"})) == []
    assert fault(admin.get("volumes", query={"all_tenants": "maybe"})) == (
        400, "Value 'maybe' for 'all_tenants' is not a boolean.")
    # Members' all_tenants is ignored (cinderclient always sends it).
    assert _ids(api.get("volumes", query={"all_tenants": "1"})) == _newest_first(api)


# -- os-reset_status: cinder/api/contrib/admin_actions.py VolumeAdminController._reset_status ------
def _reset(caller, volume_id: str, **changes):
    return caller.post(f"volumes/{volume_id}/action", {"os-reset_status": changes})


VALID_STATUSES = (
    "('creating', 'available', 'deleting', 'error', 'error_deleting', 'error_managing', "
    "'managing', 'attaching', 'in-use', 'detaching', 'maintenance', 'restoring-backup', "
    "'error_restoring', 'reserved', 'awaiting-transfer', 'backing-up', 'error_backing-up', "
    "'error_extending', 'downloading', 'uploading', 'retyping', 'extending')")


@pytest.mark.parametrize(("changes", "message"), [
    ({}, "Must specify 'status', 'attach_status' or 'migration_status' for update."),
    ({"status": None, "attach_status": ""},
     "Must specify 'status', 'attach_status' or 'migration_status' for update."),
    ({"status": "bogus"}, f"Volume status: bogus is invalid, valid statuses are: "
                          f"{VALID_STATUSES}."),
    ({"attach_status": "half"}, "Volume attach status: half is invalid, valid statuses are: "
                                "['attached', 'detached']."),
    ({"migration_status": "x"}, "Volume migration status: x is invalid, valid statuses are: "
                                "('migrating', 'error', 'success', 'completing', 'none', "
                                "'starting')."),
    ({"status": "deleting"}, "Cannot reset-state to deleting"),
    ({"status": "in-use"}, "Cannot reset-state to in-use because volume does not have any "
                           "attachments."),
])
def test_reset_status_refusals(admin, api, three, changes, message):
    assert fault(_reset(admin, three[0], **changes)) == (400, message)
    assert api.volume(three[0])["status"] == "available"


def test_reset_status_is_case_insensitive_and_none_clears_migration(admin, api, three):
    assert _reset(admin, three[0], status="ERROR", migration_status="Migrating").status_code \
        == 202
    assert admin.volume(three[0])["migration_status"] == "migrating"
    assert _reset(admin, three[0], migration_status="none").status_code == 202
    shown = admin.volume(three[0])
    assert (shown["status"], shown["migration_status"]) == ("error", None)


def test_reset_status_to_error_deleting_is_allowed(admin, api, three):
    """Cinder's refusal list lacks a comma: 'error_deleting' 'detaching' is one string."""
    assert _reset(admin, three[0], status="error_deleting").status_code == 202
    assert _reset(admin, three[0], status="detaching").status_code == 202
    assert api.volume(three[0])["status"] == "detaching"


def test_reset_status_checks_the_volume_before_the_policy(api, three):
    missing = "00000000-0000-4000-8000-00000000dead"
    assert fault(_reset(api, missing, status="error")) == (
        404, f"Volume {missing} could not be found.")
    assert fault(_reset(api, three[0], status="error"))[0] == 403


def test_reset_attach_status_detached_drops_the_attachments(admin, api, three):
    attachment = api.create(three[0])
    assert api.volume(three[0])["status"] == "reserved"
    assert _reset(admin, three[0], status="in-use").status_code == 202
    assert _reset(admin, three[0], attach_status="detached").status_code == 202
    assert fault(api.get(f"attachments/{attachment['id']}"))[0] == 404
    assert api.volume(three[0])["status"] == "available"


def test_managing_statuses_show_as_the_old_ones(admin, api, three):
    """cinder/api/v3/views/volumes.py ViewBuilder._get_volume_status."""
    assert _reset(admin, three[0], status="managing").status_code == 202
    assert api.volume(three[0])["status"] == "creating"
    assert _reset(admin, three[0], status="error_managing").status_code == 202
    assert api.volume(three[0])["status"] == "error"


# -- create: cinder/api/v3/volumes.py create, cinder/volume/flows/api/create_volume.py --------
def test_create_strips_name_and_description_and_counts_without_the_spaces(api):
    padded = "  " + "n" * 255 + "  "
    response = api.post("volumes", {"volume": {"size": 1, "name": padded,
                                               "description": " about "}})
    assert response.status_code == 202, response.get_json()
    shown = response.get_json()["volume"]
    assert (shown["name"], shown["description"]) == ("n" * 255, "about")
    for key, entity in (("name", "name"), ("display_description", "description")):
        response = api.post("volumes", {"volume": {"size": 1, key: "x" * 256}})
        assert fault(response) == (400, f"Invalid input received: {entity} has 256 "
                                        "characters, more than 255.")


def test_create_in_an_unknown_availability_zone_400s(api):
    response = api.post("volumes", {"volume": {"size": 1, "availability_zone": "mars"}})
    assert fault(response) == (400, "Availability zone 'mars' is invalid.")
    assert _ids(api.get("volumes")) == []


def test_create_looks_the_type_up_before_the_other_checks(api):
    response = api.post("volumes", {"volume": {"volume_type": "nope", "multiattach": True}})
    assert fault(response) == (404, "Volume type with name nope could not be found.")


# -- volume types: cinder/api/v3/types.py, cinder/api/v3/views/types.py ----------------------------
def _type_names(caller, **query) -> set[str]:
    response = caller.get("types", query=query or None)
    assert response.status_code == 200, response.get_json()
    return {t["name"] for t in response.get_json()["volume_types"]}


def test_admins_list_public_types_unless_they_ask_for_private_ones(admin, api):
    created = admin.post("types", {"volume_type": {
        "name": "hidden", "os-volume-type-access:is_public": False}})
    assert created.status_code == 200
    other = admin.as_(project="elsewhere")
    assert "hidden" not in _type_names(other)
    assert "hidden" in _type_names(other, is_public="none")
    assert _type_names(other, is_public="false") == {"hidden"}
    assert "hidden" not in _type_names(api, is_public="none")  # members: public only
    assert fault(other.get("types", query={"is_public": "maybe"})) == (
        400, "Invalid is_public filter [maybe]")


def test_only_admins_see_qos_specs_id(admin, api):
    """volume_extension:access_types_qos_specs_id is rule:admin_api."""
    assert admin.get("types/default").get_json()["volume_type"]["qos_specs_id"] is None
    assert "qos_specs_id" not in api.get("types/default").get_json()["volume_type"]


# -- views and delete: cinder/api/v3/views/volumes.py, cinder/volume/api.py API.delete -------------
def test_replication_status_is_null_without_replication(api, three):
    """Seen on a running Cinder 29 (conformance/): null for a type without replication."""
    assert api.volume(three[0])["replication_status"] is None


def test_a_volume_with_a_reserved_attachment_reset_to_available_can_be_deleted(api, admin, three):
    attachment = api.create(three[0])
    assert _reset(admin, three[0], status="available").status_code == 202
    assert api.delete(f"volumes/{three[0]}").status_code == 202
    assert fault(api.get(f"attachments/{attachment['id']}"))[0] == 404


@pytest.mark.parametrize("name", ["cascade", "force"])
def test_delete_checks_its_boolean_parameters(api, three, name):
    assert fault(api.delete(f"volumes/{three[0]}", query={name: "maybe"})) == (
        400, f"Value 'maybe' for '{name}' is not a boolean.")
    assert api.delete(f"volumes/{three[0]}", query={name: "false"}).status_code == 202


def test_force_delete_needs_an_admin_and_3_23(api, admin, three):
    assert _reset(admin, three[0], status="creating").status_code == 202
    assert fault(api.delete(f"volumes/{three[0]}", query={"force": "true"})) == (
        403, "Policy doesn't allow volume:force_delete to be performed.")
    old = admin.as_(version="3.22")  # force is not read before 3.23
    assert fault(old.delete(f"volumes/{three[0]}", query={"force": "true"}))[1].startswith(
        "Invalid volume: Volume status must be available or error")
    assert admin.delete(f"volumes/{three[0]}", query={"force": "true"}).status_code == 202
    assert fault(api.get(f"volumes/{three[0]}"))[0] == 404


def test_force_delete_still_refuses_an_attached_volume(admin, three):
    assert _reset(admin, three[0], attach_status="attached").status_code == 202
    assert fault(admin.delete(f"volumes/{three[0]}", query={"force": "1"})) == (
        400, "Invalid volume: Volume  must not be migrating, attached, belong to a group, "
             "have snapshots, awaiting a transfer, or be disassociated from snapshots after "
             "volume transfer.")


# -- with_count: VolumeController._get_volumes, ViewBuilder._get_collection_links ----------------
def test_with_count_from_3_45(api, three):
    body = api.get("volumes", query={"with_count": "true", "limit": "1"}).get_json()
    assert body["count"] == 3 and len(body["volumes"]) == 1
    last = api.get("volumes", query={"with_count": "true", "limit": "2",
                                     "marker": _newest_first(api)[1]}).get_json()
    # Cinder compares the limit with the count: the last page still has a next link.
    assert len(last["volumes"]) == 1 and "volumes_links" in last
    assert "count" not in api.get("volumes", query={"with_count": "false"}).get_json()
    assert fault(api.get("volumes", query={"with_count": "maybe"})) == (
        400, "Value 'maybe' for 'with_count' is not a boolean.")
    assert fault(api.as_(version="3.44").get("volumes", query={"with_count": "true"})) == (
        400, "Invalid filters with_count are found in query options.")


# -- type create: cinder/api/contrib/types_manage.py _create, validators._validate_name ----------
def test_type_names_are_kept_as_sent_but_not_blank(admin):
    created = admin.post("types", {"volume_type": {"name": " padded "}})
    assert created.status_code == 200
    assert created.get_json()["volume_type"]["name"] == " padded "
    assert fault(admin.as_(roles="member").post("types", {"volume_type": {"name": "   "}})) == (
        400, "An invalid 'name' value was provided. The 'name' can not be empty.")
