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
    usage counters, the distinct metadata (``with_metadata``) from its metadata rows
    (core/metadata_rows.py), as Cinder's database lists them."""
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
        metadata = store.volume_metadata.distinct(projects) if with_metadata else {}
        return VolumeSummary(count, size, metadata)
