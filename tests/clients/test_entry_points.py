"""One server for every entry point: `fake-cinder serve`, FakeCinder.serve() and the pytest
plugin's fake_cinder_server answer every fault effect (status, latency, backend failure,
dropped connection) the same way, over a real socket."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.helpers.clients import VOLUME, serve_process

HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"}
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "compute-1"}


@dataclass
class EntryPoint:
    url: str
    inject: Callable[..., None]
    journal: Callable[[str], list[dict[str, Any]]]
    attach_status: Callable[[str], str]


def _in_process(fake: FakeCinder, url: str) -> EntryPoint:
    return EntryPoint(
        url, lambda operation, **options: fake.inject(operation, **options) and None,
        lambda operation: [e.to_dict() for e in fake.journal.entries(operation)],
        lambda attachment_id: fake.attachment(attachment_id)["attach_status"])


def _over_http(url: str) -> EntryPoint:
    def inject(operation: str, **options: Any) -> None:
        response = requests.post(f"{url}/_fake/faults", json={"operation": operation,
                                                              **options}, timeout=10)
        assert response.status_code == 201, response.text

    def journal(operation: str) -> list[dict[str, Any]]:
        return requests.get(f"{url}/_fake/requests", params={"operation": operation},
                            timeout=10).json()["requests"]

    def attach_status(attachment_id: str) -> str:
        state = requests.get(f"{url}/_fake/state", timeout=10).json()
        return next(a["attach_status"] for a in state["attachments"]
                    if a["id"] == attachment_id)
    return EntryPoint(url, inject, journal, attach_status)


@contextmanager
def _serve_command(request: pytest.FixtureRequest) -> Iterator[EntryPoint]:
    with serve_process(request.getfixturevalue("tmp_path")) as served:
        yield _over_http(served.url)


@contextmanager
def _fake_serve(request: pytest.FixtureRequest) -> Iterator[EntryPoint]:
    fake = FakeCinder(fixture_path("default.json"))
    with fake.serve() as server:
        yield _in_process(fake, server.url)


@contextmanager
def _plugin(request: pytest.FixtureRequest) -> Iterator[EntryPoint]:
    served = request.getfixturevalue("fake_cinder_server")
    yield _in_process(served.fake, served.url)


ENTRY_POINTS = {"fake-cinder serve": _serve_command, "FakeCinder.serve": _fake_serve,
                "pytest plugin": _plugin}


@pytest.fixture(params=list(ENTRY_POINTS))
def entry(request: pytest.FixtureRequest) -> Iterator[EntryPoint]:
    with ENTRY_POINTS[request.param](request) as entry_point:
        yield entry_point


def _create(entry: EntryPoint, **attachment: Any) -> requests.Response:
    return requests.post(f"{entry.url}/v3/demo/attachments", headers=HEADERS, timeout=10,
                         json={"attachment": {"volume_uuid": VOLUME, **attachment}})


@pytest.mark.fake_cinder_state("default.json")
def test_a_status_fault(entry: EntryPoint) -> None:
    entry.inject("attachment_create", status=503, retry_after=5)
    response = _create(entry)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert set(response.json()) == {"serviceUnavailable"}
    assert [e["status"] for e in entry.journal("attachment_create")] == [503]
    assert _create(entry).status_code == 200  # once by default


@pytest.mark.fake_cinder_state("default.json")
def test_latency(entry: EntryPoint) -> None:
    entry.inject("volume_show", latency=0.3)
    began = time.monotonic()
    response = requests.get(f"{entry.url}/v3/demo/volumes/{VOLUME}", headers=HEADERS,
                            timeout=10)
    assert response.status_code == 200 and time.monotonic() - began >= 0.3


@pytest.mark.fake_cinder_state("default.json")
def test_a_backend_failure(entry: EntryPoint) -> None:
    entry.inject("attachment_create", backend_failure=True)
    response = _create(entry, connector=CONNECTOR)
    assert response.status_code == 500
    assert set(response.json()) == {"computeFault"}
    [record] = entry.journal("attachment_create")
    assert record["status"] == 500
    assert entry.attach_status(record["attachment_id"]) == "error_attaching"


@pytest.mark.fake_cinder_state("default.json")
def test_a_dropped_connection(entry: EntryPoint) -> None:
    entry.inject("volume_list", drop_connection=True, latency=0.1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{entry.url}/v3/demo/volumes", headers=HEADERS, timeout=10)
    assert [e["status"] for e in entry.journal("volume_list")] == [None]
    # The server goes on serving.
    assert requests.get(f"{entry.url}/v3/demo/volumes", headers=HEADERS,
                        timeout=10).status_code == 200
