"""The store's per-project indexes of volumes by column, and its counters of their
metadata (issue 24): a page of volumes sorted or filtered by any column, a count of
matches, and the summary's distinct metadata cost the same in a project of 100 000
volumes as in one of 100.

- Per project and column, the volumes' ``(value is not None, value, created_at, id)``,
  sorted (core/sorted_keys.py): Cinder's order by that column and then by creation
  (``sort=<column>[:dir]``), NULLs first ascending and last descending, as
  ``listing.sorted_after`` sorts. The volumes equal to one value are a run of it, in
  creation order: the same index serves a filter on that column and counts its matches.
- Per project, metadata key -> value -> how many volumes have it (the distinct metadata
  of ``GET /volumes/summary`` from 3.36), in the order the pairs first appeared.

Each is built on its first use (a sort, filter or summary that needs it), from a scan
of the project, and from then on kept up to date: a stored volume reports every change
of its fields (``models.Watched``) to the store, whose ``VolumeIndex.changed`` takes the volume out
of the indexes that hold the field, sets it, and puts the volume back. So a plain
assignment anywhere (``volume.status = ...``) keeps the indexes right, and
``Store.check_indexes`` compares them with a scan.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from .models import Volume
from .sorted_keys import TOP, SortedKeys

# A key of a column index: (value is not None, the value or "" for NULL, created_at, id).
IndexKey = tuple[bool, Any, str, str]
# Fields that every column's key holds, so a change re-keys every index of the project.
_KEY_FIELDS = frozenset({"created_at", "id", "project_id"})


def index_key(volume: Volume, attribute: str) -> IndexKey:
    value = getattr(volume, attribute)
    return (value is not None, "" if value is None else value, volume.created_at, volume.id)


def group_bounds(value: Any) -> tuple[Any, Any]:
    """The keys just before and after every key of volumes whose column equals
    ``value`` (not None)."""
    return (True, value), (True, value, TOP)


class VolumeIndex:
    """The indexes of one store, guarded by its lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        # project id -> volume attribute -> its index
        self._columns: dict[str, dict[str, SortedKeys]] = {}
        # project id -> metadata key -> value -> how many of its volumes have it
        self._metadata: dict[str, dict[str, dict[str, int]]] = {}

    # -- reads (under the store's lock) --------------------------------------------------------
    def column(self, project_id: str, attribute: str, volumes: Iterator[Volume]) -> SortedKeys:
        """The project's index of ``attribute``; built from ``volumes`` (the project's)
        when it is first asked for."""
        columns = self._columns.setdefault(project_id, {})
        keys = columns.get(attribute)
        if keys is None:
            keys = columns[attribute] = SortedKeys(index_key(v, attribute) for v in volumes)
        return keys

    def metadata(self, project_id: str, volumes: Iterator[Volume]) -> dict[str, dict[str, int]]:
        """The project's metadata counters (live: do not modify), built from ``volumes``
        when first asked for."""
        counters = self._metadata.get(project_id)
        if counters is None:
            counters = self._metadata[project_id] = {}
            for volume in volumes:
                _count_metadata(counters, volume.metadata, 1)
        return counters

    # -- changes --------------------------------------------------------------------------------
    def add(self, volume: Volume) -> None:
        """A volume joins the store: it enters its project's indexes."""
        self._enter(volume, None)

    def remove(self, volume: Volume) -> None:
        self._leave(volume, None)

    def forget(self, project_id: str | None, volumes: list[Volume]) -> None:
        """Drop the indexes of one project (every project's with None); ``volumes``
        (those dropped with them) no longer report their changes."""
        for volume in volumes:
            object.__setattr__(volume, "watcher", None)
        if project_id is None:
            self._columns.clear()
            self._metadata.clear()
        else:
            self._columns.pop(project_id, None)
            self._metadata.pop(project_id, None)

    def changed(self, volume: Volume, name: str, value: Any) -> None:
        """Set a stored volume's field ``name`` (its watcher, Store._volume_changed,
        calls this), re-indexing it."""
        with self._lock:
            if name == "metadata" or name in _KEY_FIELDS:
                fields = None  # every index of the project
            elif name in self._columns.get(volume.project_id, {}):
                fields = name
            else:
                object.__setattr__(volume, name, value)
                return
            self._leave(volume, fields)
            object.__setattr__(volume, name, value)
            self._enter(volume, fields)

    def _enter(self, volume: Volume, only: str | None) -> None:
        columns = self._columns.get(volume.project_id, {})
        for attribute in (columns if only is None else (only,)):
            columns[attribute].add(index_key(volume, attribute))
        counters = self._metadata.get(volume.project_id)
        if only is None and counters is not None:
            _count_metadata(counters, volume.metadata, 1)

    def _leave(self, volume: Volume, only: str | None) -> None:
        columns = self._columns.get(volume.project_id, {})
        for attribute in (columns if only is None else (only,)):
            columns[attribute].remove(index_key(volume, attribute))
        counters = self._metadata.get(volume.project_id)
        if only is None and counters is not None:
            _count_metadata(counters, volume.metadata, -1)

    # -- against a full scan --------------------------------------------------------------------
    def check(self, volumes: dict[str, Volume]) -> list[str]:
        """Every way the built indexes differ from a scan of ``volumes`` (none)."""
        problems: list[str] = []
        by_project: dict[str, list[Volume]] = {}
        for volume in volumes.values():
            by_project.setdefault(volume.project_id, []).append(volume)
        for project, columns in self._columns.items():
            for attribute, keys in columns.items():
                scanned = sorted(index_key(v, attribute) for v in by_project.get(project, []))
                if list(keys) != scanned:
                    problems.append(f"the {attribute} index of {project} differs from a scan")
        for project, counters in self._metadata.items():
            scanned_counts: dict[str, dict[str, int]] = {}
            for volume in by_project.get(project, []):
                _count_metadata(scanned_counts, volume.metadata, 1)
            if counters != scanned_counts:
                problems.append(f"the metadata counters of {project} differ from a scan")
        return problems


def _count_metadata(counters: dict[str, dict[str, int]], metadata: dict[str, str],
                    sign: int) -> None:
    for key, value in metadata.items():
        values = counters.setdefault(key, {})
        values[value] = values.get(value, 0) + sign
        if not values[value]:
            del values[value]
            if not values:
                del counters[key]
