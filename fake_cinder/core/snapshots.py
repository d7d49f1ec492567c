"""Volume snapshots: create (quota checked), show, list, update, delete, the status
updates Nova sends for its assisted snapshots, and the admins' reset and force delete.

Cinder creates and deletes snapshots asynchronously: the create answers with the
record still 'creating' at 0%, and the snapshot_create transition (core/transitions.py:
at once by default) makes it 'available' at 100%; a delete is 'deleting' until the
snapshot_delete transition removes it. Snapshots in other statuses ('creating' for an
assisted snapshot Nova is working on) come from fixtures, ``FakeCinder.add_snapshot`` or
an admin's os-reset_status.
"""

from __future__ import annotations

import ast
import contextlib
import copy
from collections.abc import Mapping
from typing import Any

from . import quotas
from .context import Caller
from .errors import BadRequest, InvalidVolume, NotFound
from .indexed_lists import Lister, Source
from .listing import ListQuery, bool_param, check_sort_keys
from .models import SNAPSHOT_STATUSES, Snapshot
from .policy import authorize
from .store import Store
from .transitions import SNAPSHOT as SNAPSHOT_RECORD
from .volumes import get_volume

CREATING, AVAILABLE, DELETING, ERROR = "creating", "available", "deleting", "error"
ERROR_DELETING = "error_deleting"
# os-update_snapshot_status: the current status -> the statuses it may be set to.
STATUS_UPDATES = {CREATING: (CREATING, AVAILABLE, ERROR),
                  DELETING: (DELETING, ERROR_DELETING)}
DELETABLE_STATUSES = (AVAILABLE, ERROR)
# Migration statuses of a volume that is not being migrated (Cinder's _is_volume_migrating).
_NOT_MIGRATING = (None, "none", "error", "success", "deleting")
# resource_filters.json "snapshot": what non-admins may filter snapshot lists by.
ALLOWED_FILTERS = frozenset({"name", "status", "volume_id", "metadata", "availability_zone",
                             "consumes_quota"})
# Cinder's Snapshot columns (filters and sort keys) mapped to the fake's attribute names.
MODEL_COLUMNS = {
    "id": "id", "volume_id": "volume_id", "user_id": "user_id", "project_id": "project_id",
    "status": "status", "progress": "progress", "volume_size": "size",
    "display_name": "name", "display_description": "description",
    "created_at": "created_at", "updated_at": "updated_at",
    "volume_type_id": "volume_type_id", "encryption_key_id": "encryption_key_id",
    "metadata": "metadata", "use_quota": "use_quota",
}


class SnapshotNotFound(NotFound):
    def __init__(self, snapshot_id: str) -> None:
        super().__init__(f"Snapshot {snapshot_id} could not be found.")


class InvalidSnapshot(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid snapshot: {reason}")


def load_snapshot(store: Store, caller: Caller, snapshot_id: str) -> Snapshot:
    """Cinder's Snapshot.get_by_id: the live record; other projects' snapshots are
    invisible to non-admins."""
    with store.lock:
        snapshot = store.snapshots.get(snapshot_id)
        if snapshot is None or not caller.can_see(snapshot.project_id):
            raise SnapshotNotFound(snapshot_id)
        return snapshot


def get_snapshot(store: Store, caller: Caller, snapshot_id: str) -> Snapshot:
    """Cinder's volume API get_snapshot: the record, then volume:get_snapshot (403)."""
    with store.lock:
        snapshot = load_snapshot(store, caller, snapshot_id)
        authorize(caller, "volume:get_snapshot", snapshot.project_id)
        return snapshot


def _check_volume(volume_status: str, migration_status: str | None) -> None:
    """Cinder's _create_snapshot_in_db_validate, in its order."""
    if volume_status == "maintenance":
        raise InvalidVolume("The snapshot cannot be created when the volume is in "
                            "maintenance mode.")
    if migration_status not in _NOT_MIGRATING:
        raise InvalidVolume("Snapshot cannot be created while volume is migrating.")
    if volume_status == "error":
        raise InvalidVolume("The snapshot cannot be created when the volume is in "
                            "error status.")
    if volume_status.startswith("replica_"):
        raise InvalidVolume("Snapshot of secondary replica is not allowed.")


def create_snapshot(store: Store, caller: Caller, volume_id: str | None,
                    name: str | None = None, description: str | None = None,
                    metadata: Mapping[str, str] | None = None, force: bool = False,
                    allow_in_use: bool = False, quota: bool = True,
                    status: str = AVAILABLE, snapshot_id: str | None = None,
                    asynchronous: bool = False, failing: bool = False) -> Snapshot:
    """Snapshot a volume; returns the record as Cinder's create answers it ('creating').

    ``force`` (or ``allow_in_use``, microversion 3.66) lets an in-use volume be
    snapshotted. ``asynchronous`` (the API's creates): the snapshot_create transition
    ends it in 'available' (``failing``: 'error'). ``quota=False`` and ``status`` are
    for the fake's own API (``FakeCinder.add_snapshot``): the stored status, no quota
    check.
    """
    with store.lock:
        volume = get_volume(store, caller, str(volume_id))
        authorize(caller, "volume:create_snapshot", volume.project_id)
        _check_volume(volume.status, volume.migration_status)
        valid = ("available", "in-use") if force or allow_in_use else ("available",)
        if volume.status not in valid:
            raise InvalidVolume(f"Volume {volume.id} status must be {', '.join(valid)}, but "
                                f"current status is: {volume.status}.")
        volume_type = store.volume_types.get(volume.volume_type_id or "")
        if quota:
            quotas.check_snapshot_create(store, caller.project_id, volume.size, volume_type)
        if snapshot_id is not None and snapshot_id in store.snapshots:
            raise BadRequest(f"Snapshot {snapshot_id} already exists.")
        now = store.clock.now()
        snapshot = Snapshot(
            id=snapshot_id or store.clock.new_id(), volume_id=volume.id,
            project_id=caller.project_id, user_id=caller.user_id, status=CREATING,
            progress="0%", size=volume.size, name=name, description=description,
            metadata=dict(metadata or {}), created_at=now, updated_at=None,
            volume_type_id=volume.volume_type_id,
            encryption_key_id=volume.encryption_key_id)
        response = copy.copy(snapshot)
        store.add_snapshot(snapshot)
        if asynchronous:
            store.transitions.begin("snapshot_create", snapshot, failing=failing,
                                    changes={"progress": "100%"})
            return response
        snapshot.status = status
        snapshot.progress = "100%" if status == AVAILABLE else "0%"
        if status != CREATING:
            snapshot.updated_at = now
        return response


def show_snapshot(store: Store, caller: Caller, snapshot_id: str) -> Snapshot:
    """A read of the snapshot: it counts as a poll of its transition."""
    with store.lock:
        get_snapshot(store, caller, snapshot_id)
        store.transitions.observe(SNAPSHOT_RECORD, [snapshot_id])
        return copy.copy(get_snapshot(store, caller, snapshot_id))


def update_snapshot(store: Store, caller: Caller, snapshot_id: str,
                    changes: Mapping[str, str | None]) -> Snapshot:
    """PUT snapshots/{id}: name and description. Returns the record as Cinder's update
    answers it: with the new values but the updated_at it had."""
    with store.lock:
        snapshot = get_snapshot(store, caller, snapshot_id)
        authorize(caller, "volume:update_snapshot", snapshot.project_id)
        response = copy.copy(snapshot)
        for key in ("name", "description"):
            if key in changes:
                setattr(snapshot, key, changes[key])
                setattr(response, key, changes[key])
        snapshot.updated_at = store.clock.now()
        return response


def delete_snapshot(store: Store, caller: Caller, snapshot_id: str, force: bool = False,
                    failing: bool = False) -> None:
    """Cinder's delete_snapshot: 'deleting' until the snapshot_delete (or, ``force``:
    the admin action os-force_delete, its policy first, which skips the status
    condition: snapshot_force_delete) transition removes it (``failing``:
    'error_deleting')."""
    with store.lock:
        snapshot = get_snapshot(store, caller, snapshot_id)
        if force:
            authorize(caller, "volume_extension:snapshot_admin_actions:force_delete",
                      snapshot.project_id)
        authorize(caller, "volume:delete_snapshot", snapshot.project_id)
        if not force and snapshot.status not in DELETABLE_STATUSES:
            raise InvalidSnapshot("Snapshot status must be available or error and must not "
                                  "be part of a group.")
        if snapshot.group_snapshot_id is not None:  # a group snapshot's member
            refused = "" if force else "status must be available or error and"
            raise InvalidSnapshot(f"Snapshot {refused} must not be part of a group.")
        store.transitions.begin("snapshot_force_delete" if force else "snapshot_delete",
                                snapshot, failing=failing)


def update_status(store: Store, caller: Caller, snapshot_id: str, status: str,
                  progress: str | None = None) -> None:
    """os-update_snapshot_status (snapshot_actions.py): for snapshots a service is still
    creating or deleting; the policy is checked once the snapshot is found."""
    with store.lock:
        snapshot = load_snapshot(store, caller, snapshot_id)
        authorize(caller, "snapshot_extension:snapshot_actions:update_snapshot_status",
                  snapshot.project_id)
        allowed = STATUS_UPDATES.get(snapshot.status)
        if allowed is None:
            raise BadRequest(f"Snapshot status {snapshot.status} not allowed for "
                             "update_snapshot_status")
        if status not in allowed:
            raise BadRequest(f"Provided snapshot status {status} not allowed for snapshot "
                             f"with status {snapshot.status}.")
        snapshot.status = status
        if progress:
            snapshot.progress = progress
        snapshot.updated_at = store.clock.now()


def reset_status(store: Store, caller: Caller, snapshot_id: str, status: str) -> None:
    """The admin action os-reset_status: any of Cinder's snapshot statuses (any case)."""
    if not status or status.lower() not in SNAPSHOT_STATUSES:
        raise BadRequest(f"Snapshot status: {status} is invalid, valid statuses are: "
                         f"{SNAPSHOT_STATUSES!r}.")
    with store.lock:
        snapshot = load_snapshot(store, caller, snapshot_id)
        authorize(caller, "volume_extension:snapshot_admin_actions:reset_status",
                  snapshot.project_id)
        snapshot.status = status.lower()
        snapshot.updated_at = store.clock.now()


def check_progress(progress: Any) -> None:
    """Cinder's 'progress' format: an integer percentage between 0 and 100."""
    if not progress:
        return
    try:
        number = int(str(progress)[:-1])
    except ValueError:
        raise BadRequest("Invalid input received: progress must be an integer "
                         "percentage") from None
    if number < 0 or number > 100 or str(progress)[-1] != "%":
        raise BadRequest("Invalid input received: progress must be an integer percentage "
                         "between 0 and 100")


# -- listing --------------------------------------------------------------------------------------
def filter_values(filters: Mapping[str, str]) -> dict[str, Any]:
    """The metadata filter is a Python literal (a dict), use_quota a boolean; the
    others are strings."""
    values: dict[str, Any] = dict(filters)
    if "use_quota" in values:
        values["use_quota"] = bool_param(values, "use_quota")
    if "metadata" in values:
        with contextlib.suppress(ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            values["metadata"] = ast.literal_eval(values["metadata"])
    return values


def _matches(snapshot: Snapshot, filters: Mapping[str, Any]) -> bool:
    for key, wanted in filters.items():
        if key == "use_quota":
            if wanted is not True:  # every snapshot of the fake counts against quota
                return False
        elif key == "metadata":
            if not isinstance(wanted, dict) or any(
                    snapshot.metadata.get(str(k)) != v for k, v in wanted.items()):
                return False
        elif getattr(snapshot, MODEL_COLUMNS[key]) != wanted:
            return False
    return True


# The columns Cinder sorts snapshots by.
SORT_COLUMNS = {k: v for k, v in MODEL_COLUMNS.items() if k not in ("metadata", "use_quota")}


def snapshot_source(store: Store) -> Source:
    return Source(store.snapshot_index, store.project_snapshots, store.project_snapshot)


def list_snapshots(store: Store, caller: Caller, query: ListQuery,
                   filters: Mapping[str, Any], count: bool = True
                   ) -> tuple[list[Snapshot], int | None]:
    """One page of snapshots in Cinder's order (newest first), and with ``count`` how
    many match. Read from the store's snapshot indexes (core/indexed_lists.py), with
    paginate_query's marker semantics, as volumes are."""
    authorize(caller, "volume:get_all_snapshots")
    with store.lock:
        if query.matches_nothing:
            return [], 0 if count else None
        marker = load_snapshot(store, caller, query.marker) if query.marker else None
        check_sort_keys(query, SORT_COLUMNS)
        store.transitions.observe_scope(  # a read of each snapshot listed
            SNAPSHOT_RECORD, None if query.all_tenants else caller.project_id)
        projects = store.snapshot_projects() if query.all_tenants else [caller.project_id]
        lister = Lister(snapshot_source(store), query, SORT_COLUMNS, filters,
                        lambda snapshot: _matches(snapshot, filters), caller.is_admin)
        total = lister.count(projects) if count else None
        return [copy.copy(s) for s in lister.page(projects, marker)], total


def rename_params(query: ListQuery) -> None:
    """The REST API says name where Cinder's database says display_name."""
    query.sort_keys = ["display_name" if k == "name" else k for k in query.sort_keys]
    if "name" in query.filters:
        query.filters["display_name"] = query.filters.pop("name")
    if "consumes_quota" in query.filters:  # Cinder's process_general_filtering
        query.filters["use_quota"] = query.filters.pop("consumes_quota")
    query.matches_nothing = any(key not in MODEL_COLUMNS for key in query.filters)
