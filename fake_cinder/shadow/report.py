"""The shadow's report: JSON lines per comparison, the summary, markdown and JUnit files."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import quoteattr

from .compare import DEPARTURE, DIFFERENCE, MATCH, NOT_COMPARED, Outcome


class Report:
    """Every comparison of a run; thread-safe (the proxy's threads and its replayer add)."""

    def __init__(self, lines: Path | None = None) -> None:
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self._lines: TextIO | None = lines.open("w") if lines else None

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)
            if self._lines is not None:
                self._lines.write(json.dumps(outcome.as_dict(), sort_keys=True) + "\n")
                self._lines.flush()

    def close(self) -> None:
        with self._lock:
            if self._lines is not None:
                self._lines.close()
                self._lines = None

    def summary(self) -> dict[str, int]:
        with self._lock:
            counts = {kind: sum(o.outcome == kind for o in self.outcomes)
                      for kind in (MATCH, DEPARTURE, DIFFERENCE, NOT_COMPARED)}
        return {"compared": counts[MATCH] + counts[DEPARTURE] + counts[DIFFERENCE],
                "matched": counts[MATCH], "departures": counts[DEPARTURE],
                "differences": counts[DIFFERENCE], "not_compared": counts[NOT_COMPARED]}

    def differences(self) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.outcome == DIFFERENCE]

    def markdown(self) -> str:
        """Differences grouped by operation, then field, with both values; then what was
        not compared and why."""
        summary = self.summary()
        lines = ["# fake-cinder shadow report", "",
                 " | ".join(f"{key}: {value}" for key, value in summary.items()), ""]
        grouped: dict[str, dict[str, list[tuple[str, Any, Any]]]] = defaultdict(
            lambda: defaultdict(list))
        for outcome in self.differences():
            for difference in outcome.differences:
                grouped[outcome.operation][difference["where"]].append(
                    (outcome.request, difference["upstream"], difference["fake"]))
        lines += ["## Differences", ""] if grouped else ["No differences.", ""]
        for operation in sorted(grouped):
            lines += [f"### {operation}", ""]
            for where in sorted(grouped[operation]):
                lines += [f"- `{where}`"]
                for request, upstream, fake in grouped[operation][where]:
                    lines.append(f"  - {request}: upstream `{json.dumps(upstream)}`, "
                                 f"fake `{json.dumps(fake)}`")
            lines.append("")
        with self._lock:
            skipped = [o for o in self.outcomes if o.outcome == NOT_COMPARED]
        if skipped:
            lines += ["## Not compared", ""]
            lines += [f"- {o.operation}: {o.request}: {o.reason}" for o in skipped]
            lines.append("")
        return "\n".join(lines)

    def junit(self) -> str:
        with self._lock:
            outcomes = list(self.outcomes)
        summary = self.summary()
        cases = []
        for index, outcome in enumerate(outcomes, 1):
            name = quoteattr(f"{index}: {outcome.request}")
            inner = ""
            if outcome.outcome == DIFFERENCE:
                text = "\n".join(f"{d['where']}: upstream={json.dumps(d['upstream'])} "
                                 f"fake={json.dumps(d['fake'])}" for d in outcome.differences)
                inner = (f"<failure message={quoteattr(outcome.differences[0]['where'])}>"
                         f"{_escape(text)}</failure>")
            elif outcome.outcome == NOT_COMPARED:
                inner = f"<skipped message={quoteattr(outcome.reason)}/>"
            cases.append(f'  <testcase classname={quoteattr("shadow." + outcome.operation)} '
                         f"name={name}>{inner}</testcase>")
        return ('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<testsuite name="fake-cinder shadow" tests="{len(outcomes)}" '
                f'failures="{summary["differences"]}" skipped="{summary["not_compared"]}">\n'
                + "\n".join(cases) + "\n</testsuite>\n")

    def write(self, markdown: Path | None = None, junit: Path | None = None) -> None:
        if markdown is not None:
            markdown.write_text(self.markdown())
        if junit is not None:
            junit.write_text(self.junit())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
