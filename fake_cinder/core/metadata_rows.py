"""Cinder's volume_metadata rows, for ``GET /volumes/summary``'s distinct metadata (3.36)
at a cost that does not grow with the volumes (issue 24).

Cinder keeps one row per volume and key, in the order the rows were created: a changed
value is written into the row (it keeps its place), a removed key deletes its row, a new
key adds one at the end. The summary is ``SELECT DISTINCT key, value`` over those rows,
so it lists each pair where its first live row is (checked against Cinder 29 by
conformance/scenarios_indexes.py). Here each row has a number, and each project's
pairs a heap of (row number, volume id) entries, checked lazily against the rows: an
entry whose row changed or went is dropped when it reaches the top.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

# A row: (its number, the value); a volume's rows: key -> row.
Row = tuple[int, str]
Pair = tuple[str, str]


class MetadataRows:
    """The rows of one store's volumes (under its lock)."""

    def __init__(self) -> None:
        self._numbers = itertools.count()
        # volume id -> (its project, key -> row)
        self._rows: dict[str, tuple[str, dict[str, Row]]] = {}
        # project id -> (key, value) -> heap of (row number, volume id), some stale
        self._pairs: dict[str, dict[Pair, list[tuple[int, str]]]] = {}
        self._entries = 0  # heap entries, stale ones included
        self._live = 0  # rows

    def update(self, volume: Any) -> None:
        """The volume's rows after it was stored or its metadata or project changed."""
        project, before = self._rows.get(volume.id, (None, {}))
        rows: dict[str, Row] = {}
        for key, value in volume.metadata.items():
            old = before.get(key)
            row = rows[key] = (old[0] if old is not None else next(self._numbers), value)
            if row != old or project != volume.project_id:
                heap = self._pairs.setdefault(volume.project_id, {}).setdefault((key, value), [])
                heapq.heappush(heap, (row[0], volume.id))
                self._entries += 1
        self._live += len(rows) - len(before)
        if rows:
            self._rows[volume.id] = (volume.project_id, rows)
        else:
            self._rows.pop(volume.id, None)
        if self._entries > 2 * self._live + 1024:
            self._compact()

    def drop(self, volume_id: str) -> None:
        """The volume left the store: its rows go."""
        _project, rows = self._rows.pop(volume_id, ("", {}))
        self._live -= len(rows)

    def forget(self, project_id: str | None, volume_ids: Iterable[str]) -> None:
        """Every row (None), or one project's: ``volume_ids``, its volumes."""
        if project_id is None:
            self._rows.clear()
            self._pairs.clear()
            self._entries = self._live = 0
            return
        for volume_id in volume_ids:
            self.drop(volume_id)
        self._pairs.pop(project_id, None)

    def distinct(self, projects: Iterable[str]) -> dict[str, list[str]]:
        """The projects' distinct metadata: key -> values, each pair where its first
        live row is."""
        live: list[tuple[int, Pair]] = []
        for project in projects:
            pairs = self._pairs.get(project, {})
            for pair in list(pairs):
                heap = pairs[pair]
                while heap and not self._is_live(heap[0], project, pair):
                    heapq.heappop(heap)
                    self._entries -= 1
                if heap:
                    live.append((heap[0][0], pair))
                else:
                    del pairs[pair]
        distinct: dict[str, list[str]] = {}
        seen: set[Pair] = set()  # the same pair may be in several projects
        for _number, pair in sorted(live):
            if pair not in seen:
                seen.add(pair)
                distinct.setdefault(pair[0], []).append(pair[1])
        return distinct

    def _is_live(self, entry: tuple[int, str], project: str, pair: Pair) -> bool:
        number, volume_id = entry
        found = self._rows.get(volume_id)
        return (found is not None and found[0] == project
                and found[1].get(pair[0]) == (number, pair[1]))

    def _compact(self) -> None:
        """Rebuild the heaps from the rows (stale entries outnumber live ones)."""
        self._pairs = {}
        for volume_id, (project, rows) in self._rows.items():
            for key, (number, value) in rows.items():
                self._pairs.setdefault(project, {}).setdefault((key, value), []).append(
                    (number, volume_id))
        for pairs in self._pairs.values():
            for heap in pairs.values():
                heapq.heapify(heap)
        self._entries = self._live

    def check(self, volumes: Mapping[str, Any]) -> list[str]:
        """Every way the rows differ from the volumes' metadata (none)."""
        problems = [f"volume {v.id}'s metadata rows differ from its metadata"
                    for v in volumes.values()
                    if self._rows.get(v.id, (v.project_id, {}))[0] != v.project_id
                    or {k: r[1] for k, r in self._rows.get(v.id, ("", {}))[1].items()}
                    != v.metadata]
        if set(self._rows) - set(volumes):
            problems.append("metadata rows of volumes the store does not hold")
        if self._live != sum(len(rows) for _project, rows in self._rows.values()):
            problems.append("the count of metadata rows is wrong")
        projects = {v.project_id for v in volumes.values()}
        scanned: dict[str, set[str]] = {}
        for volume in volumes.values():
            for key, value in volume.metadata.items():
                scanned.setdefault(key, set()).add(value)
        found = {k: set(v) for k, v in self.distinct(projects).items()}
        if found != scanned:
            problems.append(f"distinct metadata {found} != scan {scanned}")
        return problems
