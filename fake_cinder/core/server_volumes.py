"""Nova's volume attachments of a server (os-volume_attachments) on the fake's own Cinder
records. Plain Python, never imports Flask.

Each call runs the Cinder calls Nova 34 makes, in its order, through the fake's core
functions (nova/compute/api.py, nova/conductor/manager.py, nova/compute/manager.py,
nova/virt/block_device.py):

- attach: ``attachment_create`` (no connector: a reservation), then the compute host's
  ``attachment_update`` with its connector and the mountpoint, then ``attachment_complete``;
- detach: ``os-begin_detaching``, then ``attachment_delete``;
- swap (only while Cinder migrates the old volume): ``os-begin_detaching`` of the old
  volume, the attach calls for the new one, ``attachment_delete`` of the old attachment
  and ``os-migrate_volume_completion``.

The compute host calls with the user's token and Nova's service token (Nova 34 sends
one), so Cinder's bug-2004555 protection lets it delete a connected attachment. Each
Cinder call made is reported to ``record`` (the API layer journals it) as a
``CinderCall``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import attachments as cinder_attachments
from . import volume_actions
from .context import Caller
from .directory import Server
from .errors import BadRequest, CinderError, Conflict, NotFound
from .models import BlockDeviceMapping
from .policy import authorize
from .store import Store
from .volumes import get_volume, is_multiattach


@dataclass(frozen=True, slots=True)
class CinderCall:
    """One call Nova made to Cinder: the operation (the fake's name of it), its method and
    path under /v3/{project_id}, its body and status, and the attachment it was about."""

    operation: str
    method: str
    path: str
    body: Any
    status: int
    attachment_id: str | None = None


Record = Callable[[CinderCall], None]
# nova/block_device.py match_device
_DEVICE = re.compile(r"(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$")
# Nova's libvirt driver names the root disk vda; attached volumes get the next letters.
_DEVICE_PREFIX = "/dev/vd"
MULTIATTACH_VERSION = "2.60"
# check_instance_state of the compute API's attach_volume/detach_volume and swap_volume.
ATTACH_STATES = ("active", "paused", "stopped", "resized", "soft_deleted", "shelved",
                 "shelved_offloaded")
SWAP_STATES = ("active", "paused", "resized")
SHELVED_STATES = ("shelved", "shelved_offloaded")
# Nova's server status for each vm_state that differs from it in more than case.
_VM_STATE_OF_STATUS = {"SHUTOFF": "stopped", "VERIFY_RESIZE": "resized",
                       "SOFT_DELETED": "soft_deleted", "SHELVED_OFFLOADED": "shelved_offloaded"}


def vm_state(server: Server) -> str:
    """Nova's vm_state of a server of the state (its status says it)."""
    return _VM_STATE_OF_STATUS.get(server.status.upper(), server.status.lower())


def _check_state(server: Server, action: str, allowed: tuple[str, ...],
                 shelved_allowed: bool = True) -> None:
    """Nova's 409 for a server in a state the action does not take (shelved ones only
    from 2.20: ``shelved_allowed``)."""
    state = vm_state(server)
    if state not in allowed or (state in SHELVED_STATES and not shelved_allowed):
        raise Conflict(f"Cannot '{action}' instance {server.id} while it is in vm_state "
                       f"{state}")


def connector(server: Server) -> dict[str, Any]:
    """The connector os-brick reports on the server's compute host (libvirt, iSCSI)."""
    return {"platform": "x86_64", "os_type": "linux", "ip": "192.0.2.10",
            "host": server.host, "multipath": False,
            "initiator": f"iqn.1993-08.org.debian:01:{server.host}",
            "do_local_attach": False}


def _compute_host(caller: Caller) -> Caller:
    """Nova's compute host calls Cinder with the user's token and its service token."""
    return replace(caller, service_roles=caller.service_roles | {"service"})


def _not_attached(server_id: str, volume_id: str) -> NotFound:
    return NotFound(f"Instance {server_id} is not attached to volume {volume_id}")


def _cinder_refusal(error: CinderError) -> CinderError:
    """How Nova reports Cinder's 400 on a volume call (translate_cinder_exception's
    InvalidInput, wrapped in InvalidVolume by the compute API)."""
    return BadRequest(f"Invalid volume: Invalid input received: {error.message} "
                      f"(HTTP {error.status})")


def server_mappings(store: Store, server_id: str) -> list[BlockDeviceMapping]:
    """The server's volume mappings, oldest first."""
    with store.lock:
        return sorted((b for b in store.block_devices.values() if b.server_id == server_id),
                      key=lambda b: (b.created_at, b.id))


def _mapping(store: Store, server_id: str, volume_id: str) -> BlockDeviceMapping | None:
    return next((b for b in store.block_devices.values()
                 if b.server_id == server_id and b.volume_id == volume_id), None)


def list_mappings(store: Store, caller: Caller, server: Server) -> list[BlockDeviceMapping]:
    authorize(caller, "os_compute_api:os-volumes-attachments:index", server.project_id)
    return server_mappings(store, server.id)


def get_mapping(store: Store, caller: Caller, server: Server,
                volume_id: str) -> BlockDeviceMapping:
    authorize(caller, "os_compute_api:os-volumes-attachments:show", server.project_id)
    with store.lock:
        found = _mapping(store, server.id, volume_id)
        if found is None:
            raise _not_attached(server.id, volume_id)
        return found


def _check_not_attached(store: Store, volume_id: str, multiattach: bool,
                        server_id: str) -> None:
    """compute API _check_volume_already_attached."""
    mappings = [b for b in store.block_devices.values() if b.volume_id == volume_id]
    if not mappings:
        return
    if not multiattach:
        servers = " ".join(b.server_id for b in mappings)
        raise BadRequest(f"Invalid volume: volume {volume_id} is already attached to "
                         f"instances: {servers}")
    if any(b.server_id == server_id for b in mappings):
        raise BadRequest(f"Invalid volume: volume {volume_id} already attached")


def _device_name(store: Store, server_id: str, wanted: str | None) -> str:
    """The requested device if free, else the server's next free /dev/vdX."""
    used = {b.device for b in store.block_devices.values() if b.server_id == server_id}
    if wanted:
        if wanted in used:
            raise Conflict(f"The supplied device path ({wanted}) is in use.")
        return wanted
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if _DEVICE_PREFIX + letter not in used:
            return _DEVICE_PREFIX + letter
    raise CinderError("The maximum allowed number of disk devices (26) to attach to a "
                      "single instance has been exceeded.", 403)


def _call(record: Record, operation: str, method: str, path: str, body: Any, status: int,
          attachment_id: str | None = None) -> None:
    record(CinderCall(operation, method, path, body, status, attachment_id))


def _connect(store: Store, caller: Caller, server: Server, attachment_id: str,
             device: str, record: Record) -> None:
    """The compute host's half of an attach: update with its connector, then complete."""
    host = _compute_host(caller)
    host_connector = {**connector(server), "mountpoint": device}
    cinder_attachments.update_attachment(store, host, attachment_id, host_connector)
    _call(record, "attachment_update", "PUT", f"attachments/{attachment_id}",
          {"attachment": {"connector": host_connector}}, 200, attachment_id)
    cinder_attachments.complete_attachment(store, host, attachment_id)
    _call(record, "attachment_complete", "POST", f"attachments/{attachment_id}/action",
          {"os-complete": None}, 204, attachment_id)


def attach(store: Store, caller: Caller, server: Server, volume_id: str, *,
           device: str | None = None, tag: str | None = None,
           delete_on_termination: bool = False, supports_multiattach: bool = False,
           supports_shelved: bool = True, record: Record) -> BlockDeviceMapping:
    """POST /servers/{id}/os-volume_attachments: reserve, connect, complete (a
    shelved-offloaded server, which has no host: reserve and complete)."""
    authorize(caller, "os_compute_api:os-volumes-attachments:create", server.project_id)
    _check_state(server, "attach_volume", ATTACH_STATES, supports_shelved)
    if device and not _DEVICE.match(device):
        raise BadRequest(f"The supplied device path ({device}) is invalid.")
    with store.lock:
        volume = get_volume(store, caller, volume_id)  # Cinder's 404: Nova's text too
        multiattach = is_multiattach(store, volume)
        _check_not_attached(store, volume.id, multiattach, server.id)
        if vm_state(server) == "shelved_offloaded":
            return _attach_offloaded(store, caller, server, volume.id, multiattach,
                                     delete_on_termination, tag, record)
        # The conductor reserves the device name before it checks the microversion.
        name = _device_name(store, server.id, device)
        if multiattach and not supports_multiattach:
            raise BadRequest("Multiattach volumes are only supported starting with compute "
                             f"API version {MULTIATTACH_VERSION}.")
        try:
            created = cinder_attachments.create_attachment(store, caller, volume.id,
                                                           server.id)
        except CinderError as error:
            raise _cinder_refusal(error) if error.status == 400 else error from None
        _call(record, "attachment_create", "POST", "attachments",
              {"attachment": {"volume_uuid": volume.id, "instance_uuid": server.id}},
              200, created.id)
        mapping = BlockDeviceMapping(
            id=store.clock.new_id(), server_id=server.id, project_id=server.project_id,
            volume_id=volume.id, attachment_id=created.id, device=name, tag=tag,
            delete_on_termination=delete_on_termination, created_at=store.clock.now())
        store.block_devices[mapping.id] = mapping
        _connect(store, caller, server, created.id, name, record)
        return mapping


def _attach_offloaded(store: Store, caller: Caller, server: Server, volume_id: str,
                      multiattach: bool, delete_on_termination: bool, tag: str | None,
                      record: Record) -> BlockDeviceMapping:
    """_attach_volume_shelved_offloaded: no compute host, so no connector; the attachment
    is completed at once to make the volume in-use (unshelving would connect it)."""
    if tag:
        raise BadRequest("Tagged volume attachment is not supported for shelved-offloaded "
                         "instances.")
    if multiattach:
        raise BadRequest("Attaching multiattach volumes is not supported for "
                         "shelved-offloaded instances.")
    try:
        created = cinder_attachments.create_attachment(store, caller, volume_id, server.id)
    except CinderError as error:
        raise _cinder_refusal(error) if error.status == 400 else error from None
    _call(record, "attachment_create", "POST", "attachments",
          {"attachment": {"volume_uuid": volume_id, "instance_uuid": server.id}}, 200,
          created.id)
    cinder_attachments.complete_attachment(store, caller, created.id)
    _call(record, "attachment_complete", "POST", f"attachments/{created.id}/action",
          {"os-complete": None}, 204, created.id)
    mapping = BlockDeviceMapping(
        id=store.clock.new_id(), server_id=server.id, project_id=server.project_id,
        volume_id=volume_id, attachment_id=created.id, device=None,
        delete_on_termination=delete_on_termination, created_at=store.clock.now())
    store.block_devices[mapping.id] = mapping
    return mapping


def detach(store: Store, caller: Caller, server: Server, volume_id: str, *,
           supports_shelved: bool = True, protect_in_use: bool = True,
           record: Record) -> None:
    """DELETE /servers/{id}/os-volume_attachments/{volume_id}: begin detaching, then
    delete the attachment and the mapping (a shelved-offloaded server's: only delete)."""
    authorize(caller, "os_compute_api:os-volumes-attachments:delete", server.project_id)
    _check_state(server, "detach_volume", ATTACH_STATES, supports_shelved)
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        mapping = _mapping(store, server.id, volume.id)
        if mapping is None:
            raise _not_attached(server.id, volume_id)
        if vm_state(server) == "shelved_offloaded" and mapping.attachment_id is not None:
            # _detach_volume_shelved_offloaded: its attachment was never connected.
            cinder_attachments.delete_attachment(store, _compute_host(caller),
                                                 mapping.attachment_id, protect_in_use)
            _call(record, "attachment_delete", "DELETE", f"attachments/{mapping.attachment_id}",
                  None, 200, mapping.attachment_id)
            del store.block_devices[mapping.id]
            return
        try:
            volume_actions.begin_detaching(store, caller, volume.id)
        except CinderError as error:
            raise _cinder_refusal(error) if error.status == 400 else error from None
        _call(record, "volume_begin_detaching", "POST", f"volumes/{volume.id}/action",
              {"os-begin_detaching": None}, 202)
        if mapping.attachment_id is not None:
            cinder_attachments.delete_attachment(store, _compute_host(caller),
                                                 mapping.attachment_id, protect_in_use)
            _call(record, "attachment_delete", "DELETE", f"attachments/{mapping.attachment_id}",
                  None, 200, mapping.attachment_id)
        del store.block_devices[mapping.id]


def update(store: Store, caller: Caller, server: Server, volume_id: str,
           changes: dict[str, Any], *, only_swap: bool, protect_in_use: bool = True,
           record: Record) -> None:
    """PUT /servers/{id}/os-volume_attachments/{volume_id}, as Nova's update: below 2.85
    (``only_swap``) always a swap; from 2.85 the mapping's properties first, then a swap
    if ``volumeId`` names another volume. A swap needs the swap policy."""
    new_volume_id = changes["volumeId"]
    swapping = only_swap or new_volume_id != volume_id
    if swapping:
        authorize(caller, "os_compute_api:os-volumes-attachments:swap")
    else:
        authorize(caller, "os_compute_api:os-volumes-attachments:update", server.project_id)
    with store.lock:
        if not only_swap:
            _update_properties(store, server, volume_id, changes)
        if swapping:
            _swap(store, caller, server, volume_id, new_volume_id, protect_in_use, record)


def _update_properties(store: Store, server: Server, volume_id: str,
                       changes: dict[str, Any]) -> None:
    """_update_volume_regular: only delete_on_termination may change."""
    mapping = _mapping(store, server.id, volume_id)
    if mapping is None:
        raise NotFound(f"No volume Block Device Mapping with id {volume_id}.")
    for key, current in (("id", volume_id), ("serverId", server.id),
                         ("device", mapping.device), ("tag", mapping.tag)):
        if key in changes and changes[key] != current:
            raise BadRequest(f"The {key} property is not mutable")
    if "delete_on_termination" in changes:
        mapping.delete_on_termination = bool(changes["delete_on_termination"])


def _read_write_attachments(store: Store, volume_id: str) -> int:
    """compute API _count_attachments_for_swap: with several, only the read/write ones."""
    found = store.volume_attachments(volume_id)
    if len(found) > 1:
        return sum(1 for a in found if a.attach_mode != "ro")
    return len(found)


def _swap(store: Store, caller: Caller, server: Server, old_volume_id: str,
          new_volume_id: str, protect_in_use: bool, record: Record) -> None:
    """_update_volume_swap and the compute API's and manager's swap_volume: Nova swaps
    only for Cinder, mid-migration of the old volume (else its 409)."""
    old = get_volume(store, caller, old_volume_id)
    if not old.migration_status:
        raise Conflict(f"volume {old_volume_id} is not migrating; this API should only "
                       "be called by Cinder")
    try:
        new = get_volume(store, caller, new_volume_id)
    except NotFound as error:
        raise BadRequest(error.message) from None  # a body's reference: 400
    if not any(a.instance_uuid == server.id for a in store.volume_attachments(old.id)):
        raise BadRequest("Invalid volume: Old volume is attached to a different instance.")
    _check_state(server, "swap_volume", SWAP_STATES)
    if new.attach_status == "attached":
        raise BadRequest("Invalid volume: New volume must be detached in order to swap.")
    if new.size < old.size:
        raise BadRequest("Invalid volume: New volume must be the same size or larger.")
    volume_actions.begin_detaching(store, caller, old.id)  # a migrating one: unchanged
    _call(record, "volume_begin_detaching", "POST", f"volumes/{old.id}/action",
          {"os-begin_detaching": None}, 202)
    if _read_write_attachments(store, old.id) > 1:
        volume_actions.roll_detaching(store, caller, old.id)
        raise BadRequest("Swapping multi-attach volumes with more than one read/write "
                         "attachment is not supported.")
    mapping = _mapping(store, server.id, old.id)
    if mapping is None:
        volume_actions.roll_detaching(store, caller, old.id)
        raise NotFound(f"No volume Block Device Mapping with id {old.id}.")
    try:
        _check_not_attached(store, new.id, is_multiattach(store, new), server.id)
    except BadRequest:
        volume_actions.roll_detaching(store, caller, old.id)
        raise
    created = cinder_attachments.create_attachment(store, caller, new.id, server.id)
    _call(record, "attachment_create", "POST", "attachments",
          {"attachment": {"volume_uuid": new.id, "instance_uuid": server.id}}, 200, created.id)
    _connect(store, caller, server, created.id, mapping.device or "", record)
    host = _compute_host(caller)
    if mapping.attachment_id is not None:
        cinder_attachments.delete_attachment(store, host, mapping.attachment_id,
                                             protect_in_use)
        _call(record, "attachment_delete", "DELETE", f"attachments/{mapping.attachment_id}",
              None, 200, mapping.attachment_id)
    kept = new.id
    if old.migration_status == "migrating":
        # Cinder's migration: the old id names the migrated volume from now on.
        kept = volume_actions.migrate_volume_completion(
            store, replace(host, roles=host.roles | {"admin"}), old.id, new.id,
            protect_in_use=protect_in_use)
        _call(record, "volume_migrate_completion", "POST", f"volumes/{old.id}/action",
              {"os-migrate_volume_completion": {"new_volume": new.id, "error": False}}, 200)
    mapping.volume_id = kept
    mapping.attachment_id = created.id
