"""Scenarios of Cinder's routing of project ids in /v3 URLs (issue 18).

Cinder's router takes a project id only when it matches ``[0-9a-f-]+``; any other id is
its routing 404, before the version header, the body or the caller are looked at. The
fake routes a readable id such as ``demo`` only when it knows that project (the caller's
own, its Keystone directory's, or one with records): the harness's fake knows no ``demo``,
so both answer 404 here. A caller whose own project is readable is the one departure
(``readable-project-ids``).
"""

from __future__ import annotations

from .engine import Step
from .scenarios import Scenario, get

# A keystonemiddleware identity whose project id is readable.
DEMO_MEMBER = {"X-User-Id": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "X-Project-Id": "demo",
               "X-Roles": "member,reader"}
SOMEONE_ELSES = "0123abcd-0000"  # made of [0-9a-f-], not the caller's project

ROUTING_CATALOGUE: list[Scenario] = [
    Scenario("project ids: readable ones the fake does not know are not routed", [
        get("/v3/demo/volumes"),
        get("/v3/demo/attachments", version="3.27"),
        get("/v3/demo/volumes/detail", caller="admin"),
        get("/v3/not-hex/volumes", version="3.99"),  # 404 before the version header
        get("/v3/not-hex/volumes", version="foo"),
        Step("POST", "/v3/demo/volumes", caller="member", body={"volume": {"size": 1}}),
        Step("POST", "/v3/demo/volumes", caller="member", raw=b"{not json",
             headers={"Content-Type": "application/json"}),  # 404 before the body
        Step("POST", "/v3/demo/volumes/{vol:a}/action", caller="member",
             body={"os-extend": {"new_size": 2}}, check="vol:a"),
        get("/v3/ABCDEF01/volumes"),  # upper case is outside [0-9a-f-]
        get("/v3/dead_beef/volumes"),
        get("/v3/demo/volumes", caller="anonymous", version=None),  # 401 before routing
    ], volumes={"vol:a": None}),
    Scenario("project ids: hex ids are routed, then must be the caller's", [
        get(f"/v3/{SOMEONE_ELSES}/volumes"),
        get(f"/v3/{SOMEONE_ELSES}/volumes", version="3.99"),
        get(f"/v3/{SOMEONE_ELSES}/attachments", version="3.0"),
        Step("POST", f"/v3/{SOMEONE_ELSES}/volumes", caller="member",
             body={"volume": {"size": 1}}),
        get("/v3/{project}/volumes"),
        get("/v3/volumes"),
    ]),
    Scenario("project ids: a caller's own readable project (departure)", [
        Step("GET", "/v3/demo/volumes", caller="anonymous", headers=DEMO_MEMBER),
        Step("GET", "/v3/volumes", caller="anonymous", headers=DEMO_MEMBER),
    ]),
]
