"""The suite's own fixtures (tests/conftest.py) are the public plugin's: every test of
``fake``, ``client``, ``api`` or ``live_server_url`` exercises fake_cinder/pytest_plugin.py."""

from __future__ import annotations

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.pytest_plugin import FakeCinderServer
from tests.helpers.api import VOLUME


def test_the_suites_fake_is_the_plugins_with_the_default_state(
        fake: FakeCinder, fake_cinder: FakeCinder) -> None:
    assert fake is fake_cinder
    assert fake.volume(VOLUME)["project_id"] == "demo"


@pytest.mark.fake_cinder_state("default.json", seed=4)
def test_a_test_may_name_its_own_state_with_the_plugins_marker(fake: FakeCinder) -> None:
    assert fake.clock.seed == 4 and fake.volume(VOLUME)


def test_the_live_server_is_the_plugins_serving_this_tests_fake(
        fake: FakeCinder, live_server_url: str, fake_cinder_server: FakeCinderServer) -> None:
    assert live_server_url == fake_cinder_server.url and fake_cinder_server.fake is fake
    fake.add_volume(project_id="demo", name="seen live")
    listed = requests.get(f"{live_server_url}/v3/demo/volumes", timeout=10, headers={
        "X-Project-Id": "demo", "X-Roles": "reader", "OpenStack-API-Version": "volume 3.71"})
    assert "seen live" in {v["name"] for v in listed.json()["volumes"]}
