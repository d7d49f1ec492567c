"""Every volume with what the fake derives for it: the dashboard's view of the state.

The state dump (``snapshot.dump``) holds records as stored, for loading back; this
adds what is worked out from them: the type's name, the protocol and multiattach
in effect, each volume's attachments, and each attachment's lifecycle from the
journal.
"""

from __future__ import annotations

from typing import Any

from .connection_info import normalize_protocol
from .journal import Journal
from .models import Volume, record_to_dict
from .store import Store
from .volumes import is_multiattach, protocol_of


def _protocol(store: Store, volume: Volume) -> str | None:
    declared = protocol_of(store, volume)
    try:
        return normalize_protocol(declared)
    except ValueError:  # a type with a storage_protocol the backend cannot serve
        return declared


def volumes_overview(store: Store, journal: Journal) -> list[dict[str, Any]]:
    """Volumes by project, then age; each with ``volume_type`` (name), ``protocol``,
    ``multiattach`` (in effect) and ``attachments`` (each with its ``lifecycle``)."""
    lifecycles = journal.lifecycles()
    with store.lock:
        volumes = sorted(store.volumes.values(),
                         key=lambda v: (v.project_id, v.created_at, v.id))
        result = []
        for volume in volumes:
            data = record_to_dict(volume)
            volume_type = store.volume_types.get(volume.volume_type_id or "")
            data.update(volume_type=volume_type.name if volume_type else None,
                        protocol=_protocol(store, volume),
                        multiattach=is_multiattach(store, volume))
            attachments = sorted(store.volume_attachments(volume.id), key=lambda a: a.sort_key)
            data["attachments"] = [
                {**record_to_dict(a), "lifecycle": lifecycles.get(a.id, [])}
                for a in attachments]
            result.append(data)
        return result


def types_overview(store: Store) -> list[dict[str, Any]]:
    """Volume types, oldest first; each with its QoS specs (or None), whether it is
    encrypted, the projects that see it when private, and how many volumes have it."""
    with store.lock:
        counts: dict[str | None, int] = {}
        for volume in store.volumes.values():
            counts[volume.volume_type_id] = counts.get(volume.volume_type_id, 0) + 1
        result = []
        for volume_type in store.volume_types.values():
            data = record_to_dict(volume_type)
            qos = store.qos_specs.get(volume_type.qos_specs_id or "")
            data.update(qos_specs=record_to_dict(qos) if qos else None,
                        encrypted=volume_type.id in store.encryptions,
                        access_projects=volume_type.access_projects,
                        volumes=counts.get(volume_type.id, 0))
            result.append(data)
        return result
