"""The dashboard's pages of volumes (core/overview.py's ``volumes_page``) always equal their
slice of the whole list, filtered by a full scan, whatever the volumes, their projects,
statuses, names and attachments, and whatever the page and filters asked (issue 24)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_cinder import FakeCinder
from fake_cinder.core.models import Attachment
from fake_cinder.core.overview import volumes_page

PROJECTS = ("alpha", "beta", "gamma")
STATUSES = ("available", "in-use", "error")
NAMES = ("web", "db-1", "DB-2", None)

volumes_strategy = st.lists(st.tuples(st.sampled_from(PROJECTS), st.sampled_from(STATUSES),
                                      st.sampled_from(NAMES), st.booleans()), max_size=30)
query_strategy = st.fixed_dictionaries({
    "limit": st.none() | st.integers(0, 12), "offset": st.integers(0, 35),
    "project_id": st.none() | st.sampled_from((*PROJECTS, "nobody")),
    "status": st.none() | st.sampled_from(STATUSES),
    "search": st.none() | st.sampled_from(("", "db", "WEB", "-", "zzz"))})


def _matches(volume: dict[str, Any], query: dict[str, Any]) -> bool:
    if query["project_id"] is not None and volume["project_id"] != query["project_id"]:
        return False
    if query["status"] is not None and volume["status"] != query["status"]:
        return False
    needle = (query["search"] or "").lower()
    return (needle in volume["id"] or needle in (volume["name"] or "").lower()
            or any(needle in a["id"] or needle in (a["instance_uuid"] or "")
                   for a in volume["attachments"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(volumes=volumes_strategy, queries=st.lists(query_strategy, min_size=1, max_size=5))
def test_a_page_is_its_slice_of_the_full_scan(volumes: list[tuple[str, str, str | None, bool]],
                                              queries: list[dict[str, Any]]) -> None:
    fake = FakeCinder(seed=3)
    for project, status, name, attached in volumes:
        volume = fake.add_volume(project_id=project, status=status, name=name)
        if attached:
            fake.store.add_attachment(_attachment(fake, volume["id"], project))
    whole = volumes_page(fake.store, fake.journal)["volumes"]
    # The whole list: by project, then age (created_at, id), every volume once.
    assert [v["id"] for v in whole] == [
        v["id"] for v in sorted(whole, key=lambda v: (v["project_id"], v["created_at"],
                                                      v["id"]))]
    assert len(whole) == len(volumes)
    for query in queries:
        page = volumes_page(fake.store, fake.journal, **query)
        expected = [v for v in whole if _matches(v, query)]
        stop = None if query["limit"] is None else query["offset"] + query["limit"]
        assert page["volumes"] == expected[query["offset"]:stop], query
        assert page["count"] == len(expected)
        assert page["projects"] == [
            {"project_id": p, "volumes": sum(1 for v in whole if v["project_id"] == p),
             "attachments": sum(len(v["attachments"]) for v in whole if v["project_id"] == p)}
            for p in sorted({v["project_id"] for v in whole})]
        assert page["statuses"] == sorted({v["status"] for v in whole})


def _attachment(fake: FakeCinder, volume_id: str, project: str) -> Attachment:
    store = fake.store
    return Attachment(id=store.clock.new_id(), volume_id=volume_id, project_id=project,
                      instance_uuid=store.clock.new_id(), created_at=store.clock.now())
