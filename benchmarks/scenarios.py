"""The figures of issue 7, each measured against its baseline in the same run."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fake_cinder import FakeCinder
from fake_cinder.core import attachments as core
from fake_cinder.core.context import Caller
from fake_cinder.core.models import Attachment, Volume
from fake_cinder.core.volumes import create_volume
from fake_cinder.resources import fixture_path

from .baseline import create_bare_app
from .harness import Figure, compare, repeat, us

PROJECT = "demo"
INSTANCE = "8a3c1b2d-0000-4000-8000-000000000001"
HEADERS = {"X-Auth-Token": f"{PROJECT}:{PROJECT}", "OpenStack-API-Version": "volume 3.54"}
# Nova deletes connected attachments with a service token (Cinder's bug-2004555 rule).
SERVICE_HEADERS = {**HEADERS, "X-Service-Roles": "service"}
CONNECTOR_JSON = json.dumps({
    "initiator": "iqn.1993-08.org.debian:01:b0c1a2d3e4f5", "ip": "192.168.10.21",
    "platform": "x86_64", "host": "compute-1", "os_type": "linux2", "multipath": False,
    "do_local_attach": False, "uuid": "6c0d6a0e-8f2e-4b7a-9d1a-0a3b5c7d9e1f",
    "system uuid": "4c4c4544-0034-5a10-8051-b4c04f4e4332", "nqn": None, "found_dsc": ""})
CALLER = Caller(user_id=PROJECT, project_id=PROJECT, roles=frozenset({"admin"}))


@dataclass
class Scale:
    """How much work each figure does; ``quick`` only checks that everything runs."""

    n: int = 10             # requests per batch
    rounds: int = 300       # batches per side (interleaved)
    cycles: int = 2         # attach cycles per batch
    big: int = 100_000      # attachments behind the marker figure
    small: int = 1_000
    others: int = 10_000    # attachments in other projects during a reset
    stored: int = 5_000     # attachments created for the memory figure
    setups: int = 60        # fresh fakes / resets timed
    grown: int = 100_000    # volumes (each attached and snapshotted) of issue 24's figures

    @classmethod
    def quick(cls) -> Scale:
        return cls(n=2, rounds=2, cycles=1, big=400, small=200, others=200, stored=50,
                   setups=2, grown=1_000)


def default_fake(**options: Any) -> FakeCinder:
    return FakeCinder(fixture_path("default.json"), **options)


def check(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise AssertionError(f"{response.request.method} {response.request.path}: "
                             f"{response.status_code} {response.get_data(as_text=True)}")
    return response


def new_volumes(fake: FakeCinder, count: int, project: str = PROJECT) -> list[str]:
    caller = Caller(user_id=project, project_id=project, roles=frozenset({"admin"}))
    return [create_volume(fake.store, caller, 1).id for _ in range(count)]


def populate(fake: FakeCinder, project: str, count: int, per_volume: int = 100) -> None:
    """``count`` reserved attachments in ``project``, straight into the store (fast)."""
    store = fake.store
    with store.lock:
        volume = None
        for index in range(count):
            if index % per_volume == 0:
                volume = store.add_volume(Volume(
                    id=store.clock.new_id(), project_id=project, status="in-use",
                    multiattach=True, created_at=store.clock.now()))
            assert volume is not None
            store.add_attachment(Attachment(
                id=store.clock.new_id(), volume_id=volume.id, project_id=project,
                instance_uuid=store.clock.new_id(), created_at=store.clock.now()))


def _request_pair(name: str, scale: Scale, fake_call: Callable[[int], object],
                  bare_call: Callable[[int], object], target: float) -> Figure:
    result = compare(fake_call, bare_call, scale.n, scale.rounds)
    return Figure(name, result.ratio, target, "x", spread=result.spread(),
                  detail=f"fake {us(result.subject.best)} vs bare {us(result.baseline.best)} "
                  f"(+{us(result.subject.best - result.baseline.best)})")


# -- per-request figures ------------------------------------------------------------------------
def _get_pair(label: str, payload: str, client: Any, url: str, scale: Scale) -> Figure:
    """The same GET against the fake and against a bare route answering its JSON."""
    bare_client = create_bare_app({payload: check(client.get(url, headers=HEADERS)).json}
                                  ).test_client()
    return _request_pair(
        label, scale,
        lambda i: check(client.get(url, headers=HEADERS)),
        lambda i: check(bare_client.get(url, headers=HEADERS)), 1.3)


def show(scale: Scale) -> Figure:
    fake = default_fake()
    client = fake.app.test_client()
    volume_id = new_volumes(fake, 1)[0]
    created = check(client.post(f"/v3/{PROJECT}/attachments", headers=HEADERS, json={
        "attachment": {"volume_uuid": volume_id, "instance_uuid": INSTANCE}}))
    attachment_id = created.json["attachment"]["id"]
    url = f"/v3/{PROJECT}/attachments/{attachment_id}"
    return _get_pair("show (GET one attachment)", "show", client, url, scale)


def list_page(scale: Scale) -> Figure:
    fake = default_fake()
    for volume_id in new_volumes(fake, 60):
        core.create_attachment(fake.store, CALLER, volume_id, INSTANCE)
    client = fake.app.test_client()
    url = f"/v3/{PROJECT}/attachments?limit=50"
    return _get_pair("list (GET a page of 50)", "list", client, url, scale)


def create(scale: Scale) -> Figure:
    fake = default_fake()
    volumes = new_volumes(fake, scale.n * scale.rounds + 1)
    bodies = [{"attachment": {"volume_uuid": v, "instance_uuid": INSTANCE}} for v in volumes]
    client = fake.app.test_client()
    url = f"/v3/{PROJECT}/attachments"
    # The payload of a create, taken from a fake that is not being measured.
    sample = default_fake()
    sample_body = {"attachment": {"volume_uuid": new_volumes(sample, 1)[0],
                                  "instance_uuid": INSTANCE}}
    payload = check(sample.app.test_client().post(url, headers=HEADERS, json=sample_body)).json
    bare_client = create_bare_app({"create": payload}).test_client()
    return _request_pair(
        "create (POST a reserve)", scale,
        lambda i: check(client.post(url, headers=HEADERS, json=bodies[i])),
        lambda i: check(bare_client.post(url, headers=HEADERS, json=bodies[i])), 1.3)


def attach_cycle(scale: Scale) -> Figure:
    """Nova's attach and detach: create, update with a connector, complete, delete.

    "One bare request" is a quarter of the same four requests (same methods, URLs,
    bodies and headers) sent to bare routes that answer the fake's JSON: POSTs and
    PUTs with bodies cost the test client more than a GET, on both sides alike.
    """
    fake = default_fake()
    client = fake.app.test_client()
    volume_id = new_volumes(fake, 1)[0]
    base = f"/v3/{PROJECT}/attachments"
    create_body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": INSTANCE}}
    connector = {"attachment": {"connector": json.loads(CONNECTOR_JSON)}}

    def cycle_on(app_client: Any) -> Callable[[int], dict[str, Any]]:
        def cycle(_index: int) -> dict[str, Any]:
            created = check(app_client.post(base, headers=HEADERS, json=create_body))
            url = f"{base}/{created.json['attachment']['id']}"
            updated = check(app_client.put(url, headers=HEADERS, json=connector))
            check(app_client.post(f"{url}/action", headers=HEADERS,
                                  json={"os-complete": None}), 204)
            deleted = check(app_client.delete(url, headers=SERVICE_HEADERS))
            return {"create": created.json, "update": updated.json, "delete": deleted.json}
        return cycle

    bare = create_bare_app(cycle_on(client)(0))  # the fake's own answers, captured once
    bare_client = bare.test_client()
    result = compare(cycle_on(client), cycle_on(bare_client), scale.cycles,
                     scale.rounds // 2 or 1)
    # Against one bare request: four times the cycle-against-bare-cycle ratio.
    ratios = [4 * r for r in result.pair_ratios()]
    quarter = len(ratios) // 4
    return Figure("attach cycle (4 requests) / one bare request", 4 * result.ratio, 5, "x",
                  spread=f"noise +{result.subject.spread:.0%}/+{result.baseline.spread:.0%}, "
                  f"pairs p25-p75 {ratios[quarter]:.2f}-{ratios[-quarter - 1]:.2f}",
                  detail=f"cycle {us(result.subject.best)} vs bare cycle "
                  f"{us(result.baseline.best)} (fastest batches)")


# -- setup and reset ----------------------------------------------------------------------------
def fresh_fake(scale: Scale) -> Figure:
    def build() -> None:
        fake = default_fake()
        fake.app  # noqa: B018 - building the app is part of being ready to answer
    samples = repeat(build, scale.setups)
    ready = default_fake()
    check(ready.app.test_client().get(f"/v3/{PROJECT}/volumes", headers=HEADERS))
    return Figure("fresh FakeCinder (default fixtures) + app", samples.best * 1e3, 2, "ms",
                  spread=f"median {samples.median * 1e3:.2f} ms")


def reset_project(fake: FakeCinder, project: str) -> None:
    """FakeCinder.reset(project_id) once the hooks layer has it; the store's clear before."""
    reset = getattr(fake, "reset", None)
    if reset is not None:
        reset(project)
    else:
        fake.store.clear(project)


def reset_one_project(scale: Scale) -> Figure:
    fake = default_fake(seed=3)
    for index in range(10):
        populate(fake, f"other-{index}", scale.others // 10)

    def refill() -> None:
        # What a test leaves behind: a few volumes, some of them attached.
        for volume_id in new_volumes(fake, 5):
            core.create_attachment(fake.store, CALLER, volume_id, INSTANCE)

    samples = repeat(lambda: reset_project(fake, PROJECT), scale.setups, setup=refill)
    assert len(fake.store.attachments) == scale.others
    return Figure(f"reset one project ({scale.others} others live)", samples.best * 1e3, 1,
                  "ms", spread=f"median {samples.median * 1e3:.3f} ms")


# -- scaling and memory -------------------------------------------------------------------------
def marker_page(scale: Scale) -> Figure:
    def fake_with(count: int) -> tuple[Any, str]:
        fake = default_fake(seed=5)
        populate(fake, PROJECT, count)
        newest_first = fake.store.project_attachments(PROJECT)[::-1]
        marker = newest_first[count // 2].id
        return fake.app.test_client(), f"/v3/{PROJECT}/attachments?limit=50&marker={marker}"

    big_client, big_url = fake_with(scale.big)
    small_client, small_url = fake_with(scale.small)

    def page(client: Any, url: str) -> None:
        if len(check(client.get(url, headers=HEADERS)).json["attachments"]) != 50:
            raise AssertionError("the page is not full")
    result = compare(lambda i: page(big_client, big_url), lambda i: page(small_client, small_url),
                     scale.n // 2 or 1, scale.rounds // 3 or 1)
    return Figure(f"page of 50 after a marker: {scale.big} / {scale.small}", result.ratio, 2,
                  "x", spread=result.spread(),
                  detail=f"{us(result.subject.best)} vs {us(result.baseline.best)}")


def host_connectors(hosts: int) -> list[str]:
    """The os-brick connector of each of ``hosts`` compute hosts, as JSON text."""
    template = json.loads(CONNECTOR_JSON)
    result = []
    for index in range(hosts):
        connector = dict(template, host=f"compute-{index}", ip=f"192.168.10.{index + 1}",
                         initiator=f"iqn.1993-08.org.debian:01:{index:012x}",
                         uuid=f"6c0d6a0e-8f2e-4b7a-9d1a-{index:012x}")
        connector["system uuid"] = f"4c4c4544-0034-5a10-8051-{index:012x}"
        result.append(json.dumps(connector))
    return result


def memory_per_attachment(scale: Scale, hosts: int = 20) -> Figure:
    """Traced bytes that stay allocated per connected attachment (the bigger kind),
    each created with a connector freshly parsed from JSON, from one of 20 hosts."""
    fake = default_fake()
    volumes = new_volumes(fake, scale.stored)
    instances = [fake.clock.new_id() for _ in volumes]
    connectors = host_connectors(hosts)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index, (volume_id, instance) in enumerate(zip(volumes, instances, strict=True)):
            core.create_attachment(fake.store, CALLER, volume_id, instance,
                                   connector=json.loads(connectors[index % hosts]))
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    per = (after - before) / scale.stored / 1024
    return Figure("memory per stored attachment (connected)", per, 2, "KiB",
                  detail=f"{scale.stored} attachments from {hosts} hosts, "
                  f"{(after - before) / 2**20:.1f} MiB")


FIGURES: dict[str, Callable[[Scale], Figure]] = {
    "show": show, "list": list_page, "create": create, "cycle": attach_cycle,
    "fresh": fresh_fake, "reset": reset_one_project, "marker": marker_page,
    "memory": memory_per_attachment,
}
