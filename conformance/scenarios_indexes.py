"""Scenarios of issue 24's column indexes (core/volume_index.py, core/volume_listing.py):
volume lists sorted by each column Cinder sorts by, both ways, with markers on NULLs and
ties; lists filtered by the indexed equalities, with counts, offsets and markers; the
summary's distinct metadata after the metadata changes. Same conventions as
scenarios.py."""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, Scenario, get
from .scenarios_nova import SNAP, act, new_snapshot

# Volumes with names that tie, are NULL (no name), sizes that tie, metadata that differs.
_VOLUMES = [("vol:a", {"size": 2, "name": "idx-b", "metadata": {"k": "1"}}),
            ("vol:b", {"size": 1}),
            ("vol:c", {"size": 2, "name": "idx-a", "description": "d", "metadata": {"k": "2"}}),
            ("vol:d", {"size": 1, "metadata": {"k": "1", "j": "x"}}),
            ("vol:e", {"size": 3, "name": "idx-a"})]


def _create(label: str, body: dict) -> Step:
    return Step("POST", VOL, caller="member", body={"volume": body}, save=label, check=label)


def _sorted(key: str) -> list[Step]:
    """The column both ways, whole and paged after a NULL's, a tie's and a value's
    marker."""
    steps = []
    for direction in ("asc", "desc"):
        steps.append(get(VOL + f"?sort={key}:{direction}"))
        steps.extend(get(VOL + f"?sort={key}:{direction}&limit=2&marker={{{label}}}")
                     for label in ("vol:b", "vol:c", "vol:e"))
    return steps


_SORT_KEYS = ("name", "size", "status", "bootable", "availability_zone", "updated_at",
              "description", "user_id", "attach_status", "multiattach", "volume_type_id",
              "migration_status")  # not id: each server makes its own

# Snapshots with names that tie and are NULL.
_SNAPSHOTS = [("snap:a", "idx-b"), ("snap:b", None), ("snap:c", "idx-a"), ("snap:d", None),
              ("snap:e", "idx-a")]


def _snapshots_sorted(key: str) -> list[Step]:
    steps = []
    for direction in ("asc", "desc"):
        steps.append(get(SNAP + f"?sort={key}:{direction}"))
        steps.extend(get(SNAP + f"?sort={key}:{direction}&limit=2&marker={{{label}}}")
                     for label in ("snap:b", "snap:c", "snap:e"))
    return steps


INDEXES_CATALOGUE: list[Scenario] = [
    Scenario("issue 24: volume lists sorted by each column", [
        *(_create(label, body) for label, body in _VOLUMES),
        act("vol:d", "os-set_bootable", {"bootable": True}, caller="member"),
        act("vol:b", "os-reset_status", {"status": "error"}, caller="admin"),
        *(step for key in _SORT_KEYS for step in _sorted(key)),
        get(VOL + "/detail?sort_key=name&sort_dir=asc&limit=3"),
        get(VOL + "?sort=name:asc&offset=2&limit=2"),
        get(VOL + "?sort=size&with_count=true&limit=2"),
    ]),
    Scenario("issue 24: volume lists filtered by indexed columns", [
        *(_create(label, body) for label, body in _VOLUMES),
        act("vol:d", "os-set_bootable", {"bootable": True}, caller="member"),
        act("vol:b", "os-reset_status", {"status": "error"}, caller="admin"),
        get(VOL + "?status=available&with_count=true"),
        get(VOL + "?status=error&with_count=true"),
        get(VOL + "?status=available&limit=2&marker={vol:c}"),
        get(VOL + "?status=available&sort=created_at:asc,id:asc&marker={vol:c}"),
        get(VOL + "?status=available&sort=name:asc&limit=2&marker={vol:e}"),
        get(VOL + "?status=available&sort=status:desc&limit=2&offset=1"),
        get(VOL + "?name=idx-a&with_count=true"),
        get(VOL + "?name=idx-a&sort=size:desc&with_count=true&limit=1"),
        get(VOL + "?name=nothing&with_count=true"),
        get(VOL + "?bootable=true&with_count=true", version="3.2"),
        get(VOL + "?bootable=false&with_count=true&sort=name"),
        get(VOL + "?size=1&with_count=true&sort=name:desc"),
        get(VOL + "?size=2&name=idx-a&with_count=true"),
        get(VOL + "?status=available&metadata={'k':'1'}&with_count=true"),
        get(VOL + "?availability_zone=nova&with_count=true&limit=2&offset=2"),
        get(VOL + "/detail?status=available&name=idx-b"),
        get(VOL + "?status=nothing&with_count=true&sort=name"),
        # Every project's (the names are this catalogue's own).
        get(VOL + "?all_tenants=1&name=idx-a&status=available&with_count=true&sort=size:asc",
            caller="admin"),
    ]),
    Scenario("issue 24: the summary's distinct metadata follows metadata changes", [
        *(_create(label, body) for label, body in _VOLUMES),
        get(VOL + "/summary", version="3.36"),
        Step("PUT", VOL + "/{vol:a}/metadata", caller="member",
             body={"metadata": {"k": "3"}}, check="vol:a"),
        get(VOL + "/summary", version="3.36"),
        Step("DELETE", VOL + "/{vol:d}/metadata/j", caller="member", check="vol:d"),
        Step("POST", VOL + "/{vol:e}/metadata", caller="member",
             body={"metadata": {"new": "v"}}, check="vol:e"),
        get(VOL + "/summary", version="3.36"),
        # An older volume's new pair: listed by the volume's place, or the row's?
        Step("POST", VOL + "/{vol:b}/metadata", caller="member",
             body={"metadata": {"k": "5", "new": "w"}}, check="vol:b"),
        get(VOL + "/summary", version="3.36"),
        Step("PUT", VOL + "/{vol:c}", caller="member", body={"volume": {"metadata": {}}},
             check="vol:c"),
        Step("DELETE", VOL + "/{vol:b}", caller="member", check="vol:b"),
        get(VOL + "/summary", version="3.36"),
    ]),
    Scenario("issue 24: snapshot lists sorted and filtered from the indexes", [
        *(new_snapshot("vol:a", label, name=name) for label, name in _SNAPSHOTS),
        Step("POST", SNAP + "/{snap:b}/action", caller="admin",
                           body={"os-reset_status": {"status": "error"}}, check="snap:b"),
        *(step for key in ("name", "status", "created_at", "volume_size", "updated_at")
          for step in _snapshots_sorted(key)),
        get(SNAP + "/detail?sort=name:asc&limit=2&offset=1"),
        get(SNAP + "?status=available&with_count=true&limit=2"),
        get(SNAP + "?status=available&sort=name:desc&marker={snap:c}"),
        get(SNAP + "?name=idx-a&with_count=true"),
        get(SNAP + "?name=idx-a&sort=created_at:asc,id:asc&marker={snap:c}"),
        get(SNAP + "?volume_id={vol:a}&status=error&with_count=true"),
        get(SNAP + "?all_tenants=1&name=idx-a&with_count=true&sort=name", caller="admin"),
        get(SNAP + "?sort=name:asc,status:desc&limit=3"),
    ], volumes={"vol:a": None}),
]
