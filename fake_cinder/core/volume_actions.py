"""Cinder's volume actions: detaching, the legacy attach flow, force detach, extend,
migration completion and reimage (cinder/api/contrib/volume_actions.py and
admin_actions.py over cinder/volume/api.py and manager.py).

The legacy flow writes the same attachment records as the attachments API (Cinder
keeps one volume_attachment table): one state machine, one set of multiattach rules
and one delete protection for both. Every function runs under the store lock, so a
check and the write it guards are one step.

Errors that real Cinder raises in its volume service (an RPC call) reach the API as
rebuilt exceptions whose text also carries the service's traceback; the fake sends
the message alone.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import quotas, volume_images
from .attachments import (
    check_deletion_allowed,
    connection_properties,
    detach_from_volume,
)
from .context import Caller
from .errors import (
    BadRequest,
    Conflict,
    InvalidInput,
    InvalidVolume,
    NovaUsingAttachment,
)
from .models import ATTACHED, ATTACHING, DETACHED, Attachment, Volume, VolumeType
from .policy import authorize
from .store import Store
from .volumes import get_volume, is_multiattach, is_readonly

# Cinder's AVAILABLE_MIGRATION_STATUS: a volume with one of these is not migrating.
NOT_MIGRATING = (None, "deleting", "error", "success")
# The policy of each action (core.policy's table: a reader gets 403 for most).
BEGIN_DETACHING_POLICY = "volume_extension:volume_actions:begin_detaching"
ROLL_DETACHING_POLICY = "volume_extension:volume_actions:roll_detaching"
RESERVE_POLICY = "volume_extension:volume_actions:reserve"
INITIALIZE_CONNECTION_POLICY = "volume_extension:volume_actions:initialize_connection"
TERMINATE_CONNECTION_POLICY = "volume_extension:volume_actions:terminate_connection"
ATTACH_POLICY = "volume_extension:volume_actions:attach"
DETACH_POLICY = "volume_extension:volume_actions:detach"
UPDATE_READONLY_FLAG_POLICY = "volume:update_readonly_flag"
EXTEND_POLICY = "volume:extend"
EXTEND_ATTACHED_POLICY = "volume:extend_attached_volume"
REIMAGE_POLICY = "volume:reimage"
REIMAGE_RESERVED_POLICY = "volume:reimage_reserved"
UNRESERVE_POLICY = "volume_extension:volume_actions:unreserve"
FORCE_DETACH_POLICY = "volume_extension:volume_admin_actions:force_detach"
MIGRATE_COMPLETE_POLICY = "volume_extension:volume_admin_actions:migrate_volume_completion"
# Volume type extra specs that bound a volume's size (Cinder's provision_filter_on_size).
MIN_SIZE_SPEC = "provisioning:min_vol_size"
MAX_SIZE_SPEC = "provisioning:max_vol_size"


def _set_status(store: Store, volume: Volume, status: str) -> None:
    """Cinder's conditional_update: the status changes and updated_at moves."""
    volume.status = status
    volume.updated_at = store.clock.now()


def _authorized_volume(store: Store, caller: Caller, volume_id: str, policy: str) -> Volume:
    """The volume (404 when the caller may not read it), then the action's policy on it,
    as Cinder checks it after loading the volume."""
    volume = get_volume(store, caller, volume_id)
    authorize(caller, policy, volume.project_id)
    return volume


def _refuse_in_maintenance(volume: Volume, message: str) -> None:
    if volume.status == "maintenance":
        raise InvalidVolume(message)


# -- detaching ------------------------------------------------------------------------------------
def begin_detaching(store: Store, caller: Caller, volume_id: str) -> None:
    """in-use and attached -> detaching; a migrating volume is left alone silently."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, BEGIN_DETACHING_POLICY)
        if volume.migration_status not in NOT_MIGRATING:
            return  # Cinder hides the detach of a migrating volume
        if volume.status != "in-use" or volume.attach_status != ATTACHED:
            raise InvalidVolume("Unable to detach volume. Volume status must be 'in-use' and "
                                "attach_status must be 'attached' to detach.")
        _set_status(store, volume, "detaching")


def roll_detaching(store: Store, caller: Caller, volume_id: str) -> None:
    """detaching -> in-use; any other status is left as it is (still 202)."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, ROLL_DETACHING_POLICY)
        if volume.status == "detaching":
            _set_status(store, volume, "in-use")


# -- the legacy attach flow: reserve, connect, attach, detach -------------------------------------
def reserve(store: Store, caller: Caller, volume_id: str) -> None:
    """os-reserve: available (or in-use, when multiattach) -> attaching."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, RESERVE_POLICY)
        allowed = ("available", "in-use") if is_multiattach(store, volume) else ("available",)
        if volume.status not in allowed:
            raise InvalidVolume(f"Volume status must be {' or '.join(allowed)} to reserve, "
                                f"but the status is {volume.status}.")
        _set_status(store, volume, ATTACHING)


def _unreserve(store: Store, volume: Volume) -> None:
    """attaching -> in-use when it has a live attachment, else available; otherwise no-op."""
    if volume.status != ATTACHING:
        return
    attached = any(a.attach_status != DETACHED for a in store.volume_attachments(volume.id))
    _set_status(store, volume, "in-use" if attached else "available")


def unreserve(store: Store, caller: Caller, volume_id: str) -> None:
    with store.lock:
        _unreserve(store, _authorized_volume(store, caller, volume_id, UNRESERVE_POLICY))


def initialize_connection(store: Store, caller: Caller, volume_id: str,
                          connector: dict[str, Any] | str) -> dict[str, Any]:
    """The driver's connection properties for this host; changes no state."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, INITIALIZE_CONNECTION_POLICY)
        _refuse_in_maintenance(volume, "The volume connection cannot be initialized in "
                                       "maintenance mode.")
        # A string connector has none of the keys a driver requires.
        host = connector if isinstance(connector, dict) else {}
        info = connection_properties(store, volume, host, caller.is_admin)
        multipath = host.get("enforce_multipath", False)
        info["data"]["enforce_multipath"] = multipath  # the manager's
        info["enforce_multipath"] = multipath  # and the API's own copy
        return info


def _visible_attachment(store: Store, caller: Caller, attachment_id: str) -> Attachment | None:
    """The attachment with this id if the caller may see it (Cinder's project_only lookup)."""
    attachment = store.attachments.get(attachment_id)
    if attachment is None or not caller.can_see(attachment.project_id):
        return None
    return attachment


def _check_detach_allowed(store: Store, caller: Caller, volume: Volume,
                          attachment_id: str | None, protect_in_use: bool) -> None:
    """Cinder's attachment_deletion_allowed for a volume action (bug 2004555): without a
    service token, the attachment must be known and not connected to an instance."""
    if not protect_in_use or caller.is_service:
        return
    attachment: Attachment | None = None
    if not attachment_id:
        attachments = store.volume_attachments(volume.id)
        if not attachments:
            return
        if len(attachments) == 1:
            attachment = attachments[0]
    else:
        attachment = _visible_attachment(store, caller, attachment_id)
    if attachment is None:
        # Cinder cannot tell which instance: it refuses with an empty instance id.
        raise NovaUsingAttachment("")
    if attachment.volume_id != volume.id:
        raise InvalidInput("Mismatched volume and attachment")
    check_deletion_allowed(store, caller, attachment)


def terminate_connection(store: Store, caller: Caller, volume_id: str,
                         protect_in_use: bool = True) -> None:
    """The driver forgets the host (nothing to do in the fake), then os-unreserve."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, TERMINATE_CONNECTION_POLICY)
        _check_detach_allowed(store, caller, volume, None, protect_in_use)
        _unreserve(store, volume)


def sanitize_hostname(hostname: str) -> str:
    """Cinder's volume_utils.sanitize_hostname (RFC 952/1123), as os-attach stores it."""
    name = hostname.encode("latin-1", "ignore").decode("latin-1")
    name = re.sub(r"[ _]", "-", name)
    name = re.sub(r"[^\w.-]+", "", name)
    return name.lower().strip(".-")


def _attach_in_manager(store: Store, caller: Caller, volume: Volume,
                       instance_uuid: str | None, host_name: str | None, mountpoint: str,
                       mode: str) -> Attachment:
    """The volume manager's attach_volume: find or create the attachment, mark it attached."""
    attached_mode = volume.admin_metadata.get("attached_mode")
    if volume.status == ATTACHING and attached_mode and attached_mode != mode:
        raise InvalidVolume("being attached by different mode")
    host = sanitize_hostname(host_name) if host_name else None
    for existing in store.volume_attachments(volume.id):
        same = (existing.instance_uuid == instance_uuid if instance_uuid
                else existing.attached_host == host)
        if same and existing.attach_status != DETACHED:
            # Already tracked (either flow): Cinder marks the volume in-use, nothing else;
            # but saving the volume fails for a non-admin caller (its lazily loaded admin
            # metadata is written as a column): a 500. The fake refuses it clearly.
            if not caller.is_admin:
                raise InvalidVolume(
                    f"volume {volume.id} is already attached to "
                    f"{instance_uuid or host}; Cinder 29 fails this request with a 500 "
                    "unless an admin sends it")
            _set_status(store, volume, "in-use")
            return existing
    if (volume.status == "in-use" and not is_multiattach(store, volume)
            and not volume.migration_status):
        raise InvalidVolume("volume is already attached and multiple attachments are not "
                            "enabled")
    now = store.clock.now()
    # begin_attach: an 'attaching' record and the volume's attached_mode ...
    attachment = store.add_attachment(Attachment(
        id=store.clock.new_id(), volume_id=volume.id, project_id=volume.project_id,
        attach_status=ATTACHING, connection_info=None, created_at=now, updated_at=now))
    volume.admin_metadata["attached_mode"] = mode
    # ... then finish_attach (db.volume_attached).
    attachment.instance_uuid = instance_uuid
    attachment.attached_host = host
    attachment.mountpoint = mountpoint
    attachment.attached_at = now
    attachment.attach_mode = mode
    attachment.attach_status = ATTACHED
    volume.status = "in-use"
    volume.attach_status = ATTACHED
    volume.updated_at = now
    return attachment


def _attach(store: Store, caller: Caller, volume: Volume, instance_uuid: str | None,
            host_name: str | None, mountpoint: str, mode: str) -> Attachment:
    """Cinder's API.attach: the maintenance and readonly checks, then the manager."""
    _refuse_in_maintenance(volume, "The volume cannot be attached in maintenance mode.")
    # Written even when the attach then fails.
    volume.admin_metadata.setdefault("readonly", "False")
    if is_readonly(volume) and mode != "ro":
        raise BadRequest(f"Invalid attaching mode '{mode}' for volume {volume.id}.")
    return _attach_in_manager(store, caller, volume, instance_uuid, host_name, mountpoint,
                              mode)


def attach(store: Store, caller: Caller, volume_id: str, instance_uuid: str | None,
           host_name: str | None, mountpoint: str, mode: str = "rw") -> Attachment:
    """os-attach: record the attachment as attached (a copy of it is returned)."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, ATTACH_POLICY)
        return copy.copy(_attach(store, caller, volume, instance_uuid, host_name, mountpoint,
                                 mode))


def _detach_in_manager(store: Store, caller: Caller, volume: Volume,
                       attachment_id: str | None) -> None:
    """The volume manager's detach_volume."""
    if attachment_id:
        attachment = _visible_attachment(store, caller, attachment_id)
        if attachment is None:
            # Not attached after all: the volume's statuses are put right all the same.
            detach_from_volume(store, volume, None)
            return
    else:
        attachments = store.volume_attachments(volume.id)
        if len(attachments) > 1:
            raise InvalidVolume("Detach volume failed: More than one attachment, but no "
                                "attachment_id provided.")
        if not attachments:
            volume.status = "available"
            volume.attach_status = DETACHED
            volume.updated_at = store.clock.now()
            return
        attachment = attachments[0]
    detach_from_volume(store, volume, attachment)


def _detach(store: Store, caller: Caller, volume: Volume, attachment_id: str | None,
            protect_in_use: bool) -> None:
    """Cinder's API.detach: the delete protection and maintenance check, then the manager."""
    _check_detach_allowed(store, caller, volume, attachment_id, protect_in_use)
    _refuse_in_maintenance(volume, "The volume cannot be detached in maintenance mode.")
    _detach_in_manager(store, caller, volume, attachment_id)


def detach(store: Store, caller: Caller, volume_id: str, attachment_id: str | None,
           protect_in_use: bool = True) -> None:
    """os-detach: remove the attachment (the only one when no id is given)."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, DETACH_POLICY)
        _detach(store, caller, volume, attachment_id, protect_in_use)


def force_detach(store: Store, caller: Caller, volume_id: str, attachment_id: str | None,
                 protect_in_use: bool = True) -> None:
    """os-force_detach (admin): os-terminate_connection, then os-detach. As in Cinder, a
    refused detach leaves the terminate's unreserve in place."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, FORCE_DETACH_POLICY)
        _check_detach_allowed(store, caller, volume, None, protect_in_use)
        _unreserve(store, volume)
        _detach(store, caller, volume, attachment_id, protect_in_use)


# -- readonly flag --------------------------------------------------------------------------------
def update_readonly_flag(store: Store, caller: Caller, volume_id: str, readonly: bool) -> None:
    """os-update_readonly_flag: the readonly admin metadata of an available volume."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, UPDATE_READONLY_FLAG_POLICY)
        if volume.status != "available":
            raise InvalidVolume(f"Volume {volume.id} status must be available to update "
                                f"readonly flag, but current status is: {volume.status}.")
        volume.admin_metadata["readonly"] = str(readonly)


# -- extend ---------------------------------------------------------------------------------------
def _check_size_limits(store: Store, volume: Volume, size: int) -> None:
    check_type_size_limits(store.volume_types.get(volume.volume_type_id or ""), size)


def check_type_size_limits(volume_type: VolumeType | None, size: int) -> None:
    """Cinder's provision_filter_on_size: the volume type's min and max sizes."""
    if volume_type is None:
        return
    min_size = volume_type.extra_specs.get(MIN_SIZE_SPEC)
    if min_size and min_size.isdigit() and size < int(min_size):
        raise InvalidInput(f"Specified volume size of '{size}' is less than the minimum "
                           f"required size of '{min_size}' for volume type "
                           f"'{volume_type.name}'.")
    max_size = volume_type.extra_specs.get(MAX_SIZE_SPEC)
    if max_size and max_size.isdigit() and size > int(max_size):
        raise InvalidInput(f"Specified volume size of '{size}' is greater than the maximum "
                           f"allowable size of '{max_size}' for volume type "
                           f"'{volume_type.name}'.")


def extend(store: Store, caller: Caller, volume_id: str, new_size: int,
           in_use_allowed: bool, failing: bool = False) -> None:
    """os-extend: the volume is ``extending`` until the volume_extend transition ends
    with the new size (``failing``: ``error_extending``, the size unchanged).
    ``in_use_allowed`` (3.42 and later): an in-use volume takes Cinder's
    extend_attached_volume path."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        attached = in_use_allowed and volume.status == "in-use"
        authorize(caller, EXTEND_ATTACHED_POLICY if attached else EXTEND_POLICY,
                  volume.project_id)
        if new_size <= volume.size:
            raise InvalidInput(f"New size for extend must be greater than current size. "
                               f"(current: {volume.size}, extended: {new_size}).")
        _check_size_limits(store, volume, new_size)
        expected = {"status": "in-use" if attached else "available"}
        if volume.status != expected["status"]:
            # Cinder formats its whole condition, a dict, into the message.
            raise InvalidVolume(f"Volume {volume.id} status must be '{expected}' to extend, "
                                f"currently {volume.status}.")
        # Then the quotas: the per-volume limit and the reservation of the increase.
        quotas.check_volume_extend(store, caller.project_id, volume.project_id, new_size,
                                   new_size - volume.size,
                                   store.volume_types.get(volume.volume_type_id or ""))
        # The manager's extend_volume_completion sets the size.
        volume.previous_status = volume.status
        store.transitions.begin("volume_extend", volume, failing=failing,
                                changes={"size": new_size})


# -- reimage --------------------------------------------------------------------------------------
def reimage(store: Store, caller: Caller, volume_id: str, image_id: str,
            reimage_reserved: bool = False, failing: bool = False) -> None:
    """os-reimage (3.68): Glance must show the image (404 first), which must fit the
    volume (Cinder's check_image_metadata); then ``downloading`` until the volume_reimage
    transition puts the status back (``failing``: ``error``)."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        image = volume_images.image_for_reimage(store, caller, image_id)
        authorize(caller, REIMAGE_RESERVED_POLICY if volume.status == "reserved"
                  else REIMAGE_POLICY, volume.project_id)
        if len(store.volume_attachments(volume.id)) > 1:
            raise Conflict("Cannot re-image a volume which is attached to more than one "
                           "server.")
        allowed = (("available", "error", "reserved") if reimage_reserved
                   else ("available", "error"))
        if volume.status not in allowed:
            raise InvalidVolume(f"Volume {volume.id} status must be {' or '.join(allowed)}, "
                                f"but current status is {volume.status}.")
        volume_images.check_image_fits(image, volume.size)
        # downloading, then the manager puts the previous status back.
        volume.previous_status = volume.status
        volume_images.reimaged(store, volume, image)
        store.transitions.begin("volume_reimage", volume, failing=failing)


# -- migration completion -------------------------------------------------------------------------
# Volume fields that stay with the record when a migration swaps source and destination.
_NOT_SWAPPED = ("id", "project_id", "admin_metadata")


def _finish_migration(store: Store, caller: Caller, volume: Volume, new_volume: Volume,
                      error: bool) -> str:
    """The volume manager's migrate_volume_completion for a volume mid-migration."""
    original_status = volume.previous_status or volume.status
    if error:
        store.remove_volume(new_volume.id)
        volume.migration_status = "error"
        volume.status = original_status
        volume.updated_at = store.clock.now()
        return volume.id
    volume.migration_status = "completing"
    detached: list[Attachment] = []
    if original_status == "in-use" and volume.status != "available":
        for attachment in store.volume_attachments(volume.id):
            detached.append(copy.copy(attachment))
            _detach_in_manager(store, caller, volume, attachment.id)
    # finish_volume_migration: the source id now names the migrated volume.
    for name in Volume.__slots__:
        if name in _NOT_SWAPPED:
            continue
        mine, theirs = getattr(volume, name), getattr(new_volume, name)
        setattr(volume, name, theirs)
        setattr(new_volume, name, mine)
    volume.migration_status = None
    status_after_swap = volume.status
    if original_status == "in-use" and status_after_swap in ("available", "reserved",
                                                               ATTACHING):
        for attachment in detached:
            _attach_in_manager(store, caller, volume, attachment.instance_uuid,
                               attachment.attached_host, attachment.mountpoint or "",
                               attachment.attach_mode or "rw")
    volume.status = original_status
    volume.previous_status = status_after_swap
    volume.migration_status = "success"
    volume.updated_at = store.clock.now()
    for attachment in store.volume_attachments(new_volume.id):
        store.move_attachment(attachment, volume.id)
    store.remove_volume(new_volume.id)
    return volume.id


def migrate_volume_completion(store: Store, caller: Caller, volume_id: str,
                              new_volume_id: str, error: bool = False,
                              protect_in_use: bool = True) -> str:
    """os-migrate_volume_completion (admin); returns the id Nova keeps (save_volume_id).

    Neither volume migrating (Nova's own swap): each attachment of the old volume is
    detached and attached again to the new one, through Cinder's detach and attach."""
    with store.lock:
        volume = _authorized_volume(store, caller, volume_id, MIGRATE_COMPLETE_POLICY)
        new_volume = get_volume(store, caller, new_volume_id)
        if not (volume.migration_status or new_volume.migration_status):
            if not error:
                for attachment in store.volume_attachments(volume.id):
                    _detach(store, caller, volume, attachment.id, protect_in_use)
                    _attach(store, caller, new_volume, attachment.instance_uuid,
                            attachment.attached_host, attachment.mountpoint or "", "rw")
            return new_volume.id
        if not volume.migration_status:
            raise InvalidVolume("Source volume not mid-migration.")
        if not new_volume.migration_status:
            raise InvalidVolume("Destination volume not mid-migration.")
        expected = f"target:{volume.id}"
        if new_volume.migration_status != expected:
            raise InvalidVolume(f"Destination has migration_status "
                                f"{new_volume.migration_status}, expected {expected}.")
        return _finish_migration(store, caller, volume, new_volume, error)
