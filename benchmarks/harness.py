"""Timing that survives a noisy machine: interleaved rounds, best and median, and a spread.

Every figure compares the fake with a baseline measured in the same rounds
(alternating which goes first), so a burst of load from another process hits
both sides instead of skewing the ratio.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Samples:
    """Per-call seconds, one value per batch."""

    values: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """The fastest batch: what a call costs when nothing else gets in the way
        (noise from other processes only ever adds time)."""
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """How far the median batch is above the best ones (0.05 = 5 %)."""
        return self.median / self.best - 1.0


# CPU time of this thread, not wall time: on a machine shared with other busy
# processes, wall time counts the slices the scheduler gave to them.
clock = time.thread_time


def time_batch(call: Callable[[int], object], start: int, n: int) -> float:
    """CPU seconds per call of ``call(start) ... call(start + n - 1)``."""
    begin = clock()
    for index in range(start, start + n):
        call(index)
    return (clock() - begin) / n


@dataclass
class Comparison:
    subject: Samples
    baseline: Samples

    def pair_ratios(self) -> list[float]:
        """Each batch of the subject against the baseline batch run right beside it."""
        return sorted(s / b for s, b in zip(self.subject.values, self.baseline.values,
                                            strict=True))

    @property
    def ratio(self) -> float:
        """The figure: fastest batch against fastest batch. Load from other processes
        only ever adds time, and on a busy 2-core machine it lands on most batches
        (so medians drift with the load); the fastest of hundreds of small batches
        of each side is the one that ran undisturbed."""
        return self.subject.best / self.baseline.best

    def spread(self) -> str:
        ratios = self.pair_ratios()
        quarter = len(ratios) // 4
        return (f"noise +{self.subject.spread:.0%}/+{self.baseline.spread:.0%}, "
                f"pairs p25-p75 {ratios[quarter]:.2f}-{ratios[-quarter - 1]:.2f}")


def compare(subject: Callable[[int], object], baseline: Callable[[int], object], n: int,
            batches: int) -> Comparison:
    """Many small batches of ``n`` calls, alternating the two sides batch by batch.

    Small batches, alternating which side goes first, keep each pair of batches
    close in time, so the per-pair ratios see the same machine.
    Each call gets a distinct index (0 to n * batches for each side), so callers
    can hand every call its own volume or body.
    """
    ours, theirs = Samples(), Samples()
    subject(0)  # warm both paths (imports, caches) outside the timing
    baseline(0)
    gc.collect()
    for batch in range(batches):
        start = batch * n + 1
        if batch % 2:
            ours.values.append(time_batch(subject, start, n))
            theirs.values.append(time_batch(baseline, start, n))
        else:
            theirs.values.append(time_batch(baseline, start, n))
            ours.values.append(time_batch(subject, start, n))
    return Comparison(ours, theirs)


def repeat(call: Callable[[], object], rounds: int,
           setup: Callable[[], object] | None = None) -> Samples:
    """Time ``call`` once per round, after an untimed ``setup``."""
    samples = Samples()
    for _ in range(rounds):
        if setup is not None:
            setup()
        gc.collect()
        begin = clock()
        call()
        samples.values.append(clock() - begin)
    return samples


@dataclass
class Figure:
    """One line of the report: a measured value against its target."""

    name: str
    value: float
    target: float
    unit: str            # "x" for ratios, "ms", "KiB", ...
    at_most: bool = True  # False: the value must be at least the target
    spread: str = ""      # how noisy the measurement was
    detail: str = ""      # the absolute numbers behind a ratio
    failures: int = 0     # requests that failed while measuring (a figure needs none)
    reported: bool = False  # printed for information: no target

    @property
    def met(self) -> bool:
        if self.failures:
            return False
        if self.reported:
            return True
        return self.value <= self.target if self.at_most else self.value >= self.target

    def line(self) -> str:
        sign = "<=" if self.at_most else ">="
        verdict = "ok  " if self.met else "MISS"
        goal = ("reported, no target" if self.reported
                else f"target {sign} {self.target:g} {self.unit}")
        failed = f"; {self.failures} FAILED requests" if self.failures else ""
        return (f"{verdict} {self.name:<44} {self.value:8.2f} {self.unit:<4}"
                f" {goal:<19} {self.spread:<42} {self.detail}{failed}")


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us"
