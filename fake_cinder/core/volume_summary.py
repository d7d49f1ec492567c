"""GET /volumes/summary (3.12): how many volumes, their total size and (from 3.36) every
distinct metadata value per key (cinder/db/api.py's get_volume_summary)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import Caller
from .policy import authorize
from .store import Store


@dataclass(slots=True)
class VolumeSummary:
    total_count: int
    total_size: int
    metadata: dict[str, list[str]] = field(default_factory=dict)


def summarize(store: Store, caller: Caller, all_tenants: bool = False,
              with_metadata: bool = True) -> VolumeSummary:
    """The caller's project's volumes; every project's for an admin asking all_tenants.
    Cinder ignores any other parameter here. The count and size come from the store's
    usage counters, the distinct metadata (``with_metadata``) from its metadata counters
    (core/volume_index.py), in the order the pairs first appeared."""
    authorize(caller, "volume:get_all")
    with store.lock:
        everyone = all_tenants and caller.is_admin
        projects = store.volume_projects() if everyone else [caller.project_id]
        count = size = 0
        for project in projects:
            for (part, _type_id), (number, gigabytes) in store.usage_counts(project).items():
                if part == "volumes":
                    count += number
                    size += gigabytes
        metadata: dict[str, list[str]] = {}
        for project in projects if with_metadata else ():
            counters = store.volume_index.metadata(
                project, iter(store.project_volumes(project)))
            for key, values in counters.items():
                listed = metadata.setdefault(key, [])
                listed.extend(value for value in values if value not in listed)
        return VolumeSummary(count, size, metadata)
