"""Volume surface details checked against Cinder's source (see each test's docstring)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from support import fault


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
