"""A page of volumes, snapshots or attachments, and the count of matches
(``with_count``), read from the store's indexes (issue 24), in exactly the order and
with the marker semantics of ``listing.sorted_after`` (Cinder's paginate_query).

How a page is read, per project (all tenants: each project's stream, merged):

- sorted by creation (``created_at`` and ``id``, both one way: Cinder's default) or by one
  column and then by creation, all one way (``sort=size``, ``sort=name:asc``...): a walk
  of the project's index of that column (by creation: the store's (created_at, id)
  index of volumes, the created_at index of the others) from the marker on, filtering as
  it goes (only what is consumed is read);
- with an equality filter on a column (``status=available``, ``name=x``, ``bootable=true``,
  ``size=1``...): the run of that value in the column's index is every candidate, in
  creation order. By creation, or sorted by the filtered column itself, a page walks
  that run only. Sorted by another column, the run is sorted instead when that is
  cheaper than walking the sort's index (its length squared at most the page's end
  times the project's size);
- any other order (several sort keys, mixed directions): the smallest run of an
  equality filter, else the whole project, sorted by ``sorted_after``, as before.

A count is the run's length when the filters are one equality, less the hidden
records (volumes: migration targets, a short run of the migration_status index) for
non-admins; with other filters it reads the smallest run, else every record of the
project.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .column_index import ColumnIndex, IndexKey, group_bounds, index_key
from .listing import (
    DATETIME_COLUMNS,
    DEFAULT_SORT_KEYS,
    NULL_DATETIME,
    ListQuery,
    sorted_after,
)
from .sorted_keys import SortedKeys

_BOOLEAN_ATTRIBUTES = ("bootable", "multiattach")
Stream = Iterator[tuple[Any, Any]]
Segment = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Source:
    """One kind of record in the store: its column indexes and how to read it."""

    index: ColumnIndex
    records: Callable[[str], list[Any]]  # a project's, in creation order
    record: Callable[[str, str], Any]  # (project, id)
    # A project's (created_at, id), sorted, when the store keeps them (volumes).
    creation_keys: Callable[[str], list[tuple[str, str]]] | None = None
    # (attribute, prefix): records whose attribute starts with it are hidden from
    # non-admins (volumes: Cinder's migration targets).
    hidden: tuple[str, str] | None = None
    # The attributes an index may serve (scalar values; None: every one).
    indexable: frozenset[str] | None = None

    def may_index(self, attribute: str) -> bool:
        return self.indexable is None or attribute in self.indexable

    def is_hidden(self, is_admin: bool, record: Any) -> bool:
        if self.hidden is None or is_admin:
            return False
        attribute, prefix = self.hidden
        return (getattr(record, attribute) or "").startswith(prefix)


def _null_default(column: str, attribute: str) -> Any:
    """What paginate_query compares a NULL with, by the column's type (as
    listing._null_default)."""
    if column in DATETIME_COLUMNS:
        return NULL_DATETIME
    if attribute in _BOOLEAN_ATTRIBUTES:
        return False
    return 0 if attribute == "size" else ""


def _indexable(attribute: str, value: Any) -> bool:
    """Whether the filter value compares with the column's values as the filter's own
    comparison does (the index bisects with it)."""
    if attribute in _BOOLEAN_ATTRIBUTES:
        return type(value) is bool
    if attribute == "size":
        return type(value) in (int, bool)
    return type(value) is str


class Lister:
    """One list request's reads of the store's indexes (under the store's lock).
    ``columns``: the sort keys and filters (Cinder's column names) to attributes;
    ``matches``: whether a record matches the filters."""

    def __init__(self, source: Source, query: ListQuery, columns: Mapping[str, str],
                 filters: Mapping[str, Any], matches: Callable[[Any], bool],
                 is_admin: bool) -> None:
        self.source = source
        self.query = query
        self.columns = columns
        self.matches = matches
        self.is_admin = is_admin
        self.descending = query.sort_dirs[0] == "desc"
        # Equality filters an index can serve: attribute -> value.
        self.equalities = {columns[k]: v for k, v in filters.items()
                           if k in columns and k != "metadata" and _indexable(columns[k], v)
                           and source.may_index(columns[k])}
        self.only_equalities = len(self.equalities) == len(filters)
        keys = query.sort_keys
        uniform = len(set(query.sort_dirs)) == 1
        # By creation: the store's (created_at, id) index, else the created_at column's.
        self.by_creation = uniform and keys == list(DEFAULT_SORT_KEYS)
        self.creation_order = self.by_creation and source.creation_keys is not None
        self.sort_attribute = (columns[keys[0]] if uniform and not self.creation_order and keys[
            1:] == [k for k in DEFAULT_SORT_KEYS if k != keys[0]]
            and source.may_index(columns[keys[0]]) else None)

    def listed(self, record: Any) -> bool:
        return not self.source.is_hidden(self.is_admin, record) and self.matches(record)

    def _index(self, project: str, attribute: str) -> SortedKeys:
        return self.source.index.column(project, attribute,
                                        lambda: self.source.records(project))

    def _record(self, project: str, key: IndexKey | tuple[str, str]) -> Any:
        return self.source.record(project, key[-1])

    def _smallest_run(self, project: str) -> tuple[str, int, int] | None:
        """The equality filter whose run in its index is shortest: (attribute, start,
        stop)."""
        best: tuple[str, int, int] | None = None
        for attribute, value in self.equalities.items():
            keys = self._index(project, attribute)
            low, high = group_bounds(value)
            start, stop = keys.position(low), keys.position(high)
            if best is None or stop - start < best[2] - best[1]:
                best = (attribute, start, stop)
        return best

    # -- counts ---------------------------------------------------------------------------------
    def count(self, projects: list[str]) -> int:
        return sum(self._count(project) for project in projects)

    def _count(self, project: str) -> int:
        run = self._smallest_run(project)
        if run is not None and len(self.equalities) == 1 and self.only_equalities:
            matching = run[2] - run[1]
        elif run is not None:
            attribute, start, stop = run
            matching = sum(1 for key in self._index(project, attribute).keys(start, stop)
                           if self.matches(self._record(project, key)))
        elif not self.equalities and not self.only_equalities:
            matching = sum(1 for v in self.source.records(project) if self.matches(v))
        elif self.source.creation_keys is not None:  # no filter
            matching = len(self.source.creation_keys(project))
        else:
            matching = len(self._index(project, "created_at"))
        if self.source.hidden is None or self.is_admin:
            return matching
        return matching - sum(1 for v in self._hidden(project) if self.matches(v))

    def _hidden(self, project: str) -> Iterator[Any]:
        """The project's records hidden from non-admins: the run of their prefix."""
        assert self.source.hidden is not None
        attribute, prefix = self.source.hidden
        keys = self._index(project, attribute)
        start = keys.position((True, prefix))
        stop = keys.position((True, prefix[:-1] + chr(ord(prefix[-1]) + 1)))
        return (self._record(project, key) for key in keys.keys(start, stop))

    # -- pages ----------------------------------------------------------------------------------
    def page(self, projects: list[str], marker: Any | None) -> list[Any]:
        stream = self._stream(projects, marker)
        page: list[Any] = []
        skipped = 0
        for record in stream:
            if len(page) >= self.query.limit:
                break
            if not self.listed(record):
                continue
            if skipped < self.query.offset:
                skipped += 1
                continue
            page.append(record)
        return page

    def _stream(self, projects: list[str], marker: Any | None) -> Iterable[Any]:
        if not self.creation_order and self.sort_attribute is None:
            return self._sorted(projects, marker)
        if self.sort_attribute is not None:
            marked = index_key(marker, self.sort_attribute) if marker is not None else None
            if marked is not None and marked[0] and marked[1] < _null_default(
                    self.query.sort_keys[0], self.sort_attribute):
                return self._sorted(projects, marker)  # no such values in the fake
        streams = [self._project_stream(project, marker) for project in projects]
        if len(streams) == 1:
            return (record for _key, record in streams[0])
        merged = heapq.merge(*streams, key=lambda item: item[0], reverse=self.descending)
        return (record for _key, record in merged)

    def _sorted(self, projects: list[str], marker: Any | None) -> list[Any]:
        candidates: list[Any] = []
        for project in projects:
            run = self._smallest_run(project)
            if run is None:
                candidates.extend(self.source.records(project))
            else:
                candidates.extend(self._run_records(project, run))
        return sorted_after(candidates, self.query, self.columns, marker)

    def _run_records(self, project: str, run: tuple[str, int, int]) -> Iterator[Any]:
        attribute, start, stop = run
        return (self._record(project, key)
                for key in self._index(project, attribute).keys(start, stop))

    def _project_stream(self, project: str, marker: Any | None) -> Stream:
        run = self._smallest_run(project)
        if self.by_creation and run is not None:
            return self._run_in_creation_order(project, run, marker)
        if self.creation_order:
            return self._creation_walk(project, marker)
        attribute = self.sort_attribute
        assert attribute is not None
        keys = self._index(project, attribute)
        segments = self._segments(keys, attribute, marker)
        if run is not None and run[0] == attribute:
            # Filtered by the sort column itself: the run's part of the walk.
            segments = [(max(start, run[1]), min(stop, run[2])) for start, stop in segments]
        elif run is not None and (run[2] - run[1]) ** 2 <= (
                self.query.offset + self.query.limit + 1) * len(keys):
            ordered = sorted_after(self._run_records(project, run), self.query, self.columns,
                                   marker)
            return ((index_key(record, attribute), record) for record in ordered)
        return ((key, self._record(project, key)) for start, stop in segments
                for key in keys.keys(start, stop, reverse=self.descending))

    def _creation_walk(self, project: str, marker: Any | None) -> Stream:
        """The store's (created_at, id) index of the project from the marker on."""
        assert self.source.creation_keys is not None
        keys = self.source.creation_keys(project)
        if self.descending:
            end = len(keys) if marker is None else bisect.bisect_left(
                keys, (marker.created_at, marker.id))
            positions: Iterable[int] = range(end - 1, -1, -1)
        else:
            positions = range(0 if marker is None else bisect.bisect_right(
                keys, (marker.created_at, marker.id)), len(keys))
        return ((keys[i], self._record(project, keys[i])) for i in positions)

    def _run_in_creation_order(self, project: str, run: tuple[str, int, int],
                               marker: Any | None) -> Stream:
        attribute, start, stop = run
        keys = self._index(project, attribute)
        if marker is not None:
            value = self.equalities[attribute]
            marked = (True, value, marker.created_at, marker.id)
            if self.descending:
                stop = min(stop, keys.position(marked))
            else:
                start = max(start, keys.position(marked, right=True))
        return ((key[2:], self._record(project, key))
                for key in keys.keys(start, stop, reverse=self.descending))

    def _segments(self, keys: SortedKeys, attribute: str,
                  marker: Any | None) -> list[Segment]:
        """The parts of the index after the marker, in the walk's order (each read last
        first when descending). paginate_query compares a NULL as its column type's
        default (``default``): NULLs sort first (ascending) but compare equal to the
        default's run, so a marker on either makes the walk two parts."""
        length = len(keys)
        if marker is None:
            return [(0, length)]
        marked = index_key(marker, attribute)
        present, value, created_at, record_id = marked
        default = _null_default(self.query.sort_keys[0], attribute)
        nulls_end = keys.position((True,))
        if present and value != default:
            # value > default: NULLs and the default's run compare below it.
            if self.descending:
                return [(0, keys.position(marked))]
            return [(keys.position(marked, right=True), length)]
        # The marker compares as the default: past it in the NULLs and in the default's
        # run (by creation), and everything beyond.
        null_cut = keys.position((False, "", created_at, record_id), right=not self.descending)
        default_cut = keys.position((True, default, created_at, record_id),
                                    right=not self.descending)
        if not self.descending:
            return [(null_cut, nulls_end), (default_cut, length)]
        default_start = keys.position((True, default))
        return [(default_start, default_cut), (nulls_end, default_start), (0, null_cut)]
