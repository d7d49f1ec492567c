"""docs/maintainers.md's layout, generated from the module docstrings (``make layout``).

Each module of the package is described by its docstring's first sentence, each
package (``core/``, ``api/``, ``conformance/``...) by its ``__init__.py``'s; folders
without a docstring by ``FOLDERS`` below. ``python -m tools.layout`` rewrites the
section between the markers; ``--check`` says whether it is current (a test runs it).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "maintainers.md"
START = "<!-- layout:start (make layout: python -m tools.layout) -->"
END = "<!-- layout:end -->"
WIDTH = 92
COLUMN = 21  # where descriptions start
PACKAGE = "fake_cinder"
# Top-level folders shown with their modules; the others are one line each.
DETAILED = (PACKAGE,)
# Folders (relative to the root) that have no __init__.py docstring to describe them.
FOLDERS = {
    "schemas": "JSON Schemas per operation, kind (request/query/response) and version range",
    "fixtures": "JSON state files (default.json is what `make run` loads)",
    "docs": "these notes, and the longer user pages (clients, control API, conformance...)",
    "tools": "the maintainers' generators (this layout)",
    "tempest": "make tempest's data: constraints, the tempest.conf template, each target's "
               "outcomes, the declared gaps (conformance/tempest.py runs it)",
    "tests": "pytest (make test): every response is checked against schemas/",
    "tests/api": "the HTTP API through the Flask test client: shapes, errors, versions, "
                 "policies",
    "tests/clients": "real clients (cinderclient, openstacksdk, openstack CLI) on a live "
                     "server; every fault effect from every entry point",
    "tests/core": "the domain without HTTP: state machine, backend, identity, snapshots, "
                  "quotas, encryption, volume actions, policies",
    "tests/fuzz": "the OpenAPI document, schemathesis against it, bad input",
    "tests/helpers": None,  # a package: its docstring
    "tests/hooks": "the Python API, faults, journal, control API, plugin, fixtures",
    "tests/perf": "fast paths stay correct; the benchmarks run; the plugin stays light",
    "tests/properties": "hypothesis state machines and concurrency invariants",
    "tests/ui": "the dashboard: its API and a headless browser",
    "consumers": "real consumers' own code against the fake (Nova 34: make consumers)",
}
SKIPPED = {"__pycache__", "build", "dist", "htmlcov"}


def summary(path: Path) -> str | None:
    """The first sentence of a module's docstring, on one line, without its period."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not docstring:
        return None
    paragraph = " ".join(docstring.split("\n\n", 1)[0].split())
    sentence = re.split(r"(?<=[^.]\.)\s+(?=[A-Z`(])", paragraph, maxsplit=1)[0]
    return sentence.rstrip(".").replace("``", "`")


def folder_summary(folder: Path) -> str:
    relative = folder.relative_to(ROOT).as_posix()
    described = FOLDERS.get(relative)
    init = folder / "__init__.py"
    if described is None and init.exists():
        described = summary(init)
    if described is None:
        raise SystemExit(f"tools/layout.py: describe {relative}/ (a docstring in its "
                         "__init__.py, or FOLDERS)")
    return described


def entry(indent: int, name: str, text: str) -> list[str]:
    """``name`` at ``indent``, its description from COLUMN (or two spaces after a long
    name), wrapped at WIDTH with the following lines from COLUMN."""
    head = " " * indent + name
    start = head.ljust(COLUMN) if len(head) < COLUMN - 1 else head + "  "
    first, *rest = textwrap.wrap(text, WIDTH - COLUMN, initial_indent=" " * (len(start) - COLUMN))
    lines = [start + first.lstrip()]
    if rest:
        lines += [" " * COLUMN + line for line in textwrap.wrap(
            " ".join(rest), WIDTH - COLUMN)]
    return lines


def package_lines(folder: Path, indent: int) -> list[str]:
    out: list[str] = []
    for path in sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name)):
        if path.name in SKIPPED or path.name.startswith(".") or path.name == "__init__.py":
            continue  # a package's __init__.py describes its folder
        if path.is_dir() and (path / "__init__.py").exists():
            out += entry(indent, path.name + "/", folder_summary(path))
            out += package_lines(path, indent + 2)
        elif path.suffix == ".py":
            described = summary(path)
            if described is None:
                raise SystemExit(f"tools/layout.py: {path.relative_to(ROOT)} has no docstring")
            out += entry(indent, path.name, described)
    return out


def tracked_folders(folder: Path) -> list[Path]:
    """The folders of the checkout (not virtual environments, caches or build output)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in SKIPPED
                  and not p.name.startswith(".") and not p.name.endswith(".egg-info"))


def layout() -> str:
    lines: list[str] = []
    for folder in tracked_folders(ROOT):
        lines += entry(0, folder.name + "/", folder_summary(folder))
        if folder.name in DETAILED:
            lines += package_lines(folder, 2)
        if folder.name == "tests":
            for sub in tracked_folders(folder):
                lines += entry(2, sub.name + "/", folder_summary(sub))
    return "```\n" + "\n".join(lines) + "\n```"


def current_text() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(START) + len(START):text.index(END)].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.layout", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    generated = layout()
    if args.check:
        if current_text() == generated:
            return 0
        print("docs/maintainers.md's layout is stale: run make layout", file=sys.stderr)
        return 1
    text = DOC.read_text(encoding="utf-8")
    before, after = text[:text.index(START) + len(START)], text[text.index(END):]
    DOC.write_text(f"{before}\n{generated}\n{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
