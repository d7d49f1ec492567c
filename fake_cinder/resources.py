"""Where the data directories live: the repository's schemas/ and fixtures/, which
an installed package carries as fake_cinder/schemas and fake_cinder/fixtures."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# Installed: inside the package. In a checkout (also with an editable install): the
# top-level directories beside the package. They have no __init__.py, so
# importlib.resources would see namespace packages; plain paths are simpler and exact.
_CANDIDATES = (_PACKAGE, _PACKAGE.parent)


def data_dir(name: str) -> Path:
    """The directory ``schemas`` or ``fixtures``, installed or in a checkout."""
    for base in _CANDIDATES:
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"fake-cinder's {name}/ directory is missing")


def fixture_path(name: str) -> Path:
    """A fixture shipped with fake-cinder, by file name (``default.json``)."""
    return data_dir("fixtures") / name


def shipped_fixtures() -> list[str]:
    """The names of the state files shipped with fake-cinder."""
    return sorted(path.name for path in data_dir("fixtures").glob("*.json"))
