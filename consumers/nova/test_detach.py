"""A detach started from Nova's API: ``begin_detaching`` in nova-api, the attachment
deleted by nova-compute, and ``roll_detaching`` when the guest refuses; the swap of a
volume (``PUT /servers/{id}/os-volume_attachments/{volume}``) on attachments."""

from __future__ import annotations

import uuid

import pytest
from nova import exception

from .conftest import Nova
from .nova_setup import CONNECTOR
from .test_attach import attach


@pytest.mark.covers("begin_detaching", "attachment_delete", "get")
def test_detach_from_the_api(nova: Nova) -> None:
    volume = nova.create_volume(1)
    instance = str(uuid.uuid4())
    attachment = attach(nova, volume["id"], instance)

    nova.api.begin_detaching(nova.ctx, volume["id"])  # nova-api: _detach_volume
    detaching = nova.api.get(nova.ctx, volume["id"])
    assert detaching["status"] == "detaching"
    assert detaching["attachments"][instance]["attachment_id"] == attachment

    nova.api.attachment_delete(nova.compute_ctx, attachment)  # nova-compute
    detached = nova.api.get(nova.ctx, volume["id"])
    assert detached["status"] == "available" and detached["attach_status"] == "detached"
    assert "attachments" not in detached


@pytest.mark.covers("begin_detaching", "roll_detaching", "get")
def test_guest_refusing_the_detach_rolls_it_back(nova: Nova) -> None:
    volume = nova.create_volume(1)
    instance = str(uuid.uuid4())
    attachment = attach(nova, volume["id"], instance)
    nova.api.begin_detaching(nova.ctx, volume["id"])

    nova.api.roll_detaching(nova.compute_ctx, volume["id"])  # the guest kept the disk
    rolled = nova.api.get(nova.ctx, volume["id"])
    assert rolled["status"] == "in-use" and rolled["attach_status"] == "attached"
    assert rolled["attachments"][instance]["attachment_id"] == attachment
    # And the user may try again.
    nova.api.begin_detaching(nova.ctx, volume["id"])
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "detaching"


@pytest.mark.covers("begin_detaching", "roll_detaching", "get")
def test_begin_detaching_needs_an_attached_volume(nova: Nova) -> None:
    """nova-api turns Cinder's 400 into InvalidVolume for the user; roll_detaching of
    a volume that is not detaching changes nothing."""
    volume = nova.create_volume(1)
    with pytest.raises(exception.InvalidInput, match="Unable to detach volume"):
        nova.api.begin_detaching(nova.ctx, volume["id"])
    nova.api.roll_detaching(nova.ctx, volume["id"])
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"
    with pytest.raises(exception.VolumeNotFound):
        nova.api.begin_detaching(nova.ctx, str(uuid.uuid4()))
    with pytest.raises(exception.VolumeNotFound):
        nova.api.roll_detaching(nova.ctx, str(uuid.uuid4()))


@pytest.mark.covers("begin_detaching", "attachment_create", "attachment_update",
                    "attachment_complete", "attachment_delete", "get")
def test_swap_volume_on_attachments(nova: Nova) -> None:
    """nova-api: begin_detaching(old), attachment_create(new); nova-compute: connect
    and complete the new one, then delete the old attachment."""
    old = nova.create_volume(1)
    new = nova.create_volume(1)
    instance = str(uuid.uuid4())
    old_attachment = attach(nova, old["id"], instance)

    nova.api.begin_detaching(nova.ctx, old["id"])
    new_attachment = nova.api.attachment_create(nova.ctx, new["id"], instance)["id"]
    nova.api.attachment_update(nova.compute_ctx, new_attachment, CONNECTOR, "/dev/vdb")
    nova.api.attachment_complete(nova.compute_ctx, new_attachment)
    nova.api.attachment_delete(nova.compute_ctx, old_attachment)

    assert nova.api.get(nova.ctx, old["id"])["status"] == "available"
    swapped = nova.api.get(nova.ctx, new["id"])
    assert swapped["status"] == "in-use"
    assert swapped["attachments"] == {
        instance: {"attachment_id": new_attachment, "mountpoint": "/dev/vdb"}}
