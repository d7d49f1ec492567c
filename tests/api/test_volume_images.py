"""Cinder's side of images over the fake Glance: a volume created from an image (imageRef,
image_id, a name, an href) and Cinder's refusals, volume_image_metadata in shows and
detailed lists, os-volume_upload_image, os-reimage's image checks, os-set/unset/
show_image_metadata and os-set_bootable; Cinder's messages and policies."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest

from tests.helpers.api import VOLUME, Api, fault

CIRROS = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"  # fixtures/default.json's public image
MISSING = "deadbeef-0000-4000-8000-00000000dead"


def act(api: Api, name: str, value: Any = None, volume_id: str = VOLUME, **kw: Any) -> Any:
    return api.post(f"volumes/{volume_id}/action", {name: value}, **kw)


def create(api: Api, **fields: Any) -> Any:
    return api.post("volumes", {"volume": {"size": 1, **fields}})


def created(api: Api, **fields: Any) -> dict:
    response = create(api, **fields)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["volume"]


def shown(api: Api, volume_id: str) -> dict:
    return api.get(f"volumes/{volume_id}").get_json()["volume"]


# -- create from an image -------------------------------------------------------------------------
@pytest.mark.parametrize("fields", [
    {"imageRef": CIRROS},
    {"image_id": CIRROS},
    {"imageRef": "cirros"},
    {"imageRef": f"http://glance.example/v2/images/{CIRROS}"},
])
def test_a_volume_from_an_image_is_bootable_with_its_metadata(api: Api, fields: dict) -> None:
    volume = created(api, **fields)
    assert volume["bootable"] == "false"  # answered before the volume manager ran
    assert "volume_image_metadata" not in volume
    after = shown(api, volume["id"])
    assert after["bootable"] == "true"
    assert after["volume_image_metadata"] == {
        "image_id": CIRROS, "image_name": "cirros", "checksum": after[
            "volume_image_metadata"]["checksum"], "container_format": "bare",
        "disk_format": "raw", "min_disk": "0", "min_ram": "0", "size": "1024",
        "os_distro": "cirros", "hw_rng_model": "virtio", "signature_verified": "False"}
    listed = api.get("volumes/detail").get_json()["volumes"]
    assert next(v for v in listed if v["id"] == volume["id"])["volume_image_metadata"]
    assert "volume_image_metadata" not in next(v for v in listed if v["id"] == VOLUME)


def test_create_refusals_change_nothing(api: Api, fake: Any) -> None:
    fake.add_image(name="queued", data=None, id="c0f0a000-0000-4000-8000-000000000002")
    fake.add_image(name="min-disk", data=b"x", min_disk=2)
    fake.add_image(name="twin")
    fake.add_image(name="twin")
    fake.add_image(name="private", visibility="private", owner="someone-else",
                   id="c0f0a000-0000-4000-8000-000000000005")
    qcow2 = b"QFI\xfb" + struct.pack(">IQII", 3, 0, 0, 16) + struct.pack(">Q", 2 * 2**30)
    big = fake.add_image(name="virtual-2g", data=qcow2, disk_format="qcow2")
    before = fake.volumes()
    invalid = "Invalid image identifier or unable to access requested image."
    for fields, expected in [
        ({"imageRef": MISSING}, (400, invalid)),
        ({"imageRef": "no-such-image"}, (400, invalid)),
        ({"imageRef": "c0f0a000-0000-4000-8000-000000000005"}, (400, invalid)),
        ({"imageRef": "twin"}, (409, "Multiple matches found for 'twin', use an ID to be "
                                     "more specific.")),
        ({"imageRef": "queued"}, (400, "Invalid input received: Image "
                                       "c0f0a000-0000-4000-8000-000000000002 is not active.")),
        ({"imageRef": "min-disk"}, (400, "Invalid input received: Volume size 1GB cannot "
                                         "be smaller than the image minDisk size 2GB.")),
        ({"imageRef": big["id"]}, (400, f"Image {big['id']} is unacceptable: Image virtual "
                                        "size is 2GB and doesn't fit in a volume of size "
                                        "1GB.")),
        ({"imageRef": CIRROS, "size": None}, (400, "The server could not comply with the "
                                                   "request since it is either malformed "
                                                   "or otherwise incorrect.")),
    ]:
        assert fault(create(api, **fields)) == expected, fields
    assert fault(create(api.as_(roles="reader"), imageRef=CIRROS)) == (
        403, "Policy doesn't allow volume:create_from_image to be performed.")
    assert fake.volumes() == before
    assert created(api, imageRef="min-disk", size=2)["size"] == 2


def test_an_image_and_a_snapshot_are_exclusive(api: Api, fake: Any) -> None:
    snapshot = fake.add_snapshot(VOLUME)
    assert fault(create(api, imageRef=CIRROS, snapshot_id=snapshot["id"])) == (
        400, "Invalid input received: May specify only one of backup, imageRef, snapshot, "
             "source volume")


def test_an_image_larger_than_the_volume_is_refused(api: Api, fake: Any) -> None:
    """Glance's size in GiB, rounded up, against the volume's (data over 1 GiB is more
    than the fake keeps, so the record says so itself)."""
    image = fake.add_image(name="big")
    with fake.store.lock:
        fake.store.images[image["id"]].size = 2**30 + 1
    assert fault(create(api, imageRef=image["id"])) == (
        400, "Invalid input received: Size of specified image 2GB is larger than volume "
             "size 1GB.")
    assert created(api, imageRef=image["id"], size=2)["size"] == 2


# -- upload ---------------------------------------------------------------------------------------
def test_upload_creates_an_active_image_with_the_volume_s_data(api: Api, fake: Any) -> None:
    volume = created(api, imageRef=CIRROS)
    response = act(api, "os-volume_upload_image", {"image_name": "copy"}, volume["id"])
    assert response.status_code == 202, response.get_json()
    answer = response.get_json()["os-volume_upload_image"]
    assert answer["status"] == "uploading" and answer["image_name"] == "copy"
    assert answer["disk_format"] == "raw" and answer["container_format"] == "bare"
    assert answer["visibility"] == "private" and answer["protected"] is False
    assert answer["volume_type"]["name"] == "__DEFAULT__"
    image = fake.image(answer["image_id"])
    assert image["status"] == "active" and image["owner"] == "demo"
    # The volume's custom image metadata goes with it; Glance's core properties do not.
    assert image["properties"] == {"os_distro": "cirros", "hw_rng_model": "virtio",
                                   "signature_verified": "False"}
    assert fake.image_data(answer["image_id"]) == fake.image_data(CIRROS)
    assert image["checksum"] == hashlib.md5(fake.image_data(CIRROS)).hexdigest()
    assert shown(api, volume["id"])["status"] == "available"


def test_upload_rules(api: Api, fake: Any) -> None:
    before = fake.images()
    assert fault(act(api, "os-volume_upload_image", {"image_name": "p",
                                                     "visibility": "public"})) == (
        403, "Policy doesn't allow volume_extension:volume_actions:upload_public to be "
             "performed.")
    assert fault(act(api.as_(roles="reader"), "os-volume_upload_image",
                     {"image_name": "r"})) == (
        403, "Policy doesn't allow volume_extension:volume_actions:upload_image to be "
             "performed.")
    assert fault(act(api.as_(version="3.0"), "os-volume_upload_image",
                     {"image_name": "v", "visibility": "private"}))[0] == 400
    api.create(VOLUME)  # reserved: not available
    assert fault(act(api, "os-volume_upload_image", {"image_name": "u", "force": True})) == (
        400, f"Invalid volume: Volume {VOLUME} status must be available")
    assert fake.images() == before
    old = act(api.as_(version="3.0"), "os-volume_upload_image", {"image_name": "old"},
              created(api)["id"])
    assert old.get_json()["os-volume_upload_image"]["visibility"] == "shared"


# -- re-image -------------------------------------------------------------------------------------
def test_reimage_checks_the_image(api: Api, fake: Any) -> None:
    too_big = fake.add_image(name="min-disk", min_disk=5)
    queued = fake.add_image(name="queued", data=None)
    for image_id, expected in [
        (MISSING, (404, f"Image {MISSING} could not be found.")),
        (too_big["id"], (400, "Invalid input received: Volume size 1GB cannot be smaller "
                              "than the image minDisk size 5GB.")),
        (queued["id"], (400, f"Invalid input received: Image {queued['id']} is not "
                             "active.")),
    ]:
        assert fault(act(api, "os-reimage", {"image_id": image_id})) == expected
    assert shown(api, VOLUME)["bootable"] == "false"
    assert act(api, "os-reimage", {"image_id": CIRROS}).status_code == 202
    after = shown(api, VOLUME)
    assert after["bootable"] == "true" and after["status"] == "available"
    assert after["volume_image_metadata"]["image_id"] == CIRROS
    assert "signature_verified" not in after["volume_image_metadata"]


def test_reimage_looks_the_volume_up_before_the_image(api: Api) -> None:
    assert fault(act(api.as_(project="other"), "os-reimage", {"image_id": MISSING})) == (
        404, f"Volume {VOLUME} could not be found.")


# -- image metadata and bootable ------------------------------------------------------------------
def test_image_metadata_actions(api: Api) -> None:
    volume = created(api, imageRef=CIRROS)["id"]
    response = act(api, "os-set_image_metadata", {"metadata": {"k": "v"}}, volume)
    assert response.status_code == 200
    assert response.get_json()["metadata"]["k"] == "v"
    shown_metadata = act(api, "os-show_image_metadata", None, volume).get_json()["metadata"]
    assert shown_metadata["k"] == "v" and shown_metadata["image_id"] == CIRROS
    removed = act(api, "os-unset_image_metadata", {"key": "k"}, volume)
    assert removed.status_code == 200 and removed.data == b""
    assert fault(act(api, "os-unset_image_metadata", {"key": "k"}, volume)) == (
        404, f"Glance metadata for volume/snapshot {volume} cannot be found.")
    assert "k" not in shown(api, volume)["volume_image_metadata"]


def test_image_metadata_rules(api: Api) -> None:
    assert fault(act(api, "os-show_image_metadata")) == (
        404, f"Glance metadata for volume/snapshot {VOLUME} cannot be found.")
    reader = api.as_(roles="reader")
    assert fault(act(reader, "os-set_image_metadata", {"metadata": {"k": "v"}})) == (
        403, "Policy doesn't allow volume_extension:volume_image_metadata:set to be "
             "performed.")
    assert fault(act(reader, "os-unset_image_metadata", {"key": "k"})) == (
        403, "Policy doesn't allow volume_extension:volume_image_metadata:remove to be "
             "performed.")
    assert fault(act(api.as_(project="other"), "os-show_image_metadata")) == (
        404, f"Volume {VOLUME} could not be found.")
    assert fault(act(api, "os-set_image_metadata", {"metadata": {"bad*key": "v"}}))[0] == 400
    assert act(api, "os-set_image_metadata", {"metadata": {"k": "v"}}).status_code == 200
    assert act(reader, "os-show_image_metadata").get_json() == {"metadata": {"k": "v"}}


def test_set_bootable(api: Api) -> None:
    response = act(api, "os-set_bootable", {"bootable": "true"})
    assert response.status_code == 200 and response.data == b""
    assert shown(api, VOLUME)["bootable"] == "true"
    assert act(api, "os-set_bootable", {"bootable": False}).status_code == 200
    assert shown(api, VOLUME)["bootable"] == "false"
    assert fault(act(api, "os-set_bootable", {"bootable": "maybe"}))[0] == 400
    assert fault(act(api.as_(roles="reader"), "os-set_bootable", {"bootable": True})) == (
        403, "Policy doesn't allow volume:update to be performed.")
