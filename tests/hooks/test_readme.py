"""Every example in the README's test-hook sections runs, as written, as a user runs it: with
fake-cinder installed from a wheel-like ``pip install .`` into a fresh venv (see
tests/helpers/installed.py), in a directory outside the checkout, shipped fixtures named by name."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_cinder.api.app import OPERATIONS
from tests.helpers.installed import clean_env

from .readme import SECTIONS, blocks, file_name, section

pytestmark = pytest.mark.install
REPOSITORY = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def test_each_section_has_examples() -> None:
    for title in SECTIONS:
        if title != "HTTP control API (/_fake/)":
            assert any(lang == "python" for lang, _code in blocks(title)), title
    assert [lang for lang, _code in blocks("HTTP control API (/_fake/)")] == ["sh"]


def _run(venv: Path, arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # -I: isolated, so nothing of the checkout (PYTHONPATH, the current directory) is seen.
    return subprocess.run([str(venv / "bin" / "python"), "-I", *arguments], cwd=cwd,
                          env=clean_env(), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("title", [t for t in SECTIONS if t not in (
    "pytest plugin", "HTTP control API (/_fake/)")])
def test_python_examples(title: str, installed_venv: Path, tmp_path: Path) -> None:
    snippets = [code for lang, code in blocks(title)
                if lang == "python" and file_name(code) is None]
    assert snippets
    for index, code in enumerate(snippets):
        example = tmp_path / f"example_{index}.py"
        example.write_text(code, encoding="utf-8")
        done = _run(installed_venv, [str(example)], tmp_path)
        assert done.returncode == 0, f"README.md ({title}), example {index + 1}:\n{done.stderr}"


@pytest.fixture
def installed_server(installed_venv: Path, tmp_path: Path) -> Iterator[str]:
    """The installed `fake-cinder serve` (what `make run` starts) with the shipped default
    state, on a free port."""
    server = subprocess.Popen([str(installed_venv / "bin" / "fake-cinder"), "serve", "--port",
                               "0"], cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = LISTENING.search(line)
        assert match, line
        yield match.group(1)
    finally:
        server.terminate()  # SIGTERM: a clean stop
        server.wait(10)
    assert server.returncode == 0


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_shell_examples_against_the_installed_fake_cinder_serve(installed_server: str,
                                                     tmp_path: Path) -> None:
    [(_lang, script)] = blocks("HTTP control API (/_fake/)")
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path,
                            env={**os.environ, "FAKE": installed_server}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # health (no newline of its own), the volume count, the PUT's check, the fault id
    assert result.stdout.split("\n")[:3] == ['{"status": "ok"}3', "true", "fault-1"]
    # Each fault fired once; the script cleared the journal after them, so only its last
    # /v3 request is left (nothing under /_fake/ is journaled).
    faults = _get_json(f"{installed_server}/_fake/faults")["faults"]
    assert [(f["operation"], f["fired"]) for f in faults] == [
        ("attachment_create", 1), ("attachment_create", 1), ("volume_list", 1)]
    requests = _get_json(f"{installed_server}/_fake/requests")["requests"]
    assert [r["operation"] for r in requests] == ["volume_show"]


def test_pytest_plugin_example(installed_venv: Path, tmp_path: Path) -> None:
    files = {file_name(code): code for lang, code in blocks("pytest plugin")
             if lang == "python" and file_name(code)}
    assert files, "the pytest plugin section has a downstream test file"
    for name, code in files.items():
        (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    done = _run(installed_venv, ["-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("6 passed")


def test_faults_section_names_every_operation() -> None:
    """The Faults section names operations by example and sends the reader to the coverage
    table, whose first column is every operation that inject() and the journal accept."""
    text = section("Faults")
    names = text[text.index("Operation names"):text.index("- **Effect**")]
    assert set(re.findall(r"`(\w+)`", names)) < OPERATIONS
    assert "docs/api-coverage.md" in names
    table = (REPOSITORY / "docs" / "api-coverage.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (\w+) \| [A-Z]+ \| `/v3", table, flags=re.M))
    assert listed >= OPERATIONS  # and the version documents, which are not operations
