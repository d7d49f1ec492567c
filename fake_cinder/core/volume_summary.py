"""GET /volumes/summary (3.12): how many volumes, their total size and (from 3.36) every
distinct metadata value per key (cinder/db/api.py's get_volume_summary)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import Caller
from .policy import authorize
from .state import Store


@dataclass(slots=True)
class VolumeSummary:
    total_count: int
    total_size: int
    metadata: dict[str, list[str]] = field(default_factory=dict)


def summarize(store: Store, caller: Caller, all_tenants: bool = False) -> VolumeSummary:
    """The caller's project's volumes; every project's for an admin asking all_tenants.
    Cinder ignores any other parameter here."""
    authorize(caller, "volume:get_all")
    with store.lock:
        volumes = store.project_volumes(
            None if all_tenants and caller.is_admin else caller.project_id)
        metadata: dict[str, list[str]] = {}
        for volume in volumes:
            for key, value in volume.metadata.items():
                values = metadata.setdefault(key, [])
                if value not in values:
                    values.append(value)
        return VolumeSummary(len(volumes), sum(v.size for v in volumes), metadata)
