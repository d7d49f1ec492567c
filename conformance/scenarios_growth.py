"""Scenarios of issue 24: the reads that now come from the store's indexes and counters
(volume pages in creation order, both ways, after markers and offsets, with counts and
filters; quota usage, limits and the summary after creates, extends, snapshots and
deletes) answer as Cinder 29 does. Same conventions as scenarios.py."""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, P, Scenario, get
from .scenarios_nova import QUOTA, SNAP, act, new_snapshot

ASC = "sort=created_at:asc,id:asc"

GROWTH_CATALOGUE: list[Scenario] = [
    Scenario("issue 24: volume pages from the sorted index", [
        get(VOL + "?limit=2"),
        get(VOL + "/detail?limit=1&marker={vol:b}"),
        get(VOL + "/detail?limit=5&marker={vol:c}"),
        get(VOL + f"?{ASC}&limit=2"),
        get(VOL + f"/detail?{ASC}&marker={{vol:a}}"),
        get(VOL + "?sort=created_at:asc&limit=1&marker={vol:b}"),
        get(VOL + "?limit=2&offset=1"),
        get(VOL + f"?{ASC}&offset=2"),
        get(VOL + "?limit=1&with_count=true"),
        get(VOL + "?with_count=true&status=available"),
        get(VOL + "/detail?status=available&limit=1"),
        get(VOL + "?limit=0"),
        get(VOL + "?all_tenants=1&limit=2&name=vol:c", caller="admin"),
        get(VOL + "?sort=created_at:desc,id:asc&limit=3"),
    ], volumes={"vol:a": None, "vol:b": None, "vol:c": "multiattach"}),
    Scenario("issue 24: usage counters follow creates, extends, snapshots, deletes", [
        get(QUOTA + "/{project}?usage=True"),
        get(P + "/limits"),
        act("vol:a", "os-extend", {"new_size": 3}),
        get(QUOTA + "/{project}?usage=True"),
        new_snapshot("vol:b", "snap:1"),
        get(QUOTA + "/{project}?usage=True"),
        get(P + "/limits"),
        get(VOL + "/summary", version="3.12"),
        Step("DELETE", SNAP + "/{snap:1}", caller="member", check="snap:1"),
        Step("DELETE", VOL + "/{vol:a}", caller="member", check="vol:a"),
        get(QUOTA + "/{project}?usage=True"),
        get(P + "/limits"),
        get(VOL + "/summary", version="3.12"),
    ], volumes={"vol:a": None, "vol:b": "multiattach"}),
]
