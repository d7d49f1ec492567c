"""python-cinderclient's volume actions against a live fake, called as Nova calls them:
the legacy attach flow, begin/roll detaching, extend, update, reimage, migrate completion."""

from __future__ import annotations

from typing import Any

import pytest
from cinderclient import exceptions as cinder_exceptions

from tests.helpers.clients import CONNECTOR, SERVER, SHARED, VOLUME, keystone_cinder

IMAGE = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"  # the default fixture's cirros image


def cinder(url: str, user: str = "demo") -> Any:
    return keystone_cinder(url, "3.68", user)  # os-reimage needs 3.68


def test_legacy_attach_and_detach_as_nova_does_them(live):
    client = cinder(live.url)
    volumes = client.volumes
    volumes.reserve(VOLUME)
    assert volumes.get(VOLUME).status == "attaching"
    with pytest.raises(cinder_exceptions.BadRequest,
                       match="Volume status must be available to reserve, but the status is "
                             "attaching"):
        volumes.reserve(VOLUME)
    info = volumes.initialize_connection(VOLUME, CONNECTOR)
    assert info["driver_volume_type"] == "iscsi"
    assert info["data"]["access_mode"] == "rw"
    volumes.attach(VOLUME, SERVER, "/dev/vdb", mode="rw")
    volume = volumes.get(VOLUME)
    assert volume.status == "in-use"
    (shown,) = volume.attachments
    assert (shown["server_id"], shown["device"]) == (SERVER, "/dev/vdb")
    # The same record the attachments API lists.
    listed = client.attachments.list(search_opts={"volume_id": VOLUME})
    assert [a.id for a in listed] == [shown["attachment_id"]]

    volumes.begin_detaching(VOLUME)
    assert volumes.get(VOLUME).status == "detaching"
    volumes.roll_detaching(VOLUME)
    assert volumes.get(VOLUME).status == "in-use"
    volumes.begin_detaching(VOLUME)
    volumes.terminate_connection(VOLUME, CONNECTOR)
    volumes.detach(VOLUME, shown["attachment_id"])
    volume = volumes.get(VOLUME)
    assert (volume.status, volume.attachments) == ("available", [])
    volumes.unreserve(VOLUME)
    assert live.fake.attachments() == []


def test_begin_detaching_of_an_available_volume_is_refused(live):
    with pytest.raises(cinder_exceptions.BadRequest,
                       match="Volume status must be 'in-use' and attach_status must be "
                             "'attached' to detach"):
        cinder(live.url).volumes.begin_detaching(VOLUME)


def test_a_second_instance_on_a_multiattach_volume(live):
    volumes = cinder(live.url).volumes
    second = "6b2f1a7d-4c8e-4d3f-a021-5e9b7c3d8f02"
    for instance in (SERVER, second):
        volumes.reserve(SHARED)
        volumes.attach(SHARED, instance, "/dev/vdc")
    attachments = volumes.get(SHARED).attachments
    assert sorted(a["server_id"] for a in attachments) == sorted([SERVER, second])
    # Two attachments: Nova must name the one to detach.
    with pytest.raises(cinder_exceptions.BadRequest, match="More than one attachment"):
        volumes.detach(SHARED)
    volumes.detach(SHARED, attachments[0]["attachment_id"])
    assert volumes.get(SHARED).status == "in-use"


def test_extend_update_and_reimage(live):
    volumes = cinder(live.url).volumes
    volumes.extend(VOLUME, 3)
    assert volumes.get(VOLUME).size == 3
    volumes.update(VOLUME, name="renamed", description="about it")
    volume = volumes.get(VOLUME)
    assert (volume.name, volume.description) == ("renamed", "about it")
    volumes.reimage(VOLUME, IMAGE)
    reimaged = volumes.get(VOLUME)
    assert reimaged.status == "available" and reimaged.bootable == "true"
    assert reimaged.volume_image_metadata["image_id"] == IMAGE
    with pytest.raises(cinder_exceptions.NotFound, match="Image .* could not be found"):
        volumes.reimage(VOLUME, "5f0c8d2e-1111-4222-8333-444455556666")
    volumes.reserve(VOLUME)
    with pytest.raises(cinder_exceptions.BadRequest, match="must be available or error"):
        volumes.reimage(VOLUME, IMAGE)


def test_migrate_volume_completion_swaps_the_attachment(live):
    demo = cinder(live.url).volumes
    new = demo.create(1, name="swap-target").id
    demo.reserve(VOLUME)
    demo.attach(VOLUME, SERVER, "/dev/vdb")
    with pytest.raises(cinder_exceptions.Forbidden, match="migrate_volume_completion"):
        demo.migrate_volume_completion(VOLUME, new, False)
    admin = cinder(live.url, "admin").volumes
    assert admin.migrate_volume_completion(VOLUME, new, False) == {"save_volume_id": new}
    assert demo.get(VOLUME).status == "available"
    (shown,) = demo.get(new).attachments
    assert shown["server_id"] == SERVER


def test_a_read_only_volume_attaches_read_only(live):
    volumes = cinder(live.url).volumes
    volumes.update_readonly_flag(VOLUME, True)
    volumes.reserve(VOLUME)
    with pytest.raises(cinder_exceptions.BadRequest, match="Invalid attaching mode 'rw'"):
        volumes.attach(VOLUME, SERVER, "/dev/vdb")
    volumes.attach(VOLUME, SERVER, "/dev/vdb", mode="ro")
    # A member's connection is "rw" all the same: Cinder reads the flag for admins only.
    info = volumes.initialize_connection(VOLUME, CONNECTOR)
    assert info["data"]["access_mode"] == "rw"
    assert volumes.get(VOLUME).metadata == {"readonly": "True", "attached_mode": "ro"}
