"""Issue 24's dashboard figures: first paint of /_fake/ui in headless Chromium for
``fixtures/large.json`` and for a generated state of 10 000 volumes (each with an
attachment), and the bytes the page's polling moves while nothing changes.

First paint is read from the browser's Performance API: ``first-contentful-paint``
(``performance.getEntriesByType('paint')``) and the ``first-rows`` mark the page sets
once its first table rows are in the document; the figure is the later of the two,
the median of a few fresh navigations after one warm-up (wall time: this is what a
user waits for). The bytes per poll are the ``transferSize`` (headers and body, as
they crossed the socket) of the page's control-API calls while the state stands still.
Without Chromium these figures are skipped, with the reason.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path

from .growth import fill
from .harness import Figure
from .scenarios import PROJECT, Scale

TARGET_MS = 1000
POLL_MS = 250  # the poll interval while the bytes are measured (?poll=)
POLL_WINDOW_S = 3.0
# The control-API reads of the page: what one poll sends.
_POLLS_JS = """
return performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/_fake/') && !e.name.includes('/_fake/ui'))
  .map((e) => [e.name, e.transferSize, e.startTime]);
"""
_PAINT_JS = """
const paint = performance.getEntriesByName('first-contentful-paint')[0];
const rows = performance.getEntriesByName('first-rows')[0];
return [paint ? paint.startTime : null, rows ? rows.startTime : null];
"""


def chromium_missing() -> str | None:
    """Why the dashboard figures cannot run here, or None."""
    from tests.ui.headless import find_chromium
    found = find_chromium()
    return found if isinstance(found, str) else None


@contextmanager
def _browser() -> Iterator[Any]:
    from tests.ui.headless import find_chromium, start_chromium
    found = find_chromium()
    assert not isinstance(found, str), found
    driver = start_chromium(found)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(condition: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("the dashboard did not render in time")


def _first_paint_ms(driver: Any, url: str) -> tuple[float, float]:
    """(first-contentful-paint, first rows) in ms from navigation start."""
    driver.get("about:blank")
    driver.get(f"{url}/_fake/ui#volumes")
    return _wait(lambda: (lambda found: found if None not in found else None)(
        driver.execute_script(_PAINT_JS)))


@functools.lru_cache(maxsize=2)
def volumes_state(count: int) -> FakeCinder:
    """A fake holding ``count`` volumes, each with one attachment (and a snapshot)."""
    fake = FakeCinder(fixture_path("default.json"), seed=24)
    fill(fake, PROJECT, count)
    return fake


def _paint_figure(label: str, fake: FakeCinder, navigations: int) -> Figure:
    with fake.serve() as server, _browser() as driver:
        _first_paint_ms(driver, server.url)  # warm-up: the browser's own first start
        paints = [_first_paint_ms(driver, server.url) for _ in range(navigations)]
        driver.get("about:blank")
    worst = [max(fcp, rows) for fcp, rows in paints]
    median = statistics.median(worst)
    fcp = statistics.median(p[0] for p in paints)
    rows = statistics.median(p[1] for p in paints)
    return Figure(f"dashboard first paint: {label}", median, TARGET_MS, "ms",
                  spread=f"best {min(worst):.0f} ms of {navigations}",
                  detail=f"first-contentful-paint {fcp:.0f} ms, first rows {rows:.0f} ms")


def large_figure(scale: Scale) -> Figure:
    return _paint_figure("fixtures/large.json", FakeCinder(fixture_path("large.json")),
                         1 if scale.rounds < 3 else 5)


def many_volumes_figure(scale: Scale) -> Figure:
    count = 10_000 if scale.rounds >= 3 else 200
    return _paint_figure(f"{count} volumes, each attached", volumes_state(count),
                         1 if scale.rounds < 3 else 5)


def poll_bytes_figure(scale: Scale) -> Figure:
    """Bytes a poll moves on the volumes tab while nothing changes (target: 2 KiB)."""
    count = 10_000 if scale.rounds >= 3 else 200
    window = POLL_WINDOW_S if scale.rounds >= 3 else 1.0
    with volumes_state(count).serve() as server, _browser() as driver:
        driver.get(f"{server.url}/_fake/ui?poll={POLL_MS}#volumes")
        _wait(lambda: driver.execute_script(_PAINT_JS)[1] is not None)
        time.sleep(2 * POLL_MS / 1000)  # let the first answers settle
        began = driver.execute_script("return performance.now()")
        time.sleep(window)
        calls = [c for c in driver.execute_script(_POLLS_JS) if c[2] >= began]
        driver.get("about:blank")
    polls = max(1, round(window * 1000 / POLL_MS))
    moved = sum(size for _name, size, _start in calls)
    return Figure(f"dashboard bytes per poll: {count} volumes", moved / polls, 2048, "B",
                  detail=f"{len(calls)} calls in {polls} polls, {moved} B in {window:g} s")


DASHBOARD: dict[str, Callable[[Scale], Figure]] = {
    "dashboard-large": large_figure, "dashboard-10k": many_volumes_figure,
    "dashboard-poll": poll_bytes_figure,
}
