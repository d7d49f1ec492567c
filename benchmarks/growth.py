"""Issue 24's figures: what a request costs in a project of 100 000 volumes (each with an
attachment and a snapshot) against the same request in a project of 100, measured in
the same run (target: at most 2x); what a volume with its attachment costs in memory;
how long a state of 100 000 volumes takes to load.
"""

from __future__ import annotations

import functools
import gc
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from fake_cinder import FakeCinder
from fake_cinder.core.models import Attachment, Snapshot, Volume

from .harness import Figure, Samples, clock, compare, repeat, us
from .scenarios import PROJECT, Scale, check, default_fake

SMALL = 100  # the project every growth figure compares with
ADMIN = {"X-Auth-Token": f"{PROJECT}:{PROJECT}", "OpenStack-API-Version": "volume 3.55"}
STATUSES = ("available", "in-use")


def fill(fake: FakeCinder, project: str, count: int) -> None:
    """``count`` volumes in ``project``, each with one attachment and one snapshot,
    straight into the store (as a state file's load does)."""
    store = fake.store
    with store.lock:
        for index in range(count):
            now = store.clock.now()
            volume = store.add_volume(Volume(
                id=store.clock.new_id(), project_id=project, size=1 + index % 3,
                status=STATUSES[index % 2], name=f"vol-{index}", created_at=now,
                metadata={"tier": "gold" if index % 2 else "silver"}))
            store.add_attachment(Attachment(
                id=store.clock.new_id(), volume_id=volume.id, project_id=project,
                instance_uuid=store.clock.new_id(), created_at=now))
            store.add_snapshot(Snapshot(
                id=store.clock.new_id(), volume_id=volume.id, project_id=project,
                size=volume.size, created_at=now))


@functools.lru_cache(maxsize=4)
def grown(count: int) -> FakeCinder:
    """A fake whose project holds ``count`` volumes (built once per size and run)."""
    fake = default_fake(seed=24)
    fill(fake, PROJECT, count)
    # Quotas that let the project create more (its volumes exceed the defaults).
    fake.set_quotas(PROJECT, volumes=-1, snapshots=-1, gigabytes=-1)
    return fake


def _middle_volume(fake: FakeCinder) -> str:
    keys = fake.store.project_volume_keys(PROJECT)
    return keys[len(keys) // 2][1]


def _growth(name: str, scale: Scale, request: Callable[[FakeCinder, int], object]) -> Figure:
    big, small = grown(scale.grown), grown(SMALL)
    result = compare(lambda i: request(big, i), lambda i: request(small, i),
                     scale.n // 2 or 1, scale.rounds // 3 or 1)
    return Figure(f"{name}: {scale.grown} / {SMALL}", result.ratio, 2, "x",
                  spread=result.spread(),
                  detail=f"{us(result.subject.best)} vs {us(result.baseline.best)}")


def _get(path: str, version: str = "3.55") -> Callable[[FakeCinder, int], object]:
    headers = {**ADMIN, "OpenStack-API-Version": f"volume {version}"}

    def request(fake: FakeCinder, _index: int) -> object:
        url = f"/v3/{PROJECT}/{path.format(marker=_middle_volume(fake))}"
        return check(fake.app.test_client().get(url, headers=headers))
    return request


def _create_and_delete(fake: FakeCinder, _index: int) -> None:
    client = fake.app.test_client()
    created = check(client.post(f"/v3/{PROJECT}/volumes", headers=ADMIN,
                                json={"volume": {"size": 1}}), 202)
    check(client.delete(f"/v3/{PROJECT}/volumes/{created.json['volume']['id']}",
                        headers=ADMIN), 202)


def _server_attachments(fake: FakeCinder, index: int) -> object:
    """The attachments of one server (Nova's instance_id filter), in the middle."""
    [attachment] = fake.store.volume_attachments(_middle_volume(fake))
    return _get(f"attachments?instance_id={attachment.instance_uuid}")(fake, index)


GROWTH_REQUESTS: dict[str, tuple[str, Callable[[FakeCinder, int], object]]] = {
    "grow-list": ("volume list, limit=20", _get("volumes?limit=20")),
    "grow-detail": ("volume detail, limit=20", _get("volumes/detail?limit=20")),
    "grow-marker": ("volume detail after a marker",
                    _get("volumes/detail?limit=20&marker={marker}")),
    "grow-oldest": ("volumes oldest first (sort asc)",
                    _get("volumes/detail?limit=20&sort=created_at:asc,id:asc")),
    "grow-filter": ("volumes filtered by status", _get("volumes/detail?limit=20&status=in-use")),
    "grow-attachments": ("attachment list, limit=20", _get("attachments?limit=20")),
    "grow-quota": ("volume create + delete (quota check)", _create_and_delete),
    "grow-limits": ("GET /limits", _get("limits")),
    "grow-usage": ("quota usage", _get(f"os-quota-sets/{PROJECT}?usage=True")),
    "grow-summary": ("GET /volumes/summary (3.12)", _get("volumes/summary", "3.12")),
    # The column indexes (core/column_index.py): other sorts, filters and counts.
    "grow-sort-name": ("volumes sorted by name", _get("volumes/detail?limit=20&sort=name:asc")),
    "grow-sort-size": ("volumes sorted by size after a marker",
                       _get("volumes/detail?limit=20&sort=size:desc&marker={marker}")),
    "grow-sort-status": ("volumes sorted by status", _get("volumes?limit=20&sort=status")),
    "grow-sort-updated": ("volumes sorted by updated_at",
                          _get("volumes?limit=20&sort=updated_at:desc")),
    "grow-filter-name": ("volumes filtered by name (one match), counted",
                         _get("volumes/detail?name=vol-7&with_count=true")),
    "grow-filter-count": ("volumes filtered by status, counted",
                          _get("volumes?limit=20&status=in-use&with_count=true")),
    "grow-filter-sorted": ("volumes filtered by status, sorted by size",
                           _get("volumes?limit=20&status=available&sort=size:asc")),
    "grow-summary-metadata": ("GET /volumes/summary (3.36, distinct metadata)",
                              _get("volumes/summary", "3.36")),
    "grow-server-attachments": ("attachments of one server (instance_id)",
                                _server_attachments),
    "grow-snapshots": ("snapshot list, limit=20", _get("snapshots?limit=20")),
    "grow-snapshots-sorted": ("snapshots sorted by size, filtered by status, counted",
                              _get("snapshots/detail?limit=20&sort=volume_size:desc"
                                   "&status=available&with_count=true")),
}


def _growth_figure(key: str, scale: Scale) -> Figure:
    label, request = GROWTH_REQUESTS[key]
    return _growth(label, scale, request)


def reset_growth(scale: Scale) -> Figure:
    """Reset of a project of 10 volumes beside one of ``grown`` volumes, against beside
    one of 100."""
    def timed(fake: FakeCinder) -> float:
        fill(fake, "scratch", 10)
        gc.collect()
        begin = clock()
        fake.reset("scratch")
        return clock() - begin
    big, small = grown(scale.grown), grown(SMALL)
    ours, theirs = Samples(), Samples()
    for _round in range(max(scale.setups, 2)):
        ours.values.append(timed(big))
        theirs.values.append(timed(small))
    return Figure(f"reset a project beside {scale.grown} / {SMALL}", ours.best / theirs.best,
                  2, "x", detail=f"{us(ours.best)} vs {us(theirs.best)}")


def _per_record(seconds: float, fake: FakeCinder) -> float:
    store = fake.store
    return seconds / (len(store.volumes) + len(store.attachments) + len(store.snapshots))


def dump_load_growth(scale: Scale) -> Figure:
    """Dump and load of the whole state, per record, at ``grown`` volumes against 100."""
    def per_record(fake: FakeCinder) -> float:
        def cycle() -> None:
            FakeCinder(seed=1).load(json.loads(json.dumps(fake.dump())))
        return _per_record(repeat(cycle, 2 if scale.rounds < 3 else 3).best, fake)
    big, small = per_record(grown(scale.grown)), per_record(grown(SMALL))
    return Figure(f"dump + load per record: {scale.grown} / {SMALL}", big / small, 2, "x",
                  detail=f"{big * 1e6:.1f} us vs {small * 1e6:.1f} us a record")


def memory_per_volume(scale: Scale) -> Figure:
    """Traced bytes that stay allocated per volume with one attachment (no snapshot)."""
    fake = default_fake()
    count = max(scale.stored, 50)
    store = fake.store
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with store.lock:
            for index in range(count):
                volume = store.add_volume(Volume(
                    id=store.clock.new_id(), project_id=PROJECT, status="in-use",
                    name=f"vol-{index}", created_at=store.clock.now()))
                store.add_attachment(Attachment(
                    id=store.clock.new_id(), volume_id=volume.id, project_id=PROJECT,
                    instance_uuid=store.clock.new_id(), attach_status="attached",
                    created_at=store.clock.now()))
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return Figure("memory per volume with one attachment", (after - before) / count / 1024,
                  4, "KiB", detail=f"{count} volumes, {(after - before) / 2**20:.1f} MiB")


def load_time(scale: Scale) -> Figure:
    """CPU seconds to load a state file of ``grown`` volumes (with their attachments and
    snapshots) into a fresh fake: parse, check and install, and the cyclic collector's
    first pass over the new records (the load pauses it). CPU time, as every figure
    here: on a shared machine, wall time counts other processes' slices."""
    state = json.dumps(grown(scale.grown).dump())
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "state.json"
        path.write_text(state, "utf-8")
        gc.collect()
        begin = time.process_time()
        FakeCinder(seed=1).load(path)
        gc.collect()
        seconds = time.process_time() - begin
    return Figure(f"load a state file of {scale.grown} volumes", seconds, 10, "s",
                  detail=f"{len(state) / 2**20:.0f} MiB of JSON, CPU time")


GROWTH: dict[str, Callable[[Scale], Figure]] = {
    **{key: functools.partial(_growth_figure, key) for key in GROWTH_REQUESTS},
    "grow-reset": reset_growth, "grow-dump-load": dump_load_growth,
    "memory-volume": memory_per_volume, "load-100k": load_time,
}
