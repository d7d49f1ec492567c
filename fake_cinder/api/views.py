"""Cinder's response shapes for attachments, volumes and volume types."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..core import connection_info
from ..core.context import Caller
from ..core.models import ATTACHED, Attachment, Volume, VolumeType
from ..core.policy import allows
from ..core.volume_types import visible_extra_specs
from ..core.volumes import visible_metadata
from . import microversions as mv

if TYPE_CHECKING:
    from .routing import ApiRequest

V3_48 = mv.APIVersion(3, 48)   # shared_targets, service_uuid
V3_61 = mv.APIVersion(3, 61)   # cluster_name (admins)
V3_63 = mv.APIVersion(3, 63)   # volume_type_id
V3_64 = mv.APIVersion(3, 64)   # encryption_key_id (encrypted volumes)
V3_65 = mv.APIVersion(3, 65)   # consumes_quota
V3_13 = mv.APIVersion(3, 13)   # group_id
V3_21 = mv.APIVersion(3, 21)   # provider_id (admins)


class BareValue(Response):
    """A value Cinder's controller returns as is (a string), which WebOb sends as the
    body with its default content type, and without Cinder's version headers."""

    def __init__(self, value: object) -> None:
        super().__init__(str(value).encode(), status=200,
                         content_type="text/html; charset=UTF-8")


def bare_accepted() -> Response:
    """Cinder's bare ``webob.Response(status_int=202)`` (volume, snapshot and encryption
    deletes, snapshot status updates): no body, WebOb's default content type."""
    return bare_response(202)


def bare_response(status: int, body: bytes = b"") -> Response:
    """A ``webob.Response`` a Cinder controller returns itself: WebOb's default content
    type whatever the body (an ETag'd metadata list, an empty 200, 204 or 412)."""
    return Response(body, status=status, content_type="text/html; charset=UTF-8")


def attachment_summary(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "status": attachment.attach_status,
            "instance": attachment.instance_uuid, "volume_id": attachment.volume_id}


def attachment_detail(attachment: Attachment) -> dict[str, Any]:
    view = attachment_summary(attachment)
    view["attached_at"] = attachment.attached_at or ""
    view["detached_at"] = attachment.detached_at or ""
    view["attach_mode"] = attachment.attach_mode
    view["connection_info"] = attachment.connection_info
    return view


def attachment_view(detail: bool) -> Callable[[Attachment], dict[str, Any]]:
    return attachment_detail if detail else attachment_summary


def attachments_body(attachments: list[Attachment], detail: bool = False) -> dict[str, Any]:
    build = attachment_view(detail)
    return {"attachments": [build(a) for a in attachments]}


def next_link(req: ApiRequest, collection: str, marker: str) -> list[dict[str, str]]:
    """Cinder's _get_next_link: the collection's URL with the request's query and the
    page's last id as the marker."""
    params = {**req.args, "marker": marker}
    project = req.url_project_id
    prefix = f"{req.base_url}/v3/{project}" if project else f"{req.base_url}/v3"
    return [{"rel": "next", "href": f"{prefix}/{collection}?{urlencode(params)}"}]


def links(base_url: str, project_id: str | None, collection: str, item_id: str) -> list[dict]:
    """Cinder's links carry the project id only when the request's URL did (the caller's)."""
    path = f"{project_id}/{collection}/{item_id}" if project_id else f"{collection}/{item_id}"
    return [{"rel": "self", "href": f"{base_url}/v3/{path}"},
            {"rel": "bookmark", "href": f"{base_url}/{path}"}]


def volume_summary(volume: Volume, base_url: str, url_project: str | None = None
                   ) -> dict[str, Any]:
    return {"id": volume.id, "name": volume.name,
            "links": links(base_url, url_project, "volumes", volume.id)}


def volume_attachments(attachments: list[Attachment], caller: Caller) -> list[dict[str, Any]]:
    """The volume's ``attachments`` field: only attachments that are attached."""
    shown = []
    for attachment in attachments:
        if attachment.attach_status != ATTACHED:
            continue
        privileged = caller.is_admin or "service" in caller.roles
        shown.append({
            "id": attachment.volume_id, "attachment_id": attachment.id,
            "volume_id": attachment.volume_id, "server_id": attachment.instance_uuid,
            "host_name": attachment.attached_host if privileged else None,
            "device": attachment.mountpoint, "attached_at": attachment.attached_at})
    return shown


# Cinder shows its internal managing statuses as the ones clients knew before (bug 1504007).
_SHOWN_STATUS = {"managing": "creating", "error_managing": "error",
                 "error_managing_deleting": "deleting"}


def volume_detail(volume: Volume, volume_type: VolumeType | None,
                  attachments: list[Attachment], caller: Caller, version: mv.APIVersion,
                  base_url: str, url_project: str | None = None,
                  protocol: str | None = None) -> dict[str, Any]:
    """``protocol``: the connection protocol (core.volumes.protocol_of)."""
    protocol = protocol or volume.protocol or (volume_type.protocol if volume_type else None)
    type_name = volume_type.name if volume_type else None
    view: dict[str, Any] = {
        "id": volume.id, "status": _SHOWN_STATUS.get(volume.status, volume.status),
        "size": volume.size,
        "availability_zone": volume.availability_zone, "created_at": volume.created_at,
        "updated_at": volume.updated_at, "name": volume.name,
        "description": volume.description,
        "volume_type": type_name if version >= V3_63 or volume_type else volume.volume_type_id,
        "snapshot_id": None, "source_volid": volume.source_volid,
        "metadata": visible_metadata(volume),
        "links": links(base_url, url_project, "volumes", volume.id),
        "user_id": volume.user_id, "bootable": str(volume.bootable).lower(),
        "encrypted": volume.encryption_key_id is not None,
        # Cinder's create flow computes "disabled" but never writes it for a type without
        # replication: the volume shows null (seen on a running Cinder 29).
        "replication_status": None,
        "consistencygroup_id": None, "multiattach": volume.multiattach,
        "attachments": volume_attachments(attachments, caller),
    }
    # Cinder's API extensions add their attributes when their policy allows.
    if allows(caller, "volume_extension:volume_tenant_attribute"):
        view["os-vol-tenant-attr:tenant_id"] = volume.project_id
    if caller.is_admin:  # the view builder's own test (context.is_admin)
        view["migration_status"] = volume.migration_status
    if allows(caller, "volume_extension:volume_host_attribute"):
        view["os-vol-host-attr:host"] = volume.host
    if allows(caller, "volume_extension:volume_mig_status_attribute"):
        view["os-vol-mig-status-attr:migstat"] = volume.migration_status
        view["os-vol-mig-status-attr:name_id"] = None
    if version >= V3_13:
        view["group_id"] = volume.group_id
    if caller.is_admin and version >= V3_21:
        view["provider_id"] = None
    if version >= V3_48:
        # A volume no backend took never met a volume manager: the model's defaults.
        view["shared_targets"] = connection_info.shares_targets(protocol) if volume.host else True
        view["service_uuid"] = connection_info.SERVICE_UUID if volume.host else None
    if caller.is_admin and version >= V3_61:
        view["cluster_name"] = None
    if version >= V3_63:
        view["volume_type_id"] = volume.volume_type_id
    view["snapshot_id"] = volume.snapshot_id
    if version >= V3_64 and volume.encryption_key_id:
        view["encryption_key_id"] = volume.encryption_key_id
    if version >= V3_65:
        view["consumes_quota"] = True
    return view


def volume_type_view(volume_type: VolumeType, caller: Caller) -> dict[str, Any]:
    """Cinder's type view, with what its policies let the caller see."""
    view: dict[str, Any] = {
        "id": volume_type.id, "name": volume_type.name,
        "description": volume_type.description, "is_public": volume_type.is_public,
    }
    if allows(caller, "volume_extension:volume_type_access"):
        view["os-volume-type-access:is_public"] = volume_type.is_public
    if allows(caller, "volume_extension:access_types_extra_specs"):
        view["extra_specs"] = visible_extra_specs(volume_type, caller)
    if allows(caller, "volume_extension:access_types_qos_specs_id"):
        view["qos_specs_id"] = volume_type.qos_specs_id
    return view
