"""Scenarios of generic volume groups (issue 20): group types and their specs (3.11),
groups (3.13; from a source 3.14; reset status 3.20) and group snapshots (3.14; reset
status 3.19). Same conventions as scenarios.py; ``{gt:x}`` is a group type's id,
``{grp:x}`` a group's and ``{gsnap:x}`` a group snapshot's (``check`` on them compares an
admin's show after Cinder's background work). Group types are global: each scenario
names its own."""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, P, Scenario, get

UNKNOWN = "5d1f0000-0000-4000-8000-000000000000"
GT = P + "/group_types"
GRP = P + "/groups"
GSNAP = P + "/group_snapshots"


def step(method: str, path: str, body: object = None, caller: str = "member",
         version: str | None = "3.71", **kw: object) -> Step:
    made = Step(method, path, caller=caller, version=version, **kw)  # type: ignore[arg-type]
    if body is not None:
        made.body = body
    return made


def group_type(name: str, save: str, **fields: object) -> Step:
    return step("POST", GT, {"group_type": {"name": name, **fields}}, caller="admin",
                save=save)


def group(save: str, type_name: str, **fields: object) -> Step:
    """A group of the default volume type (the harness's Cinder and the fake both have
    __DEFAULT__)."""
    return step("POST", GRP, {"group": {"group_type": type_name,
                                        "volume_types": ["__DEFAULT__"], **fields}},
                save=save, check=save)


GROUPS_CATALOGUE: list[Scenario] = [
    Scenario("group types: create, show, update, list, delete, specs", [
        get(GT, version="3.10", caller="admin"),
        group_type("conf-gt-a", "gt:a", description="first", group_specs={"k1": "v1"}),
        group_type("conf-gt-a", "gt:dup"),
        step("POST", GT, {"group_type": {"name": "conf-gt-x"}}),
        step("POST", GT, {"group_type": {}}, caller="admin"),
        step("POST", GT, {"group_type": {"name": "conf-gt-y", "is_public": "maybe"}},
             caller="admin"),
        get(GT + "/{gt:a}", caller="admin"),
        get(GT + "/{gt:a}"),
        get(GT + f"/{UNKNOWN}", caller="admin"),
        get(GT + "/default", caller="admin"),
        step("PUT", GT + "/{gt:a}", {"group_type": {"description": "changed"}},
             caller="admin"),
        step("PUT", GT + "/{gt:a}", {"group_type": {}}, caller="admin"),
        step("PUT", GT + "/{gt:a}", {"group_type": {"name": "  "}}, caller="admin"),
        step("PUT", GT + "/{gt:a}", {"group_type": {"name": "x"}}),
        get(GT + "/{gt:a}/group_specs", caller="admin"),
        get(GT + "/{gt:a}/group_specs"),
        step("POST", GT + "/{gt:a}/group_specs", {"group_specs": {"k2": "v2"}},
             caller="admin"),
        step("POST", GT + "/{gt:a}/group_specs", {"group_specs": {"bad key": "v"}},
             caller="admin"),
        get(GT + "/{gt:a}/group_specs/k2", caller="admin"),
        get(GT + "/{gt:a}/group_specs/nope", caller="admin"),
        step("PUT", GT + "/{gt:a}/group_specs/k2", {"k2": "v3"}, caller="admin"),
        step("PUT", GT + "/{gt:a}/group_specs/k2", {"k3": "v3"}, caller="admin"),
        step("DELETE", GT + "/{gt:a}/group_specs/k2", caller="admin"),
        step("DELETE", GT + "/{gt:a}/group_specs/k2", caller="admin"),
        get(GT + f"/{UNKNOWN}/group_specs", caller="admin"),
        step("DELETE", GT + "/{gt:a}"),
        step("DELETE", GT + "/{gt:a}", caller="admin"),
        step("DELETE", GT + "/{gt:a}", caller="admin"),
    ]),
    Scenario("groups: create, show, update volumes, delete with volumes", [
        group_type("conf-gt-b", "gt:b"),
        get(GRP, version="3.12"),
        group("grp:a", "conf-gt-b", name="  first  ", description="d"),
        get(GRP + "/{grp:a}"),
        step("DELETE", GT + "/{gt:b}", caller="admin"),
        get(GT + "?is_public=none", caller="admin"),
        get(GT),
        get(GRP + "/{grp:a}", version="3.13"),
        get(GRP + "/{grp:a}?list_volume=true", version="3.25"),
        get(GRP + "/{grp:a}", caller="admin"),
        get(GRP),
        get(GRP + "/detail"),
        get(GRP + "?name=nope"),
        get(GRP + "?bogus=1"),
        get(GRP + f"/{UNKNOWN}"),
        step("POST", GRP, {"group": {"group_type": "conf-nope",
                                     "volume_types": ["__DEFAULT__"]}}),
        step("POST", GRP, {"group": {"group_type": "conf-gt-b", "volume_types": ["nope"]}}),
        step("POST", GRP, {"group": {"group_type": "conf-gt-b", "volume_types": []}}),
        step("POST", GRP, {"group": {"group_type": "default_cgsnapshot_type",
                                     "volume_types": ["__DEFAULT__"]}}),
        step("POST", GRP, {"group": {"group_type": "conf-gt-b", "volume_types": ["__DEFAULT__"],
                                     "availability_zone": "nowhere"}}),
        step("PUT", GRP + "/{grp:a}", {"group": {"add_volumes": "{vol:a}"}}, check="grp:a"),
        get(VOL + "/{vol:a}"),
        get(VOL + "/{vol:a}", version="3.12"),
        get(GRP + "/{grp:a}?list_volume=true"),
        step("DELETE", VOL + "/{vol:a}"),
        step("PUT", GRP + "/{grp:a}", {"group": {"add_volumes": UNKNOWN}}),
        step("PUT", GRP + "/{grp:a}", {"group": {"remove_volumes": UNKNOWN}}),
        step("PUT", GRP + "/{grp:a}", {"group": {"add_volumes": "{vol:b}",
                                                 "remove_volumes": "{vol:b}"}}),
        step("PUT", GRP + "/{grp:a}", {"group": {"name": "first"}}),
        step("PUT", GRP + "/{grp:a}", {"group": {}}),
        step("PUT", GRP + "/{grp:a}", {"group": {"name": "renamed"}}, check="grp:a"),
        step("PUT", GRP + "/{grp:a}", {"group": {"remove_volumes": "{vol:a}"}},
             check="grp:a"),
        get(VOL + "/{vol:a}"),
        step("POST", VOL, {"volume": {"size": 1, "group_id": "{grp:a}"}}),
        step("POST", VOL, {"volume": {"size": 1, "group_id": "{grp:a}",
                                      "volume_type": "__DEFAULT__"}}, save="vol:c",
             check="vol:c"),
        step("POST", VOL, {"volume": {"size": 1, "group_id": UNKNOWN,
                                      "volume_type": "__DEFAULT__"}}),
        step("POST", GRP + "/{grp:a}/action", {"delete": {}}),
        step("POST", GRP + "/{grp:a}/action", {"delete": {"delete-volumes": "maybe"}}),
        step("POST", GRP + "/{grp:a}/action", {"delete": {"delete-volumes": True}},
             check="grp:a"),
        get(VOL + "/{vol:c}"),
    ], volumes={"vol:a": None, "vol:b": None}),
    Scenario("groups: a volume type a group takes stays", [
        group_type("conf-gt-e", "gt:e"),
        step("POST", P + "/types", {"volume_type": {"name": "conf-grouped-type"}},
             caller="admin", save="vt:g"),
        step("POST", GRP, {"group": {"group_type": "conf-gt-e",
                                     "volume_types": ["conf-grouped-type"]}},
             save="grp:g", check="grp:g"),
        step("DELETE", P + "/types/{vt:g}", caller="admin"),
        step("POST", GRP + "/{grp:g}/action", {"delete": {}}, check="grp:g"),
        step("DELETE", P + "/types/{vt:g}", caller="admin"),
        step("DELETE", GT + "/{gt:e}", caller="admin"),
    ]),
    Scenario("groups: reset status (3.20), other projects, policies", [
        group_type("conf-gt-c", "gt:c"),
        group("grp:c", "conf-gt-c"),
        step("POST", GRP + "/{grp:c}/action", {"reset_status": {"status": "error"}}),
        step("POST", GRP + "/{grp:c}/action", {"reset_status": {"status": "error"}},
             caller="admin", version="3.19"),
        step("POST", GRP + "/{grp:c}/action", {"reset_status": {"status": "bogus"}},
             caller="admin"),
        step("POST", GRP + "/{grp:c}/action", {"reset_status": {"status": "in-use"}},
             caller="admin"),
        step("POST", GRP + "/{grp:c}/action", {"reset_status": {"status": "error"}},
             caller="admin", check="grp:c"),
        get("/v3/{other_project}/groups/{grp:c}", caller="other"),
        get("/v3/{other_project}/groups", caller="other"),
        step("PUT", GRP + "/{grp:c}", {"group": {"name": "r"}}, caller="reader"),
        step("POST", GRP + "/{grp:c}/action", {"delete": {}}, check="grp:c"),
    ]),
    Scenario("group snapshots: create, list, show, reset status, delete; from source", [
        group_type("conf-gt-d", "gt:d"),
        group("grp:d", "conf-gt-d"),
        step("PUT", GRP + "/{grp:d}", {"group": {"add_volumes": "{vol:a}"}}, check="grp:d"),
        get(GSNAP, version="3.13"),
        step("POST", GSNAP, {"group_snapshot": {"group_id": "{grp:d}", "name": "gs"}},
             save="gsnap:a", check="gsnap:a"),
        step("POST", GSNAP, {"group_snapshot": {"group_id": UNKNOWN}}),
        step("POST", GSNAP, {"group_snapshot": {}}),
        get(GSNAP + "/{gsnap:a}"),
        get(GSNAP + "/{gsnap:a}", caller="admin"),
        get(GSNAP),
        get(GSNAP + "/detail"),
        get(GSNAP + "?status=available"),
        get(GSNAP + f"/{UNKNOWN}"),
        get(P + "/snapshots/detail", save="snap:m", save_from="snapshots.0.id"),
        step("DELETE", P + "/snapshots/{snap:m}"),
        step("POST", P + "/snapshots/{snap:m}/action", {"os-force_delete": {}},
             caller="admin"),
        step("POST", GRP + "/{grp:d}/action", {"delete": {"delete-volumes": True}}),
        step("POST", GRP + "/action", {"create-from-src": {"group_snapshot_id": "{gsnap:a}",
                                                           "name": "from-snap"}},
             save="grp:e", check="grp:e"),
        get(GRP + "/{grp:e}"),
        step("POST", GRP + "/action", {"create-from-src": {"source_group_id": "{grp:d}"}},
             save="grp:f", check="grp:f"),
        get(GRP + "/{grp:f}"),
        step("POST", GRP + "/action", {"create-from-src": {}}),
        step("POST", GRP + "/action", {"create-from-src": {"source_group_id": UNKNOWN}}),
        step("POST", GSNAP + "/{gsnap:a}/action", {"reset_status": {"status": "error"}}),
        step("POST", GSNAP + "/{gsnap:a}/action", {"reset_status": {"status": "error"}},
             caller="admin", version="3.18"),
        step("POST", GSNAP + "/{gsnap:a}/action", {"reset_status": {"status": "bogus"}},
             caller="admin"),
        step("POST", GSNAP + "/{gsnap:a}/action", {"reset_status": {"status": " "}},
             caller="admin"),
        step("POST", GSNAP + "/{gsnap:a}/action", {"reset_status": {"status": "error"}},
             caller="admin", check="gsnap:a"),
        step("DELETE", GSNAP + "/{gsnap:a}", check="gsnap:a"),
        get(GSNAP + "/{gsnap:a}"),
        step("POST", GRP + "/{grp:e}/action", {"delete": {"delete-volumes": True}},
             check="grp:e"),
        step("POST", GRP + "/{grp:f}/action", {"delete": {"delete-volumes": True}},
             check="grp:f"),
    ], volumes={"vol:a": None}),
    # Found by the CI walk of seed 1417716354: the volumes to add are read with the
    # caller's context, so a member does not find another project's volume.
    Scenario("groups: adding another project's volume", [
        group_type("conf-gt-o", "gt:o"),
        group("grp:o", "conf-gt-o"),
        step("POST", "/v3/{other_project}/volumes", {"volume": {"size": 1}}, caller="other",
             save="vol:o", check="vol:o", settle=True),
        step("PUT", GRP + "/{grp:o}", {"group": {"add_volumes": "{vol:o}"}}, check="grp:o"),
        step("PUT", GRP + "/{grp:o}", {"group": {"add_volumes": "{vol:o}"}}, caller="admin",
             check="grp:o"),
        step("DELETE", "/v3/{other_project}/volumes/{vol:o}", caller="other", check="vol:o",
             settle=True),
        step("POST", GRP + "/{grp:o}/action", {"delete": {"delete-volumes": False}},
             check="grp:o"),
    ]),
    # Found by make conformance's walk of seed 1: retype's conditional update expects
    # group_id (None, ''), so a group's member is refused.
    Scenario("groups: a member volume is not retyped", [
        group_type("conf-gt-r", "gt:r"),
        group("grp:r", "conf-gt-r"),
        step("POST", P + "/types", {"volume_type": {"name": "conf-group-retype"}},
             caller="admin", save="type:r"),
        step("PUT", GRP + "/{grp:r}", {"group": {"add_volumes": "{vol:a}"}}, check="grp:r"),
        step("POST", VOL + "/{vol:a}/action", {"os-retype": {"new_type": "conf-group-retype"}},
             check="vol:a"),
        step("PUT", GRP + "/{grp:r}", {"group": {"remove_volumes": "{vol:a}"}}, check="grp:r"),
        get(VOL + "/{vol:a}"),
        step("POST", VOL + "/{vol:a}/action", {"os-retype": {"new_type": "conf-group-retype"}},
             check="vol:a"),
        step("POST", GRP + "/{grp:r}/action", {"delete": {"delete-volumes": False}},
             check="grp:r"),
    ], volumes={"vol:a": None}),
]
