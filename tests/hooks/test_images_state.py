"""Images in the state: dump() with their data (base64), load() all or nothing, reset()
(whole and per project), the Python API (add_image, images, image, image_data)."""

from __future__ import annotations

import base64
import copy
import hashlib

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core import images as image_rules
from fake_cinder.core.errors import RecordNotFound
from fake_cinder.core.state_files import StateError
from fake_cinder.resources import fixture_path

CIRROS = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"


def test_the_default_fixture_has_an_active_cirros_image() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    cirros = fake.image(CIRROS)
    data = fake.image_data(CIRROS)
    assert cirros["status"] == "active" and cirros["visibility"] == "public"
    assert cirros["size"] == len(data) == 1024
    assert cirros["checksum"] == hashlib.md5(data).hexdigest()
    assert cirros["os_hash_value"] == hashlib.sha512(data).hexdigest()


def test_dump_and_load_round_trip_images_and_their_data() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    queued = fake.add_image(name="queued", data=None, owner="demo", visibility="private")
    active = fake.add_image(name="data", data=b"\x00\xff" * 10, properties={"k": "v"})
    state = fake.dump()
    entries = {i["id"]: i for i in state["images"]}
    assert "data" not in entries[queued["id"]]
    assert base64.b64decode(entries[active["id"]]["data"]) == b"\x00\xff" * 10
    again = FakeCinder(state)
    assert again.dump() == state
    assert again.image(active["id"]) == fake.image(active["id"])
    assert again.image_data(active["id"]) == b"\x00\xff" * 10
    assert again.image(queued["id"])["status"] == "queued"


def test_reset_puts_the_images_back() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    fake.add_image(name="extra")
    fake.reset()
    assert [i["name"] for i in fake.images()] == ["cirros"]


def test_a_project_reset_touches_only_its_images() -> None:
    state = FakeCinder(fixture_path("default.json")).dump()
    fake = FakeCinder(state)
    mine = fake.add_image(name="demo's", owner="demo")
    theirs = fake.add_image(name="other's", owner="other")
    fake.reset(project_id="demo")
    names = {i["name"] for i in fake.images()}
    assert "demo's" not in names and "other's" in names and "cirros" in names
    assert mine["id"] not in {i["id"] for i in fake.images()}
    assert fake.image(theirs["id"])["owner"] == "other"


@pytest.mark.parametrize(("change", "path"), [
    (lambda s: s["images"].append(copy.deepcopy(s["images"][0])), "$.images[1].id"),
    (lambda s: s["images"][0].update(data="not base64!"), "$.images[0].data"),
    (lambda s: s["images"][0].update(status="shiny"), "$.images[0].status"),
    (lambda s: s["images"][0].update(unknown=1), "$.images[0]"),
])
def test_bad_image_entries_are_refused_and_nothing_loads(change, path: str) -> None:
    fake = FakeCinder(fixture_path("default.json"))
    before = fake.dump()
    state = copy.deepcopy(before)
    change(state)
    with pytest.raises(StateError) as refused:
        fake.load(state)
    assert refused.value.path.startswith(path)
    assert fake.dump() == before


def test_data_over_the_memory_bound_is_refused() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    with pytest.raises(ValueError, match="size limit"):
        fake.add_image(name="huge", data=b"\0" * (image_rules.MAX_IMAGE_BYTES + 1))
    assert [i["name"] for i in fake.images()] == ["cirros"]


def test_python_api_checks_its_arguments() -> None:
    fake = FakeCinder(fixture_path("default.json"))
    with pytest.raises(ValueError):
        fake.add_image(disk_format="floppy")
    with pytest.raises(ValueError, match="already exists"):
        fake.add_image(id=CIRROS)
    with pytest.raises(RecordNotFound):
        fake.image("deadbeef-0000-4000-8000-00000000dead")
    with pytest.raises(RecordNotFound):
        fake.image_data("deadbeef-0000-4000-8000-00000000dead")
    assert fake.images(owner="nobody") == []
