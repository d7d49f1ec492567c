"""The Makefile as a new user meets it: `make` alone lists the targets, and `make run`'s
banner says how to get the CLIs it shows."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(*arguments: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *arguments],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_make_alone_lists_every_target() -> None:
    listed = _make()
    assert listed.startswith("make TARGET, one of:\n")
    described = dict(re.findall(r"^  ([a-z-]+) +(\S.*)$", listed, re.MULTILINE))
    phony = re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(),
                      re.MULTILINE).group(1).split()
    assert set(described) == set(phony)
    assert described["help"] == "list the targets"
    assert "clients" in described and "run" in described


def test_make_run_says_how_to_get_the_clis_it_shows() -> None:
    banner = "\n".join(line for line in _make("-n", "run").splitlines()
                       if line.startswith("echo "))
    assert "openstack" in banner and "cinder" in banner
    assert "`make clients` adds them to .venv" in banner
    assert "pip install --quiet -e '.[clients]'" in _make("-n", "clients")


def test_the_clients_extra_brings_the_openstack_and_cinder_commands() -> None:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    extra = [line.split(">")[0].split("=")[0].strip()
             for line in setup["options.extras_require"]["clients"].splitlines()
             if line.strip() and not line.startswith("#")]
    commands = {entry.name for name in extra
                for entry in importlib.metadata.distribution(name).entry_points
                if entry.group == "console_scripts"}
    assert {"openstack", "cinder"} <= commands
