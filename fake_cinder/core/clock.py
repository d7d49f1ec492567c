"""Ids and timestamps: real ones by default, a deterministic sequence with a seed."""

from __future__ import annotations

import datetime as _dt
import random
import threading
import uuid

# Cinder renders naive UTC datetimes with microseconds and no zone suffix.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
_SEEDED_EPOCH = _dt.datetime(2024, 1, 1)


def format_timestamp(moment: _dt.datetime) -> str:
    # What strftime(TIMESTAMP_FORMAT) gives (the zone is not shown), several times faster.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


class Clock:
    """Hands out ids and timestamps; seeded clocks repeat exactly from run to run."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._reseed()

    def _reseed(self) -> None:
        self._random = random.Random(self.seed) if self.seed is not None else None
        self._ticks = 0

    def reset(self) -> None:
        with self._lock:
            self._reseed()

    def new_id(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def now(self) -> str:
        if self._random is None:
            return format_timestamp(_dt.datetime.now(_dt.UTC).replace(tzinfo=None))
        with self._lock:
            # One millisecond per reading keeps seeded timestamps distinct and ordered.
            self._ticks += 1
            return format_timestamp(_SEEDED_EPOCH + _dt.timedelta(milliseconds=self._ticks))
