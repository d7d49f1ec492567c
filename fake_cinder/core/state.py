"""The store: every volume type, volume, attachment and snapshot, the volume types'
encryption, the quotas set, volume transfers and user messages, with the indexes reads
need.

One re-entrant lock guards all of it; the domain modules take it for each
operation, so a reserve, its checks and its writes happen as one step.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from typing import Any

from .clock import Clock
from .models import (
    Attachment,
    BlockDeviceMapping,
    Encryption,
    Image,
    Message,
    QosSpecs,
    Snapshot,
    Transfer,
    Volume,
    VolumeType,
)
from .transitions import Transitions


def _attachment_key(attachment: Attachment) -> tuple[str, str]:
    return attachment.sort_key


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
        # The volume manager's unfinished work and how long it takes (core/transitions.py).
        self.transitions = Transitions(self)
        # QoS specs by id; quota classes other than "default" (which is quota_defaults):
        # class name -> resource name -> limit.
        self.qos_specs: dict[str, QosSpecs] = {}
        self.quota_classes: dict[str, dict[str, int]] = {}
        # Volume transfers (core/transfers.py) and user messages (core/messages.py) by id.
        self.transfers: dict[str, Transfer] = {}
        self.messages: dict[str, Message] = {}
        # The fake Glance's images and their data (core/images.py bounds its size).
        self.images: dict[str, Image] = {}
        self.image_data: dict[str, bytes] = {}
        # Nova's block device mappings of volumes (the fake's os-volume_attachments), by id.
        self.block_devices: dict[str, BlockDeviceMapping] = {}

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
            return volume

    def remove_volume(self, volume_id: str) -> None:
        with self.lock:
            volume = self.volumes.pop(volume_id)
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
            return attachment

    def remove_attachment(self, attachment_id: str) -> Attachment:
        with self.lock:
            attachment = self.attachments.pop(attachment_id)
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
            attachment.volume_id = volume_id
            self._attachments_by_volume.setdefault(volume_id, []).append(attachment)

    def volume_attachments(self, volume_id: str) -> list[Attachment]:
        with self.lock:
            return list(self._attachments_by_volume.get(volume_id, ()))

    def project_attachments(self, project_id: str) -> list[Attachment]:
        """The project's attachments sorted oldest first (the live index: do not modify)."""
        return self._attachments_by_project.get(project_id, [])

    def attachment_projects(self) -> Iterator[str]:
        return iter(list(self._attachments_by_project))

    # -- snapshots ------------------------------------------------------------------------------
    def add_snapshot(self, snapshot: Snapshot) -> Snapshot:
        with self.lock:
            self.snapshots[snapshot.id] = snapshot
            return snapshot

    def volume_snapshots(self, volume_id: str) -> list[Snapshot]:
        with self.lock:
            return [s for s in self.snapshots.values() if s.volume_id == volume_id]

    # -- a volume changing hands (an accepted transfer) ----------------------------------------
    def move_volume(self, volume: Volume, project_id: str) -> None:
        """Give a stored volume (and its attachments) to another project, keeping the
        project indexes right."""
        with self.lock:
            self._volumes_by_project.get(volume.project_id, {}).pop(volume.id, None)
            volume.project_id = project_id
            self._volumes_by_project.setdefault(project_id, {})[volume.id] = volume
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
                self.qos_specs.clear()
                self.quota_classes.clear()
                self.transfers.clear()
                self.messages.clear()
                self.images.clear()
                self.image_data.clear()
                self.block_devices.clear()
                return
            for attachment in self._attachments_by_project.pop(project_id, []):
                self.attachments.pop(attachment.id, None)
                self._attachments_by_volume.get(attachment.volume_id, []).remove(attachment)
            for volume_id in self._volumes_by_project.pop(project_id, {}):
                self.volumes.pop(volume_id, None)
                self._attachments_by_volume.pop(volume_id, None)
            for type_id in [t.id for t in self.volume_types.values()
                            if t.project_id == project_id]:
                del self.volume_types[type_id]
                self.encryptions.pop(type_id, None)
            # The project's snapshots, and any left without their volume.
            for snapshot_id in [s.id for s in self.snapshots.values()
                                if s.project_id == project_id or s.volume_id not in self.volumes]:
                del self.snapshots[snapshot_id]
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
