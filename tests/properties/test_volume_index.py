"""The store's column indexes (core/column_index.py) always agree with a full scan, every
volume page and count read from them (core/indexed_lists.py) equals the old full sort
(``sorted_after``) and the old count, and the summary's distinct metadata
(core/metadata_rows.py) lists each pair where a model of Cinder's volume_metadata rows
has its first live row.

A hypothesis state machine adds volumes to two projects, changes their fields by plain
assignment (as any code path may), gives them equal ``created_at``, moves them between
projects, deletes them, resets a project and reloads the state. Its query rule lists
with any sort key and direction (one key, several, mixed directions), a marker, filters
(equalities an index serves, lists, metadata, values of another type), offsets, limits,
all tenants, as an admin or not.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from fake_cinder import FakeCinder
from fake_cinder.core.attachments import _matches as attachment_matches
from fake_cinder.core.attachments import list_attachments
from fake_cinder.core.context import Caller
from fake_cinder.core.listing import MODEL_COLUMNS as ATTACHMENT_COLUMNS
from fake_cinder.core.listing import ListQuery, _complete_sort, sorted_after
from fake_cinder.core.models import Attachment, Snapshot, Volume
from fake_cinder.core.snapshots import SORT_COLUMNS as SNAPSHOT_SORT_COLUMNS
from fake_cinder.core.snapshots import _matches as snapshot_matches
from fake_cinder.core.snapshots import list_snapshots
from fake_cinder.core.volumes import SORT_COLUMNS, _volume_matches, list_volumes

PROJECTS = ("alpha", "beta")
TEXTS = st.sampled_from([None, "", "a", "b", "c"])
STAMPS = st.sampled_from([None, "2020-01-01T00:00:00.000000", "2021-01-01T00:00:00.000000"])
# A field of a stored volume and the values it may take (NULLs, ties and the empty string
# included: paginate_query compares a NULL as its column's default).
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "status": st.sampled_from(["available", "in-use", "error", "creating"]),
    "name": TEXTS,
    "description": TEXTS,
    "size": st.integers(1, 4),
    "bootable": st.booleans(),
    "multiattach": st.booleans(),
    "availability_zone": st.sampled_from(["nova", "zone-b"]),
    "updated_at": STAMPS,
    "migration_status": st.sampled_from([None, "migrating", "success", "target:x"]),
    "host": st.sampled_from([None, "h1@b#p", "h2@b#p"]),
    "user_id": TEXTS,
    "attach_status": st.sampled_from(["attached", "detached"]),
    "created_at": st.sampled_from(["2019-01-01T00:00:00.000000",
                                   "2020-01-01T00:00:00.000000"]),
    "metadata": st.sampled_from([{}, {"k": "1"}, {"k": "2"}, {"k": "1", "j": "x"}]),
}
SORT_KEYS = sorted(SORT_COLUMNS)
SNAPSHOT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "status": st.sampled_from(["available", "error", "creating"]),
    "name": TEXTS, "description": TEXTS, "size": st.integers(1, 3), "updated_at": STAMPS,
    "progress": st.sampled_from(["0%", "100%"]), "created_at": FIELDS["created_at"],
    "project_id": st.sampled_from(PROJECTS)}
SERVERS = st.sampled_from([None, "server-1", "server-2"])
ATTACHMENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "instance_uuid": SERVERS, "attach_status": st.sampled_from(["reserved", "attached"]),
    "attached_at": STAMPS, "mountpoint": st.sampled_from([None, "/dev/vdb"]),
    "attach_mode": st.sampled_from(["null", "rw"]), "created_at": FIELDS["created_at"]}
ATTACHMENT_FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "instance_uuid": st.sampled_from(["server-1", "server-2"]),
    "attach_status": st.sampled_from(["reserved", "attached"]),
    "mountpoint": st.sampled_from(["/dev/vdb"])}
ATTACHMENT_SORT_KEYS = sorted(k for k in ATTACHMENT_COLUMNS
                              if k not in ("connector", "connection_info"))
SNAPSHOT_FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "status": SNAPSHOT_FIELDS["status"], "display_name": st.sampled_from(["", "a", "b"]),
    "progress": st.sampled_from(["0%"]), "metadata": st.sampled_from([{"k": "1"}])}
FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "status": FIELDS["status"] | st.just(["available", "error"]) | st.just(1),
    "display_name": st.sampled_from(["", "a", "b"]),
    "size": FIELDS["size"] | st.just(True) | st.just(1.0),
    "bootable": st.booleans(),
    "availability_zone": FIELDS["availability_zone"],
    "migration_status": st.sampled_from(["migrating", "target:x"]),
    "metadata": st.sampled_from([{"k": "1"}, {"j": "x"}]),
    "host": st.sampled_from(["h1@b#p"]),
}


def _reference(store: Any, caller: Caller, query: ListQuery, filters: dict[str, Any],
               marker: Volume | None) -> tuple[list[str], int]:
    """The list as it was read before the indexes: every volume sorted."""
    projects = store.volume_projects() if query.all_tenants else [caller.project_id]
    volumes = [v for p in projects for v in store.project_volumes(p)]

    def listed(volume: Volume) -> bool:
        # Cinder hides migration targets from non-admins.
        hidden = not caller.is_admin and (volume.migration_status or "").startswith("target:")
        return not hidden and _volume_matches(volume, filters)

    matching = [v for v in sorted_after(volumes, query, SORT_COLUMNS, marker) if listed(v)]
    page = matching[query.offset:query.offset + query.limit]
    return [v.id for v in page], sum(1 for v in volumes if listed(v))


class VolumeIndexMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeCinder(seed=5)
        self.store = self.fake.store
        # Cinder's volume_metadata rows, in creation order: [volume id, key, value].
        self.rows: list[list[str]] = []

    def _rows_follow(self, volume: Volume, metadata: dict[str, str]) -> None:
        """Cinder's metadata update: a removed key's row goes, a changed value is
        written into its row, a new key adds a row."""
        self.rows = [row for row in self.rows
                     if row[0] != volume.id or row[1] in metadata]
        for row in self.rows:
            if row[0] == volume.id:
                row[2] = metadata[row[1]]
        have = {row[1] for row in self.rows if row[0] == volume.id}
        self.rows.extend([volume.id, k, v] for k, v in metadata.items() if k not in have)

    def _rows_of_store(self) -> None:
        self.rows = [row for row in self.rows if row[0] in self.store.volumes]

    def _volume(self, index: int) -> Volume:
        volumes = list(self.store.volumes.values())
        return volumes[index % len(volumes)]

    @rule(project=st.sampled_from(PROJECTS), volumes=st.lists(st.tuples(
        TEXTS, st.integers(1, 4), FIELDS["status"], st.booleans(), FIELDS["metadata"]),
        min_size=1, max_size=4))
    def add(self, project: str, volumes: list[tuple[Any, ...]]) -> None:
        for name, size, status, bootable, metadata in volumes:
            added = self.fake.add_volume(project_id=project, name=name, size=size,
                                         status=status, bootable=bootable, metadata=metadata)
            self.rows.extend([added["id"], k, v] for k, v in metadata.items())

    @precondition(lambda self: self.store.volumes)
    @rule(index=st.integers(0, 50), data=st.data())
    def assign(self, index: int, data: st.DataObject) -> None:
        """A field changes by plain assignment, as anywhere in the code."""
        field = data.draw(st.sampled_from(sorted(FIELDS)))
        volume, value = self._volume(index), data.draw(FIELDS[field])
        with self.store.lock:
            setattr(volume, field, value)
        if field == "metadata":
            self._rows_follow(volume, value)

    @precondition(lambda self: self.store.volumes)
    @rule(index=st.integers(0, 50), project=st.sampled_from(PROJECTS))
    def move(self, index: int, project: str) -> None:
        self.store.move_volume(self._volume(index), project)

    @precondition(lambda self: self.store.volumes)
    @rule(index=st.integers(0, 50))
    def delete(self, index: int) -> None:
        volume = self._volume(index)
        for snapshot in self.store.volume_snapshots(volume.id):
            self.store.remove_snapshot(snapshot.id)
        self.store.remove_volume(volume.id)
        self._rows_of_store()

    @precondition(lambda self: self.store.volumes)
    @rule(index=st.integers(0, 50), name=TEXTS, status=SNAPSHOT_FIELDS["status"],
          metadata=FIELDS["metadata"])
    def add_snapshot(self, index: int, name: str | None, status: str,
                     metadata: dict[str, str]) -> None:
        volume, store = self._volume(index), self.store
        with store.lock:  # straight into the store: no API rule refuses it
            store.add_snapshot(Snapshot(
                id=store.clock.new_id(), volume_id=volume.id, project_id=volume.project_id,
                name=name, status=status, metadata=dict(metadata), size=volume.size,
                volume_type_id=volume.volume_type_id, created_at=store.clock.now()))

    @precondition(lambda self: self.store.snapshots)
    @rule(index=st.integers(0, 50), data=st.data())
    def assign_snapshot(self, index: int, data: st.DataObject) -> None:
        field = data.draw(st.sampled_from(sorted(SNAPSHOT_FIELDS)))
        with self.store.lock:
            setattr(self._snapshot(index), field, data.draw(SNAPSHOT_FIELDS[field]))

    @precondition(lambda self: self.store.snapshots)
    @rule(index=st.integers(0, 50))
    def delete_snapshot(self, index: int) -> None:
        self.store.remove_snapshot(self._snapshot(index).id)

    def _snapshot(self, index: int) -> Snapshot:
        snapshots = list(self.store.snapshots.values())
        return snapshots[index % len(snapshots)]

    @rule(project=st.sampled_from(PROJECTS), admin=st.booleans(), all_tenants=st.booleans(),
          key=st.sampled_from(sorted(SNAPSHOT_SORT_COLUMNS)),
          direction=st.sampled_from(["asc", "desc"]), offset=st.sampled_from([0, 1]),
          limit=st.sampled_from([1, 2, 1000]), data=st.data())
    def query_snapshots(self, project: str, admin: bool, all_tenants: bool, key: str,
                        direction: str, offset: int, limit: int, data: st.DataObject) -> None:
        caller = Caller(user_id="u", project_id=project,
                        roles=frozenset({"admin", "member", "reader"} if admin
                                        else {"member", "reader"}))
        names = data.draw(st.lists(st.sampled_from(sorted(SNAPSHOT_FILTERS)), max_size=2,
                                   unique=True))
        filters = {name: data.draw(SNAPSHOT_FILTERS[name]) for name in names}
        sort_keys, sort_dirs = _complete_sort([key], [direction])
        everyone = all_tenants and admin
        visible = [s for s in self.store.snapshots.values() if caller.can_see(s.project_id)]
        for marked in [None, *visible]:
            query = ListQuery(filters=dict(filters), sort_keys=sort_keys, sort_dirs=sort_dirs,
                              marker=marked.id if marked else None, limit=limit,
                              offset=offset, all_tenants=everyone)
            with self.store.lock:
                scope = [s for s in self.store.snapshots.values()
                         if everyone or s.project_id == project]
                matching = [s.id for s in sorted_after(scope, query, SNAPSHOT_SORT_COLUMNS,
                                                       marked)
                            if snapshot_matches(s, filters)]
                expected = (matching[offset:offset + limit],
                            sum(1 for s in scope if snapshot_matches(s, filters)))
                page, total = list_snapshots(self.store, caller, query, filters)
            assert ([s.id for s in page], total) == expected, marked

    @precondition(lambda self: self.store.volumes)
    @rule(index=st.integers(0, 50), server=SERVERS)
    def add_attachment(self, index: int, server: str | None) -> None:
        volume, store = self._volume(index), self.store
        with store.lock:
            store.add_attachment(Attachment(
                id=store.clock.new_id(), volume_id=volume.id, project_id=volume.project_id,
                instance_uuid=server, created_at=store.clock.now()))

    @precondition(lambda self: self.store.attachments)
    @rule(index=st.integers(0, 50), data=st.data())
    def assign_attachment(self, index: int, data: st.DataObject) -> None:
        field = data.draw(st.sampled_from(sorted(ATTACHMENT_FIELDS)))
        attachments = list(self.store.attachments.values())
        attachment = attachments[index % len(attachments)]
        if field == "created_at":  # the store's own index holds it: a re-add
            self.store.remove_attachment(attachment.id)
            attachment.created_at = data.draw(ATTACHMENT_FIELDS[field])
            self.store.add_attachment(attachment)
            return
        with self.store.lock:
            setattr(attachment, field, data.draw(ATTACHMENT_FIELDS[field]))

    @rule(project=st.sampled_from(PROJECTS), admin=st.booleans(), all_tenants=st.booleans(),
          key=st.sampled_from(ATTACHMENT_SORT_KEYS), direction=st.sampled_from(["asc", "desc"]),
          offset=st.sampled_from([0, 1]), limit=st.sampled_from([1, 2, 1000]),
          data=st.data())
    def query_attachments(self, project: str, admin: bool, all_tenants: bool, key: str,
                          direction: str, offset: int, limit: int,
                          data: st.DataObject) -> None:
        caller = Caller(user_id="u", project_id=project,
                        roles=frozenset({"admin", "member", "reader"} if admin
                                        else {"member", "reader"}))
        names = data.draw(st.lists(st.sampled_from(sorted(ATTACHMENT_FILTERS)), max_size=2,
                                   unique=True))
        filters = {name: data.draw(ATTACHMENT_FILTERS[name]) for name in names}
        sort_keys, sort_dirs = _complete_sort([key], [direction])
        everyone = all_tenants and admin
        visible = [a for a in self.store.attachments.values() if caller.can_see(a.project_id)]
        for marked in [None, *visible]:
            query = ListQuery(filters=dict(filters), sort_keys=sort_keys, sort_dirs=sort_dirs,
                              marker=marked.id if marked else None, limit=limit,
                              offset=offset, all_tenants=everyone)
            with self.store.lock:
                scope = [a for a in self.store.attachments.values()
                         if everyone or a.project_id == project]
                expected = [a.id for a in sorted_after(scope, query, ATTACHMENT_COLUMNS, marked)
                            if attachment_matches(a, filters)][offset:offset + limit]
                page = list_attachments(self.store, caller, query)
            assert [a.id for a in page] == expected, marked

    @rule(project=st.sampled_from(PROJECTS))
    def reset_project(self, project: str) -> None:
        self.fake.reset(project)
        self._rows_of_store()

    @rule()
    def reload(self) -> None:
        self.fake.load(self.fake.dump())
        # A loaded state's rows: its volumes' metadata, in the order they were loaded.
        self.rows = [[v.id, k, value] for v in self.store.volumes.values()
                     for k, value in v.metadata.items()]

    @rule(project=st.sampled_from(PROJECTS), admin=st.booleans(), all_tenants=st.booleans(),
          keys=st.lists(st.sampled_from(SORT_KEYS), min_size=1, max_size=2, unique=True),
          directions=st.lists(st.sampled_from(["asc", "desc"]), min_size=2, max_size=2),
          marker=st.none() | st.just(0), offset=st.sampled_from([0, 0, 1, 3]),
          limit=st.sampled_from([1, 2, 5, 1000]), data=st.data())
    def query(self, project: str, admin: bool, all_tenants: bool, keys: list[str],
              directions: list[str], marker: int | None, offset: int, limit: int,
              data: st.DataObject) -> None:
        caller = Caller(user_id="u", project_id=project,
                        roles=frozenset({"admin", "member", "reader"} if admin
                                        else {"member", "reader"}))
        names = data.draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=2, unique=True))
        filters = {name: data.draw(FILTERS[name]) for name in names}
        sort_keys, sort_dirs = _complete_sort(keys, directions[:len(keys)])
        if data.draw(st.booleans()):  # most lists: one key, one direction
            sort_keys, sort_dirs = _complete_sort(keys[:1], directions[:1])
        visible = [v for v in self.store.volumes.values() if caller.can_see(v.project_id)]
        # Every marker (the first read has none).
        for marked in [None, *visible] if marker is not None else [None]:
            query = ListQuery(filters=dict(filters), sort_keys=sort_keys, sort_dirs=sort_dirs,
                              marker=marked.id if marked else None, limit=limit,
                              offset=offset, all_tenants=all_tenants and admin)
            with self.store.lock:
                expected = _reference(self.store, caller, query, filters, marked)
                page, total = list_volumes(self.store, caller, query, filters)
            assert ([v.id for v in page], total) == expected, marked

    @invariant()
    def indexes_agree_with_a_scan(self) -> None:
        assert self.store.check_indexes() == []

    @invariant()
    def summary_metadata_is_where_its_first_row_is(self) -> None:
        for projects in ([PROJECTS[0]], [PROJECTS[1]], list(PROJECTS)):
            expected: dict[str, list[str]] = {}
            for volume_id, key, value in self.rows:
                if self.store.volumes[volume_id].project_id in projects:
                    values = expected.setdefault(key, [])
                    if value not in values:
                        values.append(value)
            assert self.store.volume_metadata.distinct(projects) == expected


VolumeIndexMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestVolumeIndex = VolumeIndexMachine.TestCase
