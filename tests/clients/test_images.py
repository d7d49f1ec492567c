"""Images through real clients over a socket: the `openstack` CLI (openstacksdk's image
proxy, found in the fake Keystone's catalog as ``image``) uploads an image to the fake
Glance, lists, downloads and deletes it, and creates a volume from it; each step checks
what the fake holds afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.helpers.clients import PASSWORD_SETUP, Live, client_env, readme_exports

from .test_openstackclient import OpenstackCli


def test_openstack_image_create_and_volume_create_from_it(live: Live, tmp_path: Path) -> None:
    data = b"an image of the openstack CLI\n" * 100
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    cli = OpenstackCli(client_env(**readme_exports(PASSWORD_SETUP, live.url)))
    try:
        image = cli.json(f"image create --disk-format raw --container-format bare "
                         f"--file {source} --property os_distro=fake cli-image")
        assert image["name"] == "cli-image"
        stored = live.fake.image(image["id"])
        assert stored["status"] == "active" and stored["size"] == len(data)
        assert stored["checksum"] == hashlib.md5(data).hexdigest()
        assert stored["properties"]["os_distro"] == "fake"
        assert live.fake.image_data(image["id"]) == data

        listed = cli.json("image list")
        assert {"cli-image", "cirros"} <= {i["Name"] for i in listed}
        saved = tmp_path / "saved.raw"
        cli.call(f"image save --file {saved} cli-image")
        assert saved.read_bytes() == data

        volume = cli.json("volume create --image cli-image --size 1 from-image")
        shown = cli.json(f"volume show {volume['id']}")
        assert shown["bootable"] in (True, "true")
        assert shown["volume_image_metadata"]["image_id"] == image["id"]
        assert live.fake.volume(volume["id"])["image_metadata"]["os_distro"] == "fake"

        # The CLI looks the image up in Glance first (by name, then by id).
        refused = cli.call("volume create --image no-such-image --size 1 nope")
        assert "No Image found for no-such-image" in refused
        assert "nope" not in {v["name"] for v in live.fake.volumes()}
        cli.call(f"image delete {image['id']}")
        assert image["id"] not in {i["id"] for i in live.fake.images()}
    finally:
        cli.close()
