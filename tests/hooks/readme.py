"""The examples of the test-hook sections (in the README, or a page of docs/), as
(language, code) blocks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTIONS = ("Python API", "Faults", "Request journal", "Response hooks", "Live server",
            "HTTP control API (/_fake/)", "Fixture files", "Extending the app", "pytest plugin",
            "Asynchronous transitions")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# A python block that starts with "# test_<name>.py" is a pytest file, not a snippet.
_TEST_FILE = re.compile(r"\A# (test_\w+)\.py\n")


def section(title: str) -> str:
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        parts = re.split(r"^## ", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
        for part in parts:
            heading, _newline, body = part.partition("\n")
            if heading.strip() == title:
                return body
    raise LookupError(f"neither README.md nor docs/ has a section {title!r}")


def blocks(title: str) -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in _FENCE.finditer(section(title))]


def file_name(code: str) -> str | None:
    match = _TEST_FILE.match(code)
    return match.group(1) if match else None
