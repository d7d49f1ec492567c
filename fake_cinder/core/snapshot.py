"""Whole-state import and export as plain JSON data (fixture files, /_fake/state)."""

from __future__ import annotations

import copy
from typing import Any

from .identity import Directory
from .models import Attachment, Volume, VolumeType, record_from_dict, record_to_dict
from .state import Store

SECTIONS = ("volume_types", "volumes", "attachments")


def dump(store: Store) -> dict[str, Any]:
    with store.lock:
        return {
            "volume_types": [record_to_dict(t) for t in store.volume_types.values()],
            "volumes": [record_to_dict(v) for v in store.volumes.values()],
            "attachments": [record_to_dict(a) for a in
                            sorted(store.attachments.values(), key=lambda a: a.sort_key)],
            **({"identity": copy.deepcopy(store.identity)} if store.identity is not None else {}),
        }


def _volume_record(store: Store, data: dict[str, Any]) -> Volume:
    data = dict(data)
    type_ref = data.pop("volume_type", None)
    if type_ref is not None and data.get("volume_type_id") is None:
        found = store.find_volume_type(type_ref)
        if found is None:
            raise ValueError(f"volume {data.get('id')}: unknown volume type {type_ref!r}")
        data["volume_type_id"] = found.id
    volume = record_from_dict(Volume, data)
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    if volume_type is not None and volume_type.multiattach:
        volume.multiattach = True
    if not volume.created_at:
        volume.created_at = store.clock.now()
    return volume


def load(store: Store, state: dict[str, Any], replace: bool = True) -> None:
    """Load state (all of it, or nothing: a bad record leaves the store as it was).

    Records take the fields of ``dump``'s output; volumes may name their type
    with ``volume_type`` (name or id), and attachments may omit ``project_id``
    (they belong to their volume's project).
    """
    state = copy.deepcopy(state)
    staging = Store(clock=store.clock)
    identity = state.get("identity")
    if identity is not None:
        Directory.parse(identity)  # a bad identity section fails the whole load
    with store.lock:
        if not replace:
            load(staging, dump(store))
        for data in state.get("volume_types", []):
            staging.add_volume_type(record_from_dict(VolumeType, data))
        for data in state.get("volumes", []):
            volume = _volume_record(staging, data)
            if volume.id in staging.volumes:
                raise ValueError(f"duplicate volume id {volume.id}")
            staging.add_volume(volume)
        for data in state.get("attachments", []):
            data = dict(data)
            volume = staging.volumes.get(data.get("volume_id", ""))
            if volume is None:
                raise ValueError(f"attachment {data.get('id')}: unknown volume "
                                 f"{data.get('volume_id')!r}")
            data.setdefault("project_id", volume.project_id)
            attachment = record_from_dict(Attachment, data)
            if not attachment.created_at:
                attachment.created_at = store.clock.now()
            if attachment.id in staging.attachments:
                raise ValueError(f"duplicate attachment id {attachment.id}")
            staging.add_attachment(attachment)
        store.clear()
        if identity is not None or replace:
            store.identity = identity
        for volume_type in staging.volume_types.values():
            store.add_volume_type(volume_type)
        for volume in staging.volumes.values():
            store.add_volume(volume)
        for attachment in staging.attachments.values():
            store.add_attachment(attachment)
