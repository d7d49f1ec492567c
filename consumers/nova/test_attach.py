"""Nova's attach flows on the attachments API (3.44): attach, live migration, multiattach,
delete on terminate; the checks nova-api makes before an attach."""

from __future__ import annotations

import uuid

import pytest
from cinderclient import exceptions as cinder_exceptions
from nova import exception, objects

from .conftest import Nova
from .nova_setup import CONNECTOR, DEST_CONNECTOR


def _instance() -> str:
    return str(uuid.uuid4())


def attach(nova: Nova, volume_id: str, instance: str, connector: dict = CONNECTOR,
           mountpoint: str = "/dev/vdb") -> str:
    """What nova-api then nova-compute do for ``openstack server add volume``: reserve,
    connect, complete. Returns the attachment id."""
    reserved = nova.api.attachment_create(nova.ctx, volume_id, instance)
    nova.api.attachment_update(nova.compute_ctx, reserved["id"], connector, mountpoint)
    nova.api.attachment_complete(nova.compute_ctx, reserved["id"])
    return reserved["id"]


@pytest.mark.covers("create", "get", "check_attached", "attachment_create",
                    "attachment_update", "attachment_complete", "attachment_get")
def test_attach_reserves_connects_and_completes(nova: Nova) -> None:
    volume = nova.create_volume(1)
    assert volume["attach_status"] == "detached" and volume["multiattach"] is False
    with pytest.raises(exception.InvalidVolume, match="status must be 'in-use'"):
        nova.api.check_attached(nova.ctx, volume)
    instance = _instance()

    # nova-api: the attachment without a connector reserves the volume.
    reserved = nova.api.attachment_create(nova.ctx, volume["id"], instance)
    assert reserved["status"] == "reserved"
    assert reserved["connection_info"] == {}
    assert reserved["instance"] == instance
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "reserved"

    # nova-compute: the host's connector; Nova passes the mountpoint inside it.
    updated = nova.api.attachment_update(nova.compute_ctx, reserved["id"], CONNECTOR, "/dev/vdb")
    info = updated["connection_info"]
    assert info["driver_volume_type"] and isinstance(info["data"], dict)
    assert info["volume_id"] == volume["id"]
    # Nova moves the status into connection_info; Cinder 29 answers the stale one.
    assert info["status"] == "reserved"
    assert nova.api.attachment_get(nova.ctx, reserved["id"])["connection_info"]["status"] == \
        "attaching"
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "attaching"

    nova.api.attachment_complete(nova.compute_ctx, reserved["id"])
    attached = nova.api.get(nova.ctx, volume["id"])
    assert attached["status"] == "in-use" and attached["attach_status"] == "attached"
    assert attached["attachments"] == {
        instance: {"attachment_id": reserved["id"], "mountpoint": "/dev/vdb"}}
    nova.api.check_attached(nova.ctx, attached)

    shown = nova.api.attachment_get(nova.ctx, reserved["id"])
    assert shown["connection_info"]["status"] == "attached"
    assert shown["connection_info"]["instance"] == instance
    assert shown["connection_info"]["data"] == info["data"]
    assert shown["attach_mode"] == "rw"


@pytest.mark.covers("attachment_create", "attachment_complete", "attachment_get_all")
def test_attachment_create_with_connector_connects_at_once(nova: Nova) -> None:
    """Nova creates a connected attachment when it has the host already (unshelve,
    evacuate): the mountpoint rides in the connector."""
    volume = nova.create_volume(1)
    instance = _instance()
    created = nova.api.attachment_create(nova.compute_ctx, volume["id"], instance,
                                         connector=CONNECTOR, mountpoint="/dev/vdc")
    assert created["connection_info"]["driver_volume_type"]
    nova.api.attachment_complete(nova.compute_ctx, created["id"])

    by_instance = nova.api.attachment_get_all(nova.ctx, instance_id=instance)
    by_volume = nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"])
    assert [a["id"] for a in by_instance] == [a["id"] for a in by_volume] == [created["id"]]
    assert by_volume[0]["volume_id"] == volume["id"]
    assert nova.api.get(nova.ctx, volume["id"])["attachments"][instance]["mountpoint"] == \
        "/dev/vdc"
    with pytest.raises(exception.InvalidRequest):
        nova.api.attachment_get_all(nova.ctx)


@pytest.mark.covers("attachment_create", "attachment_get", "attachment_update",
                    "attachment_complete", "attachment_delete", "get")
def test_missing_things_are_nova_not_found_errors(nova: Nova) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(exception.VolumeNotFound):
        nova.api.get(nova.ctx, missing)
    with pytest.raises(exception.VolumeNotFound):
        nova.api.attachment_create(nova.ctx, missing, _instance())
    with pytest.raises(exception.VolumeAttachmentNotFound):
        nova.api.attachment_get(nova.ctx, missing)
    with pytest.raises(exception.VolumeAttachmentNotFound):
        nova.api.attachment_update(nova.ctx, missing, CONNECTOR, "/dev/vdb")
    with pytest.raises(exception.VolumeAttachmentNotFound):
        nova.api.attachment_complete(nova.ctx, missing)
    # Nova ignores a 404 on delete: the attachment is gone, as wanted.
    nova.api.attachment_delete(nova.ctx, missing)


@pytest.mark.covers("check_availability_zone")
def test_check_availability_zone_follows_cross_az_attach(nova: Nova) -> None:
    from nova.conf import CONF

    objects.register_all()
    volume = nova.create_volume(1)
    elsewhere = objects.Instance(uuid=_instance(), availability_zone="elsewhere")
    same = objects.Instance(uuid=_instance(), availability_zone=volume["availability_zone"])
    nova.api.check_availability_zone(nova.ctx, volume, elsewhere)  # cross_az_attach=True
    CONF.set_override("cross_az_attach", False, group="cinder")
    nova.api.check_availability_zone(nova.ctx, volume, same)
    with pytest.raises(exception.InvalidVolume, match="same availability_zone"):
        nova.api.check_availability_zone(nova.ctx, volume, elsewhere)


def _pre_live_migration(nova: Nova, volume_id: str, instance: str) -> str:
    """The destination's attachment: created with the destination's connector (no
    update needed) and completed once the destination is connected."""
    created = nova.api.attachment_create(nova.compute_ctx, volume_id, instance,
                                         connector=DEST_CONNECTOR, mountpoint="/dev/vdb")
    assert created["connection_info"]["driver_volume_type"]
    nova.api.attachment_complete(nova.compute_ctx, created["id"])
    return created["id"]


@pytest.mark.covers("attachment_create", "attachment_complete", "attachment_delete",
                    "attachment_get_all", "attachment_get")
def test_live_migration_swaps_the_attachment(nova: Nova) -> None:
    """pre_live_migration attaches on the destination host; _post_live_migration
    deletes the source host's attachment."""
    volume = nova.create_volume(1)
    instance = _instance()
    source = attach(nova, volume["id"], instance)

    destination = _pre_live_migration(nova, volume["id"], instance)
    both = nova.api.attachment_get_all(nova.ctx, instance_id=instance)
    assert {a["id"] for a in both} == {source, destination}
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "in-use"

    nova.api.attachment_delete(nova.compute_ctx, source)  # connected: needs the service token
    after = nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"])
    assert [a["id"] for a in after] == [destination]
    assert after[0]["status"] == "attached"  # the list's summary view: no connection_info
    shown = nova.api.attachment_get(nova.ctx, destination)
    assert shown["connection_info"]["status"] == "attached"
    assert shown["connection_info"]["driver_volume_type"]
    moved = nova.api.get(nova.ctx, volume["id"])
    assert moved["status"] == "in-use"
    assert moved["attachments"][instance]["attachment_id"] == destination


@pytest.mark.covers("attachment_create", "attachment_delete", "attachment_get_all")
def test_live_migration_rollback_keeps_the_source_attachment(nova: Nova) -> None:
    volume = nova.create_volume(1)
    instance = _instance()
    source = attach(nova, volume["id"], instance)
    destination = _pre_live_migration(nova, volume["id"], instance)

    nova.api.attachment_delete(nova.compute_ctx, destination)  # _rollback_live_migration
    left = nova.api.attachment_get_all(nova.ctx, instance_id=instance)
    assert [(a["id"], a["status"]) for a in left] == [(source, "attached")]
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "in-use"


@pytest.mark.covers("attachment_update")
def test_a_second_host_cannot_connect_a_single_attach_volume_by_update(nova: Nova) -> None:
    """Cinder's duplicate-connector rule: an update may not connect a second host;
    that is why Nova passes the connector on create when it live-migrates."""
    volume = nova.create_volume(1)
    instance = _instance()
    attach(nova, volume["id"], instance)
    second = nova.api.attachment_create(nova.ctx, volume["id"], instance)
    with pytest.raises(cinder_exceptions.ClientException, match="duplicate connectors") as error:
        nova.api.attachment_update(nova.compute_ctx, second["id"], DEST_CONNECTOR, "/dev/vdb")
    assert error.value.code == 409


@pytest.mark.covers("attachment_create", "attachment_delete", "get")
def test_multiattach_volume_serves_two_instances(nova: Nova) -> None:
    volume = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    assert volume["multiattach"] is True
    first, second = _instance(), _instance()
    first_attachment = attach(nova, volume["id"], first)
    second_attachment = attach(nova, volume["id"], second, mountpoint="/dev/vdc")
    shared = nova.api.get(nova.ctx, volume["id"])
    assert shared["attachments"] == {
        first: {"attachment_id": first_attachment, "mountpoint": "/dev/vdb"},
        second: {"attachment_id": second_attachment, "mountpoint": "/dev/vdc"}}

    nova.api.attachment_delete(nova.compute_ctx, first_attachment)
    left = nova.api.get(nova.ctx, volume["id"])
    assert left["status"] == "in-use" and list(left["attachments"]) == [second]
    nova.api.attachment_delete(nova.compute_ctx, second_attachment)
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"


@pytest.mark.covers("attachment_create")
def test_single_attach_volume_refuses_a_second_instance(nova: Nova) -> None:
    volume = nova.create_volume(1)
    attach(nova, volume["id"], _instance())
    with pytest.raises(exception.InvalidInput):
        nova.api.attachment_create(nova.ctx, volume["id"], _instance())
    assert len(nova.api.attachment_get_all(nova.ctx, volume_id=volume["id"])) == 1


@pytest.mark.covers("attachment_delete", "delete")
def test_delete_on_termination(nova: Nova) -> None:
    """Deleting a server whose BDM has delete_on_termination: the connected attachment
    goes (service token), then the volume."""
    volume = nova.create_volume(1)
    instance = _instance()
    attachment = attach(nova, volume["id"], instance)
    with pytest.raises(exception.InvalidInput, match="must not be migrating, attached"):
        nova.api.delete(nova.ctx, volume["id"])  # still attached: Cinder says no
    nova.api.attachment_delete(nova.compute_ctx, attachment)
    nova.api.delete(nova.compute_ctx, volume["id"])

    nova.wait_gone(volume["id"])
