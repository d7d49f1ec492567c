"""Nova's snapshot calls: snapshots of a server's volumes (``create_snapshot`` and, for
an attached volume, ``create_snapshot_force``), show, list, delete, a volume from a
snapshot, and the status updates of a Nova-assisted snapshot."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from nova import exception

from .conftest import Nova
from .nova_setup import wait_for
from .test_attach import attach

SNAPSHOT_VIEW = {"id", "status", "progress", "size", "created_at", "display_name",
                 "display_description", "volume_id", "project_id", "volume_size"}


def wait_snapshot(nova: Nova, snapshot_id: str, status: str) -> dict[str, Any]:
    return wait_for(lambda: nova.api._api.get_snapshot(nova.ctx, snapshot_id),
                    lambda snapshot: snapshot["status"] == status,
                    what=f"snapshot {snapshot_id} {status}")


def wait_snapshot_gone(nova: Nova, snapshot_id: str) -> None:
    def gone() -> bool:
        try:
            nova.api._api.get_snapshot(nova.ctx, snapshot_id)
        except exception.SnapshotNotFound:
            return True
        return False
    wait_for(gone, bool, what=f"snapshot {snapshot_id} deleted")


def creating_snapshot(nova: Nova, volume_id: str) -> dict[str, Any]:
    """A snapshot Cinder left 'creating' for Nova, as a remotefs driver does: the
    operator resets one (os-reset_status)."""
    made = nova.api._api.create_snapshot(nova.ctx, volume_id, "assisted", "")
    wait_snapshot(nova, made["id"], "available")
    nova.operator.volume_snapshots.reset_state(made["id"], "creating")
    return made


@pytest.mark.covers("create_snapshot", "get_snapshot", "get_all_snapshots",
                    "delete_snapshot", "delete", "create")
def test_snapshot_lifecycle(nova: Nova) -> None:
    volume = nova.create_volume(2)
    created = nova.api.create_snapshot(nova.ctx, volume["id"], "snap", "of the volume")
    assert set(created) == SNAPSHOT_VIEW
    assert created["volume_id"] == volume["id"] and created["size"] == 2
    assert created["display_name"] == "snap"
    assert created["display_description"] == "of the volume"
    wait_snapshot(nova, created["id"], "available")
    shown = nova.api.get_snapshot(nova.ctx, created["id"])
    assert shown["id"] == created["id"] and shown["project_id"] == nova.ctx.project_id
    listed = {s["id"]: s for s in nova.api.get_all_snapshots(nova.ctx)}
    assert listed[created["id"]]["volume_id"] == volume["id"]

    # A volume from the snapshot (Nova's boot from a volume snapshot).
    restored = nova.api.create(nova.ctx, 2, "restored", "", snapshot={"id": created["id"]})
    nova.created.append(restored["id"])
    assert restored["snapshot_id"] == created["id"]
    nova.wait_volume(restored["id"], "available")
    with pytest.raises(exception.InvalidInput,
                       match="cannot be smaller than the snapshot size 2GB"):
        nova.api.create(nova.ctx, 1, "too-small", "", snapshot={"id": created["id"]})
    nova.api.delete(nova.ctx, restored["id"])
    nova.wait_gone(restored["id"])

    with pytest.raises(exception.InvalidInput, match="have snapshots"):
        nova.api.delete(nova.ctx, volume["id"])  # Cinder keeps a volume with snapshots
    nova.api.delete_snapshot(nova.ctx, created["id"])
    wait_snapshot_gone(nova, created["id"])
    nova.api.delete(nova.ctx, volume["id"])
    nova.wait_gone(volume["id"])


@pytest.mark.covers("create_snapshot", "create_snapshot_force")
def test_snapshot_of_an_attached_volume_needs_force(nova: Nova) -> None:
    volume = nova.create_volume(1)
    attach(nova, volume["id"], str(uuid.uuid4()))
    with pytest.raises(exception.InvalidInput, match="must be available"):
        nova.api.create_snapshot(nova.ctx, volume["id"], "snap", "")
    forced = nova.api.create_snapshot_force(nova.ctx, volume["id"], "snap", "quiesced")
    assert forced["volume_id"] == volume["id"]
    assert wait_snapshot(nova, forced["id"], "available")["display_name"] == "snap"


@pytest.mark.covers("update_snapshot_status", "get_snapshot")
def test_assisted_snapshot_status_updates(nova: Nova) -> None:
    """A Nova-assisted snapshot (remotefs backends): Cinder leaves the snapshot
    'creating' while nova-compute works, and nova-compute reports back."""
    volume = nova.create_volume(1)
    done = nova.api.create_snapshot(nova.ctx, volume["id"], "done", "")
    wait_snapshot(nova, done["id"], "available")
    with pytest.raises(exception.InvalidInput,
                       match="Snapshot status available not allowed for update_snapshot_status"):
        nova.api.update_snapshot_status(nova.compute_ctx, done["id"], "creating")
    snapshot = creating_snapshot(nova, volume["id"])

    nova.api.update_snapshot_status(nova.compute_ctx, snapshot["id"], "creating")
    progressing = nova.api.get_snapshot(nova.ctx, snapshot["id"])
    assert (progressing["status"], progressing["progress"]) == ("creating", "90%")
    with pytest.raises(exception.InvalidInput, match="Provided snapshot status deleting "
                       "not allowed for snapshot with status creating"):
        nova.api.update_snapshot_status(nova.compute_ctx, snapshot["id"], "deleting")
    nova.api.update_snapshot_status(nova.compute_ctx, snapshot["id"], "available")
    assert nova.api.get_snapshot(nova.ctx, snapshot["id"])["status"] == "available"


@pytest.mark.covers("get_snapshot", "delete_snapshot", "update_snapshot_status",
                    "create_snapshot", "create_snapshot_force", "create")
def test_missing_snapshots_and_volumes(nova: Nova) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(exception.SnapshotNotFound):
        nova.api.get_snapshot(nova.ctx, missing)
    with pytest.raises(exception.SnapshotNotFound):
        nova.api.delete_snapshot(nova.ctx, missing)
    with pytest.raises(exception.SnapshotNotFound):
        nova.api.update_snapshot_status(nova.compute_ctx, missing, "available")
    with pytest.raises(exception.VolumeNotFound):
        nova.api.create_snapshot(nova.ctx, missing, "snap", "")
    with pytest.raises(exception.VolumeNotFound):
        nova.api.create_snapshot_force(nova.ctx, missing, "snap", "")
    with pytest.raises(exception.NotFound, match=f"Snapshot {missing} could not be found"):
        nova.api.create(nova.ctx, 1, "from-nothing", "", snapshot={"id": missing})
