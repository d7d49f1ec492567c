"""The live threaded server under concurrent clients: no lost update, Cinder's invariants hold,
and concurrent reserves of one non-multiattach volume let exactly one through."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from flask import Flask

from fake_cinder import FakeCinder
from tests.properties.proof_invariants import PROJECTS, check_invariants, headers, http_api

THREADS = 8
OPERATIONS = int(os.environ.get("CONCURRENCY_OPERATIONS", "2000"))
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:threads", "host": "compute-t"}


pytestmark = pytest.mark.fake_cinder_state("default.json", seed=3,
                                           protect_in_use_attachments=False)


@pytest.fixture
def fake(fake_cinder: FakeCinder) -> FakeCinder:
    # The load creates far more volumes than Cinder's default quota (10 per project) allows.
    fake_cinder.set_quotas(volumes=-1, gigabytes=-1)
    return fake_cinder


@pytest.fixture
def app(fake: FakeCinder, caplog: pytest.LogCaptureFixture) -> Flask:
    """The live server's app without the per-response schema check (the fuzzer checks the
    shapes) and without a captured access-log line per request: the load is the point."""
    caplog.set_level(logging.WARNING, logger="werkzeug")
    return fake.app


@dataclass
class Worker:
    """One client thread: its own volumes (whose state it can predict) plus shared ones."""

    index: int
    base_url: str
    shared: list[str]
    project: str = ""
    volumes: dict[str, str] = field(default_factory=dict)  # id -> predicted status
    attachments: dict[str, str] = field(default_factory=dict)  # id -> volume id
    shared_attachments: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    steps: int = 0

    def __post_init__(self) -> None:
        self.project = PROJECTS[self.index % len(PROJECTS)]
        self.instance = f"00000000-0000-4000-8000-{self.index:012d}"
        self.random = random.Random(self.index)

    def expect(self, what: str, status: int, wanted: tuple[int, ...]) -> bool:
        self.statuses[status] += 1
        if status not in wanted:
            self.problems.append(f"{what}: {status} not in {wanted}")
        return status in wanted

    def run(self, operations: int) -> None:
        api = http_api(self.base_url)
        me = headers(self.project)
        for _ in range(operations):
            self.step(api, me)
            self.steps += 1

    def step(self, api, me: dict[str, str]) -> None:  # noqa: ANN001 (the test's Api)
        own_idle = [v for v, s in self.volumes.items() if s == "available"]
        mine = [a for a, v in self.attachments.items() if a not in self.deleted]
        choice = self.random.random()
        if choice < 0.08 or not self.volumes:
            result = api.call("POST", "/v3/volumes", me, {"volume": {"size": 1}})
            if self.expect("create volume", result.status, (202,)):
                self.volumes[result.body["volume"]["id"]] = "available"
        elif choice < 0.30 and own_idle:
            volume = self.random.choice(own_idle)
            result = api.call("POST", "/v3/attachments", me, {"attachment": {
                "volume_uuid": volume, "instance_uuid": self.instance, "connector": CONNECTOR}})
            if self.expect("attach own", result.status, (200,)):
                self.attachments[result.body["attachment"]["id"]] = volume
                self.volumes[volume] = "attaching"
        elif choice < 0.42 and mine:
            attachment = self.random.choice(mine)
            result = api.call("POST", f"/v3/attachments/{attachment}/action", me,
                              {"os-complete": None})
            if self.expect("complete", result.status, (204,)):
                self.volumes[self.attachments[attachment]] = "in-use"
        elif choice < 0.62 and mine:
            attachment = self.random.choice(mine)
            result = api.call("DELETE", f"/v3/attachments/{attachment}", me)
            if self.expect("delete own", result.status, (200,)):
                self.deleted.add(attachment)
                self.volumes[self.attachments[attachment]] = "available"
        elif choice < 0.74:
            # Shared multiattach volumes: reserves race with other threads' reserves.
            volume = self.random.choice(self.shared)
            admin = headers(PROJECTS[0], "admin")
            result = api.call("POST", "/v3/attachments", admin, {"attachment": {
                "volume_uuid": volume, "instance_uuid": self.instance}})
            if self.expect("reserve shared", result.status, (200, 400)) and result.status == 200:
                attachment = result.body["attachment"]["id"]
                self.shared_attachments.add(attachment)
                done = api.call("DELETE", f"/v3/attachments/{attachment}", admin)
                if self.expect("release shared", done.status, (200,)):
                    self.deleted.add(attachment)
        elif choice < 0.87 and self.volumes:
            volume = self.random.choice(list(self.volumes))
            result = api.call("GET", f"/v3/volumes/{volume}", me)
            if (self.expect("show volume", result.status, (200,))
                    and result.body["volume"]["status"] != self.volumes[volume]):
                self.problems.append(f"volume {volume}: {result.body['volume']['status']}, "
                                     f"expected {self.volumes[volume]}")
        else:
            result = api.call("GET", "/v3/attachments?limit=50", me)
            self.expect("list", result.status, (200,))


def _run_workers(base_url: str, shared: list[str]) -> list[Worker]:
    workers = [Worker(i, base_url, shared) for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(w.run, OPERATIONS) for w in workers]:
            future.result()
    return workers


def test_mixed_operations_lose_no_update(fake: FakeCinder, live_server_url: str) -> None:
    admin = headers(PROJECTS[0], "admin")
    api = http_api(live_server_url)
    shared = [api.call("POST", "/v3/volumes", admin, {"volume": {
        "size": 1, "volume_type": "multiattach"}}).body["volume"]["id"] for _ in range(3)]
    # The client threads run in a forked process: the server keeps this process's GIL to
    # itself, so the load lands on the server rather than on Python's lock.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as process:
        workers = process.submit(_run_workers, live_server_url, shared).result(timeout=600)

    problems = [p for w in workers for p in w.problems]
    assert not problems, problems[:20]
    assert sum(w.steps for w in workers) == THREADS * OPERATIONS
    # No lost update: what exists is exactly what the threads created and did not delete.
    listed = api.call("GET", "/v3/attachments?all_tenants=1&limit=1000000", admin)
    alive = {a for w in workers for a in w.attachments if a not in w.deleted}
    assert {a["id"] for a in listed.body["attachments"]} == alive
    for worker in workers:
        for volume, status in worker.volumes.items():
            assert api.call("GET", f"/v3/volumes/{volume}", admin).body["volume"][
                "status"] == status
    assert sum(w.statuses[200] for w in workers) > THREADS * OPERATIONS / 4
    assert any(w.shared_attachments for w in workers)
    check_invariants(api, fake, deleted=[a for w in workers for a in list(w.deleted)[:20]])


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_reserves_of_one_volume_let_one_through(live_server_url: str,
                                                           round_: int) -> None:
    contenders = 12
    admin = headers(PROJECTS[0], "admin")
    volume = http_api(live_server_url).call(
        "POST", "/v3/volumes", admin, {"volume": {"size": 1}}).body["volume"]["id"]
    barrier = threading.Barrier(contenders)

    def reserve(index: int) -> int:
        api = http_api(live_server_url)
        api.call("GET", "/v3/volumes", admin)  # warm up before the race starts
        barrier.wait()
        return api.call("POST", "/v3/attachments", admin, {"attachment": {
                "volume_uuid": volume,
                "instance_uuid": f"00000000-0000-4000-8000-{round_:06d}{index:06d}"}}).status

    with ThreadPoolExecutor(contenders) as pool:
        statuses = Counter(pool.map(reserve, range(contenders)))
    assert statuses == {200: 1, 400: contenders - 1}
    listed = http_api(live_server_url).call(
        "GET", f"/v3/attachments?all_tenants=1&volume_id={volume}", admin)
    assert len(listed.body["attachments"]) == 1
