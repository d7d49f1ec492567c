"""Nova's pre-3.44 flow, still used for block device mappings without an attachment id:
reserve, initialize_connection, attach; terminate_connection, detach; unreserve; and
the legacy swap that ends in ``os-migrate_volume_completion``. It writes the same
attachment records as the attachments API."""

from __future__ import annotations

import uuid

import pytest
from nova import exception

from .conftest import Nova
from .nova_setup import CONNECTOR, DEST_CONNECTOR, compute_context, user_context


def legacy_attach(nova: Nova, volume_id: str, instance: str, mountpoint: str = "/dev/vdb",
                  api_ctx: object = None, compute_ctx: object = None) -> dict:
    """nova-api reserves; nova-compute connects the host and records the attach."""
    nova.api.reserve_volume(api_ctx or nova.ctx, volume_id)
    info = nova.api.initialize_connection(compute_ctx or nova.compute_ctx, volume_id,
                                          CONNECTOR)
    nova.api.attach(compute_ctx or nova.compute_ctx, volume_id, instance, mountpoint)
    return info


@pytest.mark.covers("reserve_volume", "initialize_connection", "attach", "begin_detaching",
                    "terminate_connection", "detach", "get", "attachment_get_all")
def test_legacy_attach_and_detach(nova: Nova) -> None:
    volume = nova.create_volume(1)
    instance = str(uuid.uuid4())

    nova.api.reserve_volume(nova.ctx, volume["id"])
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "attaching"
    info = nova.api.initialize_connection(nova.compute_ctx, volume["id"], CONNECTOR)
    assert info["driver_volume_type"] and isinstance(info["data"], dict)
    assert info["connector"] == CONNECTOR  # Nova keeps the connector it sent
    nova.api.attach(nova.compute_ctx, volume["id"], instance, "/dev/vdb")

    attached = nova.api.get(nova.ctx, volume["id"])
    assert attached["status"] == "in-use" and attached["attach_status"] == "attached"
    assert attached["attachments"][instance]["mountpoint"] == "/dev/vdb"
    attachment_id = attached["attachments"][instance]["attachment_id"]
    # One attachment table for both flows: the attachments API lists it.
    listed = nova.api.attachment_get_all(nova.ctx, instance_id=instance)
    assert [(a["id"], a["status"]) for a in listed] == [(attachment_id, "attached")]

    nova.api.begin_detaching(nova.ctx, volume["id"])
    nova.api.terminate_connection(nova.compute_ctx, volume["id"], CONNECTOR)
    nova.api.detach(nova.compute_ctx, volume["id"], instance)
    detached = nova.api.get(nova.ctx, volume["id"])
    assert detached["status"] == "available" and detached["attach_status"] == "detached"
    assert nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"]) == []


@pytest.mark.covers("reserve_volume", "unreserve_volume", "get")
def test_reserve_then_unreserve(nova: Nova) -> None:
    """An attach that fails before nova-compute connects: the API unreserves."""
    volume = nova.create_volume(1)
    nova.api.reserve_volume(nova.ctx, volume["id"])
    with pytest.raises(exception.InvalidInput,
                       match="must be available to reserve, but the status is attaching"):
        nova.api.reserve_volume(nova.ctx, volume["id"])
    nova.api.unreserve_volume(nova.ctx, volume["id"])
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"
    nova.api.unreserve_volume(nova.ctx, volume["id"])  # not reserved: nothing to do
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"
    with pytest.raises(exception.VolumeNotFound):
        nova.api.reserve_volume(nova.ctx, str(uuid.uuid4()))


@pytest.mark.covers("reserve_volume", "attach", "detach", "get")
def test_legacy_detach_of_a_multiattach_volume_finds_the_attachment(nova: Nova) -> None:
    """Nova's detach looks the attachment id up by instance when the volume is
    multiattach: Cinder needs it to know which attachment goes."""
    volume = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    legacy_attach(nova, volume["id"], first)
    legacy_attach(nova, volume["id"], second, mountpoint="/dev/vdc")
    both = nova.api.get(nova.ctx, volume["id"])
    assert set(both["attachments"]) == {first, second} and both["status"] == "in-use"

    nova.api.detach(nova.compute_ctx, volume["id"], first)
    left = nova.api.get(nova.ctx, volume["id"])
    assert list(left["attachments"]) == [second] and left["status"] == "in-use"
    nova.api.detach(nova.compute_ctx, volume["id"], second)
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"


@pytest.mark.covers("initialize_connection", "terminate_connection")
def test_initialize_connection_of_a_missing_volume(nova: Nova) -> None:
    with pytest.raises(exception.VolumeNotFound):
        nova.api.initialize_connection(nova.compute_ctx, str(uuid.uuid4()), CONNECTOR)
    with pytest.raises(exception.VolumeNotFound):
        nova.api.terminate_connection(nova.compute_ctx, str(uuid.uuid4()), CONNECTOR)


@pytest.mark.covers("begin_detaching", "reserve_volume", "initialize_connection",
                    "terminate_connection", "migrate_volume_completion", "get")
def test_legacy_swap_volume_completes_the_migration(nova: Nova) -> None:
    """A swap of a legacy attachment (the admin's swap API): nova-compute connects the
    new volume, disconnects the old and calls os-migrate_volume_completion, which
    moves the attachment over when no Cinder migration is running."""
    admin_api = user_context(nova.target, nova.target.admin)
    admin_compute = compute_context(admin_api)
    old = nova.create_volume(1, context=admin_api)
    new = nova.create_volume(1, context=admin_api)
    instance = str(uuid.uuid4())
    legacy_attach(nova, old["id"], instance, api_ctx=admin_api, compute_ctx=admin_compute)

    nova.api.begin_detaching(admin_api, old["id"])
    nova.api.reserve_volume(admin_api, new["id"])
    nova.api.initialize_connection(admin_compute, new["id"], DEST_CONNECTOR)
    nova.api.terminate_connection(admin_compute, old["id"], CONNECTOR)
    completed = nova.api.migrate_volume_completion(admin_compute, old["id"], new["id"])
    assert completed == {"save_volume_id": new["id"]}

    assert nova.api.get(admin_api, old["id"])["status"] == "available"
    swapped = nova.api.get(admin_api, new["id"])
    assert swapped["status"] == "in-use"
    assert swapped["attachments"][instance]["mountpoint"] == "/dev/vdb"


@pytest.mark.covers("migrate_volume_completion")
def test_migrate_volume_completion_is_for_admins(nova: Nova) -> None:
    old = nova.create_volume(1)
    new = nova.create_volume(1)
    with pytest.raises(exception.Forbidden):
        nova.api.migrate_volume_completion(nova.compute_ctx, old["id"], new["id"])
