"""The store: every volume type, volume, attachment and snapshot, the volume types'
encryption, the quotas set, volume transfers, user messages and the backends, with the
indexes reads need.

One re-entrant lock guards all of it; the domain modules take it for each
operation, so a reserve, its checks and its writes happen as one step.

The indexes and usage counters keep every read of a project's records independent of
how many records the store holds (issue 24): each is changed by the same method that
changes the records. A stored volume, snapshot or attachment reports every change of
its fields (``models.Watched``) to its watcher (``_volume_changed``,
``_snapshot_changed``, the attachments' column index), which re-indexes it, so its
fields may be assigned anywhere (under the lock). ``check_indexes`` compares every index
with a full scan.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .backends import default_backends, default_scheduler
from .clock import Clock
from .column_index import ColumnIndex
from .metadata_rows import MetadataRows
from .models import (
    Attachment,
    Backend,
    BlockDeviceMapping,
    Encryption,
    Group,
    GroupSnapshot,
    GroupType,
    Image,
    Message,
    QosSpecs,
    Service,
    Snapshot,
    Transfer,
    Volume,
    VolumeType,
)
from .transitions import Transitions


def _attachment_key(attachment: Attachment) -> tuple[str, str]:
    return attachment.sort_key


# The volume fields that _Counted and the volumes by project hold.
_COUNTED_FIELDS = frozenset({"project_id", "created_at", "size", "volume_type_id", "host"})
_COUNTED_SNAPSHOT_FIELDS = frozenset({"project_id", "created_at", "size", "volume_type_id",
                                      "volume_id"})
# A volume's or snapshot's place in the quota usage: ("volumes" or "snapshots", its type id).
UsageKey = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class _Counted:
    """What the indexes hold of one volume or snapshot: removing it takes back exactly
    what adding it put in, whatever its fields say by then."""

    project_id: str
    sort_key: tuple[str, str]
    usage_key: UsageKey
    size: int
    volume_id: str  # a snapshot's volume (a volume's own id)
    host: str | None = None  # a volume's pool


def _add_pool_usage(usage: dict[str, list[int]], counted: _Counted, sign: int) -> None:
    if counted.host:
        totals = usage.setdefault(counted.host, [0, 0])
        totals[0] += sign
        totals[1] += sign * counted.size
        if totals == [0, 0]:
            del usage[counted.host]


def _add_usage(usage: dict[UsageKey, list[int]], counted: _Counted, sign: int) -> None:
    totals = usage.setdefault(counted.usage_key, [0, 0])
    totals[0] += sign
    totals[1] += sign * counted.size
    if totals == [0, 0]:
        del usage[counted.usage_key]


class Store:
    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.volume_types: dict[str, VolumeType] = {}
        self.volumes: dict[str, Volume] = {}
        self.attachments: dict[str, Attachment] = {}
        # project id -> attachments sorted oldest first by (created_at, id)
        self._attachments_by_project: dict[str, list[Attachment]] = {}
        # volume id -> attachments in creation order
        self._attachments_by_volume: dict[str, list[Attachment]] = {}
        # project id -> volume id -> volume, in creation order
        self._volumes_by_project: dict[str, dict[str, Volume]] = {}
        # Users, projects and servers of the fake Keystone and compute (plain JSON data).
        self.identity: dict[str, Any] | None = None
        self.snapshots: dict[str, Snapshot] = {}
        # volume type id -> its encryption specs
        self.encryptions: dict[str, Encryption] = {}
        # Quota limits set in place of Cinder's defaults (its "default" quota class), and
        # per project: resource name -> limit (-1 unlimited); see core/quotas.py.
        self.quota_defaults: dict[str, int] = {}
        self.project_quotas: dict[str, dict[str, int]] = {}
        # Backends by host (host@backend) and the scheduler's service; see core/backends.py.
        self.backends: dict[str, Backend] = default_backends()
        self.scheduler: Service = default_scheduler()
        # The volume manager's unfinished work and how long it takes (core/transitions.py).
        self.transitions = Transitions(self)
        # QoS specs by id; quota classes other than "default" (which is quota_defaults):
        # class name -> resource name -> limit.
        self.qos_specs: dict[str, QosSpecs] = {}
        self.quota_classes: dict[str, dict[str, int]] = {}
        # Volume transfers (core/transfers.py) and user messages (core/messages.py) by id.
        self.transfers: dict[str, Transfer] = {}
        self.messages: dict[str, Message] = {}
        # Issue 24's indexes. Project id -> its volumes' (created_at, id), sorted.
        self._volume_keys: dict[str, list[tuple[str, str]]] = {}
        # Volume or snapshot id -> what the indexes hold of it.
        self._counted_volumes: dict[str, _Counted] = {}
        self._counted_snapshots: dict[str, _Counted] = {}
        # Project id -> usage key -> [count, gigabytes] of its volumes and snapshots.
        self._usage: dict[str, dict[UsageKey, list[int]]] = {}
        # Pool host -> [count, gigabytes] of the volumes placed on it (the scheduler's).
        self._pool_usage: dict[str, list[int]] = {}
        # Project id, and volume id -> snapshot id -> snapshot.
        self._snapshots_by_project: dict[str, dict[str, Snapshot]] = {}
        self._snapshots_by_volume: dict[str, dict[str, Snapshot]] = {}
        # The fake Glance's images and their data (core/images.py bounds its size).
        self.images: dict[str, Image] = {}
        self.image_data: dict[str, bytes] = {}
        # Nova's block device mappings of volumes (the fake's os-volume_attachments), by id.
        self.block_devices: dict[str, BlockDeviceMapping] = {}
        # Generic volume groups (core/groups.py): group types, groups, group snapshots by id.
        self.group_types: dict[str, GroupType] = {}
        self.groups: dict[str, Group] = {}
        self.group_snapshots: dict[str, GroupSnapshot] = {}
        # Volumes and snapshots by any column, per project (built on first use;
        # core/column_index.py), and the volumes' metadata rows (core/metadata_rows.py).
        self.volume_index = ColumnIndex(self.lock)
        self.snapshot_index = ColumnIndex(self.lock)
        self.attachment_index = ColumnIndex(self.lock)
        self.volume_metadata = MetadataRows()

    # -- volume types -------------------------------------------------------------------------
    def add_volume_type(self, volume_type: VolumeType) -> VolumeType:
        with self.lock:
            self.volume_types[volume_type.id] = volume_type
            return volume_type

    def find_volume_type(self, name_or_id: str) -> VolumeType | None:
        with self.lock:
            found = self.volume_types.get(name_or_id)
            return found if found is not None else self.find_volume_type_by_name(name_or_id)

    def find_volume_type_by_name(self, name: str) -> VolumeType | None:
        with self.lock:
            return next((t for t in self.volume_types.values() if t.name == name), None)

    # -- volumes --------------------------------------------------------------------------------
    def add_volume(self, volume: Volume) -> Volume:
        with self.lock:
            self.volumes[volume.id] = volume
            self._volumes_by_project.setdefault(volume.project_id, {})[volume.id] = volume
            self._attachments_by_volume.setdefault(volume.id, [])
            self._count_volume(volume)
            self.volume_index.add(volume)
            self.volume_metadata.update(volume)
            object.__setattr__(volume, "watcher", self._volume_changed)
            return volume

    def _volume_changed(self, volume: Volume, name: str, value: Any) -> None:
        """A stored volume's watcher: set its field ``name``, re-indexing it."""
        if (name not in _COUNTED_FIELDS and name != "metadata"
                and not self.volume_index.indexes(name)):
            object.__setattr__(volume, name, value)  # nothing holds it: the usual case
            return
        with self.lock:
            if name == "project_id":
                self._volumes_by_project.get(volume.project_id, {}).pop(volume.id, None)
                self._volumes_by_project.setdefault(value, {})[volume.id] = volume
            self.volume_index.changed(volume, name, value)
            if name in _COUNTED_FIELDS:
                self.reindex_volume(volume)
            if name in ("metadata", "project_id"):
                self.volume_metadata.update(volume)

    def _count_volume(self, volume: Volume) -> None:
        counted = _Counted(volume.project_id, (volume.created_at, volume.id),
                           ("volumes", volume.volume_type_id), volume.size, volume.id,
                           volume.host)
        self._counted_volumes[volume.id] = counted
        keys = self._volume_keys.setdefault(counted.project_id, [])
        if not keys or keys[-1] <= counted.sort_key:
            keys.append(counted.sort_key)  # the usual case: the newest goes last
        else:
            bisect.insort(keys, counted.sort_key)
        _add_usage(self._usage.setdefault(counted.project_id, {}), counted, 1)
        _add_pool_usage(self._pool_usage, counted, 1)

    def _uncount_volume(self, volume_id: str) -> None:
        counted = self._counted_volumes.pop(volume_id)
        keys = self._volume_keys[counted.project_id]
        del keys[bisect.bisect_left(keys, counted.sort_key)]
        _add_usage(self._usage[counted.project_id], counted, -1)
        _add_pool_usage(self._pool_usage, counted, -1)

    def reindex_volume(self, volume: Volume) -> None:
        """Bring the usage counters and creation order up to date with a stored volume
        whose project, size, type or created_at changed (its watcher calls this)."""
        with self.lock:
            self._uncount_volume(volume.id)
            self._count_volume(volume)

    def remove_volume(self, volume_id: str) -> None:
        with self.lock:
            volume = self.volumes.pop(volume_id)
            object.__setattr__(volume, "watcher", None)
            self._uncount_volume(volume_id)
            self.volume_index.remove(volume)
            self.volume_metadata.drop(volume_id)
            project = self._volumes_by_project.get(volume.project_id, {})
            project.pop(volume_id, None)
            for attachment in list(self._attachments_by_volume.get(volume_id, ())):
                self.remove_attachment(attachment.id)
            self._attachments_by_volume.pop(volume_id, None)
            for transfer_id in [t.id for t in self.transfers.values()
                                if t.volume_id == volume_id]:
                del self.transfers[transfer_id]

    def project_volumes(self, project_id: str | None) -> list[Volume]:
        """Volumes of one project (all projects when None), oldest first."""
        with self.lock:
            if project_id is None:
                return list(self.volumes.values())
            return list(self._volumes_by_project.get(project_id, {}).values())

    def project_volume(self, project_id: str, volume_id: str) -> Volume:
        return self._volumes_by_project[project_id][volume_id]

    def project_volume_keys(self, project_id: str) -> list[tuple[str, str]]:
        """The project's volumes' (created_at, id), oldest first (the live index: do not
        modify; read under the lock)."""
        return self._volume_keys.get(project_id, [])

    def volume_projects(self) -> list[str]:
        return [project for project, keys in self._volume_keys.items() if keys]

    def usage_counts(self, project_id: str) -> dict[UsageKey, list[int]]:
        """The project's volumes and snapshots: (kind, type id) -> [count, gigabytes]
        (the live counters: do not modify; read under the lock)."""
        return self._usage.get(project_id, {})

    def pool_usage(self) -> dict[str, list[int]]:
        """Pool host -> [count, gigabytes] of its volumes (the live counters: do not
        modify; read under the lock)."""
        return self._pool_usage

    # -- attachments ----------------------------------------------------------------------------
    def add_attachment(self, attachment: Attachment) -> Attachment:
        with self.lock:
            self.attachments[attachment.id] = attachment
            ordered = self._attachments_by_project.setdefault(attachment.project_id, [])
            if not ordered or ordered[-1].sort_key <= attachment.sort_key:
                ordered.append(attachment)  # the usual case: the newest goes last
            else:
                bisect.insort(ordered, attachment, key=_attachment_key)
            self._attachments_by_volume.setdefault(attachment.volume_id, []).append(attachment)
            self.attachment_index.add(attachment)
            object.__setattr__(attachment, "watcher", self.attachment_index.changed)
            return attachment

    def remove_attachment(self, attachment_id: str) -> Attachment:
        with self.lock:
            attachment = self.attachments.pop(attachment_id)
            object.__setattr__(attachment, "watcher", None)
            self.attachment_index.remove(attachment)
            ordered = self._attachments_by_project[attachment.project_id]
            index = bisect.bisect_left(ordered, attachment.sort_key, key=_attachment_key)
            while ordered[index] is not attachment:
                index += 1
            del ordered[index]
            self._attachments_by_volume[attachment.volume_id].remove(attachment)
            return attachment

    def move_attachment(self, attachment: Attachment, volume_id: str) -> None:
        """Point an attachment at another volume (a finished migration's swap)."""
        with self.lock:
            self._attachments_by_volume[attachment.volume_id].remove(attachment)
            attachment.volume_id = volume_id  # its watcher re-indexes it
            self._attachments_by_volume.setdefault(volume_id, []).append(attachment)

    def volume_attachments(self, volume_id: str) -> list[Attachment]:
        with self.lock:
            return list(self._attachments_by_volume.get(volume_id, ()))

    def project_attachments(self, project_id: str) -> list[Attachment]:
        """The project's attachments sorted oldest first (the live index: do not modify)."""
        return self._attachments_by_project.get(project_id, [])

    def project_attachment(self, _project_id: str, attachment_id: str) -> Attachment:
        return self.attachments[attachment_id]

    def attachment_projects(self) -> Iterator[str]:
        return iter(list(self._attachments_by_project))

    # -- snapshots ------------------------------------------------------------------------------
    def add_snapshot(self, snapshot: Snapshot) -> Snapshot:
        with self.lock:
            self.snapshots[snapshot.id] = snapshot
            self._count_snapshot(snapshot)
            self.snapshot_index.add(snapshot)
            object.__setattr__(snapshot, "watcher", self._snapshot_changed)
            return snapshot

    def _count_snapshot(self, snapshot: Snapshot) -> None:
        counted = _Counted(snapshot.project_id, (snapshot.created_at, snapshot.id),
                           ("snapshots", snapshot.volume_type_id), snapshot.size,
                           snapshot.volume_id)
        self._counted_snapshots[snapshot.id] = counted
        self._snapshots_by_project.setdefault(counted.project_id, {})[snapshot.id] = snapshot
        self._snapshots_by_volume.setdefault(counted.volume_id, {})[snapshot.id] = snapshot
        _add_usage(self._usage.setdefault(counted.project_id, {}), counted, 1)

    def _uncount_snapshot(self, snapshot_id: str) -> None:
        counted = self._counted_snapshots.pop(snapshot_id)
        for index, key in ((self._snapshots_by_project, counted.project_id),
                           (self._snapshots_by_volume, counted.volume_id)):
            del index[key][snapshot_id]
            if not index[key]:
                del index[key]
        _add_usage(self._usage[counted.project_id], counted, -1)

    def _snapshot_changed(self, snapshot: Snapshot, name: str, value: Any) -> None:
        """A stored snapshot's watcher: set its field ``name``, re-indexing it."""
        if name not in _COUNTED_SNAPSHOT_FIELDS and not self.snapshot_index.indexes(name):
            object.__setattr__(snapshot, name, value)
            return
        with self.lock:
            counted = name in _COUNTED_SNAPSHOT_FIELDS
            if counted:
                self._uncount_snapshot(snapshot.id)
            self.snapshot_index.changed(snapshot, name, value)
            if counted:
                self._count_snapshot(snapshot)

    def remove_snapshot(self, snapshot_id: str) -> Snapshot:
        with self.lock:
            snapshot = self.snapshots.pop(snapshot_id)
            object.__setattr__(snapshot, "watcher", None)
            self._uncount_snapshot(snapshot_id)
            self.snapshot_index.remove(snapshot)
            return snapshot

    def move_snapshot(self, snapshot: Snapshot, project_id: str) -> None:
        """Give a stored snapshot to another project (an accepted transfer)."""
        snapshot.project_id = project_id  # its watcher moves it in the indexes

    def volume_snapshots(self, volume_id: str) -> list[Snapshot]:
        with self.lock:
            return list(self._snapshots_by_volume.get(volume_id, {}).values())

    def project_snapshots(self, project_id: str) -> list[Snapshot]:
        with self.lock:
            return list(self._snapshots_by_project.get(project_id, {}).values())

    def project_snapshot(self, project_id: str, snapshot_id: str) -> Snapshot:
        return self._snapshots_by_project[project_id][snapshot_id]

    def snapshot_projects(self) -> list[str]:
        return list(self._snapshots_by_project)

    # -- a volume changing hands (an accepted transfer) ----------------------------------------
    def move_volume(self, volume: Volume, project_id: str) -> None:
        """Give a stored volume (and its attachments) to another project, keeping the
        project indexes right."""
        with self.lock:
            volume.project_id = project_id  # its watcher moves it in the indexes
            for attachment in list(self._attachments_by_volume.get(volume.id, ())):
                self.remove_attachment(attachment.id)
                attachment.project_id = project_id
                self.add_attachment(attachment)

    # -- whole state ----------------------------------------------------------------------------
    def clear(self, project_id: str | None = None) -> None:
        """Forget everything, or only one project's volumes, attachments, snapshots, quotas
        and private types."""
        with self.lock:
            if project_id is None:
                self.volume_index.forget(None, list(self.volumes.values()))
                self.volume_metadata.forget(None, ())
                self.snapshot_index.forget(None, list(self.snapshots.values()))
                self.attachment_index.forget(None, list(self.attachments.values()))
                self.volume_types.clear()
                self.volumes.clear()
                self.attachments.clear()
                self._attachments_by_project.clear()
                self._attachments_by_volume.clear()
                self._volumes_by_project.clear()
                self.snapshots.clear()
                self.encryptions.clear()
                self.quota_defaults.clear()
                self.project_quotas.clear()
                self.backends = default_backends()
                self.scheduler = default_scheduler()
                self.qos_specs.clear()
                self.quota_classes.clear()
                self.transfers.clear()
                self.messages.clear()
                for index in (self._volume_keys, self._counted_volumes, self._pool_usage,
                              self._counted_snapshots, self._usage,
                              self._snapshots_by_project, self._snapshots_by_volume):
                    index.clear()
                self.images.clear()
                self.image_data.clear()
                self.block_devices.clear()
                self.group_types.clear()
                self.groups.clear()
                self.group_snapshots.clear()
                return
            self.attachment_index.forget(project_id,
                                         self._attachments_by_project.get(project_id, []))
            for attachment in self._attachments_by_project.pop(project_id, []):
                self.attachments.pop(attachment.id, None)
                self._attachments_by_volume.get(attachment.volume_id, []).remove(attachment)
            self.volume_index.forget(
                project_id, list(self._volumes_by_project.get(project_id, {}).values()))
            self.volume_metadata.forget(project_id, self._volumes_by_project.get(project_id, {}))
            volume_ids = list(self._volumes_by_project.pop(project_id, {}))
            for volume_id in volume_ids:
                self.volumes.pop(volume_id, None)
                self._attachments_by_volume.pop(volume_id, None)
                _add_pool_usage(self._pool_usage, self._counted_volumes.pop(volume_id), -1)
            self._volume_keys.pop(project_id, None)
            for type_id in [t.id for t in self.volume_types.values()
                            if t.project_id == project_id]:
                del self.volume_types[type_id]
                self.encryptions.pop(type_id, None)
            # The project's snapshots, and any left without their volume.
            doomed = list(self._snapshots_by_project.get(project_id, {}))
            for volume_id in volume_ids:
                doomed.extend(self._snapshots_by_volume.get(volume_id, {}))
            for snapshot_id in dict.fromkeys(doomed):
                self.remove_snapshot(snapshot_id)
            self._usage.pop(project_id, None)
            self.project_quotas.pop(project_id, None)
            for transfer_id in [t.id for t in self.transfers.values()
                                if t.source_project_id == project_id
                                or t.volume_id not in self.volumes]:
                del self.transfers[transfer_id]
            for message_id in [m.id for m in self.messages.values()
                               if m.project_id == project_id]:
                del self.messages[message_id]
            for image_id in [i.id for i in self.images.values() if i.owner == project_id]:
                del self.images[image_id]
                self.image_data.pop(image_id, None)
            for bdm_id in [b.id for b in self.block_devices.values()
                           if b.project_id == project_id]:
                del self.block_devices[bdm_id]
            for group_snapshot_id in [g.id for g in self.group_snapshots.values()
                                      if g.project_id == project_id]:
                del self.group_snapshots[group_snapshot_id]
            for group_id in [g.id for g in self.groups.values() if g.project_id == project_id]:
                del self.groups[group_id]

    # -- the indexes against a full scan (the property tests) ----------------------------------
    def check_indexes(self) -> list[str]:
        """Every way the indexes and counters differ from a scan of the records (none)."""
        with self.lock:
            problems: list[str] = []
            usage: dict[str, dict[UsageKey, list[int]]] = {}
            keys: dict[str, list[tuple[str, str]]] = {}
            for volume in self.volumes.values():
                totals = usage.setdefault(volume.project_id, {}).setdefault(
                    ("volumes", volume.volume_type_id), [0, 0])
                totals[0] += 1
                totals[1] += volume.size
                keys.setdefault(volume.project_id, []).append((volume.created_at, volume.id))
            for snapshot in self.snapshots.values():
                totals = usage.setdefault(snapshot.project_id, {}).setdefault(
                    ("snapshots", snapshot.volume_type_id), [0, 0])
                totals[0] += 1
                totals[1] += snapshot.size
            pools: dict[str, list[int]] = {}
            for volume in self.volumes.values():
                if volume.host:
                    totals = pools.setdefault(volume.host, [0, 0])
                    totals[0] += 1
                    totals[1] += volume.size
            if pools != self._pool_usage:
                problems.append(f"pool usage {self._pool_usage} != scan {pools}")
            if {p: u for p, u in self._usage.items() if u} != {p: u for p, u in usage.items()}:
                problems.append(f"usage {self._usage} != scan {usage}")
            if {p: k for p, k in self._volume_keys.items() if k} != {
                    p: sorted(k) for p, k in keys.items()}:
                problems.append("volume order differs from the volumes' (created_at, id)")
            by_project = {p: set(v) for p, v in self._volumes_by_project.items() if v}
            if by_project != {p: {i for _c, i in k} for p, k in keys.items()}:
                problems.append("volumes by project differ from the volumes' projects")
            for snapshot in self.snapshots.values():
                if (self._snapshots_by_project.get(snapshot.project_id, {}).get(snapshot.id)
                        is not snapshot or self._snapshots_by_volume.get(
                            snapshot.volume_id, {}).get(snapshot.id) is not snapshot):
                    problems.append(f"snapshot {snapshot.id} is not indexed where it is")
            indexed = sum(map(len, self._snapshots_by_project.values()))
            if indexed != len(self.snapshots) or indexed != sum(
                    map(len, self._snapshots_by_volume.values())):
                problems.append("the snapshot indexes hold other snapshots than the store")
            problems.extend(self.volume_index.check(self.volumes))
            problems.extend(self.volume_metadata.check(self.volumes))
            problems.extend(self.snapshot_index.check(self.snapshots))
            problems.extend(self.attachment_index.check(self.attachments))
            problems.extend(f"volume {v.id} does not report its changes"
                            for v in self.volumes.values() if v.watcher != self._volume_changed)
            problems.extend(f"attachment {a.id} does not report its changes"
                            for a in self.attachments.values()
                            if a.watcher != self.attachment_index.changed)
            problems.extend(f"snapshot {s.id} does not report its changes"
                            for s in self.snapshots.values()
                            if s.watcher != self._snapshot_changed)
            return problems
