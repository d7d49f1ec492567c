"""HTTP handlers of generic volume groups: group types (3.11) and their group specs,
groups (3.13; create from a source 3.14, reset status 3.20) and group snapshots (3.14;
reset status 3.19), as cinder/api/v3/group_types.py, group_specs.py, groups.py and
group_snapshots.py serve them. The rules are core/groups.py's."""

from __future__ import annotations

from typing import Any

from ..core import groups as core
from ..core.listing import TRUE_STRINGS, ListQuery, bool_param, parse_list_query
from ..core.models import Group, GroupSnapshot, GroupType
from ..core.policy import POLICIES, passes
from . import microversions as mv
from .routing import ApiRequest, Operation, Router
from .views import bare_accepted, next_link

Result = tuple[int, Any]
GROUP_TYPE = mv.APIVersion(3, 11)
GROUP_VOLUME = mv.APIVersion(3, 13)
GROUP_SNAPSHOTS = mv.APIVersion(3, 14)
GROUP_SNAPSHOT_RESET_STATUS = mv.APIVersion(3, 19)
GROUP_VOLUME_RESET_STATUS = mv.APIVersion(3, 20)
GROUP_VOLUME_LIST = mv.APIVersion(3, 25)        # ?list_volume=true
GROUP_SNAPSHOT_PAGINATION = mv.APIVersion(3, 29)
RESOURCE_FILTER = mv.APIVersion(3, 31)
GROUP_REPLICATION = mv.APIVersion(3, 38)        # replication_status
GROUP_PROJECT_ID = mv.APIVersion(3, 58)         # project_id (admins)
GROUP_FILTERS = frozenset({"name"})             # Cinder's resource_filters.json
GROUP_SNAPSHOT_FILTERS = frozenset({"name", "status", "group_id"})


def _may(req: ApiRequest, policy: str) -> bool:
    """A policy a view asks without refusing (Cinder's authorize(..., fatal=False))."""
    return passes(req.caller, POLICIES[policy])


# -- views ----------------------------------------------------------------------------------------
def group_type_view(req: ApiRequest, group_type: GroupType) -> dict[str, Any]:
    view: dict[str, Any] = {"id": group_type.id, "name": group_type.name,
                            "description": group_type.description,
                            "is_public": group_type.is_public}
    if _may(req, "group:access_group_types_specs"):
        view["group_specs"] = dict(group_type.group_specs)
    return view


def group_summary(group: Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name}


def group_detail(req: ApiRequest, group: Group) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": group.id, "status": group.status, "availability_zone": group.availability_zone,
        "created_at": group.created_at, "name": group.name, "description": group.description,
        # Cinder's database query (id IN ...) reads them in primary-key order (seen in the
        # harness's database: by id, whatever the request's order).
        "group_type": group.group_type_id, "volume_types": sorted(group.volume_type_ids)}
    if req.version >= GROUP_SNAPSHOTS:
        view["group_snapshot_id"] = group.group_snapshot_id
        view["source_group_id"] = group.source_group_id
    if req.version >= GROUP_VOLUME_LIST and bool_param(req.args, "list_volume"):
        view["volumes"] = [v.id for v in core.group_volumes(req.fake.store, group.id)]
    if req.version >= GROUP_REPLICATION:
        view["replication_status"] = "disabled"
    if req.version >= GROUP_PROJECT_ID and _may(req, "group:group_project_attribute"):
        view["project_id"] = group.project_id
    return view


def group_snapshot_summary(group_snapshot: GroupSnapshot) -> dict[str, Any]:
    return {"id": group_snapshot.id, "name": group_snapshot.name,
            "group_type_id": group_snapshot.group_type_id}


def group_snapshot_detail(req: ApiRequest, group_snapshot: GroupSnapshot) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": group_snapshot.id, "group_id": group_snapshot.group_id,
        "group_type_id": group_snapshot.group_type_id, "status": group_snapshot.status,
        "created_at": group_snapshot.created_at, "name": group_snapshot.name,
        "description": group_snapshot.description}
    if (req.version >= GROUP_PROJECT_ID
            and _may(req, "group:group_snapshot_project_attribute")):
        view["project_id"] = group_snapshot.project_id
    return view


def _next_link(req: ApiRequest, collection: str, items: list[Any], query: ListQuery
               ) -> list[dict[str, str]] | None:
    """Cinder's _get_collection_links: a next link when the page is full."""
    if not items or len(items) < query.limit:
        return None
    return next_link(req, collection, items[-1].id)


def _stripped(value: str | None) -> str | None:
    """Cinder's controllers strip a non-empty name or description."""
    return value.strip() if value else value


# -- group types ----------------------------------------------------------------------------------
def _is_public(raw: Any) -> bool:
    return str(raw).strip().lower() in TRUE_STRINGS


def group_type_create(req: ApiRequest) -> Result:
    body = req.body["group_type"]
    group_type = core.create_group_type(
        req.fake.store, req.caller, body["name"], body.get("group_specs") or {},
        _is_public(body.get("is_public", True)), body.get("description"))
    return 202, {"group_type": group_type_view(req, group_type)}


def group_type_show(req: ApiRequest) -> Result:
    type_id = req.params["group_type_id"]
    group_type = (core.default_group_type(req.fake.store) if type_id == "default"
                  else core.get_group_type(req.fake.store, type_id))
    return 200, {"group_type": group_type_view(req, group_type)}


def group_type_update(req: ApiRequest) -> Result:
    body = req.body["group_type"]
    is_public = body.get("is_public")
    group_type = core.update_group_type(
        req.fake.store, req.caller, req.params["group_type_id"], body.get("name"),
        body.get("description"), None if is_public is None else _is_public(is_public))
    return 200, {"group_type": group_type_view(req, group_type)}


def group_type_delete(req: ApiRequest) -> Result:
    core.delete_group_type(req.fake.store, req.caller, req.params["group_type_id"])
    return 202, bare_accepted()


def group_type_list(req: ApiRequest) -> Result:
    params = dict(req.args)
    raw_public = params.pop("is_public", None)
    is_public: bool | None = True
    if req.caller.is_admin:
        # Cinder's _parse_is_public: "none" lists every type; anything else a boolean.
        is_public = (None if raw_public is not None and raw_public.lower() == "none"
                     else bool_param({"is_public": raw_public or "true"}, "is_public"))
    query = parse_list_query(params, req.caller, strict_filters=False,
                             allowed_filters=frozenset(), columns=core.GROUP_TYPE_COLUMNS)
    query.filters.clear()  # every other parameter is dropped (remove_invalid_filter_options)
    types = core.list_group_types(req.fake.store, req.caller, query, is_public)
    body: dict[str, Any] = {"group_types": [group_type_view(req, t) for t in types]}
    link = _next_link(req, "group_types", types, query)
    if link:
        body["group_type_links"] = link
    return 200, body


# -- group specs ----------------------------------------------------------------------------------
def group_specs_list(req: ApiRequest) -> Result:
    specs = core.group_specs(req.fake.store, req.caller, req.params["group_type_id"])
    return 200, {"group_specs": specs}


def group_specs_create(req: ApiRequest) -> Result:
    core.set_group_specs(req.fake.store, req.caller, req.params["group_type_id"],
                         req.body["group_specs"])
    return 202, req.body


def group_spec_show(req: ApiRequest) -> Result:
    key = req.params["spec_key"]
    return 200, {key: core.group_spec(req.fake.store, req.caller,
                                      req.params["group_type_id"], key)}


def group_spec_update(req: ApiRequest) -> Result:
    core.set_group_specs(req.fake.store, req.caller, req.params["group_type_id"], req.body,
                         policy="group:group_types_specs:update", key=req.params["spec_key"])
    return 200, req.body


def group_spec_delete(req: ApiRequest) -> Result:
    core.delete_group_spec(req.fake.store, req.caller, req.params["group_type_id"],
                           req.params["spec_key"])
    return 202, bare_accepted()


# -- groups ---------------------------------------------------------------------------------------
def group_create(req: ApiRequest) -> Result:
    body = req.body["group"]
    group = core.create_group(req.fake.store, req.caller, body["group_type"],
                              body["volume_types"], _stripped(body.get("name")),
                              _stripped(body.get("description")),
                              body.get("availability_zone"))
    return 202, {"group": group_summary(group)}


def group_create_from_src(req: ApiRequest) -> Result:
    body = req.body["create-from-src"]
    group = core.create_group_from_source(
        req.fake.store, req.caller, _stripped(body.get("name")),
        _stripped(body.get("description")), body.get("group_snapshot_id"),
        body.get("source_group_id"))
    return 202, {"group": group_summary(group)}


def group_show(req: ApiRequest) -> Result:
    group = core.get_group(req.fake.store, req.caller, req.params["group_id"])
    return 200, {"group": group_detail(req, group)}


def group_update(req: ApiRequest) -> Result:
    body = req.body["group"]
    core.update_group(req.fake.store, req.caller, req.params["group_id"],
                      _stripped(body.get("name")), _stripped(body.get("description")),
                      body.get("add_volumes"), body.get("remove_volumes"))
    return 202, bare_accepted()


def group_delete(req: ApiRequest) -> Result:
    raw = (req.body["delete"] or {}).get("delete-volumes", False)
    core.delete_group(req.fake.store, req.caller, req.params["group_id"],
                      str(raw).strip().lower() in TRUE_STRINGS)
    return 202, bare_accepted()


def group_reset_status(req: ApiRequest) -> Result:
    core.reset_group_status(req.fake.store, req.caller, req.params["group_id"],
                            req.body["reset_status"]["status"])
    return 202, bare_accepted()


def _group_query(req: ApiRequest, allowed: frozenset[str]) -> ListQuery:
    params = {k: v for k, v in req.args.items() if k != "list_volume"}
    return parse_list_query(params, req.caller, strict_filters=req.version >= RESOURCE_FILTER,
                            allowed_filters=allowed | {"all_tenants"},
                            columns=core.GROUP_COLUMNS)


def _group_list(req: ApiRequest, detailed: bool) -> Result:
    query = _group_query(req, GROUP_FILTERS)
    groups = core.list_groups(req.fake.store, req.caller, query)
    items = [group_detail(req, g) if detailed else group_summary(g) for g in groups]
    body: dict[str, Any] = {"groups": items}
    link = _next_link(req, "groups", groups, query)
    if link:
        body["group_links"] = link
    return 200, body


def group_list(req: ApiRequest) -> Result:
    return _group_list(req, detailed=False)


def group_list_detail(req: ApiRequest) -> Result:
    return _group_list(req, detailed=True)


# -- group snapshots ------------------------------------------------------------------------------
def group_snapshot_create(req: ApiRequest) -> Result:
    body = req.body["group_snapshot"]
    group_snapshot = core.create_group_snapshot(req.fake.store, req.caller, body["group_id"],
                                                body.get("name"), body.get("description"))
    return 202, {"group_snapshot": group_snapshot_summary(group_snapshot)}


def group_snapshot_show(req: ApiRequest) -> Result:
    group_snapshot = core.get_group_snapshot(req.fake.store, req.caller,
                                             req.params["group_snapshot_id"])
    return 200, {"group_snapshot": group_snapshot_detail(req, group_snapshot)}


def group_snapshot_delete(req: ApiRequest) -> Result:
    core.delete_group_snapshot(req.fake.store, req.caller, req.params["group_snapshot_id"])
    return 202, bare_accepted()


def group_snapshot_reset_status(req: ApiRequest) -> Result:
    core.reset_group_snapshot_status(req.fake.store, req.caller,
                                     req.params["group_snapshot_id"],
                                     req.body["reset_status"]["status"])
    return 202, bare_accepted()


def _group_snapshot_list(req: ApiRequest, detailed: bool) -> Result:
    """Before 3.29 Cinder ignores every query parameter (no paging, no filters)."""
    if req.version >= GROUP_SNAPSHOT_PAGINATION:
        params = dict(req.args)
        query = parse_list_query(params, req.caller,
                                 strict_filters=req.version >= RESOURCE_FILTER,
                                 allowed_filters=GROUP_SNAPSHOT_FILTERS | {"all_tenants"},
                                 columns=core.GROUP_SNAPSHOT_COLUMNS)
    else:
        query = ListQuery()
    snapshots = core.list_group_snapshots(req.fake.store, req.caller, query)
    items: list[dict[str, Any]] = []
    for group_snapshot in snapshots:
        if detailed:
            items.append(group_snapshot_detail(req, group_snapshot))
        else:
            view = group_snapshot_summary(group_snapshot)
            del view["group_type_id"]  # the list's summary drops it, the create's keeps it
            items.append(view)
    body: dict[str, Any] = {"group_snapshots": items}
    link = _next_link(req, "group_snapshots", snapshots, query)
    if link:
        body["group_snapshot_links"] = link
    return 200, body


def group_snapshot_list(req: ApiRequest) -> Result:
    return _group_snapshot_list(req, detailed=False)


def group_snapshot_list_detail(req: ApiRequest) -> Result:
    return _group_snapshot_list(req, detailed=True)


# The policies each operation asks (core.policy's rows); the views ask the attribute ones.
SPECS_VIEW = "group:access_group_types_specs"
GROUP_VIEW = "group:group_project_attribute"
GROUP_SNAPSHOT_VIEW = "group:group_snapshot_project_attribute"
TYPE_SPECS = "group:group_types_specs"


def register(router: Router) -> None:
    def op(name: str, handler: Any, since: mv.APIVersion, policies: tuple[str, ...],
           body: bool = False) -> Operation:
        return Operation(name, handler, min_version=since, validates_body=body,
                         policies=policies)

    router.add("GET", "group_types",
               op("group_type_list", group_type_list, GROUP_TYPE, (SPECS_VIEW,)))
    router.add("POST", "group_types", op("group_type_create", group_type_create, GROUP_TYPE,
                                         ("group:group_types:create", SPECS_VIEW), body=True))
    router.add("GET", "group_types/<group_type_id>",
               op("group_type_show", group_type_show, GROUP_TYPE, (SPECS_VIEW,)))
    router.add("PUT", "group_types/<group_type_id>", op(
        "group_type_update", group_type_update, GROUP_TYPE,
        ("group:group_types:update", SPECS_VIEW), body=True))
    router.add("DELETE", "group_types/<group_type_id>", op(
        "group_type_delete", group_type_delete, GROUP_TYPE, ("group:group_types:delete",)))
    specs = "group_types/<group_type_id>/group_specs"
    router.add("GET", specs, op("group_specs_list", group_specs_list, GROUP_TYPE,
                                (f"{TYPE_SPECS}:get_all",)))
    router.add("POST", specs, op("group_specs_create", group_specs_create, GROUP_TYPE,
                                 (f"{TYPE_SPECS}:create",), body=True))
    router.add("GET", f"{specs}/<spec_key>", op("group_spec_show", group_spec_show, GROUP_TYPE,
                                                (f"{TYPE_SPECS}:get",)))
    router.add("PUT", f"{specs}/<spec_key>", op("group_spec_update", group_spec_update,
                                                GROUP_TYPE, (f"{TYPE_SPECS}:update",),
                                                body=True))
    router.add("DELETE", f"{specs}/<spec_key>", op("group_spec_delete", group_spec_delete,
                                                   GROUP_TYPE, (f"{TYPE_SPECS}:delete",)))

    router.add("GET", "groups", op("group_list", group_list,
                                   GROUP_VOLUME, ("group:get_all",)))
    router.add("GET", "groups/detail", op("group_list_detail", group_list_detail,
                                          GROUP_VOLUME, ("group:get_all", GROUP_VIEW)))
    router.add("POST", "groups", op("group_create", group_create, GROUP_VOLUME,
                                    ("group:create",), body=True))
    router.add_actions("groups/action", {"create-from-src": op(
        "group_create_from_src", group_create_from_src, GROUP_SNAPSHOTS,
        ("group:create", "group:get", "group:get_group_snapshot"), body=True)})
    router.add("GET", "groups/<group_id>", op("group_show", group_show, GROUP_VOLUME,
                                              ("group:get", GROUP_VIEW)))
    router.add("PUT", "groups/<group_id>", op("group_update", group_update, GROUP_VOLUME,
                                              ("group:get", "group:update"), body=True))
    router.add_actions("groups/<group_id>/action", {
        "delete": op("group_delete", group_delete, GROUP_VOLUME,
                     ("group:get", "group:delete"), body=True),
        "reset_status": op("group_reset_status", group_reset_status,
                           GROUP_VOLUME_RESET_STATUS, ("group:get", "group:reset_status"),
                           body=True)})

    router.add("GET", "group_snapshots", op(
        "group_snapshot_list", group_snapshot_list, GROUP_SNAPSHOTS,
        ("group:get_all_group_snapshots",)))
    router.add("GET", "group_snapshots/detail", op(
        "group_snapshot_list_detail", group_snapshot_list_detail,
        GROUP_SNAPSHOTS, ("group:get_all_group_snapshots", GROUP_SNAPSHOT_VIEW)))
    router.add("POST", "group_snapshots", op(
        "group_snapshot_create", group_snapshot_create, GROUP_SNAPSHOTS,
        ("group:get", "group:create_group_snapshot"), body=True))
    router.add("GET", "group_snapshots/<group_snapshot_id>", op(
        "group_snapshot_show", group_snapshot_show, GROUP_SNAPSHOTS,
        ("group:get_group_snapshot", GROUP_SNAPSHOT_VIEW)))
    router.add("DELETE", "group_snapshots/<group_snapshot_id>", op(
        "group_snapshot_delete", group_snapshot_delete, GROUP_SNAPSHOTS,
        ("group:get_group_snapshot", "group:delete_group_snapshot")))
    router.add_actions("group_snapshots/<group_snapshot_id>/action", {
        "reset_status": op("group_snapshot_reset_status", group_snapshot_reset_status,
                           GROUP_SNAPSHOT_RESET_STATUS,
                           ("group:get_group_snapshot", "group:reset_group_snapshot_status"),
                           body=True)})
