"""fake-cinder installed the way a user installs it: ``pip install .`` (not editable) into
a fresh venv, from a copy of the repository that is deleted afterwards, so nothing can
depend on a checkout. Used by ``test_install.py`` and the README examples.

The fresh venv has no pip of its own: the running pip installs into it with ``--python``,
resolving the dependencies through pip's usual indexes and cache. Beside the package it
gets what a downstream test suite has (pytest, pytest-flask, requests), at the versions
this environment runs.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                 ".pytest_cache", ".ruff_cache", ".hypothesis", "tests",
                                 "benchmarks")
DOWNSTREAM = ("pytest", "pytest-flask", "requests")


def clean_env() -> dict[str, str]:
    """The environment without this venv's traces."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def install(root: Path) -> Path:
    """A venv under ``root`` with fake-cinder and DOWNSTREAM installed; returns it."""
    source = root / "source"
    shutil.copytree(REPOSITORY, source, ignore=IGNORED)
    target = root / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    pinned = [f"{name}=={importlib.metadata.version(name)}" for name in DOWNSTREAM]
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", str(source), *pinned],
                   check=True, cwd=root, env=clean_env(), timeout=240,
                   capture_output=True, text=True)
    shutil.rmtree(source)  # nothing may depend on the source tree
    return target
