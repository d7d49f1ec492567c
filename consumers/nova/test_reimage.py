"""Rebuild of a volume-backed server (Nova 26+): nova-compute swaps the root volume's
attachment for a reserved one and asks Cinder to re-image it (3.68)."""

from __future__ import annotations

import uuid

import pytest
from cinderclient import exceptions as cinder_exceptions
from nova import exception

from .conftest import Nova
from .test_attach import attach


@pytest.fixture
def image(nova: Nova) -> str:
    if nova.target.image_id is None:
        pytest.skip("the target names no image to re-image with")
    return nova.target.image_id


@pytest.mark.covers("reimage_volume", "attachment_create", "attachment_delete",
                    "attachment_get_all")
def test_rebuild_reimages_the_reserved_root_volume(nova: Nova, image: str) -> None:
    volume = nova.create_volume(1)
    instance = str(uuid.uuid4())
    old = attach(nova, volume["id"], instance, mountpoint="/dev/vda")

    # _rebuild_volume_backed_instance: a new (reserved) attachment first, then the old
    # one goes, so the volume stays reserved for the instance.
    new = nova.api.attachment_create(nova.compute_ctx, volume["id"], instance)["id"]
    nova.api.attachment_delete(nova.compute_ctx, old)
    assert nova.wait_volume(volume["id"], "reserved")["attach_status"] == "detached"

    nova.api.reimage_volume(nova.compute_ctx, volume["id"], image,
                            reimage_reserved=True)
    # Cinder downloads the image, then puts the status back (and tells Nova).
    assert nova.wait_volume(volume["id"], "reserved")["id"] == volume["id"]
    listed = nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"])
    assert [(a["id"], a["status"]) for a in listed] == [(new, "reserved")]


@pytest.mark.covers("reimage_volume", "attachment_create")
def test_reimage_checks_the_volume_s_status(nova: Nova, image: str) -> None:
    volume = nova.create_volume(1)
    nova.api.attachment_create(nova.ctx, volume["id"], str(uuid.uuid4()))
    with pytest.raises(exception.InvalidInput, match="status must be available or error, "
                       "but current status is reserved"):
        nova.api.reimage_volume(nova.compute_ctx, volume["id"], image)

    available = nova.create_volume(1)
    nova.api.reimage_volume(nova.compute_ctx, available["id"], image)
    nova.wait_volume(available["id"], "available")
    with pytest.raises(exception.VolumeNotFound):
        nova.api.reimage_volume(nova.compute_ctx, str(uuid.uuid4()), image)


@pytest.mark.covers("reimage_volume")
def test_reimage_refuses_a_volume_attached_to_two_servers(nova: Nova, image: str) -> None:
    volume = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    attach(nova, volume["id"], str(uuid.uuid4()))
    attach(nova, volume["id"], str(uuid.uuid4()), mountpoint="/dev/vdc")
    with pytest.raises(cinder_exceptions.ClientException,
                       match="attached to more than one server") as refused:
        nova.api.reimage_volume(nova.compute_ctx, volume["id"], image,
                                reimage_reserved=True)
    assert refused.value.code == 409
