"""Every volume with what the fake derives for it: the dashboard's view of the state.

The state dump (``state_files.dump``) holds records as stored, for loading back; this
adds what is worked out from them: the type's name, the protocol and multiattach
in effect, each volume's attachments, and each attachment's lifecycle from the
journal. The lists that grow with the state (volumes, the journal) come in pages,
filtered and counted here, so the dashboard fetches only the rows it shows (issue 24).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .connection_info import normalize_protocol
from .journal import Entry, Journal
from .models import Volume, record_to_dict
from .store import Store
from .volumes import is_multiattach, protocol_of


def _protocol(store: Store, volume: Volume) -> str | None:
    declared = protocol_of(store, volume)
    try:
        return normalize_protocol(declared)
    except ValueError:  # a type with a storage_protocol the backend cannot serve
        return declared


def _described(store: Store, volume: Volume,
               lifecycles: dict[str, list[str]]) -> dict[str, Any]:
    data = record_to_dict(volume)
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    data.update(volume_type=volume_type.name if volume_type else None,
                protocol=_protocol(store, volume),
                multiattach=is_multiattach(store, volume))
    attachments = sorted(store.volume_attachments(volume.id), key=lambda a: a.sort_key)
    data["attachments"] = [{**record_to_dict(a), "lifecycle": lifecycles.get(a.id, [])}
                           for a in attachments]
    return data


def _volume_matcher(store: Store, status: str | None,
                    search: str | None) -> Callable[[Volume], bool] | None:
    """None when every volume matches (the page is then sliced from the index)."""
    if status is None and not search:
        return None
    needle = (search or "").lower()

    def matches(volume: Volume) -> bool:
        if status is not None and volume.status != status:
            return False
        if not needle or needle in volume.id or needle in (volume.name or "").lower():
            return True
        return any(needle in a.id or needle in (a.instance_uuid or "")
                   for a in store.volume_attachments(volume.id))
    return matches


def volumes_page(store: Store, journal: Journal, *, limit: int | None = None, offset: int = 0,
                 project_id: str | None = None, status: str | None = None,
                 search: str | None = None) -> dict[str, Any]:
    """Volumes by project, then age (as ``volumes_overview``), ``limit`` of them from
    ``offset`` (all when ``limit`` is None), of one project, with one status, and whose
    id or name, or an attachment's id or server, contains ``search`` (any case).

    Also ``count`` (volumes matching, all pages), ``projects`` (each project's volumes
    and attachments, unfiltered) and ``statuses`` (every volume status in the store),
    for the page's headers and menus. Unfiltered, a page costs what its rows cost, how
    many volumes the store holds aside; a filter reads each volume once.
    """
    lifecycles = journal.lifecycles()
    with store.lock:
        projects = sorted(store.volume_projects())
        matches = _volume_matcher(store, status, search)
        stop = None if limit is None else offset + limit
        page: list[Volume] = []
        count = 0
        for project in projects:
            if project_id is not None and project != project_id:
                continue
            keys = store.project_volume_keys(project)
            if matches is None:  # whole projects outside the window are skipped
                first, last = max(0, offset - count), len(keys)
                if stop is not None:
                    last = min(last, stop - count)
                page.extend(store.project_volume(project, volume_id)
                            for _created, volume_id in keys[first:max(first, last)])
                count += len(keys)
                continue
            for _created, volume_id in keys:
                volume = store.project_volume(project, volume_id)
                if matches(volume):
                    if count >= offset and (stop is None or count < stop):
                        page.append(volume)
                    count += 1
        return {
            "volumes": [_described(store, volume, lifecycles) for volume in page],
            "count": count,
            "projects": [{"project_id": project,
                          "volumes": len(store.project_volume_keys(project)),
                          "attachments": len(store.project_attachments(project))}
                         for project in projects],
            "statuses": sorted({volume.status for volume in store.volumes.values()}),
        }


def volumes_overview(store: Store, journal: Journal) -> list[dict[str, Any]]:
    """Every volume by project, then age; each with ``volume_type`` (name), ``protocol``,
    ``multiattach`` (in effect) and ``attachments`` (each with its ``lifecycle``)."""
    volumes: list[dict[str, Any]] = volumes_page(store, journal)["volumes"]
    return volumes


# -- the journal, a page at a time ----------------------------------------------------------------
# Status classes a journal page can be filtered by, besides one status code.
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "dropped")


def status_matches(status: int | None, wanted: str | None) -> bool:
    """Whether a response status (None: dropped) is ``wanted``: a class of STATUS_CLASSES
    or None for any."""
    if wanted is None:
        return True
    if wanted == "dropped":
        return status is None
    return status is not None and str(status)[0] == wanted[0]


def journal_page(journal: Journal, entries: list[Entry], *, status_class: str | None = None,
                 newest_first: bool = False, limit: int | None = None,
                 offset: int = 0) -> dict[str, Any]:
    """``entries`` (the journal's, already filtered, oldest first) of ``status_class``,
    newest first if asked. With a ``limit``: that many from ``offset``, with ``count``
    (entries matching, all pages), ``total`` (the journal's length) and ``facets``: the
    operations, projects and statuses the whole journal holds (the page's menus)."""
    matching = [e for e in entries if status_matches(e.status, status_class)]
    if newest_first:
        matching.reverse()
    if limit is None:
        return {"requests": [e.to_dict() for e in matching[offset:]]}
    everything = journal.entries()
    facets = {
        "operations": sorted({e.operation for e in everything if e.operation is not None}),
        "project_ids": sorted({e.project_id for e in everything if e.project_id is not None}),
        "statuses": sorted({e.status for e in everything if e.status is not None}),
    }
    return {"requests": [e.to_dict() for e in matching[offset:offset + limit]],
            "count": len(matching), "total": len(everything), "facets": facets}


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
