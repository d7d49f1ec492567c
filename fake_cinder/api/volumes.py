"""HTTP handlers of the volume and volume type APIs the attach flows need."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import groups as group_rules
from ..core import snapshots as snapshot_rules
from ..core import volumes as core
from ..core.errors import BadRequest, InvalidInput
from ..core.listing import (
    DB_MAX_INT,
    FALSE_STRINGS,
    TRUE_STRINGS,
    bool_param,
    parse_list_query,
)
from ..core.models import Volume
from ..core.policy import authorize
from . import microversions as mv
from . import volume_images
from .groups import GROUP_VOLUME
from .routing import ApiRequest, Operation, Router
from .views import bare_accepted, next_link, volume_detail, volume_summary, volume_type_view

Result = tuple[int, Any]
VOLUME_LIST_BOOTABLE = mv.APIVersion(3, 2)  # strict boolean filter values
SUPPORT_COUNT_INFO = mv.APIVersion(3, 45)  # with_count


def _volume_view(req: ApiRequest, volume: Volume) -> dict[str, Any]:
    store = req.fake.store
    return volume_detail(volume, store.volume_types.get(volume.volume_type_id or ""),
                         store.volume_attachments(volume.id), req.caller, req.version,
                         req.base_url, req.url_project_id, protocol=core.protocol_of(store, volume))


# -- volume types ---------------------------------------------------------------------------------
def volume_type_create(req: ApiRequest) -> Result:
    body = req.body["volume_type"]
    if not body["name"].strip():
        # Cinder's "name" schema format (so before the policy); the name is otherwise
        # kept as sent, spaces too.
        raise BadRequest("An invalid 'name' value was provided. The 'name' can not be empty.")
    authorize(req.caller, "volume_extension:type_create")
    is_public = str(body.get("os-volume-type-access:is_public", True)).lower() in TRUE_STRINGS
    # No owner: Cinder gives a private type's creator no access of its own.
    volume_type = core.create_volume_type(
        req.fake.store, None, body["name"], description=body.get("description"),
        extra_specs=body.get("extra_specs"), is_public=is_public)
    view = volume_type_view(volume_type, req.caller)
    # Only show and list add the admin's qos_specs_id (checked against Cinder 29).
    view.pop("qos_specs_id", None)
    return 200, {"volume_type": view}


def _is_public_filter(raw: str | None) -> bool | None:
    """Cinder's _parse_is_public: absent means public only, "none" means all."""
    if raw is None:
        return True
    if raw.strip().lower() == "none":
        return None
    lowered = raw.strip().lower()
    if lowered not in TRUE_STRINGS + FALSE_STRINGS:
        raise BadRequest(f"Invalid is_public filter [{raw}]")
    return lowered in TRUE_STRINGS


def volume_type_list(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:type_get_all")
    is_public = _is_public_filter(req.args.get("is_public")) if req.caller.is_admin else True
    types = core.list_volume_types(req.fake.store, req.caller, is_public)
    return 200, {"volume_types": [volume_type_view(t, req.caller) for t in types]}


def volume_type_show(req: ApiRequest) -> Result:
    type_id = req.params["type_id"]
    if type_id == "default":
        volume_type = core.default_volume_type(req.fake.store)
        authorize(req.caller, "volume_extension:type_get")
        view = volume_type_view(volume_type, req.caller)
        # Cinder's type-access extension looks the type up by the URL's id, "default",
        # finds none and adds nothing.
        view.pop("os-volume-type-access:is_public", None)
        return 200, {"volume_type": view}
    volume_type = core.get_volume_type(req.fake.store, req.caller, type_id)
    authorize(req.caller, "volume_extension:type_get")
    return 200, {"volume_type": volume_type_view(volume_type, req.caller)}


# -- volumes --------------------------------------------------------------------------------------
def _size(raw: int | str | None, field: str = "size") -> int | None:
    """Cinder's schema validator applies minimum and maximum to digit strings too (to
    the number they hold; its message shows the string as sent)."""
    if raw is None:
        return None
    size = int(raw)  # the schema let through integers and digit strings only
    if isinstance(raw, str) and size < 1:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {raw}. "
                         f"{size} is less than the minimum of 1")
    if isinstance(raw, str) and size > DB_MAX_INT:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: {raw}. "
                         f"{size} is greater than the maximum of {DB_MAX_INT}")
    return size


def _text(body: dict[str, Any], key: str, entity: str) -> str | None:
    """Cinder's *_non_mandatory_remove_white_spaces formats and clean_name_and_description:
    the length counts without surrounding white space, which is stripped."""
    value = body.get(key)
    if not isinstance(value, str):
        return value
    value = value.strip()
    if len(value) > 255:
        raise InvalidInput(f"{entity} has {len(value)} characters, more than 255.")
    return value


def volume_create(req: ApiRequest) -> Result:
    body = req.body["volume"]
    texts = {key: _text(body, key, entity) for key, entity in (
        ("name", "name"), ("description", "description"), ("display_name", "name"),
        ("display_description", "description"))}
    size = _size(body.get("size"))
    volume_type = None
    if body.get("volume_type"):
        # Cinder's controller looks the type up before anything else.
        volume_type = core.lookup_volume_type(req.fake.store, req.caller, body["volume_type"])
    # Then the snapshot to create it from, whose size is the default size.
    snapshot = (snapshot_rules.get_snapshot(req.fake.store, req.caller, body["snapshot_id"])
                if body.get("snapshot_id") is not None else None)
    # Then the volume to clone, whose size is the default size after a snapshot's (Cinder's
    # get_volume: volume:get refuses with its 403 here, not get's 404).
    source = None
    if body.get("source_volid") is not None:
        source = core.load_volume(req.fake.store, req.caller, body["source_volid"])
        authorize(req.caller, "volume:get", source.project_id)
    # Then the group (consistencygroup_id, overridden by group_id from 3.13) it joins.
    group_id = body.get("group_id") if req.version >= GROUP_VOLUME else None
    group = group_rules.group_of_new_volume(
        req.fake.store, req.caller, group_id or body.get("consistencygroup_id"),
        body.get("volume_type"))
    image = volume_images.image_source(req, body)
    if size is None and snapshot is not None:
        size = snapshot.size
    elif size is None and source is not None:
        size = source.size
    if body.get("multiattach") is not None and str(body["multiattach"]).lower() in TRUE_STRINGS:
        raise BadRequest("multiattach parameter has been removed. The default behavior is to "
                         "use multiattach enabled volume types. Contact your administrator "
                         "to create a multiattach enabled volume type and use it to create "
                         "multiattach volumes.")
    # Cinder's volume API, then its create flow, once the controller is done (a create
    # from an image asks volume:create_from_image instead: check_create_source).
    if image is None:
        authorize(req.caller, "volume:create")
    if volume_type is not None and volume_type.multiattach:
        authorize(req.caller, "volume:multiattach")
    metadata = body.get("metadata") or {}
    volume_images.check_create_source(req, image, snapshot, size)
    volume = core.create_volume(
        req.fake.store, req.caller, size,
        name=texts["name"] if "name" in body else texts["display_name"],
        description=(texts["description"] if "description" in body
                     else texts["display_description"]),
        volume_type=body.get("volume_type"), metadata=metadata,
        availability_zone=body.get("availability_zone"),
        protocol=metadata.get(core.PROTOCOL_METADATA_KEY) or (source.protocol if source else None),
        check_quota=True, snapshot=snapshot, source_volume=source, request_id=req.request_id,
        image_metadata=volume_images.image_metadata(image), asynchronous=True,
        failing=req.async_failure, group_id=group.id if group is not None else None)
    # Cinder answers before its scheduler and volume manager ran: the volume is still
    # creating, never updated, and the view has no tenant yet (the fake's may be done).
    view = _volume_view(req, volume)
    view.update(status="creating", updated_at=None)
    volume_images.as_created(view, image)
    if "service_uuid" in view:
        # Written by the volume manager once it created it: the model's defaults until then.
        view.update(service_uuid=None, shared_targets=True)
    for key in ("os-vol-tenant-attr:tenant_id", "os-vol-host-attr:host",
                "os-vol-mig-status-attr:migstat", "os-vol-mig-status-attr:name_id"):
        view.pop(key, None)
    return 202, {"volume": view}


def volume_show(req: ApiRequest) -> Result:
    volume = core.show_volume(req.fake.store, req.caller, req.params["volume_id"])
    return 200, {"volume": volume_images.shown_metadata(req, volume, _volume_view(req, volume))}


def _list(req: ApiRequest, collection: str,
          render: Callable[[Volume], dict[str, Any]]) -> Result:
    """Cinder's VolumeController._get_volumes: paging, sorting, filters, count, next link."""
    args = dict(req.args)
    # From 3.45 with_count is a parameter; before, it is just another filter.
    with_count = req.version >= SUPPORT_COUNT_INFO and "with_count" in args
    show_count = with_count and bool_param(args, "with_count")
    if with_count:
        del args["with_count"]
    query = parse_list_query(args, req.caller,
                             strict_filters=req.version >= mv.STRICT_FILTERS,
                             allowed_filters=core.ALLOWED_FILTERS, columns=core.MODEL_COLUMNS,
                             bool_all_tenants=True)
    core.rename_volume_params(query)
    filters = core.volume_filter_values(query.filters,
                                        strict_booleans=req.version >= VOLUME_LIST_BOOTABLE)
    volumes, total = core.list_volumes(req.fake.store, req.caller, query, filters,
                                       count=show_count)
    body: dict[str, Any] = {"volumes": [render(v) for v in volumes]}
    # A full page (the limit asked for, else the server's maximum) gets a next link;
    # with a count Cinder compares the limit with the count instead, even on the last page.
    if volumes and query.limit <= (total if show_count and total else len(volumes)):
        body["volumes_links"] = next_link(req, collection, volumes[-1].id)
    if show_count:
        body["count"] = total
    return 200, body


EXTENSION_ATTRIBUTES = ("os-vol-tenant-attr:tenant_id", "os-vol-host-attr:host",
                        "os-vol-mig-status-attr:migstat", "os-vol-mig-status-attr:name_id")


def volume_update(req: ApiRequest) -> Result:
    """PUT /volumes/{id}: name, description (or their display_ forms) and metadata."""
    body = req.body["volume"]
    texts = {key: _text(body, key, entity) for key, entity in (
        ("name", "name"), ("description", "description"), ("display_name", "name"),
        ("display_description", "description"))}
    changes: dict[str, Any] = {}
    # The v2 names win over the display_ ones when both are sent.
    for field, keys in (("name", ("name", "display_name")),
                        ("description", ("description", "display_description"))):
        sent = [key for key in keys if key in body]
        if sent:
            changes[field] = texts[sent[0]]
    if "metadata" in body:
        changes["metadata"] = body["metadata"]
    volume = core.update_volume(req.fake.store, req.caller, req.params["volume_id"], changes)
    view = _volume_view(req, volume)
    # Cinder's API extensions add these to show and list only, not to the update's answer.
    for key in EXTENSION_ATTRIBUTES:
        view.pop(key, None)
    return 200, {"volume": view}


def volume_list(req: ApiRequest) -> Result:
    base_url, url_project = req.base_url, req.url_project_id
    return _list(req, "volumes", lambda v: volume_summary(v, base_url, url_project))


def volume_list_detail(req: ApiRequest) -> Result:
    return _list(req, "volumes/detail",
                 lambda v: volume_images.shown_metadata(req, v, _volume_view(req, v)))


VOLUME_DELETE_FORCE = mv.APIVersion(3, 23)


def volume_delete(req: ApiRequest) -> Result:
    cascade = bool_param(req.args, "cascade")
    force = req.version >= VOLUME_DELETE_FORCE and bool_param(req.args, "force")
    core.delete_volume(req.fake.store, req.caller, req.params["volume_id"], force=force,
                       cascade=cascade, failing=req.async_failure)
    return 202, bare_accepted()


def volume_reset_status(req: ApiRequest) -> Result:
    core.reset_status(req.fake.store, req.caller, req.params["volume_id"],
                      req.body["os-reset_status"])
    return 202, None


# The policies of the optional attributes in the views (Cinder's fatal=False checks).
TYPE_VIEW_POLICIES = ("volume_extension:volume_type_access",
                      "volume_extension:access_types_extra_specs",
                      "volume_extension:types_extra_specs:read_sensitive",
                      "volume_extension:access_types_qos_specs_id")
VOLUME_VIEW_POLICIES = ("volume_extension:volume_tenant_attribute",
                        "volume_extension:volume_host_attribute",
                        "volume_extension:volume_mig_status_attribute",
                        "volume_extension:volume_image_metadata:show")
# Every lookup of a volume by id asks volume:get (a refusal is its 404).
GET = "volume:get"


def register(router: Router) -> None:
    from . import volume_actions  # it builds on this module's helpers

    router.add("POST", "types", Operation(
        "volume_type_create", volume_type_create, validates_body=True,
        policies=("volume_extension:type_create", *TYPE_VIEW_POLICIES)))
    router.add("GET", "types", Operation(
        "volume_type_list", volume_type_list,
        policies=("volume_extension:type_get_all", *TYPE_VIEW_POLICIES)))
    router.add("GET", "types/<type_id>", Operation(
        "volume_type_show", volume_type_show,
        policies=("volume_extension:type_get", *TYPE_VIEW_POLICIES)))
    router.add("POST", "volumes", Operation(
        "volume_create", volume_create, validates_body=True,
        policies=("volume:create", "volume:create_from_image", "volume:multiattach",
                  "volume:get_snapshot", GET, "group:get",
                  *VOLUME_VIEW_POLICIES)))
    router.add("GET", "volumes", Operation("volume_list", volume_list,
                                           policies=("volume:get_all",)))
    router.add("GET", "volumes/detail", Operation(
        "volume_list_detail", volume_list_detail,
        policies=("volume:get_all", *VOLUME_VIEW_POLICIES)))
    router.add("GET", "volumes/<volume_id>", Operation(
        "volume_show", volume_show, policies=(GET, *VOLUME_VIEW_POLICIES)))
    router.add("DELETE", "volumes/<volume_id>", Operation(
        "volume_delete", volume_delete,
        policies=(GET, "volume:force_delete", "volume:delete")))
    router.add("PUT", "volumes/<volume_id>", Operation(
        "volume_update", volume_update, validates_body=True,
        policies=(GET, "volume:update", *VOLUME_VIEW_POLICIES)))
    router.add_actions("volumes/<volume_id>/action", {
        "os-reset_status": Operation(
            "volume_reset_status", volume_reset_status, validates_body=True,
            policies=("volume_extension:volume_admin_actions:reset_status",)),
        **volume_actions.actions(), **volume_images.actions()})
