"""serve(): a live threaded server sharing the fake's state, and error propagation."""

from __future__ import annotations

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.core.context import Caller
from tests.helpers.attach_calls import NOVA
from tests.helpers.threads import run_threads


class Boom(RuntimeError):
    pass


def _explode(token: str) -> Caller | None:
    raise Boom(f"token {token}")


pytestmark = pytest.mark.fake_cinder_state("default.json")


def test_serves_on_an_ephemeral_loopback_port(fake: FakeCinder) -> None:
    with fake.serve() as first, fake.serve() as second:
        assert first.host == "127.0.0.1" and first.port != second.port
        assert first.url == f"http://127.0.0.1:{first.port}"
        for server in (first, second):
            listed = requests.get(f"{server.url}/v3/demo/volumes", headers=NOVA, timeout=5)
            assert len(listed.json()["volumes"]) == 3
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{first.url}/_fake/health", timeout=2)


def test_state_is_shared_both_ways(fake: FakeCinder) -> None:
    with fake.serve() as server:
        created = requests.post(f"{server.url}/v3/demo/volumes", headers=NOVA, timeout=5,
                                json={"volume": {"size": 2, "name": "over http"}})
        assert created.status_code == 202
        assert fake.volumes(name="over http")[0]["size"] == 2
        fake.reset()
        listed = requests.get(f"{server.url}/v3/demo/volumes", headers=NOVA, timeout=5)
        assert "over http" not in [v["name"] for v in listed.json()["volumes"]]


def test_concurrent_clients(fake: FakeCinder) -> None:
    volumes = [fake.add_volume(project_id="demo")["id"] for _ in range(6)]
    contested = volumes[0]
    statuses: dict[str, list[int]] = {volume: [] for volume in volumes}
    jobs = [(volume, n) for n, volume in enumerate(volumes)] + [(contested, 10 + n)
                                                                 for n in range(4)]
    with fake.serve() as server:
        def attach(volume: str, number: int) -> None:
            response = requests.post(
                f"{server.url}/v3/demo/attachments", headers=NOVA, timeout=10,
                json={"attachment": {"volume_uuid": volume,
                                     "instance_uuid": f"8a3c1b2d-0000-4000-8000-{number:012d}"}})
            statuses[volume].append(response.status_code)

        run_threads(attach, jobs)
    # One reservation per non-multiattach volume, whoever came first.
    assert sorted(statuses[contested]) == [200, 400, 400, 400, 400]
    assert all(statuses[volume] == [200] for volume in volumes[1:])
    assert len(fake.attachments()) == 6
    assert fake.journal.count("attachment_create") == 10


def test_errors_in_the_fake_are_re_raised_in_the_test(fake: FakeCinder,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake, "resolve_token", _explode)
    with pytest.raises(Boom, match="token secret"), fake.serve() as server:
        response = requests.get(f"{server.url}/v3/demo/volumes", timeout=5,
                                headers={"X-Auth-Token": "secret"})
        assert response.status_code == 500
        assert response.json()["computeFault"]["code"] == 500
    assert fake.errors == []


def test_a_failing_test_body_gets_a_note(fake: FakeCinder,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake, "resolve_token", _explode)
    with pytest.raises(KeyError) as raised, fake.serve() as server:
        requests.get(f"{server.url}/v3/demo/volumes", timeout=5,
                     headers={"X-Auth-Token": "secret"})
        raise KeyError("the test's own failure")
    assert "fake-cinder also failed handling a request: Boom('token secret')" in (
        raised.value.__notes__[0])


def test_raising_can_be_turned_off(fake: FakeCinder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake, "resolve_token", _explode)
    with fake.serve(raise_errors=False) as server:
        for _ in range(2):
            requests.get(f"{server.url}/v3/demo/volumes", timeout=5,
                         headers={"X-Auth-Token": "secret"})
    assert len(fake.errors) == 2
    with pytest.raises(Boom) as raised:
        fake.check_errors()
    assert "1 more error" in raised.value.__notes__[0]
    fake.check_errors()  # forgotten once raised
    quiet = FakeCinder(raise_errors=False)
    monkeypatch.setattr(quiet, "resolve_token", _explode)
    with quiet.serve() as server:
        requests.get(f"{server.url}/v3/x/volumes", timeout=5, headers={"X-Auth-Token": "s"})
    assert len(quiet.errors) == 1
