"""User messages (cinder/message/): what went wrong in the background, for the project
whose request it was.

Other parts of the fake record a message where Cinder's services record one, by calling
``record`` with one of Cinder's actions and details (``Action``, ``Detail``), e.g. the
scheduler's "no valid backend"::

    messages.record(store, project_id, messages.Action.SCHEDULE_ALLOCATE_VOLUME,
                    resource_uuid=volume.id, detail=messages.Detail.NO_BACKEND_AVAILABLE)

A message's event id is ``VOLUME_<resource type>_<action id>_<detail id>`` and its
text ``<action>:<detail>``, as Cinder builds them. Messages live ``MESSAGE_TTL``
seconds by their ``guaranteed_until``; the fake never reaps them (Cinder's scheduler
does, once a day).
"""

from __future__ import annotations

import datetime as _dt

from .clock import TIMESTAMP_FORMAT, format_timestamp
from .context import Caller
from .errors import NotFound
from .listing import ListQuery, check_sort_keys, sorted_after
from .models import Message
from .policy import authorize
from .store import Store

MESSAGE_TTL = 2592000  # Cinder's message_ttl default: 30 days, in seconds
# Cinder's message_field.Resource.
VOLUME, VOLUME_SNAPSHOT, VOLUME_BACKUP = "VOLUME", "VOLUME_SNAPSHOT", "VOLUME_BACKUP"
# resource_filters.json "message": what non-admins may filter message lists by.
ALLOWED_FILTERS = frozenset({"resource_uuid", "resource_type", "event_id", "request_id",
                             "message_level"})
# Cinder's Message columns (filters and sort keys) mapped to the fake's attribute names.
MODEL_COLUMNS = {name: name for name in (
    "id", "project_id", "request_id", "resource_type", "resource_uuid", "event_id",
    "detail_id", "action_id", "message_level", "created_at", "expires_at")}

Field = tuple[str, str]  # (id, text): one of Cinder's actions or details


class Action:
    """Cinder's message_field.Action: what was being done."""

    SCHEDULE_ALLOCATE_VOLUME: Field = ("001", "schedule allocate volume")
    ATTACH_VOLUME: Field = ("002", "attach volume")
    COPY_VOLUME_TO_IMAGE: Field = ("003", "copy volume to image")
    UPDATE_ATTACHMENT: Field = ("004", "update attachment")
    COPY_IMAGE_TO_VOLUME: Field = ("005", "copy image to volume")
    UNMANAGE_VOLUME: Field = ("006", "unmanage volume")
    EXTEND_VOLUME: Field = ("007", "extend volume")
    CREATE_VOLUME_FROM_BACKEND: Field = ("008", "create volume from backend storage")
    SNAPSHOT_CREATE: Field = ("009", "create snapshot")
    SNAPSHOT_DELETE: Field = ("010", "delete snapshot")
    SNAPSHOT_UPDATE: Field = ("011", "update snapshot")
    SNAPSHOT_METADATA_UPDATE: Field = ("012", "update snapshot metadata")
    BACKUP_CREATE: Field = ("013", "create backup")
    BACKUP_DELETE: Field = ("014", "delete backup")
    BACKUP_RESTORE: Field = ("015", "restore backup")
    REIMAGE_VOLUME: Field = ("016", "reimage volume")


class Detail:
    """Cinder's message_field.Detail: what went wrong."""

    UNKNOWN_ERROR: Field = ("001", "An unknown error occurred.")
    DRIVER_NOT_INITIALIZED: Field = ("002", "Driver is not initialized at present.")
    NO_BACKEND_AVAILABLE: Field = ("003", "Could not find any available weighted backend.")
    FAILED_TO_UPLOAD_VOLUME: Field = ("004", "Failed to upload volume to image at backend.")
    VOLUME_ATTACH_MODE_INVALID: Field = ("005", "Volume's attach mode is invalid.")
    QUOTA_EXCEED: Field = ("006", "Not enough quota resource for operation.")
    NOT_ENOUGH_SPACE_FOR_IMAGE: Field = ("007", "Image used for creating volume exceeds "
                                                "available space.")
    UNMANAGE_ENC_NOT_SUPPORTED: Field = ("008", "Unmanaging encrypted volumes is not "
                                                "supported.")
    NOTIFY_COMPUTE_SERVICE_FAILED: Field = ("009", "Compute service failed to extend volume.")
    DRIVER_FAILED_EXTEND: Field = ("010", "Volume Driver failed to extend volume.")
    SIGNATURE_VERIFICATION_FAILED: Field = ("011", "Image signature verification failed.")
    DRIVER_FAILED_CREATE: Field = ("012", "Driver failed to create the volume.")
    SNAPSHOT_CREATE_ERROR: Field = ("013", "Snapshot failed to create.")
    SNAPSHOT_UPDATE_METADATA_FAILED: Field = ("014", "Volume snapshot update metadata failed.")
    SNAPSHOT_IS_BUSY: Field = ("015", "Snapshot is busy.")
    SNAPSHOT_DELETE_ERROR: Field = ("016", "Snapshot failed to delete.")
    BACKUP_INVALID_STATE: Field = ("017", "Backup status is invalid.")
    BACKUP_SERVICE_DOWN: Field = ("018", "Backup service is down.")
    BACKUP_CREATE_DEVICE_ERROR: Field = ("019", "Failed to get backup device from the volume "
                                                "service.")
    BACKUP_CREATE_DRIVER_ERROR: Field = ("020", "Backup driver failed to create backup.")
    ATTACH_ERROR: Field = ("021", "Failed to attach volume.")
    DETACH_ERROR: Field = ("022", "Failed to detach volume.")
    BACKUP_CREATE_CLEANUP_ERROR: Field = ("023", "Cleanup of temporary volume/snapshot "
                                                 "failed.")
    BACKUP_SCHEDULE_ERROR: Field = ("024", "Backup failed to schedule. Service not found for "
                                           "creating backup.")
    BACKUP_DELETE_DRIVER_ERROR: Field = ("025", "Backup driver failed to delete backup.")
    BACKUP_RESTORE_ERROR: Field = ("026", "Backup driver failed to restore backup.")
    VOLUME_INVALID_STATE: Field = ("027", "Volume status is invalid.")
    REIMAGE_VOLUME_FAILED: Field = ("028", "Compute service failed to reimage volume.")
    IMAGE_FORMAT_UNACCEPTABLE: Field = ("029", "The image disk format must be the same as "
                                               "the volume format for the volume type you "
                                               "are requesting.")
    INCREMENTAL_BACKUP_FORCES_FULL_BACKUP: Field = ("030", "Incremental backup not possible, "
                                                           "forcing full backup.")


def _fields(cls: type) -> dict[str, str]:
    return {value[0]: value[1] for name, value in vars(cls).items() if name.isupper()}


ACTIONS = _fields(Action)
DETAILS = _fields(Detail)
# Messages recorded with an event id and no action (Cinder's defined_messages).
EVENT_TEXTS = {
    "VOLUME_000001": "An unknown error occurred.",
    "VOLUME_000002": ("No storage could be allocated for this volume request. You may be "
                      "able to try another size or volume type."),
    "VOLUME_000003": "A readonly volume must be attached as readonly.",
    "VOLUME_000004": ("Failed to copy volume to image as image quota has been met. Please "
                      "delete images or have your limit increased, then try again."),
    "VOLUME_000005": "Unmanaging encrypted volumes is not supported.",
}


class MessageNotFound(NotFound):
    def __init__(self, message_id: str) -> None:
        super().__init__(f"Message {message_id} could not be found.")


def _expiry(created_at: str) -> str:
    moment = _dt.datetime.strptime(created_at, TIMESTAMP_FORMAT)
    return format_timestamp(moment + _dt.timedelta(seconds=MESSAGE_TTL))


def record(store: Store, project_id: str, action: Field, *, resource_uuid: str | None = None,
           resource_type: str = VOLUME, detail: Field = Detail.UNKNOWN_ERROR,
           request_id: str | None = None, level: str = "ERROR") -> Message:
    """Record a user message for ``project_id`` (Cinder's message API create) and return
    it. ``request_id``: the request that failed (``req-...``), when known."""
    with store.lock:
        now = store.clock.now()
        message = Message(
            id=store.clock.new_id(), project_id=project_id, action_id=action[0],
            detail_id=detail[0], event_id=f"VOLUME_{resource_type}_{action[0]}_{detail[0]}",
            resource_type=resource_type, resource_uuid=resource_uuid, request_id=request_id,
            message_level=level, created_at=now, expires_at=_expiry(now))
        store.messages[message.id] = message
        return message


def user_message(message: Message) -> str:
    """Cinder's text of a message: ``<action>:<detail>``, or the event's own text."""
    if not message.action_id and message.event_id in EVENT_TEXTS:
        return EVENT_TEXTS[message.event_id]
    action = ACTIONS.get(message.action_id, "unknown action")
    return f"{action}:{DETAILS.get(message.detail_id, Detail.UNKNOWN_ERROR[1])}"


def _find(store: Store, caller: Caller, message_id: str) -> Message:
    """Other projects' messages are invisible to non-admins."""
    message = store.messages.get(message_id)
    if message is None or not caller.can_see(message.project_id):
        raise MessageNotFound(message_id)
    return message


def get_message(store: Store, caller: Caller, message_id: str,
                policy: str = "message:get") -> Message:
    """The live record, once ``policy`` allows the caller (404 first, then 403)."""
    with store.lock:
        message = _find(store, caller, message_id)
        authorize(caller, policy, message.project_id)
        return message


def delete_message(store: Store, caller: Caller, message_id: str) -> None:
    with store.lock:
        message = get_message(store, caller, message_id, policy="message:delete")
        del store.messages[message.id]


def list_messages(store: Store, caller: Caller, query: ListQuery | None) -> list[Message]:
    """Cinder's message list. Its database query of messages is not limited to the
    caller's project (only a show is): every project's messages are listed. Without a
    ``query`` (before 3.5) no parameter counts: newest first, all of them."""
    authorize(caller, "message:get_all")
    query = query or ListQuery()
    with store.lock:
        if query.matches_nothing:
            return []
        marker = _find(store, caller, query.marker) if query.marker else None
        check_sort_keys(query, MODEL_COLUMNS)
        ordered = sorted_after(store.messages.values(), query, MODEL_COLUMNS, marker)
        matching = [m for m in ordered
                    if all(getattr(m, MODEL_COLUMNS[k]) == v for k, v in query.filters.items())]
        return matching[query.offset:query.offset + query.limit]
