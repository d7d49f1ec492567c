"""Reserving is atomic: of N concurrent creates on one available non-multiattach volume by
different instances, exactly one succeeds (in process, through the Flask app)."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.helpers.api import SHARED_VOLUME, VOLUME
from tests.helpers.threads import run_threads, slow_status

THREADS = 16


def race(app, fake, volume_id: str) -> list:
    slow_status(fake.store, volume_id)
    barrier = threading.Barrier(THREADS)
    results = []
    lock = threading.Lock()
    headers = {"X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}

    def reserve() -> None:
        client = app.test_client()
        body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": str(uuid.uuid4())}}
        barrier.wait(timeout=10)
        response = client.post("/v3/demo/attachments", json=body, headers=headers)
        with lock:
            results.append(response)

    run_threads(reserve, [()] * THREADS)
    assert len(results) == THREADS
    return results


@pytest.mark.parametrize("round_", range(3))
def test_exactly_one_concurrent_reserve_wins(app, fake, round_):
    results = race(app, fake, VOLUME)
    assert sorted(r.status_code for r in results) == [200] + [400] * (THREADS - 1)
    winner = next(r for r in results if r.status_code == 200).get_json()["attachment"]
    assert list(fake.store.attachments) == [winner["id"]]
    assert fake.store.volumes[VOLUME].status == "reserved"


def test_first_reserve_of_a_multiattach_volume_wins_too(app, fake):
    # A multiattach volume may be shared, but not while it is reserved (Cinder's rule).
    results = race(app, fake, SHARED_VOLUME)
    assert sorted(r.status_code for r in results) == [200] + [400] * (THREADS - 1)
    assert len(fake.store.attachments) == 1
