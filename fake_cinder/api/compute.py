"""The Nova lookups a volume attach makes, under /compute (no real Nova behind it).

`openstack volume attachment create VOLUME SERVER` finds the server first: by id
(``GET /servers/{id}``) and, for a name, by listing with ``?name=``. A server
looked up by UUID always exists; names find the servers of the fixture state.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from ..core import directory as core
from ..core.context import Caller
from ..core.server_volumes import server_mappings, vm_state
from ..core.store import Store
from . import compute_microversions
from .caller import caller_from_headers, wsgi_identity_headers
from .keystone import directory
from .openapi import RouteDoc, documented
from .routing import Router, WebRequest

JSON = "application/json"
MIN_VERSION = str(compute_microversions.MIN_VERSION)
MAX_VERSION = str(compute_microversions.MAX_VERSION)
UPDATED = "2013-07-23T11:33:21Z"
CREATED = "2024-01-01T00:00:00Z"
FALSE_STRINGS = ("0", "false", "f", "no", "n", "off")

PREFIX = "/compute"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON)


def _version(base_url: str) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", "version": MAX_VERSION,
            "min_version": MIN_VERSION, "updated": UPDATED,
            "links": [{"rel": "self", "href": f"{base_url}/compute/v2.1/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


@documented(RouteDoc("compute_versions", "Compute: list API versions"))
def compute_versions(req: WebRequest) -> Response:
    return _json({"versions": [_version(req.base_url)]})


@documented(RouteDoc("compute_version_show", "Compute: the v2.1 version document"))
def compute_version_show(req: WebRequest) -> Response:
    return _json({"version": _version(req.base_url)})


def compute_caller(req: WebRequest) -> Caller:
    caller = caller_from_headers(wsgi_identity_headers(req.http.environ), req.fake.resolve_token)
    if caller is None:
        raise core.Unauthorized()
    return caller


def _links(server: core.Server, base_url: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{base_url}/compute/v2.1/servers/{server.id}"},
            {"rel": "bookmark", "href": f"{base_url}/compute/servers/{server.id}"}]


def _summary(server: core.Server, base_url: str) -> dict[str, Any]:
    return {"id": server.id, "name": server.name, "links": _links(server, base_url)}


def _detail(server: core.Server, base_url: str, store: Store) -> dict[str, Any]:
    # Its volumes as Nova's extended volumes attribute shows them from 2.3.
    attached = [{"id": m.volume_id, "delete_on_termination": m.delete_on_termination}
                for m in server_mappings(store, server.id)]
    return {**_summary(server, base_url), "status": server.status, "tenant_id": server.project_id,
            "user_id": server.user_id, "created": CREATED, "updated": CREATED,
            "addresses": {}, "metadata": {}, "image": "", "flavor": {},
            "OS-EXT-STS:vm_state": vm_state(server), "OS-EXT-STS:task_state": None,
            "os-extended-volumes:volumes_attached": attached}


def _listed(req: WebRequest, detail: bool) -> Response:
    # Nova reads a present all_tenants as true unless it says otherwise.
    all_tenants = req.http.args.get("all_tenants")
    servers = core.list_servers(
        directory(req.fake), compute_caller(req), name=req.http.args.get("name"),
        all_tenants=all_tenants is not None and all_tenants.lower() not in FALSE_STRINGS)
    if detail:
        return _json({"servers": [_detail(s, req.base_url, req.fake.store) for s in servers]})
    return _json({"servers": [_summary(s, req.base_url) for s in servers]})


@documented(RouteDoc("compute_server_list", "Compute: the caller's servers (?name= finds "
                     "one by name)", errors=(401, 413), authenticated=True))
def compute_server_list(req: WebRequest) -> Response:
    return _listed(req, detail=False)


@documented(RouteDoc("compute_server_list_detail", "Compute: the caller's servers in "
                     "detail", errors=(401, 413), authenticated=True))
def compute_server_list_detail(req: WebRequest) -> Response:
    return _listed(req, detail=True)


@documented(RouteDoc("compute_server_show", "Compute: one server (any UUID exists)",
                     errors=(401, 404, 413), authenticated=True))
def compute_server_show(req: WebRequest) -> Response:
    server = core.get_server(directory(req.fake), compute_caller(req), req.params["server_id"])
    return _json({"server": _detail(server, req.base_url, req.fake.store)})


def register(router: Router) -> None:
    router.web("GET", f"{PREFIX}/", compute_versions)
    router.web("GET", f"{PREFIX}/v2.1", compute_version_show)
    router.web("GET", f"{PREFIX}/v2.1/servers", compute_server_list)
    router.web("GET", f"{PREFIX}/v2.1/servers/detail", compute_server_list_detail)
    router.web("GET", f"{PREFIX}/v2.1/servers/<server_id>", compute_server_show)
