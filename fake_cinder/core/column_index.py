"""The store's per-project indexes of volumes and snapshots by column (issue 24): a page
sorted or filtered by any column, and a count of matches, cost the same in a project of
100 000 volumes as in one of 100.

- Per project and column, the records' ``(value is not None, value, created_at, id)``,
  sorted (core/sorted_keys.py): Cinder's order by that column and then by creation
  (``sort=<column>[:dir]``), NULLs first ascending and last descending, as
  ``listing.sorted_after`` sorts. The records equal to one value are a run of it, in
  creation order: the same index serves a filter on that column and counts its matches.

Each is built on its first use (a sort or filter that needs it), from a scan
of the project, and from then on kept up to date: a stored record reports every change
of its fields (``models.Watched``) to the store, whose watcher calls
``ColumnIndex.changed``: it takes the record out of the indexes that hold the field,
sets it, and puts the record back. So a plain assignment anywhere
(``volume.status = ...``) keeps the indexes right, and ``Store.check_indexes``
compares them with a scan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from .sorted_keys import TOP, SortedKeys

# A key of a column index: (value is not None, the value or "" for NULL, created_at, id).
IndexKey = tuple[bool, Any, str, str]
# Fields that every column's key holds, so a change re-keys every index of the project.
_KEY_FIELDS = frozenset({"created_at", "id", "project_id"})


class Record(Protocol):
    """What the indexes read of every record (volumes and snapshots)."""

    id: str
    project_id: str
    created_at: str


def index_key(record: Record, attribute: str) -> IndexKey:
    value = getattr(record, attribute)
    return (value is not None, "" if value is None else value, record.created_at, record.id)


def group_bounds(value: Any) -> tuple[Any, Any]:
    """The keys just before and after every key of records whose column equals
    ``value`` (not None)."""
    return (True, value), (True, value, TOP)


class ColumnIndex:
    """The indexes of one kind of record of one store, guarded by its lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        # project id -> record attribute -> its index
        self._columns: dict[str, dict[str, SortedKeys]] = {}
        # Columns indexed for every project from the start (index_every), else none.
        self._every: tuple[str, ...] = ()
        # Every attribute some project's index holds (never shrinks): a change of any
        # other field skips the lock (fields change under the store's lock, so no index
        # is built meanwhile).
        self._held = set(_KEY_FIELDS)

    def index_every(self, attributes: Iterable[str],
                    projects: Mapping[str, Iterable[Record]]) -> None:
        """Keep these column indexes for every project from now on, not only once a
        request needs them: the test suite's fakes do, so that every test's changes are
        checked by ``check``. ``projects``: the records now stored, by project."""
        self._every = tuple(attributes)
        for project, records in projects.items():
            stored = list(records)
            for attribute in self._every:
                self.column(project, attribute, stored.copy)

    # -- reads (under the store's lock) --------------------------------------------------------
    def column(self, project_id: str, attribute: str,
               records: Callable[[], Iterable[Record]]) -> SortedKeys:
        """The project's index of ``attribute``; built from ``records()`` (the project's)
        when it is first asked for."""
        columns = self._columns.setdefault(project_id, {})
        keys = columns.get(attribute)
        if keys is None:
            keys = columns[attribute] = SortedKeys(index_key(v, attribute) for v in records())
            self._held.add(attribute)
        return keys

    def indexes(self, attribute: str) -> bool:
        """Whether a change of ``attribute`` may concern an index."""
        return attribute in self._held

    # -- changes --------------------------------------------------------------------------------
    def add(self, record: Record) -> None:
        """A record joins the store: it enters its project's indexes."""
        self._enter(record, None)

    def remove(self, record: Record) -> None:
        self._leave(record, None)

    def forget(self, project_id: str | None, records: Iterable[Record]) -> None:
        """Drop the indexes of one project (every project's with None); ``records``
        (those dropped with them) no longer report their changes."""
        for record in records:
            object.__setattr__(record, "watcher", None)
        if project_id is None:
            self._columns.clear()
        else:
            self._columns.pop(project_id, None)

    def changed(self, record: Record, name: str, value: Any) -> None:
        """Set a stored record's field ``name``, re-indexing it (the store's watchers of
        volumes and snapshots call this, and attachments' is this)."""
        if name not in self._held:
            object.__setattr__(record, name, value)
            return
        with self._lock:
            if name in _KEY_FIELDS:
                fields = None  # every index of the project
            elif name in self._columns.get(record.project_id, {}):
                fields = name
            else:
                object.__setattr__(record, name, value)
                return
            self._leave(record, fields)
            object.__setattr__(record, name, value)
            self._enter(record, fields)

    def _enter(self, record: Record, only: str | None) -> None:
        if self._every and record.project_id not in self._columns:
            self.index_every(self._every, {record.project_id: ()})  # a new project
        columns = self._columns.get(record.project_id, {})
        for attribute in (columns if only is None else (only,)):
            columns[attribute].add(index_key(record, attribute))

    def _leave(self, record: Record, only: str | None) -> None:
        columns = self._columns.get(record.project_id, {})
        for attribute in (columns if only is None else (only,)):
            columns[attribute].remove(index_key(record, attribute))

    # -- against a full scan --------------------------------------------------------------------
    def check(self, records: Mapping[str, Record]) -> list[str]:
        """Every way the built indexes differ from a scan of ``records`` (none)."""
        problems: list[str] = []
        by_project: dict[str, list[Record]] = {}
        for record in records.values():
            by_project.setdefault(record.project_id, []).append(record)
        for project, columns in self._columns.items():
            for attribute, keys in columns.items():
                scanned = sorted(index_key(v, attribute) for v in by_project.get(project, []))
                if list(keys) != scanned:
                    problems.append(f"the {attribute} index of {project} differs from a scan")
        return problems

