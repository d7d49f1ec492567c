"""Ids and timestamps: real ones by default, a deterministic sequence with a seed."""

from __future__ import annotations

import datetime as _dt
import random
import threading
import time

# Cinder renders naive UTC datetimes with microseconds and no zone suffix.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
_SEEDED_EPOCH = _dt.datetime(2024, 1, 1)


def format_timestamp(moment: _dt.datetime) -> str:
    # What strftime(TIMESTAMP_FORMAT) gives (the zone is not shown), several times faster.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


# The bits uuid.UUID(int=..., version=4) sets: version 4 and the RFC 4122 variant.
_V4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_V4_BITS = (0x4000 << 64) | (0x8000 << 48)


def uuid4_text(bits: int) -> str:
    """str(uuid.UUID(int=bits, version=4)) without building a UUID object, which cost
    more than the rest of a reserve. Ids need not be secret: random.getrandbits
    is enough (the random module reseeds itself in forked children)."""
    digits = f"{bits & _V4_MASK | _V4_BITS:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# (a second since the epoch, its "YYYY-MM-DDTHH:MM:SS" in UTC). A reserve reads the clock
# twice: datetime.now(UTC).isoformat() took ~1.5 us a reading, this ~0.45 us.
_second: tuple[int, str] = (-1, "")


def utc_now_text() -> str:
    """Now in UTC as Cinder renders it (TIMESTAMP_FORMAT). The date and time of day are
    formatted once per second (keyed by that second: never stale), the microseconds
    each call. time.time_ns reads the clock datetime.now reads."""
    global _second
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    known = _second
    if known[0] != seconds:
        known = _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{known[1]}.{micros:06d}"


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
            return uuid4_text(random.getrandbits(128))
        with self._lock:
            return uuid4_text(self._random.getrandbits(128))

    def now(self) -> str:
        if self._random is None:
            return utc_now_text()
        with self._lock:
            # One millisecond per reading keeps seeded timestamps distinct and ordered.
            self._ticks += 1
            return format_timestamp(_SEEDED_EPOCH + _dt.timedelta(milliseconds=self._ticks))
