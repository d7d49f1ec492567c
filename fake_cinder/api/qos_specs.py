"""HTTP handlers of QoS specs (qos-specs, admins only): create, list, show, set and
unset keys, delete, and the association with volume types (GETs with ``vol_type_id``,
as Cinder routes them)."""

from __future__ import annotations

from typing import Any

from ..core import qos_specs as core
from ..core.errors import BadRequest
from ..core.listing import bool_param, parse_list_query
from ..core.models import QosSpecs
from ..core.policy import authorize
from .routing import ApiRequest, Operation, Router
from .views import bare_accepted, next_link

Result = tuple[int, Any]
POLICY = "volume_extension:qos_specs_manage:"


def _specs_id(req: ApiRequest) -> str:
    return req.params["qos_id"]


def _links(req: ApiRequest, specs_id: str) -> list[dict[str, str]]:
    """Cinder's links carry the project id only when the request's URL did."""
    project = req.url_project_id
    path = f"{project}/qos-specs/{specs_id}" if project else f"qos-specs/{specs_id}"
    return [{"rel": "self", "href": f"{req.base_url}/v3/{path}"},
            {"rel": "bookmark", "href": f"{req.base_url}/{path}"}]


def _view(qos: QosSpecs) -> dict[str, Any]:
    return {"id": qos.id, "name": qos.name, "consumer": qos.consumer,
            "specs": dict(qos.specs)}


def _detail(req: ApiRequest, qos: QosSpecs) -> dict[str, Any]:
    return {"qos_specs": _view(qos), "links": _links(req, qos.id)}


def qos_specs_create(req: ApiRequest) -> Result:
    specs = dict(req.body["qos_specs"])
    name = specs.pop("name")
    core.check_name(name)
    authorize(req.caller, POLICY + "create")
    return 200, _detail(req, core.create_qos_specs(req.fake.store, name, specs))


def qos_specs_list(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "get_all")
    query = parse_list_query(req.args, req.caller, strict_filters=False,
                             allowed_filters=frozenset(core.COLUMNS), columns=core.COLUMNS)
    found = core.list_qos_specs(req.fake.store, query)
    body: dict[str, Any] = {"qos_specs": [_view(q) for q in found]}
    if found and len(found) >= query.limit:
        body["qos_specs_links"] = next_link(req, "qos-specs", found[-1].id)
    return 200, body


def qos_specs_show(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "get")
    return 200, _detail(req, core.get_qos_specs(req.fake.store, _specs_id(req)))


def qos_specs_update(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "update")
    core.update_qos_specs(req.fake.store, _specs_id(req), req.body["qos_specs"])
    return 200, req.body


def qos_specs_delete(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "delete")
    core.delete_qos_specs(req.fake.store, _specs_id(req), force=bool_param(req.args, "force"))
    return 202, bare_accepted()


def qos_specs_delete_keys(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "delete")
    core.delete_keys(req.fake.store, _specs_id(req), req.body["keys"])
    return 202, bare_accepted()


def qos_specs_associations(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "get_all")
    core.get_qos_specs(req.fake.store, _specs_id(req))
    types = core.associated_types(req.fake.store, _specs_id(req))
    return 200, {"qos_associations": [{"association_type": "volume_type", "name": t.name,
                                       "id": t.id} for t in types]}


def _vol_type_id(req: ApiRequest) -> str:
    type_id = req.args.get("vol_type_id")
    if not type_id:
        raise BadRequest("Volume Type id must not be None.")
    return type_id


def qos_specs_associate(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "update")
    core.associate(req.fake.store, _specs_id(req), _vol_type_id(req))
    return 202, bare_accepted()


def qos_specs_disassociate(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "update")
    core.disassociate(req.fake.store, _specs_id(req), _vol_type_id(req))
    return 202, bare_accepted()


def qos_specs_disassociate_all(req: ApiRequest) -> Result:
    authorize(req.caller, POLICY + "update")
    core.disassociate_all(req.fake.store, _specs_id(req))
    return 202, bare_accepted()


def register(router: Router) -> None:
    router.add("POST", "qos-specs", Operation("qos_specs_create", qos_specs_create,
                                              validates_body=True,
                         policies=("volume_extension:qos_specs_manage:create",)))
    router.add("GET", "qos-specs", Operation("qos_specs_list", qos_specs_list,
                         policies=("volume_extension:qos_specs_manage:get_all",)))
    router.add("GET", "qos-specs/<qos_id>", Operation("qos_specs_show", qos_specs_show,
                         policies=("volume_extension:qos_specs_manage:get",)))
    router.add("PUT", "qos-specs/<qos_id>", Operation("qos_specs_update", qos_specs_update,
                                                      validates_body=True,
                         policies=("volume_extension:qos_specs_manage:update",)))
    router.add("DELETE", "qos-specs/<qos_id>", Operation("qos_specs_delete", qos_specs_delete,
                         policies=("volume_extension:qos_specs_manage:delete",)))
    router.add("PUT", "qos-specs/<qos_id>/delete_keys",
               Operation("qos_specs_delete_keys", qos_specs_delete_keys, validates_body=True,
                         policies=("volume_extension:qos_specs_manage:delete",)))
    router.add("GET", "qos-specs/<qos_id>/associations",
               Operation("qos_specs_associations", qos_specs_associations,
                         policies=("volume_extension:qos_specs_manage:get_all",)))
    router.add("GET", "qos-specs/<qos_id>/associate",
               Operation("qos_specs_associate", qos_specs_associate,
                         policies=("volume_extension:qos_specs_manage:update",)))
    router.add("GET", "qos-specs/<qos_id>/disassociate",
               Operation("qos_specs_disassociate", qos_specs_disassociate,
                         policies=("volume_extension:qos_specs_manage:update",)))
    router.add("GET", "qos-specs/<qos_id>/disassociate_all",
               Operation("qos_specs_disassociate_all", qos_specs_disassociate_all,
                         policies=("volume_extension:qos_specs_manage:update",)))
