"""A resource the fake has never seen, taken from the cloud's answer into the fake's state.

The shadow's fake starts empty (or with ``--fixtures``); the cloud has what was made before
the shadow started, or along another path. When a request names such a resource and the
cloud's answer shows it (``{"snapshot": {...}}``, or a detailed list that holds it), the
record that answer describes is added to the fake before the request is replayed: volumes
through ``FakeCinder.add_volume`` (the fake's scheduler places them), every other kind as a
state record through ``FakeCinder.load(..., replace=False)`` (checked, all or nothing,
under the store's lock). A transfer is taken when the consumer accepts it (no answer
shows its key; the cloud took the one the accept presents). A kind with no rule here
(backups, group snapshots, QoS specs...), a resource that depends on one the fake lacks, or
one the cloud is still working on, stays unknown: ``Unadoptable`` says why, and the shadow reports
the comparison "not compared: unknown resource".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..fake import FakeCinder
from .compare import UNSETTLED

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}")


class Unadoptable(Exception):
    """Why a resource the cloud shows cannot be taken into the fake."""


def _timestamp(value: Any) -> str | None:
    """Cinder's naive UTC format (the state's), from a view's timestamp."""
    found = _TIMESTAMP.match(value) if isinstance(value, str) else None
    return found.group(0) if found else None


def _optional(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    record.update({key: value for key, value in fields.items() if value is not None})
    return record


def _known(fake_state: dict[str, Any], section: str, object_id: Any) -> bool:
    return any(item.get("id") == object_id for item in fake_state.get(section, []))


# Statuses of Cinder's background work (the attach flow's attaching, detaching and
# reserved wait for the consumer, not for Cinder: those are taken as they are).
BACKGROUND = UNSETTLED - {"attaching", "detaching", "reserved"}


def _settled(document: dict[str, Any], kind: str) -> None:
    if document.get("status") in BACKGROUND:
        raise Unadoptable(f"the cloud shows the {kind} {document['status']}: taken once "
                          "Cinder has settled it")


def _volume(fake: FakeCinder, document: dict[str, Any], project: str | None) -> None:
    _settled(document, "volume")
    type_name = document.get("volume_type")
    known_types = {t.get("name") for t in fake.dump().get("volume_types", [])}
    try:
        fake.add_volume(
            id=document["id"], project_id=(document.get("os-vol-tenant-attr:tenant_id")
                                           or project or "unknown"),
            size=int(document.get("size", 1)), name=document.get("name"),
            description=document.get("description"),
            status=document.get("status", "available"),
            volume_type=type_name if type_name in known_types else None,
            multiattach=document.get("multiattach"),
            bootable=str(document.get("bootable", "false")).lower() == "true",
            availability_zone=document.get("availability_zone"),
            metadata=document.get("metadata") or None, user_id=document.get("user_id"))
    except (ValueError, KeyError, TypeError, LookupError) as exc:
        raise Unadoptable(f"the fake refused the volume: {exc}") from None
    # The cloud's timestamps: lists are in creation order on both sides.
    stamps = {key: _timestamp(document.get(key)) for key in ("created_at", "updated_at")}
    if stamps["created_at"]:
        state = fake.dump()
        for record in state["volumes"]:
            if record["id"] == document["id"]:
                record.update(stamps)
        fake.load(state, name="the cloud's volume")


def _snapshot(state: dict[str, Any], document: dict[str, Any], project: str | None
              ) -> tuple[str, dict[str, Any]]:
    _settled(document, "snapshot")
    if not _known(state, "volumes", document.get("volume_id")):
        raise Unadoptable(f"its volume {document.get('volume_id')} is unknown too")
    record = {"id": document["id"], "volume_id": document["volume_id"],
              "status": document.get("status", "available")}
    return "snapshots", _optional(
        record, project_id=document.get("os-extended-snapshot-attributes:project_id"),
        progress=document.get("os-extended-snapshot-attributes:progress"),
        user_id=document.get("user_id"), size=document.get("size"),
        name=document.get("name"), description=document.get("description"),
        metadata=document.get("metadata"), created_at=_timestamp(document.get("created_at")),
        updated_at=_timestamp(document.get("updated_at")))


def _attachment(state: dict[str, Any], document: dict[str, Any], project: str | None
                ) -> tuple[str, dict[str, Any]]:
    if not _known(state, "volumes", document.get("volume_id")):
        raise Unadoptable(f"its volume {document.get('volume_id')} is unknown too")
    record = {"id": document["id"], "volume_id": document["volume_id"]}
    return "attachments", _optional(
        record, instance_uuid=document.get("instance"),
        attach_status=document.get("status"), attach_mode=document.get("attach_mode"),
        attached_at=_timestamp(document.get("attached_at")),
        detached_at=_timestamp(document.get("detached_at")),
        connection_info=document.get("connection_info"))


def _volume_type(state: dict[str, Any], document: dict[str, Any], project: str | None
                 ) -> tuple[str, dict[str, Any]]:
    record = {"id": document["id"], "name": document.get("name") or document["id"],
              "is_public": document.get("is_public", True) is not False}
    if not record["is_public"]:
        # A private type the caller sees: its own project's, or one shared with it.
        record["project_id"] = project
    return "volume_types", _optional(record, description=document.get("description"),
                                     extra_specs=document.get("extra_specs"))


def _group_type(state: dict[str, Any], document: dict[str, Any], project: str | None
                ) -> tuple[str, dict[str, Any]]:
    record = {"id": document["id"], "name": document.get("name") or document["id"],
              "is_public": document.get("is_public", True) is not False}
    return "group_types", _optional(record, description=document.get("description"),
                                    group_specs=document.get("group_specs"))


def _group(state: dict[str, Any], document: dict[str, Any], project: str | None
           ) -> tuple[str, dict[str, Any]]:
    _settled(document, "group")
    if not _known(state, "group_types", document.get("group_type")):
        raise Unadoptable(f"its group type {document.get('group_type')} is unknown too")
    owner = document.get("project_id") or project
    if not owner:
        raise Unadoptable("the answer names no project for the group")
    record = {"id": document["id"], "project_id": owner,
              "group_type_id": document["group_type"],
              "volume_type_ids": list(document.get("volume_types") or [])}
    return "groups", _optional(record, name=document.get("name"),
                               description=document.get("description"),
                               status=document.get("status"),
                               availability_zone=document.get("availability_zone"),
                               created_at=_timestamp(document.get("created_at")))


_MESSAGE_EVENT = re.compile(r"^VOLUME_(VOLUME|VOLUME_SNAPSHOT|VOLUME_BACKUP)_(\w+?)_(\w+)$")


def _message(state: dict[str, Any], document: dict[str, Any], project: str | None
             ) -> tuple[str, dict[str, Any]]:
    """Cinder's event id is ``VOLUME_<resource type>_<action id>_<detail id>``."""
    found = _MESSAGE_EVENT.match(str(document.get("event_id", "")))
    if not found or not project:
        raise Unadoptable(f"the message's event {document.get('event_id')!r} names no "
                          "action and detail, or the caller no project")
    record = {"id": document["id"], "project_id": project, "event_id": found.group(0),
              "resource_type": document.get("resource_type") or found.group(1),
              "action_id": found.group(2), "detail_id": found.group(3)}
    return "messages", _optional(
        record, resource_uuid=document.get("resource_uuid"),
        request_id=document.get("request_id"), message_level=document.get("message_level"),
        created_at=_timestamp(document.get("created_at")),
        expires_at=_timestamp(document.get("guaranteed_until")))


def _transfer(state: dict[str, Any], document: dict[str, Any], project: str | None,
              presented_key: str | None) -> tuple[str, dict[str, Any]]:
    """No answer shows a transfer's key: one is taken when the consumer accepts it with the
    key the cloud took."""
    if not presented_key:
        raise Unadoptable("no answer shows a transfer's key: taken when the consumer "
                          "accepts it")
    if not _known(state, "volumes", document.get("volume_id")):
        raise Unadoptable(f"its volume {document.get('volume_id')} is unknown too")
    record = {"id": document["id"], "volume_id": document["volume_id"],
              "auth_key": presented_key}
    return "transfers", _optional(record, name=document.get("name"),
                                  created_at=_timestamp(document.get("created_at")))


RecordRule = Callable[[dict[str, Any], dict[str, Any], str | None], tuple[str, dict[str, Any]]]
# The answer's key of one resource -> how it becomes a state record; the lists' keys.
RECORD_RULES: dict[str, RecordRule] = {
    "snapshot": _snapshot, "attachment": _attachment, "volume_type": _volume_type,
    "group_type": _group_type, "group": _group, "message": _message}
LIST_KEYS = {"volumes": "volume", "snapshots": "snapshot", "attachments": "attachment",
             "volume_types": "volume_type", "group_types": "group_type", "groups": "group",
             "messages": "message", "transfers": "transfer"}
# Detailed lists only: a summary list's items (id, name, links) describe too little.
DETAILED = {"volume": "status", "snapshot": "status", "attachment": "volume_id",
            "volume_type": "is_public", "group_type": "is_public", "group": "group_type",
            "message": "event_id", "transfer": "volume_id"}


def described(answer: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, document) of every resource an answer shows, one or a list."""
    if not isinstance(answer, dict):
        return
    for key, value in answer.items():
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            yield key, value
        elif key in LIST_KEYS and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    yield LIST_KEYS[key], item


def take_cloud_id(fake: FakeCinder, fake_id: str, cloud_id: str) -> None:
    """The fake's record ``fake_id`` is the cloud's ``cloud_id``: it takes that id,
    wherever the state names it."""
    state = json.dumps(fake.dump()).replace(fake_id, cloud_id)
    fake.load(json.loads(state), name="the shadow's fake")


def _twin(state: dict[str, Any], kind: str, document: dict[str, Any]) -> str | None:
    """The id under which the fake already has the resource the cloud shows under another:
    an attachment the legacy flow made on both sides (os-attach answers no id), of the same
    volume and instance; a volume type of the same name (``__DEFAULT__``)."""
    if kind == "attachment":
        twins = [a["id"] for a in state.get("attachments", [])
                 if a["volume_id"] == document.get("volume_id")
                 and a.get("instance_uuid") == document.get("instance")
                 and a.get("attach_status") != "deleted"]
    elif kind == "volume_type":
        twins = [t["id"] for t in state.get("volume_types", [])
                 if t["name"] == document.get("name")]
    else:
        return None
    return twins[0] if len(twins) == 1 else None


def sync_attachment_ids(fake: FakeCinder, volume: dict[str, Any]) -> list[str]:
    """A volume's view lists its attachments (attachment_id, server_id): those the fake
    has under its own id take the cloud's. Returns the ids taken."""
    attachments = volume.get("attachments")
    if not isinstance(attachments, list):
        return []
    state = fake.dump()
    known = {a["id"] for a in state.get("attachments", [])}
    taken = []
    for item in attachments:
        cloud_id = item.get("attachment_id") if isinstance(item, dict) else None
        if not isinstance(cloud_id, str) or cloud_id in known:
            continue
        twin = _twin(state, "attachment", {"volume_id": item.get("volume_id"),
                                           "instance": item.get("server_id")})
        if twin is not None and twin not in json.dumps(volume):
            take_cloud_id(fake, twin, cloud_id)
            taken.append(cloud_id)
            state = fake.dump()
    return taken


def fill_mountpoints(fake: FakeCinder, volume: dict[str, Any], taken: set[str]) -> None:
    """An attachment taken from its own view has no mountpoint (only the volume's view
    shows it, as ``device``): the first volume view that lists it fills it in."""
    items = volume.get("attachments")
    devices = {item.get("attachment_id"): item.get("device") for item in items
               if isinstance(item, dict)} if isinstance(items, list) else {}
    wanted = {key: value for key, value in devices.items() if key in taken and value}
    if not wanted:
        return
    state = fake.dump()
    for record in state.get("attachments", []):
        if record["id"] in wanted and not record.get("mountpoint"):
            record["mountpoint"] = wanted[record["id"]]
    fake.load(state, name="the shadow's fake")
    taken.difference_update(wanted)


def adopt(fake: FakeCinder, kind: str, document: dict[str, Any], project: str | None,
          presented_key: str | None = None) -> None:
    """Add the resource ``document`` (the cloud's view of a ``kind``) to the fake's state;
    ``project``: the caller's, for what the view does not name; ``presented_key``: the
    auth key of a transfer accept the cloud took. Raises ``Unadoptable``."""
    state = fake.dump()
    twin = _twin(state, kind, document)
    if twin is not None and twin != document["id"]:
        take_cloud_id(fake, twin, document["id"])
        return
    if kind not in ("volume", "transfer") and kind not in RECORD_RULES:
        raise Unadoptable(f"the shadow takes no {kind} from the cloud's answers")
    detail = DETAILED.get(kind)
    if detail is not None and detail not in document:
        raise Unadoptable(f"the answer shows too little of the {kind} (a summary)")
    if kind == "volume":
        _volume(fake, document, project)
        return
    if kind == "transfer":
        section, record = _transfer(state, document, project, presented_key)
    else:
        section, record = RECORD_RULES[kind](state, document, project)
    try:
        fake.load({section: [record]}, replace=False, name=f"the cloud's {kind}")
    except ValueError as exc:  # StateError: the record does not fit the fake's state
        raise Unadoptable(f"the fake refused the {kind}: {exc}") from None
