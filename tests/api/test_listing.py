"""BEHAVIOR.md section 6: listing attachments (order, sorting, paging, filters)."""

from __future__ import annotations

import pytest

from tests.helpers.api import CONNECTOR, SERVER, SERVER2, SHARED_VOLUME, VOLUME, fault

THIRD = "8a3c1b2d-0000-4000-8000-000000000003"


# Seeded: every timestamp is distinct, so the order is fully determined.
pytestmark = pytest.mark.fake_cinder_state("default.json", seed=31)


@pytest.fixture
def made(api):
    """Four attachments, oldest first: two on the shared volume (one attaching), two reserves
    of the plain volume by the same instance."""
    first = api.create(SHARED_VOLUME, SERVER)["id"]
    api.complete(first)
    second = api.create(SHARED_VOLUME, SERVER2, connector=CONNECTOR)["id"]
    third = api.create(VOLUME, THIRD)["id"]
    fourth = api.create(VOLUME, THIRD)["id"]
    return [first, second, third, fourth]


def ids(attachments: list[dict]) -> list[str]:
    return [a["id"] for a in attachments]


@pytest.mark.parametrize("detail", [False, True], ids=["index", "detail"])
def test_default_order_is_newest_first(api, made, detail):
    assert ids(api.listing(detail=detail)) == made[::-1]


def test_sort_by_one_key_ascending(api, made):
    assert ids(api.listing(query={"sort": "created_at:asc"})) == made


def test_sort_direction_defaults_to_desc(api, made):
    assert ids(api.listing(query={"sort": "created_at"})) == made[::-1]


def test_sort_by_several_keys(api, made):
    listed = api.listing(detail=True, query={"sort": "volume_id:asc,created_at:desc"})
    # VOLUME (0c6e...) sorts before SHARED_VOLUME (1d7f...).
    assert ids(listed) == [made[3], made[2], made[1], made[0]]
    listed = api.listing(detail=True, query={"sort": "attach_status:asc,created_at:asc"})
    assert [a["status"] for a in listed] == ["attached", "attaching", "reserved", "reserved"]
    assert ids(listed) == [made[0], made[1], made[2], made[3]]


def test_sort_key_and_sort_dir(api, made):
    assert ids(api.listing(query={"sort_key": "created_at", "sort_dir": "asc"})) == made
    assert ids(api.listing(query={"sort_dir": "asc"})) == made
    by_instance = api.listing(detail=True, query={"sort_key": "instance_uuid",
                                                  "sort_dir": "desc"})
    assert [a["instance"] for a in by_instance] == [THIRD, THIRD, SERVER2, SERVER]


def test_marker_is_exclusive(api, made):
    newest_first = made[::-1]
    assert ids(api.listing(query={"marker": newest_first[0]})) == newest_first[1:]
    assert ids(api.listing(query={"marker": newest_first[-1]})) == []
    assert ids(api.listing(query={"marker": made[1], "sort": "created_at:asc"})) == made[2:]


def test_paging_with_limit_and_marker_walks_the_whole_list(api, made):
    seen: list[str] = []
    query = {"limit": "3"}
    while True:
        page = api.listing(query=query)
        if not page:
            break
        assert len(page) <= 3
        seen.extend(ids(page))
        query = {"limit": "3", "marker": page[-1]["id"]}
    assert seen == made[::-1]


def test_offset(api, made):
    assert ids(api.listing(query={"offset": "1"})) == made[::-1][1:]
    assert ids(api.listing(query={"offset": "1", "limit": "2"})) == made[::-1][1:3]
    assert ids(api.listing(query={"offset": "10"})) == []
    assert ids(api.listing(query={"offset": "1", "marker": made[3]})) == made[::-1][2:]


def test_limit(api, made):
    assert ids(api.listing(query={"limit": "1"})) == [made[3]]
    assert ids(api.listing(query={"limit": "0"})) == []
    assert ids(api.listing(query={"limit": "100"})) == made[::-1]


def test_filter_volume_id(api, made):
    assert ids(api.listing(query={"volume_id": VOLUME})) == [made[3], made[2]]
    assert ids(api.listing(query={"volume_id": SHARED_VOLUME})) == [made[1], made[0]]


def test_filter_instance_id(api, made):
    assert ids(api.listing(query={"instance_id": SERVER2})) == [made[1]]
    assert ids(api.listing(query={"instance_id": THIRD})) == [made[3], made[2]]


def test_filter_attach_status(api, made):
    assert ids(api.listing(query={"attach_status": "attached"})) == [made[0]]
    assert ids(api.listing(query={"attach_status": "reserved"})) == [made[3], made[2]]
    assert ids(api.listing(query={"attach_status": "detached"})) == []


def test_filters_combine(api, made):
    query = {"volume_id": SHARED_VOLUME, "attach_status": "attaching"}
    assert ids(api.listing(query=query)) == [made[1]]
    query = {"volume_id": VOLUME, "instance_id": SERVER}
    assert ids(api.listing(query=query)) == []


def test_filters_with_paging(api, made):
    query = {"volume_id": VOLUME, "limit": "1"}
    page = api.listing(query=query)
    assert ids(page) == [made[3]]
    assert ids(api.listing(query={**query, "marker": made[3]})) == [made[2]]


@pytest.mark.parametrize("value", ["reserved", "attached", "anything"])
def test_status_filter_matches_nothing(api, made, value):
    # Cinder's attachments have no "status" column: the database query finds nothing.
    assert api.listing(query={"status": value}) == []
    assert api.listing(detail=True, query={"status": value}) == []


@pytest.mark.parametrize("version", ["3.31", "3.54", "3.71"])
def test_unknown_filters_400_for_members_from_3_31(api, made, version):
    response = api.get("attachments", query={"foo": "1"}, version=version)
    assert fault(response) == (400, "Invalid filters foo are found in query options.")
    response = api.get("attachments/detail", query={"foo": "1", "bar": "2"}, version=version)
    assert fault(response) == (400, "Invalid filters foo,bar are found in query options.")


@pytest.mark.parametrize("version", ["3.27", "3.30"])
def test_unknown_filters_are_ignored_for_members_up_to_3_30(api, made, version):
    listed = api.listing(query={"foo": "1", "volume_id": VOLUME}, version=version)
    assert ids(listed) == [made[3], made[2]]


@pytest.mark.parametrize("version", ["3.27", "3.31", "3.71"])
def test_admins_are_never_rejected_for_unknown_filters(api, made, version):
    admin = api.as_(roles="admin")
    response = admin.get("attachments", query={"foo": "1"}, version=version)
    assert response.status_code == 200
    # An admin's unknown filter reaches the database, which matches nothing.
    assert response.get_json() == {"attachments": []}


def test_all_tenants_is_not_an_unknown_filter_for_members(api, made):
    assert ids(api.listing(query={"all_tenants": "1"})) == made[::-1]


@pytest.mark.parametrize("roles", ["member", "admin"])
def test_non_ascii_filter_keys_400_from_3_31_for_everyone(api, made, roles):
    caller = api.as_(roles=roles)
    response = caller.get("attachments", query={"fïlter": "1"}, version="3.31")
    assert fault(response) == (400, "Filter keys can only contain ASCII characters.")
    assert caller.get("attachments", query={"fïlter": "1"}, version="3.30").status_code == 200


def test_an_empty_instance_id_filter_matches_nothing(api, made):
    # Cinder renames instance_id only when it has a value; "instance_id" is no column.
    assert api.listing(query={"instance_id": ""}) == []
