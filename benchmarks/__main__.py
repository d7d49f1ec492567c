"""``python -m benchmarks``: print every figure of issue 7 beside its target."""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from typing import TextIO

from .dashboard import DASHBOARD, chromium_missing
from .growth import GROWTH
from .harness import Figure
from .live import SERVERS, live_figure
from .scenarios import FIGURES, Scale
from .startup import plugin_figure
from .wire import wire_figure

ALL = [*FIGURES, "live", "wire", "plugin", *GROWTH, *DASHBOARD]


def run(names: list[str], scale: Scale, server: str = "werkzeug",
        out: TextIO | None = None) -> list[Figure]:
    """Measure the named figures, printing each line as soon as it is known."""
    out = out or sys.stdout
    figures = []
    for name in names:
        quick = scale.rounds < 3
        if name == "live":
            with tempfile.TemporaryDirectory() as scratch:
                figure = live_figure(server, threads=2 if quick else 8,
                                     requests=5 if quick else 250,
                                     rounds=scale.rounds if quick else 5, payload_dir=scratch)
        elif name == "wire":
            with tempfile.TemporaryDirectory() as scratch:
                figure = wire_figure(cycles=1 if quick else 10, rounds=2 if quick else 60,
                                     scratch=scratch)
        elif name == "plugin":
            figure = plugin_figure(rounds=2 if quick else 15)
        elif name in GROWTH:
            figure = GROWTH[name](scale)
        elif name in DASHBOARD:
            missing = chromium_missing()
            if missing:  # the browser figures need Chromium: said, not counted
                print(f"skip {name}: {missing}", file=out, flush=True)
                continue
            figure = DASHBOARD[name](scale)
        else:
            figure = FIGURES[name](scale)
        print(figure.line(), file=out, flush=True)
        figures.append(figure)
    return figures


def profile(name: str, scale: Scale) -> None:
    """Run one figure under pyinstrument (``pip install -e '.[bench]'``)."""
    from pyinstrument import Profiler
    profiler = Profiler(interval=0.0002)
    profiler.start()
    FIGURES[name](scale)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *ALL], metavar="FIGURE",
                        help=f"figures to measure (default: all of {', '.join(ALL)})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check it runs")
    parser.add_argument("--server", choices=sorted(SERVERS), default="werkzeug",
                        help="WSGI server of the live figure")
    parser.add_argument("--profile", choices=sorted(FIGURES),
                        help="profile one figure with pyinstrument instead")
    args = parser.parse_args(argv)
    scale = Scale.quick() if args.quick else Scale()
    if args.profile:
        profile(args.profile, scale)
        return 0
    print(f"fake-cinder benchmarks: Python {platform.python_version()}, "
          f"{platform.machine()}; each ratio: fastest against fastest of interleaved batches, "
          "fake against the bare Flask route, measured in the same run")
    began = time.perf_counter()
    figures = run(args.names or ALL, scale, args.server)
    missed = [f.name for f in figures if not f.met]
    print(f"{len(figures) - len(missed)}/{len(figures)} targets met "
          f"in {time.perf_counter() - began:.0f} s" + (f"; missed: {', '.join(missed)}"
                                                        if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
