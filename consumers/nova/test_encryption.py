"""An encrypted volume attached the way Nova does it: Cinder marks the connection
``encrypted`` and nova-compute reads the volume's encryption metadata, which it hands
to os-brick's encryptor (LUKS with the key from the key manager)."""

from __future__ import annotations

import uuid

import pytest
from cinderclient import exceptions as cinder_exceptions

from .conftest import Nova
from .nova_setup import CONNECTOR

ENCRYPTION = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256,
              "control_location": "front-end"}


def encrypted_type(nova: Nova) -> str:
    name = "nova-consumer-luks"
    volume_type = nova.volume_type(name, {})
    if not any(found.volume_type_id == volume_type.id
               for found in nova.operator.volume_encryption_types.list()):
        nova.operator.volume_encryption_types.create(volume_type, dict(ENCRYPTION))
    return name


@pytest.mark.covers("get_volume_encryption_metadata", "attachment_create",
                    "attachment_update", "attachment_complete")
def test_encrypted_attach(nova: Nova) -> None:
    volume = nova.create_volume(1, volume_type=encrypted_type(nova))
    instance = str(uuid.uuid4())
    attachment = nova.api.attachment_create(nova.ctx, volume["id"], instance)
    connected = nova.api.attachment_update(nova.compute_ctx, attachment["id"], CONNECTOR,
                                           "/dev/vdb")
    assert connected["connection_info"]["data"]["encrypted"] is True

    metadata = nova.api.get_volume_encryption_metadata(nova.compute_ctx, volume["id"])
    assert metadata["encryption_key_id"]
    assert {k: metadata[k] for k in ENCRYPTION} == ENCRYPTION
    nova.api.attachment_complete(nova.compute_ctx, attachment["id"])


@pytest.mark.covers("get_volume_encryption_metadata")
def test_unencrypted_volume_has_no_key(nova: Nova) -> None:
    volume = nova.create_volume(1)
    assert nova.api.get_volume_encryption_metadata(nova.ctx, volume["id"]) == \
        {"encryption_key_id": None}


@pytest.mark.covers("get_volume_encryption_metadata")
def test_encryption_metadata_of_a_missing_volume(nova: Nova) -> None:
    # Nova's decorator here is translate_cinder_exception: a 404 stays cinderclient's.
    with pytest.raises(cinder_exceptions.NotFound):
        nova.api.get_volume_encryption_metadata(nova.ctx, str(uuid.uuid4()))
