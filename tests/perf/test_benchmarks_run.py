"""The benchmarks must keep running as the code changes: one tiny iteration of each.

No timing is asserted here (``make bench`` measures); this only checks that every
figure is produced, with a finite value, by the module ``make bench`` runs.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from benchmarks.__main__ import ALL, main, run  # noqa: E402
from benchmarks.dashboard import DASHBOARD, chromium_missing  # noqa: E402
from benchmarks.scenarios import Scale  # noqa: E402


def test_every_figure_runs_at_a_tiny_scale() -> None:
    out = io.StringIO()
    figures = run(ALL, Scale.quick(), out=out)
    # The dashboard's figures need Chromium; without it they are skipped, with the reason.
    skipped = [name for name in DASHBOARD if chromium_missing()]
    assert len(figures) == len(ALL) - len(skipped)
    assert all(f"skip {name}: " in out.getvalue() for name in skipped)
    for figure in figures:
        assert math.isfinite(figure.value) and figure.value > 0, figure
        assert figure.name in out.getvalue()
        assert "target" in figure.line()


def test_the_command_line_reports_each_figure(capsys) -> None:
    main(["--quick", "show", "reset"])
    printed = capsys.readouterr().out
    assert "show (GET one attachment)" in printed
    assert "reset one project" in printed
    assert "targets met" in printed
