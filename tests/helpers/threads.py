"""Concurrency helpers: run jobs in threads, widen a race window."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def slow_status(store: Any, volume_id: str, delay: float = 0.002) -> None:
    """Replace a stored volume by one whose ``status`` is slow to read.

    Reserving reads the status, then writes it: the delay widens that window so far
    that concurrent reserves overlap in it unless the store's lock serializes them.
    Without this a race would only show when a thread switch fell between two
    bytecodes, so a concurrency test could pass without the lock it is meant to check.
    """
    import dataclasses
    import time

    from fake_cinder.core.models import Volume

    class SlowStatusVolume(Volume):
        __slots__ = ()

        @property  # type: ignore[override]
        def status(self) -> str:
            value = Volume.status.__get__(self)  # the parent's slot
            time.sleep(delay)
            return value

        @status.setter
        def status(self, value: str) -> None:
            Volume.status.__set__(self, value)

    with store.lock:
        volume = store.volumes[volume_id]
        fields = {f.name: getattr(volume, f.name) for f in dataclasses.fields(Volume)}
        store.remove_volume(volume_id)
        store.add_volume(SlowStatusVolume(**fields))


def run_threads(target: Callable[..., Any], jobs: Iterable[tuple[Any, ...]],
                timeout: float = 30) -> None:
    """Run ``target(*job)`` for every job, each in its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
