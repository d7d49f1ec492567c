"""nova-compute's own volume code, ``nova.virt.block_device``, attaches and detaches
through the API: the block device mapping's database row and the hypervisor are the
only stand-ins (``Hypervisor`` below records what the libvirt driver would be asked)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from nova import exception, objects
from nova.conf import CONF
from nova.virt import block_device

from .conftest import Nova
from .nova_setup import CONNECTOR, wait_for
from .test_encryption import ENCRYPTION, encrypted_type


class Hypervisor:
    """The virt driver's part of a volume attach: the host's connector, and the guest
    that the disk is plugged into (or that refuses to let it go)."""

    def __init__(self, supports_multiattach: bool = True) -> None:
        self.capabilities = {"supports_multiattach": supports_multiattach}
        self.attached: dict[str, dict[str, Any]] = {}  # mountpoint -> what the driver got
        self.refuse_detach = False

    def get_volume_connector(self, instance: Any) -> dict[str, Any]:
        return dict(CONNECTOR, host=instance.host)

    def instance_exists(self, instance: Any) -> bool:
        return True

    def attach_volume(self, context: Any, connection_info: dict, instance: Any,
                      mountpoint: str, disk_bus: str | None = None,
                      device_type: str | None = None, encryption: dict | None = None) -> None:
        self.attached[mountpoint] = {"connection_info": connection_info,
                                     "encryption": encryption}

    def detach_volume(self, context: Any, connection_info: dict, instance: Any,
                      mountpoint: str, encryption: dict | None = None) -> None:
        if self.refuse_detach:
            raise exception.DeviceDetachFailed(device=mountpoint, reason="the guest said no")
        del self.attached[mountpoint]


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Block device mappings are saved to Nova's database: here, to a list."""
    objects.register_all()
    saved: list[Any] = []
    monkeypatch.setattr(objects.BlockDeviceMapping, "save", lambda bdm: saved.append(bdm))
    yield saved


def instance() -> Any:
    return objects.Instance(uuid=str(uuid.uuid4()), host=CONF.host, availability_zone="nova")


def volume_bdm(server: Any, volume_id: str | None, attachment_id: str | None,
               device: str = "/dev/vdb", **fields: Any) -> block_device.DriverVolumeBlockDevice:
    """The BDM row nova-api writes for a volume attach, wrapped as nova-compute does."""
    bdm = objects.BlockDeviceMapping(
        source_type="volume", destination_type="volume", volume_id=volume_id,
        attachment_id=attachment_id, instance_uuid=server.uuid, device_name=device,
        connection_info=None, delete_on_termination=False, no_device=False, boot_index=None,
        disk_bus="virtio", device_type="disk", guest_format=None, volume_size=None,
        **fields)
    return block_device.DriverVolumeBlockDevice(bdm)


@pytest.mark.covers("attachment_create", "get", "check_availability_zone",
                    "attachment_update", "attachment_complete", "begin_detaching",
                    "attachment_delete")
def test_compute_attaches_and_detaches_on_attachments(nova: Nova, no_database: list) -> None:
    volume = nova.create_volume(1)
    server, hypervisor = instance(), Hypervisor()
    attachment = nova.api.attachment_create(nova.ctx, volume["id"], server.uuid)["id"]
    driver_bdm = volume_bdm(server, volume["id"], attachment)

    driver_bdm.attach(nova.compute_ctx, server, nova.api, hypervisor, do_driver_attach=True)
    plugged = hypervisor.attached["/dev/vdb"]
    assert plugged["connection_info"]["serial"] == volume["id"]
    assert plugged["connection_info"]["driver_volume_type"]
    assert plugged["encryption"] == {}
    assert no_database and '"serial"' in no_database[-1].connection_info
    in_use = nova.api.get(nova.ctx, volume["id"])
    assert in_use["status"] == "in-use"
    assert in_use["attachments"][server.uuid]["attachment_id"] == attachment

    nova.api.begin_detaching(nova.ctx, volume["id"])  # nova-api's detach
    driver_bdm.detach(nova.compute_ctx, server, nova.api, hypervisor)
    assert hypervisor.attached == {}
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"


@pytest.mark.covers("begin_detaching", "roll_detaching", "get")
def test_guest_refusing_a_detach_rolls_it_back(nova: Nova) -> None:
    volume = nova.create_volume(1)
    server, hypervisor = instance(), Hypervisor()
    attachment = nova.api.attachment_create(nova.ctx, volume["id"], server.uuid)["id"]
    driver_bdm = volume_bdm(server, volume["id"], attachment)
    driver_bdm.attach(nova.compute_ctx, server, nova.api, hypervisor, do_driver_attach=True)

    nova.api.begin_detaching(nova.ctx, volume["id"])
    hypervisor.refuse_detach = True
    with pytest.raises(exception.DeviceDetachFailed):
        driver_bdm.detach(nova.compute_ctx, server, nova.api, hypervisor)
    volume_now = nova.api.get(nova.ctx, volume["id"])
    assert volume_now["status"] == "in-use"
    assert volume_now["attachments"][server.uuid]["attachment_id"] == attachment


@pytest.mark.covers("reserve_volume", "get", "initialize_connection", "attach",
                    "terminate_connection", "detach")
def test_compute_legacy_attach_and_detach(nova: Nova) -> None:
    """A BDM without an attachment id takes the pre-3.44 path."""
    volume = nova.create_volume(1)
    server, hypervisor = instance(), Hypervisor()
    nova.api.reserve_volume(nova.ctx, volume["id"])  # nova-api, old style
    driver_bdm = volume_bdm(server, volume["id"], None)

    driver_bdm.attach(nova.compute_ctx, server, nova.api, hypervisor, do_driver_attach=True)
    assert hypervisor.attached["/dev/vdb"]["connection_info"]["driver_volume_type"]
    in_use = nova.api.get(nova.ctx, volume["id"])
    assert in_use["status"] == "in-use"
    assert in_use["attachments"][server.uuid]["mountpoint"] == "/dev/vdb"

    driver_bdm.detach(nova.compute_ctx, server, nova.api, hypervisor)
    assert nova.api.get(nova.ctx, volume["id"])["status"] == "available"


@pytest.mark.covers("attachment_update", "get_volume_encryption_metadata")
def test_compute_hands_the_encryption_metadata_to_the_driver(nova: Nova) -> None:
    volume = nova.create_volume(1, volume_type=encrypted_type(nova))
    server, hypervisor = instance(), Hypervisor()
    attachment = nova.api.attachment_create(nova.ctx, volume["id"], server.uuid)["id"]
    volume_bdm(server, volume["id"], attachment).attach(
        nova.compute_ctx, server, nova.api, hypervisor, do_driver_attach=True)
    encryption = hypervisor.attached["/dev/vdb"]["encryption"]
    assert {k: encryption[k] for k in ENCRYPTION} == ENCRYPTION
    assert encryption["encryption_key_id"]


@pytest.mark.covers("attachment_update", "get")
def test_compute_attaches_a_multiattach_volume_to_two_servers(nova: Nova) -> None:
    volume = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    hypervisor = Hypervisor()
    servers = [instance(), instance()]
    for server, device in zip(servers, ("/dev/vdb", "/dev/vdc"), strict=True):
        attachment = nova.api.attachment_create(nova.ctx, volume["id"], server.uuid)["id"]
        volume_bdm(server, volume["id"], attachment, device=device).attach(
            nova.compute_ctx, server, nova.api, hypervisor, do_driver_attach=True)
        assert hypervisor.attached[device]["connection_info"]["multiattach"] is True
    assert set(nova.api.get(nova.ctx, volume["id"])["attachments"]) == \
        {server.uuid for server in servers}


@pytest.mark.covers("get")
def test_a_hypervisor_without_multiattach_refuses_before_connecting(nova: Nova) -> None:
    volume = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    server = instance()
    attachment = nova.api.attachment_create(nova.ctx, volume["id"], server.uuid)["id"]
    with pytest.raises(exception.MultiattachNotSupportedByVirtDriver):
        volume_bdm(server, volume["id"], attachment).attach(
            nova.compute_ctx, server, nova.api, Hypervisor(supports_multiattach=False),
            do_driver_attach=True)
    assert nova.api.attachment_get(nova.ctx, attachment)["connection_info"] == {}


def boot_bdm(server: Any, source_type: str, size: int, **fields: Any) -> Any:
    """The root BDM of a server booted from a volume nova-compute creates."""
    return objects.BlockDeviceMapping(
        source_type=source_type, destination_type="volume", volume_id=None,
        attachment_id=None, instance_uuid=server.uuid, device_name="/dev/vda",
        connection_info=None, delete_on_termination=True, no_device=False, boot_index=0,
        disk_bus="virtio", device_type="disk", guest_format=None, volume_size=size,
        volume_type=None, **fields)


def waiter(nova: Nova) -> Any:
    """compute manager's _await_block_device_map_created: poll until available."""
    def wait_available(context: Any, volume_id: str) -> None:
        nova.created.append(volume_id)
        nova.wait_volume(volume_id, "available", context=context)
    return wait_available


@pytest.mark.covers("create", "get", "attachment_create", "attachment_update",
                    "attachment_complete")
def test_boot_from_a_blank_volume(nova: Nova) -> None:
    """A BDM of a blank volume: nova-compute creates the volume, waits for it, makes
    the attachment and attaches it."""
    server, hypervisor = instance(), Hypervisor()
    blank = block_device.DriverVolBlankBlockDevice(
        boot_bdm(server, "blank", 2, snapshot_id=None, image_id=None))
    blank.attach(nova.compute_ctx, server, nova.api, hypervisor, wait_func=waiter(nova))

    booted = nova.api.get(nova.ctx, blank.volume_id)
    assert booted["size"] == 2 and booted["status"] == "in-use"
    assert booted["attachments"][server.uuid]["mountpoint"] == "/dev/vda"
    assert booted["display_name"] == f"{server.uuid}-blank-vol"


@pytest.mark.covers("get_snapshot", "get", "create", "attachment_create",
                    "attachment_update", "attachment_complete")
def test_boot_from_a_volume_snapshot(nova: Nova) -> None:
    """A BDM of a snapshot: nova-compute reads the snapshot and its volume's type,
    creates the volume from it, waits, and attaches it."""
    source = nova.create_volume(1, volume_type=nova.multiattach_type().name)
    snapshot = nova.api.create_snapshot(nova.ctx, source["id"], "golden", "")
    wait_for(lambda: nova.api._api.get_snapshot(nova.ctx, snapshot["id"]),
             lambda found: found["status"] == "available", what="the snapshot")
    server, hypervisor = instance(), Hypervisor()
    from_snapshot = block_device.DriverVolSnapshotBlockDevice(
        boot_bdm(server, "snapshot", 1, snapshot_id=snapshot["id"]))
    from_snapshot.attach(nova.compute_ctx, server, nova.api, hypervisor,
                         wait_func=waiter(nova))

    booted = nova.api.get(nova.ctx, from_snapshot.volume_id)
    assert booted["snapshot_id"] == snapshot["id"]
    assert booted["volume_type_id"] == source["volume_type_id"]  # the original's type
    assert booted["multiattach"] is True
    assert booted["status"] == "in-use"
    # At boot the driver plugs the disk while spawning: the BDM carries the connection.
    assert from_snapshot["connection_info"]["serial"] == booted["id"]
    assert hypervisor.attached == {}
