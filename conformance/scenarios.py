"""The scenario catalogue: requests replayed on both servers, in order, each compared.

Adding one is a few lines: a ``Scenario`` with a name, the volumes it needs (label ->
volume type, created available before it runs) and its ``Step``s. Placeholders:
``{project}``, ``{other_project}``, ``{server:N}`` (an instance uuid), and any label a
volume or an earlier step's ``save`` gave (``{vol:a}``, ``{att:x}``). Each scenario runs
in a project of its own, so lists see only its objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engine import Step

P = "/v3/{project}"
ATT = P + "/attachments"
OTHER_ATT = "/v3/{other_project}/attachments"
VOL = P + "/volumes"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "compute-1",
             "ip": "192.0.2.100", "platform": "x86_64", "os_type": "linux2",
             "multipath": False}


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    volumes: dict[str, str | None] = field(default_factory=dict)  # label -> volume type
    project: str | None = None  # default: an id derived from the name


def create(volume: str, save: str, *, server: int | None = 1, connector: dict | None = None,
           mode: str | None = None, caller: str = "nova", version: str = "3.71",
           name: str = "") -> Step:
    attachment: dict = {"volume_uuid": "{" + volume + "}"}
    if server is not None:
        attachment["instance_uuid"] = f"{{server:{server}}}"
    if connector is not None:
        attachment["connector"] = connector
    if mode is not None:
        attachment["mode"] = mode
    return Step("POST", ATT, caller=caller, version=version, body={"attachment": attachment},
                save=save, check=volume, name=name)


def update(att: str, volume: str, connector: dict | None = None, caller: str = "nova",
           version: str = "3.71") -> Step:
    return Step("PUT", ATT + "/{" + att + "}", caller=caller, version=version,
                body={"attachment": {"connector": connector or CONNECTOR}}, check=volume)


def complete(att: str, volume: str, caller: str = "nova", version: str = "3.71") -> Step:
    return Step("POST", ATT + "/{" + att + "}/action", caller=caller, version=version,
                body={"os-complete": None}, check=volume)


def delete(att: str, volume: str, caller: str = "nova", version: str = "3.71") -> Step:
    return Step("DELETE", ATT + "/{" + att + "}", caller=caller, version=version,
                check=volume)


def show(att: str, caller: str = "nova", version: str = "3.71") -> Step:
    return Step("GET", ATT + "/{" + att + "}", caller=caller, version=version)


def reset(volume: str, body: dict, caller: str = "admin", version: str = "3.71") -> Step:
    return Step("POST", VOL + "/{" + volume + "}/action", caller=caller, version=version,
                body={"os-reset_status": body}, check=volume)


def get(path: str, caller: str = "member", version: str | None = "3.71", **kw) -> Step:
    return Step("GET", path, caller=caller, version=version, **kw)


VERSIONS = ["3.0", "3.26", "3.27", "3.43", "3.44", "3.54", "3.71", "latest", "3.72", "3.99",
            "4.0", "2.0", "foo", "3.27.1", "3.", None]

CATALOGUE: list[Scenario] = [
    Scenario("version documents", [
        get("/", caller="anonymous", version=None),
        get("/", caller="member", version="3.54"),
        get("/", caller="anonymous", version="3.99"),
        get("/", caller="anonymous", version="foo"),
        get("/", caller="anonymous", version="latest"),
        get("/v3/", caller="member", version=None),
        get("/v3/", caller="member", version="3.54"),
        get("/v3/", caller="anonymous", version=None),
        get("/v3", caller="anonymous", version=None),
        get("/v3", caller="member", version=None),
        get("/v3", caller="member", version="3.54"),
    ]),
    Scenario("microversion negotiation on the attachments list", [
        get(ATT, version=v) for v in VERSIONS] + [
        get(ATT, version=None, headers={"OpenStack-API-Version": raw})
        for raw in ("3.27", "compute 3.27", "VOLUME 3.27", "volume 3.27, compute 2.1")] + [
        get(ATT, version=None, headers={"X-OpenStack-Volume-API-Version": "3.27"}),
        get(P + "/volumes", version=None),
        get(P + "/volumes", version="3.99"),
    ]),
    Scenario("attach flow: reserve, connect, complete, delete", [
        create("vol:a", "att:a"),
        show("att:a"),
        get(VOL + "/{vol:a}", caller="nova"),
        update("att:a", "vol:a"),
        show("att:a"),
        complete("att:a", "vol:a", version="3.44"),
        show("att:a"),
        get(VOL + "/{vol:a}", caller="nova"),
        get(VOL + "/{vol:a}", caller="member"),
        delete("att:a", "vol:a"),
        show("att:a"),
    ], volumes={"vol:a": None}),
    Scenario("attach with a connector at create, read-only mode", [
        create("vol:a", "att:a", connector=CONNECTOR, mode="ro", version="3.54"),
        show("att:a"),
        complete("att:a", "vol:a"),
        create("vol:b", "att:b", connector=CONNECTOR, mode="ro", version="3.53"),
        create("vol:b", "att:c", connector=CONNECTOR, mode="rw", version="3.54", server=2),
        update("att:c", "vol:b", connector={**CONNECTOR, "multipath": True}),
        show("att:c"),
        get(ATT + "/detail", caller="nova"),
    ], volumes={"vol:a": None, "vol:b": None}),
    Scenario("multiattach volume: two instances", [
        create("vol:m", "att:1", connector=CONNECTOR),
        complete("att:1", "vol:m"),
        create("vol:m", "att:2", server=2),
        create("vol:m", "att:3", server=3, connector=CONNECTOR),
        complete("att:3", "vol:m"),
        delete("att:1", "vol:m"),
        delete("att:2", "vol:m"),
        get(VOL + "/{vol:m}", caller="admin"),
        delete("att:3", "vol:m"),
    ], volumes={"vol:m": "multiattach"}),
    Scenario("non-multiattach volume: reserve conflicts", [
        create("vol:a", "att:1"),
        create("vol:a", "att:2", server=2),
        create("vol:a", "att:3", server=1),
        update("att:1", "vol:a"),
        create("vol:a", "att:4", server=2),
        complete("att:1", "vol:a"),
        create("vol:a", "att:5", server=2),
        create("vol:m", "att:6"),
        create("vol:m", "att:7", server=2),
    ], volumes={"vol:a": None, "vol:m": "multiattach"}),
    Scenario("volume in an error state", [
        reset("vol:a", {"status": "error"}),
        create("vol:a", "att:1"),
        reset("vol:a", {"status": "error_deleting"}),
        create("vol:a", "att:2"),
        reset("vol:a", {"status": "available"}),
        create("vol:a", "att:3"),
    ], volumes={"vol:a": None}),
    Scenario("attachment create: validation", [
        Step("POST", ATT, caller="nova", body={"attachment": {"volume_uuid": "not-a-uuid"}}),
        Step("POST", ATT, caller="nova",
             body={"attachment": {"volume_uuid": "{vol:a}", "foo": 1}}),
        Step("POST", ATT, caller="nova", body={"volume_uuid": "{vol:a}"}),
        Step("POST", ATT, caller="nova", body={}),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "{vol:a}", "instance_uuid": "not-a-uuid"}}),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "{vol:a}", "connector": {}}}, check="vol:a"),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "{vol:a}", "connector": None}}, save="att:n", check="vol:a"),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "{vol:a}", "connector": {"host": "compute-1"}}}, check="vol:a"),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"}}),
        Step("POST", ATT, caller="nova", version="3.54", body={"attachment": {
            "volume_uuid": "{vol:a}", "mode": "xx"}}),
        Step("POST", ATT, caller="nova", version="3.53", body={"attachment": {
            "volume_uuid": "{vol:a}", "mode": "ro"}}),
        Step("POST", ATT, caller="nova", body={"attachment": {}}),
        Step("POST", ATT, caller="nova", body=None),
        Step("POST", ATT, caller="nova"),
        Step("POST", ATT, caller="nova", body={"attachment": {
            "volume_uuid": "{vol:b}", "instance_uuid": "{server:1}",
            "connector": {"host": "compute-1"}}}, check="vol:b", name="bad connector"),
    ], volumes={"vol:a": None, "vol:b": None}),
    Scenario("attachment update: validation and connectors", [
        create("vol:a", "att:a"),
        Step("PUT", ATT + "/{att:a}", caller="nova", body={"attachment": {"connector": {}}}),
        Step("PUT", ATT + "/{att:a}", caller="nova", body={"attachment": {}}),
        Step("PUT", ATT + "/{att:a}", caller="nova",
             body={"attachment": {"connector": CONNECTOR, "mode": "ro"}}),
        Step("PUT", ATT + "/{att:a}", caller="nova",
             body={"attachment": {"connector": {"host": "compute-1"}}}, check="vol:a"),
        Step("PUT", ATT + "/{att:a}", caller="nova", body={"connector": CONNECTOR}),
        Step("PUT", ATT + "/{att:a}", caller="nova"),
        Step("PUT", ATT + "/5d1f0000-0000-4000-8000-000000000000", caller="nova",
             body={"attachment": {"connector": CONNECTOR}}),
        update("att:a", "vol:a"),
        update("att:a", "vol:a"),
        show("att:a"),
    ], volumes={"vol:a": None}),
    Scenario("attachment actions: os-complete and its bodies", [
        create("vol:a", "att:a", connector=CONNECTOR),
        Step("POST", ATT + "/{att:a}/action", caller="nova", version="3.43",
             body={"os-complete": None}),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body={"os-complete": "x"}),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body={"os-complete": {}}),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body={}),
        Step("POST", ATT + "/{att:a}/action", caller="nova",
             body={"os-complete": None, "extra": 1}),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body={"os-foo": None}),
        Step("POST", ATT + "/{att:a}/action", caller="nova", name="no body"),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body=[1]),
        Step("POST", ATT + "/{att:a}/action", caller="nova", body="os-complete"),
        Step("POST", VOL + "/{vol:a}/action", caller="admin", name="volume action, no body"),
        Step("POST", VOL + "/{vol:a}/action", caller="admin", body={"os-foo": {}}),
        show("att:a"),
    ], volumes={"vol:a": None}),
    Scenario("request bodies and content types", [
        Step("POST", ATT, caller="nova", raw=b"{not json",
             headers={"Content-Type": "application/json"}),
        Step("POST", ATT, caller="nova", raw=b'{"attachment": {"volume_uuid": "{vol:a}"}}',
             headers={"Content-Type": "text/plain"}),
        Step("POST", ATT, caller="nova", raw=b'{"attachment": {"volume_uuid": "{vol:a}"}}'),
        Step("POST", ATT, caller="nova", raw=b'{"attachment": {"volume_uuid": "{vol:a}"}}',
             headers={"Content-Type": "application/vnd.openstack.volume+json"},
             save="att:v", check="vol:a"),
        Step("POST", ATT, caller="nova", raw=b"{" + b" " * 115000 + b"}",
             headers={"Content-Type": "application/json"}),
        Step("POST", ATT, caller="nova", raw=b"[]",
             headers={"Content-Type": "application/json"}),
        # Cinder decodes a body as strict UTF-8 (oslo's jsonutils): a byte-order mark, a
        # UTF-16 or a UTF-32 body is malformed.
        *(Step("POST", ATT, caller="nova", raw=b'{"attachment": {"volume_uuid": "{vol:a}"}}',
               encoding=encoding, headers={"Content-Type": "application/json"},
               check="vol:a", name=f"a {encoding} body")
          for encoding in ("utf-8-sig", "utf-16", "utf-32")),
        Step("POST", VOL + "/{vol:a}/action", caller="admin", encoding="utf-16",
             raw=b'{"os-reserve": null}', headers={"Content-Type": "application/json"},
             check="vol:a", name="a utf-16 action body"),
    ], volumes={"vol:a": None}),
    Scenario("deleting an attachment Nova uses", [
        create("vol:a", "att:a", connector=CONNECTOR),
        complete("att:a", "vol:a"),
        delete("att:a", "vol:a", caller="member"),
        delete("att:a", "vol:a", caller="admin"),
        delete("att:a", "vol:a", caller="nova"),
        create("vol:a", "att:b", server=None, connector=CONNECTOR),
        delete("att:b", "vol:a", caller="member"),
        create("vol:a", "att:c"),
        delete("att:c", "vol:a", caller="member"),
        delete("att:c", "vol:a", caller="member"),
        # One instance, two connected attachments: Nova's mapping names the newest.
        create("vol:m", "att:old", connector=CONNECTOR),
        complete("att:old", "vol:m"),
        create("vol:m", "att:new", connector=CONNECTOR),
        delete("att:new", "vol:m", caller="member"),
        delete("att:old", "vol:m", caller="member"),
        delete("att:new", "vol:m", caller="member"),
    ], volumes={"vol:a": None, "vol:m": "multiattach"}),
    Scenario("listing: filters, sorting, paging", [
        create("vol:a", "att:1"),
        create("vol:m", "att:2", server=2),
        create("vol:m", "att:3", server=3, connector=CONNECTOR),
        complete("att:3", "vol:m"),
        get(ATT), get(ATT + "/detail"),
        get(ATT + "?volume_id={vol:m}"), get(ATT + "/detail?instance_id={server:3}"),
        get(ATT + "?attach_status=attached"), get(ATT + "?status=attached"),
        get(ATT + "?foo=bar"), get(ATT + "?foo=bar&baz=1"), get(ATT + "?foo=bar", version="3.30"),
        get(ATT + "?foo=bar", caller="admin"),
        get(ATT + "?sort=created_at:asc"), get(ATT + "?sort_key=created_at&sort_dir=asc"),
        get(ATT + "?sort=foo"), get(ATT + "?sort_dir=up"),
        get(ATT + "?sort=created_at&sort_key=id"),
        get(ATT + "?limit=1"), get(ATT + "/detail?limit=2"), get(ATT + "?limit=0"),
        get(ATT + "?limit=1&marker={att:2}"), get(ATT + "?marker={att:3}&sort=created_at:asc"),
        get(ATT + "?offset=1"), get(ATT + "?offset=-1"), get(ATT + "?limit=-1"),
        get(ATT + "?limit=abc"), get(ATT + "?marker=5d1f0000-0000-4000-8000-000000000000"),
        get(ATT + "?marker=nope"),
    ], volumes={"vol:a": None, "vol:m": "multiattach"}),
    Scenario("tenancy", [
        create("vol:a", "att:a"),
        show("att:a", caller="other"), show("att:a", caller="other_admin"),
        Step("PUT", ATT + "/{att:a}", caller="other",
             body={"attachment": {"connector": CONNECTOR}}),
        Step("POST", ATT + "/{att:a}/action", caller="other", body={"os-complete": None}),
        delete("att:a", "vol:a", caller="other"),
        Step("POST", "/v3/{other_project}/attachments", caller="other",
             body={"attachment": {"volume_uuid": "{vol:a}"}}),
        get("/v3/{other_project}/attachments", caller="other"),
        get("/v3/{other_project}/attachments?all_tenants=1", caller="other"),
        # Scoped to this scenario's volume: all_tenants lists every project's.
        get("/v3/{other_project}/attachments?all_tenants=1&volume_id={vol:a}",
            caller="other_admin"),
        get("/v3/{other_project}/attachments?all_tenants=0&volume_id={vol:a}",
            caller="other_admin"),
        get(ATT, caller="other"), get(ATT, caller="anonymous"),
        get(ATT, caller="reader"), show("att:a", caller="reader"),
        Step("POST", ATT, caller="reader", body={"attachment": {"volume_uuid": "{vol:a}"}}),
        Step("PUT", ATT + "/{att:a}", caller="reader",
             body={"attachment": {"connector": CONNECTOR}}),
        Step("POST", ATT + "/{att:a}/action", caller="reader", body={"os-complete": None}),
        delete("att:a", "vol:a", caller="reader"),
        Step("POST", VOL, caller="reader", body={"volume": {"size": 1}}),
        Step("DELETE", VOL + "/{vol:a}", caller="reader"),
        get("/v3/{other_project}/volumes/{vol:a}", caller="other"),
        get("/v3/{other_project}/volumes/{vol:a}", caller="other_admin"),
        get("/v3/{other_project}/volumes?all_tenants=1&name=vol:a", caller="other_admin"),
        delete("att:a", "vol:a", caller="other_admin"),
    ], volumes={"vol:a": None}),
    # make conformance's walk of seed 2: once the other project has a volume, Cinder's
    # unjoined project filter finds this project's attachment for it (departure
    # attachments-of-other-projects-stay-hidden): shown, 403 to changes, a list marker.
    Scenario("tenancy: another project that has volumes", [
        create("vol:a", "att:a"),
        Step("POST", "/v3/{other_project}/volumes", caller="other",
             body={"volume": {"size": 1}}, save="vol:o", check="vol:o"),
        Step("GET", OTHER_ATT + "/{att:a}", caller="other"),
        Step("PUT", OTHER_ATT + "/{att:a}", caller="other",
             body={"attachment": {"connector": CONNECTOR}}),
        Step("POST", OTHER_ATT + "/{att:a}/action", caller="other", body={"os-complete": None}),
        Step("DELETE", OTHER_ATT + "/{att:a}", caller="other", check="vol:a"),
        get(OTHER_ATT + "?marker={att:a}", caller="other"),
        delete("att:a", "vol:a"),
    ], volumes={"vol:a": None}),
    Scenario("python-cinderclient's noauth caller", [
        create("vol:a", "att:a", caller="noauth", connector=CONNECTOR),
        complete("att:a", "vol:a", caller="noauth"),
        get(VOL + "/{vol:a}", caller="noauth"),
        get(ATT + "/detail", caller="noauth"),
        get(VOL + "/detail", caller="noauth"),
        delete("att:a", "vol:a", caller="noauth"),
    ], volumes={"vol:a": None}),
    Scenario("project-less URLs", [
        Step("POST", "/v3/attachments", caller="nova",
             body={"attachment": {"volume_uuid": "{vol:a}"}}, save="att:a", check="vol:a"),
        get("/v3/attachments", caller="nova", version="3.66"),
        get("/v3/attachments/{att:a}", caller="nova", version="3.27"),
        get("/v3/volumes/{vol:a}", caller="nova", version="3.66"),
        Step("DELETE", "/v3/attachments/{att:a}", caller="nova", check="vol:a"),
    ], volumes={"vol:a": None}),
    Scenario("project ids in URLs", [
        get("/v3/{other_project}/attachments", caller="member"),
        get("/v3/{other_project}/volumes", caller="member"),
        get("/v3/demo/attachments", caller="member"),
        get("/v3/Demo_project/volumes", caller="member"),
    ]),
    Scenario("unknown routes and methods", [
        get(P + "/nothing"), get("/v3/{project}/attachments/{vol:a}/nothing"),
        Step("PATCH", ATT + "/5d1f0000-0000-4000-8000-000000000000", caller="member"),
        Step("PUT", ATT, caller="member", body={"attachment": {}}),
        Step("DELETE", ATT, caller="member"),
        get("/v4/", caller="anonymous", version=None),
    ], volumes={"vol:a": None}),
    Scenario("volumes: create, show, list, delete", [
        Step("POST", VOL, caller="member", body={"volume": {"size": 1, "name": "v1"}},
             save="vol:v1", check="vol:v1"),
        Step("POST", VOL, caller="member", version="3.0",
             body={"volume": {"size": 2, "name": "v2", "volume_type": "multiattach",
                              "metadata": {"k": "v"}}}, save="vol:v2", check="vol:v2"),
        Step("POST", VOL, caller="member", body={"volume": {"size": 0}}),
        Step("POST", VOL, caller="member", body={"volume": {"size": 1, "volume_type": "nope"}}),
        Step("POST", VOL, caller="member", body={"volume": {"size": 1, "multiattach": True}}),
        Step("POST", VOL, caller="member", body={"volume": {"size": "x"}}),
        Step("POST", VOL, caller="member", body={"volume": {"size": 1,
                                                            "availability_zone": "mars"}}),
        get(VOL + "/{vol:v1}", version="3.0"), get(VOL + "/{vol:v1}", version="3.47"),
        get(VOL + "/{vol:v1}", version="3.48"), get(VOL + "/{vol:v2}", caller="admin"),
        get(VOL + "/{vol:v1}", caller="admin", version="3.60"),
        get(VOL), get(VOL + "/detail"), get(VOL + "?name=v2"),
        get(VOL + "/detail?status=available"),
        get(VOL + "?limit=1"), get(VOL + "/detail?limit=1&with_count=true", version="3.45"),
        get(VOL + "?sort=size:desc"), get(VOL + "?foo=bar"), get(VOL + "?metadata={'k':'v'}"),
        get(VOL + "/5d1f0000-0000-4000-8000-000000000000"),
        Step("DELETE", VOL + "/{vol:v2}", caller="member", check="vol:v2"),
        get(VOL + "/{vol:v2}"),
        Step("DELETE", VOL + "/{vol:v2}", caller="member"),
    ]),
    Scenario("volumes: delete refusals and os-reset_status", [
        create("vol:a", "att:a"),
        Step("DELETE", VOL + "/{vol:a}", caller="member", check="vol:a"),
        reset("vol:a", {"status": "available"}, caller="member"),
        reset("vol:a", {"status": "error"}),
        reset("vol:a", {"status": "deleting"}),
        reset("vol:a", {"status": "bogus"}),
        reset("vol:a", {}),
        reset("vol:a", {"status": "available", "attach_status": "detached"}),
        show("att:a"),
        reset("vol:a", {"status": "in-use", "attach_status": "attached"}),
        reset("vol:a", {"migration_status": "migrating"}),
        reset("vol:a", {"migration_status": "none", "status": "available",
                        "attach_status": "detached"}),
        reset("vol:b", {"status": "error"}),
        Step("DELETE", VOL + "/{vol:b}?cascade=maybe", caller="member"),
        Step("DELETE", VOL + "/{vol:b}", caller="member", check="vol:b"),
    ], volumes={"vol:a": None, "vol:b": None}),
    Scenario("a deleted volume passes through deleting", [
        Step("DELETE", VOL + "/{vol:a}", caller="member"),
        Step("POST", ATT, caller="nova", body={"attachment": {"volume_uuid": "{vol:a}"}},
             name="attach while deleting"),
        Step("GET", VOL + "/{vol:a}", caller="member", check="vol:a", name="after the delete"),
        Step("POST", ATT, caller="nova", body={"attachment": {"volume_uuid": "{vol:a}"}},
             name="attach when gone"),
    ], volumes={"vol:a": None}),
    Scenario("volume types", [
        get(P + "/types"), get(P + "/types", caller="admin"),
        get(P + "/types/default"), get(P + "/types/{type:multiattach}"),
        get(P + "/types/5d1f0000-0000-4000-8000-000000000000"),
        Step("POST", P + "/types", caller="member", body={"volume_type": {"name": "t"}}),
        Step("POST", P + "/types", caller="admin", body={"volume_type": {"name": " "}}),
        Step("POST", P + "/types", caller="admin", body={"volume_type": {}}),
    ]),
]
