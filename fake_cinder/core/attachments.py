"""The attachment state machine: reserve, connect, complete, delete, list.

Every operation runs under the store's lock, so checks and writes are one
atomic step (two reserves of one non-multiattach volume cannot both pass).
Where real Cinder answers with a record that is older than what it stored
(create with a connector, update), these functions return that stale copy.
"""

from __future__ import annotations

import bisect
import copy
import heapq
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import connection_info
from .context import Caller
from .errors import (
    AttachmentNotFound,
    InvalidInput,
    InvalidVolume,
    NovaUsingAttachment,
    ResourceConflict,
)
from .indexed_lists import Lister, Source
from .listing import MODEL_COLUMNS, ListQuery, check_sort_keys, sorted_after
from .models import ATTACHED, ATTACHING, DETACHED, RESERVED, Attachment, Volume
from .policy import authorize
from .store import Store
from .volumes import is_multiattach, is_readonly, load_volume, protocol_of

# Volume status for an attachment status where the two differ (Cinder's ATTACH_STATUS_MAP).
_VOLUME_STATUS_FOR = {ATTACHED: "in-use", DETACHED: "available"}


# -- lookups --------------------------------------------------------------------------------------
def get_attachment(store: Store, caller: Caller, attachment_id: str) -> Attachment:
    """The live record; other projects' attachments are invisible to non-admins."""
    with store.lock:
        attachment = store.attachments.get(attachment_id)
        if attachment is None or not caller.can_see(attachment.project_id):
            raise AttachmentNotFound(attachment_id)
        return attachment


def show_attachment(store: Store, caller: Caller, attachment_id: str) -> Attachment:
    with store.lock:
        return copy.copy(get_attachment(store, caller, attachment_id))


# -- the driver call ------------------------------------------------------------------------------
def connection_properties(store: Store, volume: Volume, connector: dict[str, Any],
                          admin: bool = False) -> dict[str, Any]:
    """What Cinder's volume manager returns from initialize_connection: the driver's
    answer, with the keys _parse_connection_options adds to its ``data``.

    Cinder loads a volume's admin metadata (readonly, attached_mode) only for an admin's
    request, so only then do they set the access mode (seen on Cinder 29)."""
    protocol = connection_info.normalize_protocol(protocol_of(store, volume))
    try:
        driver_info = connection_info.initialize_connection(
            protocol, volume.id, volume.size, connector)
    except connection_info.InvalidConnector as exc:
        raise InvalidInput(str(exc)) from None
    data = dict(driver_info.get("data", {}))
    data["qos_specs"] = None
    # The mode of the last legacy os-attach, else the readonly flag decides.
    data["access_mode"] = ((volume.admin_metadata.get("attached_mode")
                            or ("ro" if is_readonly(volume) else "rw")) if admin else "rw")
    if data.get("encrypted") is None:
        data["encrypted"] = volume.encryption_key_id is not None
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    cacheable = bool(volume_type and volume_type.extra_specs.get("cacheable") == "<is> True")
    data["cacheable"] = bool(data.get("cacheable", True)) and cacheable
    info = {k: v for k, v in driver_info.items() if k != "data"}
    info["data"] = data
    return info


def build_connection_info(store: Store, volume: Volume, attachment_id: str,
                          connector: dict[str, Any], admin: bool = False) -> dict[str, Any]:
    """What Cinder's volume manager returns from attachment_update: the connection
    properties with their data flattened, plus the keys the manager adds itself."""
    properties = connection_properties(store, volume, connector, admin)
    info: dict[str, Any] = properties.pop("data")
    info.update(properties)
    info["attachment_id"] = attachment_id
    info["enforce_multipath"] = connector.get("enforce_multipath", False)
    return info


def _shared_strings(connector: dict[str, Any]) -> dict[str, Any]:
    """A copy of the connector whose keys and string values are interned: every stored
    attachment keeps its connector, and a host sends the same one each time."""
    return {sys.intern(k) if type(k) is str else k: sys.intern(v) if type(v) is str else v
            for k, v in connector.items()}


def _connect(store: Store, volume: Volume, attachment: Attachment,
             connector: dict[str, Any], connection_info: dict[str, Any]) -> None:
    """The manager's attachment_update after the driver answered: mark both attaching."""
    connector = _shared_strings(connector)
    mode = connector.get("mode", "rw")
    if attachment.attach_mode != "null":
        mode = attachment.attach_mode
        connector["mode"] = mode
    now = store.clock.now()
    attachment.connector = connector
    attachment.connection_info = connection_info
    attachment.attach_status = ATTACHING
    attachment.attached_at = now
    attachment.attach_mode = mode
    attachment.attached_host = connector.get("host", "")
    attachment.mountpoint = connector.get("mountpoint", "na")
    attachment.updated_at = now
    volume.status = ATTACHING
    volume.attach_status = ATTACHING
    volume.updated_at = now


# -- create (reserve, maybe connect) --------------------------------------------------------------
def _may_reserve(store: Store, volume: Volume, instance_uuid: str | None) -> bool:
    """Cinder's conditional update of the volume to 'reserved', with its same-instance
    override: True when the volume moves to reserved, False when it stays as it is."""
    multiattach = is_multiattach(store, volume)
    allowed = (("available", "in-use", "downloading") if multiattach
               else ("available", "downloading"))
    if volume.status in allowed:
        return True
    if instance_uuid and volume.status in ("in-use", "reserved") and any(
            a.instance_uuid == instance_uuid for a in store.volume_attachments(volume.id)):
        return False  # the same instance again (LP bug 1694530): allowed, volume unchanged
    statuses = " or ".join(allowed)
    raise InvalidVolume(f"Volume {volume.id} status must be {statuses} to reserve, but the "
                        f"current status is {volume.status}.")


def create_attachment(store: Store, caller: Caller, volume_id: str,
                      instance_uuid: str | None = None,
                      connector: dict[str, Any] | None = None,
                      attach_mode: str = "null") -> Attachment:
    """Reserve the volume for an instance; with a connector, also connect it.

    Returns the record as Cinder's API returns it: as reserved, even when the
    stored attachment has already moved on to 'attaching'.
    """
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        authorize(caller, "volume:attachment_create", volume.project_id)
        if "error" in volume.status:
            raise InvalidVolume(
                "Volume attachments can not be created if the volume is in an error state. "
                f"The Volume {volume.id} currently has a status of: {volume.status} ")
        # Cinder reserves first, so a volume it cannot reserve is refused before the
        # connector is looked at. The driver is asked before anything is written, so a
        # bad connector changes nothing (Cinder keeps the reservation: a departure).
        reserve = _may_reserve(store, volume, instance_uuid)
        attachment_id = store.clock.new_id()
        connection_info = (build_connection_info(store, volume, attachment_id, connector,
                                                 caller.is_admin) if connector else {})
        if reserve:
            volume.status = RESERVED
            volume.updated_at = store.clock.now()
        now = store.clock.now()
        attachment = Attachment(id=attachment_id, volume_id=volume.id,
                                project_id=volume.project_id, instance_uuid=instance_uuid,
                                created_at=now, updated_at=now)
        store.add_attachment(attachment)
        response = copy.copy(attachment)
        if connector:
            _connect(store, volume, attachment, connector, connection_info)
        # Cinder's API saves its own copy last: attach_mode is what the caller asked for,
        # unless the volume has the deprecated readonly admin metadata, whatever its value
        # (a legacy os-attach writes "False", which still makes the attachment read-only).
        if volume.admin_metadata.get("readonly"):
            attach_mode = "ro"
        attachment.attach_mode = attach_mode
        attachment.connection_info = connection_info
        response.attach_mode = attach_mode
        response.connection_info = connection_info
        return response


# -- update (connect) -----------------------------------------------------------------------------
def update_attachment(store: Store, caller: Caller, attachment_id: str,
                      connector: dict[str, Any]) -> Attachment:
    """Connect a reserved (or already connected) attachment; returns the stale record
    with the new connection_info, as Cinder does."""
    with store.lock:
        attachment = get_attachment(store, caller, attachment_id)
        authorize(caller, "volume:attachment_update", attachment.project_id)
        volume = store.volumes[attachment.volume_id]
        if "error" in volume.status:
            raise ResourceConflict(
                "Volume attachments can not be updated if the volume is in an error state. "
                f"The Volume {volume.id} currently has a status of: {volume.status} ")
        siblings = store.volume_attachments(volume.id)
        if (len(siblings) > 1 and not is_multiattach(store, volume)
                and any(a.connection_info for a in siblings)):
            raise ResourceConflict(f"duplicate connectors detected on volume {volume.id}")
        connection_info = build_connection_info(store, volume, attachment.id, connector,
                                                caller.is_admin)
        response = copy.copy(attachment)
        _connect(store, volume, attachment, connector, connection_info)
        response.connection_info = connection_info
        return response


# -- complete -------------------------------------------------------------------------------------
def complete_attachment(store: Store, caller: Caller, attachment_id: str) -> None:
    with store.lock:
        attachment = get_attachment(store, caller, attachment_id)
        volume = store.volumes[attachment.volume_id]  # Cinder reads it as an admin
        authorize(caller, "volume:attachment_complete", attachment.project_id)
        now = store.clock.now()
        attachment.attach_status = ATTACHED
        attachment.updated_at = now
        volume.status = "in-use"
        volume.attach_status = ATTACHED
        volume.updated_at = now


# -- delete ---------------------------------------------------------------------------------------
def volume_statuses_from(attachments: Iterable[Attachment]) -> tuple[str, str]:
    """(status, attach_status) of a volume with these attachments, as Cinder derives them:
    errors ignored, then attached > attaching > detaching > reserved (alphabetical)."""
    live = [a.attach_status for a in attachments if not a.attach_status.startswith("error_")]
    attach_status = min(live) if live else DETACHED
    return _VOLUME_STATUS_FOR.get(attach_status, attach_status), attach_status


def _nova_uses(store: Store, attachment: Attachment) -> bool:
    """Whether Nova's block device mapping of the attachment's instance and volume names
    this attachment (what Cinder asks Nova): the fake's Nova's own mapping when it
    attached the volume (os-volume_attachments); else the fake's Nova knows every
    instance, and its mapping holds the newest connected attachment (Cinder deletes any
    other after asking Nova)."""
    mapping = next((b for b in store.block_devices.values()
                    if b.server_id == attachment.instance_uuid
                    and b.volume_id == attachment.volume_id), None)
    if mapping is not None:
        return mapping.attachment_id == attachment.id
    connected = [a for a in store.volume_attachments(attachment.volume_id)
                 if a.instance_uuid == attachment.instance_uuid and a.connection_info]
    return bool(connected) and connected[-1] is attachment


def check_deletion_allowed(store: Store, caller: Caller, attachment: Attachment,
                           protect_in_use: bool = True) -> None:
    """Cinder's attachment_deletion_allowed (bug 2004555): a connected attachment of an
    instance that Nova uses may only be deleted by a service (Nova with a service token)."""
    if (protect_in_use and not caller.is_service and attachment.instance_uuid
            and attachment.connection_info and _nova_uses(store, attachment)):
        raise NovaUsingAttachment(attachment.instance_uuid)


def detach_from_volume(store: Store, volume: Volume,
                       attachment: Attachment | None) -> list[Attachment]:
    """Cinder's finish_detach (db.volume_detached): remove the attachment (if any), derive
    the volume's statuses from the remaining ones and drop its attached_mode.

    Returns the volume's remaining attachments (live records)."""
    with store.lock:
        if attachment is not None:
            store.remove_attachment(attachment.id)
        remaining = store.volume_attachments(volume.id)
        status, attach_status = volume_statuses_from(remaining)
        volume.attach_status = attach_status
        if (attach_status != DETACHED
                or (not volume.migration_status and volume.status != "uploading")
                or volume.migration_status in ("success", "error")):
            volume.status = status
        volume.admin_metadata.pop("attached_mode", None)
        # Cinder's volume_detached writes the old updated_at back: it does not move.
        return remaining


def delete_attachment(store: Store, caller: Caller, attachment_id: str,
                      protect_in_use: bool = True) -> list[Attachment]:
    """Remove the attachment; returns the volume's remaining attachments.

    ``protect_in_use`` is Cinder's fix for bug 2004555: a connected attachment
    of an instance may only be deleted by a service (Nova with a service token).
    """
    with store.lock:
        attachment = get_attachment(store, caller, attachment_id)
        authorize(caller, "volume:attachment_delete", attachment.project_id)
        check_deletion_allowed(store, caller, attachment, protect_in_use)
        volume = store.volumes[attachment.volume_id]
        return [copy.copy(a) for a in detach_from_volume(store, volume, attachment)]


# -- list -----------------------------------------------------------------------------------------
def _matches(attachment: Attachment, filters: dict[str, str]) -> bool:
    for key, wanted in filters.items():
        value = getattr(attachment, MODEL_COLUMNS[key])
        if value is None or str(value) != wanted:
            return False
    return True


def _newest_first(lists: list[list[Attachment]],
                  before: tuple[str, str] | None) -> Iterator[Attachment]:
    """Merge per-project indexes (each oldest first) into one newest-first stream,
    starting just past ``before``; only what is consumed is touched."""
    def backwards(items: list[Attachment]) -> Iterator[Attachment]:
        end = len(items) if before is None else bisect.bisect_left(
            items, before, key=lambda a: a.sort_key)
        for index in range(end - 1, -1, -1):
            yield items[index]
    streams = [backwards(items) for items in lists if items]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda a: a.sort_key, reverse=True)


# The attachment columns an index may serve: those of scalar values (a connector or its
# connection info sorts as JSON text, as before).
INDEXABLE = frozenset({"id", "volume_id", "instance_uuid", "attached_host", "mountpoint",
                       "attached_at", "detached_at", "attach_status", "attach_mode",
                       "created_at", "updated_at"})


def attachment_source(store: Store) -> Source:
    return Source(store.attachment_index, store.project_attachments,
                  store.project_attachment, indexable=INDEXABLE)


def list_attachments(store: Store, caller: Caller, query: ListQuery,
                     render: Callable[[Attachment], Any] = copy.copy) -> list[Any]:
    """One page of attachments in Cinder's order, each passed through ``render``
    under the lock: copies by default; views (no copy needed) for the API."""
    with store.lock:
        if query.matches_nothing:
            return []
        marker = get_attachment(store, caller, query.marker) if query.marker else None
        check_sort_keys(query)
        projects = (list(store.attachment_projects()) if query.all_tenants
                    else [caller.project_id])
        filters = dict(query.filters)
        volume_id = filters.pop("volume_id", None)
        if volume_id is not None:
            # The per-volume index is small: use it rather than the project's.
            lists = [sorted((a for a in store.volume_attachments(volume_id)
                             if a.project_id in projects), key=lambda a: a.sort_key)]
        else:
            lists = [store.project_attachments(p) for p in projects]

        if query.default_order and not filters and len(lists) == 1:
            # The common page, newest first with nothing to filter: a slice of the index.
            items = lists[0]
            end = len(items) if marker is None else bisect.bisect_left(
                items, marker.sort_key, key=lambda a: a.sort_key)
            end -= query.offset
            start = max(end - query.limit, 0)
            return [render(a) for a in reversed(items[start:end])] if end > start else []
        if volume_id is None:
            # Other filters, or another order: the store's attachment indexes
            # (core/indexed_lists.py).
            lister = Lister(attachment_source(store), query, MODEL_COLUMNS, filters,
                            lambda a: _matches(a, filters), caller.is_admin)
            return [render(a) for a in lister.page(projects, marker)]
        if query.default_order:
            stream: Iterable[Attachment] = _newest_first(
                lists, marker.sort_key if marker else None)
        else:
            stream = sorted_after((a for items in lists for a in items), query, MODEL_COLUMNS,
                                  marker)
        page: list[Attachment] = []
        skipped = 0
        if query.limit == 0:
            return page
        for attachment in stream:
            if filters and not _matches(attachment, filters):
                continue
            if skipped < query.offset:
                skipped += 1
                continue
            page.append(render(attachment))
            if len(page) >= query.limit:
                break
        return page
