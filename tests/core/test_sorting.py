"""One sorting-and-marker implementation (core.listing.sorted_after) for volumes and
attachments, with Cinder's handling of NULLs (cinder.common.sqlalchemyutils.paginate_query
on MySQL): NULLs sort first ascending and last descending; a marker compares each NULL
as its column type's default (1900-01-01 for dates, 0 for numbers, '' for text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core.listing import ListQuery, sorted_after

COLUMNS = {"id": "id", "display_name": "name", "size": "size", "created_at": "created_at"}


@dataclass
class Row:
    id: str
    name: str | None
    size: int | None = 1
    created_at: str | None = "2024-01-01T00:00:00.000000"


def _query(*keys: str) -> ListQuery:
    sort_keys = [k.split(":")[0] for k in keys]
    sort_dirs = [k.split(":")[1] for k in keys]
    return ListQuery(sort_keys=sort_keys, sort_dirs=sort_dirs)


ROWS = [Row("a", None), Row("b", "x"), Row("c", ""), Row("d", None), Row("e", "y")]


def ids(rows: list[Any]) -> list[str]:
    return [r.id for r in rows]


def test_nulls_sort_first_ascending_and_last_descending() -> None:
    assert ids(sorted_after(ROWS, _query("display_name:asc", "id:asc"), COLUMNS)) == [
        "a", "d", "c", "b", "e"]
    assert ids(sorted_after(ROWS, _query("display_name:desc", "id:desc"), COLUMNS)) == [
        "e", "b", "c", "d", "a"]


def test_a_marker_compares_nulls_as_the_column_default() -> None:
    query = _query("display_name:asc", "id:asc")
    # Marker "c" (name ''): NULL names count as '' too, so "d" (after "c" by id) follows
    # although ORDER BY put it before "c"; "a" does not (its id is smaller).
    assert ids(sorted_after(ROWS, query, COLUMNS, ROWS[2])) == ["d", "b", "e"]
    # Marker "a" (name NULL, read as ''): every '' or NULL name with a larger id follows.
    assert ids(sorted_after(ROWS, query, COLUMNS, ROWS[0])) == ["d", "c", "b", "e"]


def test_numbers_and_dates_read_null_as_zero_and_1900() -> None:
    rows = [Row("a", "n", size=None), Row("b", "n", size=0), Row("c", "n", size=2),
            Row("d", "n", created_at=None), Row("e", "n", created_at="1900-01-01T00:00:00.000000")]
    assert ids(sorted_after(rows[:3], _query("size:asc", "id:asc"), COLUMNS, rows[0])) == [
        "b", "c"]
    by_date = _query("created_at:asc", "id:asc")
    assert ids(sorted_after(rows[3:], by_date, COLUMNS)) == ["d", "e"]
    assert ids(sorted_after(rows[3:], by_date, COLUMNS, rows[3])) == ["e"]


def test_the_marker_row_need_not_be_in_the_rows() -> None:
    query = _query("display_name:asc", "id:asc")
    assert ids(sorted_after(ROWS[3:], query, COLUMNS, ROWS[1])) == ["e"]


@pytest.fixture
def fake() -> FakeCinder:
    return FakeCinder(seed=3)  # no other volumes


HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.71"}


def _listed(fake: FakeCinder, path: str, key: str) -> list[str]:
    response = fake.app.test_client().get(f"/v3/demo/{path}", headers=HEADERS)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()[key]]


def test_volumes_and_attachments_page_the_same_way(fake: FakeCinder) -> None:
    named = [fake.add_volume(name=n, id=f"00000000-0000-4000-8000-00000000000{i}")["id"]
             for i, n in enumerate([None, "", None, "x"])]
    assert _listed(fake, "volumes?sort=name:asc,id:asc", "volumes")[:4] == [
        named[0], named[2], named[1], named[3]]
    assert _listed(fake, f"volumes?sort=name:asc,id:asc&marker={named[1]}",
                   "volumes")[:2] == [named[2], named[3]]
    # Attachments: attach_time is NULL until attached (read as 1900-01-01 after a marker).
    client = fake.app.test_client()
    made = []
    for volume_id in named:
        created = client.post("/v3/demo/attachments", headers=HEADERS, json={"attachment": {
            "volume_uuid": volume_id, "instance_uuid": "8a3c1b2d-0000-4000-8000-000000000001"}})
        made.append(created.get_json()["attachment"]["id"])
    ordered = _listed(fake, "attachments?sort=attach_time:asc,created_at:asc", "attachments")
    assert ordered == made
    assert _listed(fake, f"attachments?sort=attach_time:asc,created_at:asc&marker={made[1]}",
                   "attachments") == made[2:]
