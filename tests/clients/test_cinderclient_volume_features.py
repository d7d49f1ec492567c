"""python-cinderclient against a live fake (over a socket, through the fake Keystone):
volume and snapshot metadata and volume transfers, as the cinder CLI calls them."""

from __future__ import annotations

import pytest
from cinderclient import exceptions as cinder_exceptions

from tests.helpers.clients import VOLUME
from tests.helpers.clients import keystone_cinder as cinder

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def test_cinderclient_volume_and_snapshot_metadata(live):
    client = cinder(live.url, "3.71")
    volume = client.volumes.get(VOLUME)
    client.volumes.set_metadata(volume, {"key1": "value1", "key2": "value2"})
    assert client.volumes.get(VOLUME).metadata == {"key1": "value1", "key2": "value2"}
    client.volumes.delete_metadata(volume, ["key1"])
    assert live.fake.volume_metadata(VOLUME) == {"key2": "value2"}
    client.volumes.update_all_metadata(volume, {"only": "this"})
    assert client.volumes.get(VOLUME).metadata == {"only": "this"}
    with pytest.raises(cinder_exceptions.BadRequest, match="does not match any of the regexes"):
        client.volumes.set_metadata(volume, {"bad!": "x"})
    snapshot = client.volume_snapshots.create(VOLUME, name="snap")
    client.volume_snapshots.set_metadata(snapshot, {"s": "1"})
    client.volume_snapshots.update_all_metadata(snapshot, {"t": "2"})
    assert client.volume_snapshots.get(snapshot.id).metadata == {"t": "2"}
    client.volume_snapshots.delete_metadata(snapshot, ["t"])
    assert live.fake.snapshot_metadata(snapshot.id) == {}


@pytest.mark.parametrize("version", ["3.0", "3.57"])
def test_cinderclient_volume_transfer_to_another_project(live, version):
    owner, receiver = cinder(live.url, version), cinder(live.url, version, user="admin")
    transfer = owner.transfers.create(VOLUME, "to admin")
    assert transfer.auth_key and transfer.name == "to admin"
    assert owner.volumes.get(VOLUME).status == "awaiting-transfer"
    assert [t.id for t in owner.transfers.list()] == [transfer.id]
    shown = owner.transfers.get(transfer.id)
    assert shown.volume_id == VOLUME
    if version == "3.57":
        assert (shown.accepted, shown.source_project_id) == (False, "demo")
    with pytest.raises(cinder_exceptions.BadRequest, match="Invalid auth key"):
        receiver.transfers.accept(transfer.id, "0123456789abcdef")
    receiver.transfers.accept(transfer.id, transfer.auth_key)
    moved = receiver.volumes.get(VOLUME)
    assert (moved.status, getattr(moved, "os-vol-tenant-attr:tenant_id")) == ("available",
                                                                              "admin")
    with pytest.raises(cinder_exceptions.NotFound):
        owner.volumes.get(VOLUME)
    assert live.fake.quotas("admin", usage=True)["volumes"]["in_use"] == 1


def test_cinderclient_withdrawn_transfer(live):
    client = cinder(live.url, "3.55")
    transfer = client.transfers.create(VOLUME, "nope", no_snapshots=True)
    client.transfers.delete(transfer.id)
    assert client.volumes.get(VOLUME).status == "available"
    with pytest.raises(cinder_exceptions.NotFound, match=f"Transfer {transfer.id} could not"):
        client.transfers.get(transfer.id)
