"""core.encryption without HTTP: a type's specs (create, show, update, delete and their
refusals), keys for the type's new volumes, a volume's encryption metadata."""

from __future__ import annotations

import pytest

from fake_cinder.core import encryption as core
from fake_cinder.core import volumes
from fake_cinder.core.clock import Clock
from fake_cinder.core.context import Caller
from fake_cinder.core.errors import (
    BadRequest,
    InvalidInput,
    PolicyNotAuthorized,
    VolumeNotFound,
    VolumeTypeNotFound,
)
from fake_cinder.core.store import Store

MEMBER = Caller(user_id="u", project_id="p1", roles=frozenset({"member"}))
NO_ROLE = Caller(user_id="n", project_id="p1")
OTHER = Caller(user_id="o", project_id="p2", roles=frozenset({"member"}))
LUKS = {"provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64",
        "key_size": 256}


@pytest.fixture
def store() -> Store:
    return Store(Clock(seed=13))


@pytest.fixture
def type_id(store: Store) -> str:
    return volumes.create_volume_type(store, None, "luks").id


def test_a_type_without_encryption_shows_none(store: Store, type_id: str) -> None:
    assert core.get_specs(store, type_id) == {}
    with pytest.raises(core.EncryptionNotFound):
        core.get_spec(store, type_id, "cipher")
    with pytest.raises(VolumeTypeNotFound):
        core.get_specs(store, "nope")


def test_create_show_update_delete(store: Store, type_id: str) -> None:
    created = core.create(store, type_id, LUKS)
    shown = core.get_specs(store, type_id)
    assert shown["encryption_id"] == created.encryption_id
    assert (shown["cipher"], shown["key_size"], shown["deleted"]) == ("aes-xts-plain64", 256,
                                                                       False)
    assert core.get_spec(store, type_id, "provider") == {"provider": "luks"}
    with pytest.raises(BadRequest, match="already exists"):
        core.create(store, type_id, LUKS)
    core.update(store, type_id, {"key_size": 512})
    assert core.get_specs(store, type_id)["key_size"] == 512
    core.delete(store, type_id)
    assert core.get_specs(store, type_id) == {}
    with pytest.raises(core.EncryptionNotFound):
        core.delete(store, type_id)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (256, 256), ("512", 512)])
def test_key_size_in_cinders_format(value: object, expected: object) -> None:
    assert core.key_size(value) == expected


@pytest.mark.parametrize("value", ["x", True, 1.5, "1.0"])
def test_key_size_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match="key_size must be an integer."):
        core.key_size(value)


def test_a_type_in_use_keeps_its_specs(store: Store, type_id: str) -> None:
    core.create(store, type_id, LUKS)
    volumes.create_volume(store, MEMBER, 1, volume_type="luks")
    with pytest.raises(BadRequest, match="Cannot update encryption specs. Volume type in use."):
        core.update(store, type_id, {"key_size": 128})
    with pytest.raises(BadRequest, match="Cannot delete encryption specs. Volume type in use."):
        core.delete(store, type_id)
    assert core.get_specs(store, type_id)["key_size"] == 256


def test_volumes_of_an_encrypted_type_get_a_key_and_metadata(store: Store,
                                                            type_id: str) -> None:
    plain = volumes.create_volume(store, MEMBER, 1)
    core.create(store, type_id, LUKS)
    encrypted = volumes.create_volume(store, MEMBER, 1, volume_type="luks")
    assert plain.encryption_key_id is None and encrypted.encryption_key_id
    assert core.volume_metadata(store, MEMBER, plain.id) == {"encryption_key_id": None}
    assert core.volume_metadata(store, MEMBER, encrypted.id) == {
        "encryption_key_id": encrypted.encryption_key_id, "control_location": "front-end",
        "cipher": "aes-xts-plain64", "key_size": 256, "provider": "luks"}
    with pytest.raises(PolicyNotAuthorized, match="volume_encryption_metadata"):
        core.volume_metadata(store, NO_ROLE, encrypted.id)
    with pytest.raises(VolumeNotFound):
        core.volume_metadata(store, OTHER, encrypted.id)
