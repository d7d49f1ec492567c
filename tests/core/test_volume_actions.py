"""core.volume_actions without HTTP: the legacy attach flow, detaching, readonly, extend
(and its attached-volume policy), reimage, force detach and migration completion."""

from __future__ import annotations

import pytest

from fake_cinder.core import images, volumes
from fake_cinder.core import volume_actions as core
from fake_cinder.core.clock import Clock
from fake_cinder.core.context import Caller, admin_caller
from fake_cinder.core.errors import (
    Conflict,
    InvalidInput,
    InvalidVolume,
    NovaUsingAttachment,
    PolicyNotAuthorized,
    VolumeNotFound,
)
from fake_cinder.core.store import Store

MEMBER = Caller(user_id="u", project_id="p1", roles=frozenset({"member"}))
READER = Caller(user_id="r", project_id="p1", roles=frozenset({"reader"}))
NO_ROLE = Caller(user_id="n", project_id="p1")
NOVA = Caller(user_id="nova", project_id="p1", roles=frozenset({"member"}),
              service_roles=frozenset({"service"}))
ADMIN = admin_caller("p1")
SERVER = "8a3c1b2d-0000-4000-8000-000000000001"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "compute-1"}


@pytest.fixture
def store() -> Store:
    return Store(Clock(seed=17))


@pytest.fixture
def volume_id(store: Store) -> str:
    return volumes.create_volume(store, MEMBER, 1).id


def status(store: Store, volume_id: str) -> tuple[str, str]:
    volume = store.volumes[volume_id]
    return volume.status, volume.attach_status


def legacy_attach(store: Store, volume_id: str, server: str = SERVER) -> str:
    core.reserve(store, NOVA, volume_id)
    core.initialize_connection(store, NOVA, volume_id, CONNECTOR)
    return core.attach(store, NOVA, volume_id, server, None, "/dev/vdb").id


def test_the_legacy_attach_flow_and_detach(store: Store, volume_id: str) -> None:
    core.reserve(store, NOVA, volume_id)
    assert status(store, volume_id) == ("attaching", "detached")
    info = core.initialize_connection(store, NOVA, volume_id, CONNECTOR)
    assert info["driver_volume_type"] == "iscsi"
    attachment_id = core.attach(store, NOVA, volume_id, SERVER, None, "/dev/vdb").id
    assert status(store, volume_id) == ("in-use", "attached")
    assert store.attachments[attachment_id].mountpoint == "/dev/vdb"
    core.begin_detaching(store, NOVA, volume_id)
    assert status(store, volume_id)[0] == "detaching"
    core.roll_detaching(store, NOVA, volume_id)
    assert status(store, volume_id)[0] == "in-use"
    core.detach(store, NOVA, volume_id, attachment_id)
    assert status(store, volume_id) == ("available", "detached")
    assert store.attachments == {}


def test_reserve_and_unreserve(store: Store, volume_id: str) -> None:
    core.reserve(store, MEMBER, volume_id)
    with pytest.raises(InvalidVolume, match="Volume status must be available to reserve, "
                                            "but the status is attaching."):
        core.reserve(store, MEMBER, volume_id)
    core.unreserve(store, MEMBER, volume_id)
    assert status(store, volume_id)[0] == "available"
    core.unreserve(store, MEMBER, volume_id)  # nothing to undo: no change, no error
    assert status(store, volume_id)[0] == "available"


def test_a_reader_is_refused_and_a_caller_with_no_role_cannot_find_it(store: Store,
                                                                      volume_id: str) -> None:
    with pytest.raises(PolicyNotAuthorized, match="volume_actions:reserve"):
        core.reserve(store, READER, volume_id)
    with pytest.raises(VolumeNotFound):
        core.reserve(store, NO_ROLE, volume_id)  # volume:get refused: Cinder's 404
    assert status(store, volume_id)[0] == "available"


def test_extend_an_available_volume(store: Store, volume_id: str) -> None:
    core.extend(store, MEMBER, volume_id, 3, in_use_allowed=True)
    assert store.volumes[volume_id].size == 3
    with pytest.raises(InvalidInput, match="New size for extend must be greater than current "
                                           "size. \\(current: 3, extended: 2\\)."):
        core.extend(store, MEMBER, volume_id, 2, in_use_allowed=True)
    with pytest.raises(PolicyNotAuthorized, match="volume:extend to"):
        core.extend(store, READER, volume_id, 4, in_use_allowed=True)


def test_extend_an_attached_volume_asks_its_own_policy(store: Store, volume_id: str) -> None:
    legacy_attach(store, volume_id)
    with pytest.raises(PolicyNotAuthorized, match="volume:extend_attached_volume"):
        core.extend(store, READER, volume_id, 2, in_use_allowed=True)
    with pytest.raises(PolicyNotAuthorized, match="volume:extend to"):
        core.extend(store, READER, volume_id, 2, in_use_allowed=False)  # before 3.42
    with pytest.raises(InvalidVolume, match="must be '\\{'status': 'available'\\}' to extend"):
        core.extend(store, MEMBER, volume_id, 2, in_use_allowed=False)
    core.extend(store, MEMBER, volume_id, 2, in_use_allowed=True)
    assert (store.volumes[volume_id].size, status(store, volume_id)[0]) == (2, "in-use")


def test_readonly_flag_of_an_available_volume(store: Store, volume_id: str) -> None:
    core.update_readonly_flag(store, MEMBER, volume_id, True)
    assert store.volumes[volume_id].admin_metadata["readonly"] == "True"
    store.volumes[volume_id].status = "in-use"
    with pytest.raises(InvalidVolume, match="must be available to update readonly flag"):
        core.update_readonly_flag(store, MEMBER, volume_id, False)


def test_reimage_policies_and_statuses(store: Store, volume_id: str) -> None:
    image = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"
    images.add_image(store, images.image_from_data(store, {
        "id": image, "name": "img", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"}, b"data"), b"data")
    core.reimage(store, MEMBER, volume_id, image)
    store.volumes[volume_id].status = "reserved"
    with pytest.raises(PolicyNotAuthorized, match="volume:reimage_reserved"):
        core.reimage(store, READER, volume_id, image)
    with pytest.raises(InvalidVolume, match="must be available or error, but current status "
                                            "is reserved"):
        core.reimage(store, MEMBER, volume_id, image)
    core.reimage(store, MEMBER, volume_id, image, reimage_reserved=True)
    other = volumes.create_volume(store, MEMBER, 1, multiattach=True).id
    legacy_attach(store, other)
    legacy_attach(store, other, "8a3c1b2d-0000-4000-8000-000000000002")
    with pytest.raises(Conflict, match="attached to more than one server"):
        core.reimage(store, MEMBER, other, image)


def test_detach_of_an_attachment_nova_uses_needs_a_service(store: Store,
                                                          volume_id: str) -> None:
    attachment_id = legacy_attach(store, volume_id)
    store.attachments[attachment_id].connection_info = {"driver_volume_type": "iscsi"}
    with pytest.raises(NovaUsingAttachment):
        core.detach(store, MEMBER, volume_id, attachment_id)
    core.detach(store, MEMBER, volume_id, attachment_id, protect_in_use=False)
    assert status(store, volume_id) == ("available", "detached")


def test_force_detach_is_an_admins(store: Store, volume_id: str) -> None:
    attachment_id = legacy_attach(store, volume_id)
    with pytest.raises(PolicyNotAuthorized, match="volume_admin_actions:force_detach"):
        core.force_detach(store, MEMBER, volume_id, attachment_id)
    core.force_detach(store, ADMIN, volume_id, attachment_id)
    assert status(store, volume_id) == ("available", "detached")


def test_migration_completion_of_nova_s_swap(store: Store, volume_id: str) -> None:
    legacy_attach(store, volume_id)
    new = volumes.create_volume(store, MEMBER, 1).id
    with pytest.raises(PolicyNotAuthorized, match="migrate_volume_completion"):
        core.migrate_volume_completion(store, MEMBER, volume_id, new)
    assert core.migrate_volume_completion(store, ADMIN, volume_id, new,
                                          protect_in_use=False) == new
    assert status(store, volume_id) == ("available", "detached")
    assert status(store, new) == ("in-use", "attached")


@pytest.mark.parametrize(("given", "stored"), [
    ("Compute_1", "compute-1"), ("host name.example.", "host-name.example"),
    ("web*01", "web01")])
def test_host_names_are_sanitized_as_cinder_does(given: str, stored: str) -> None:
    assert core.sanitize_hostname(given) == stored
