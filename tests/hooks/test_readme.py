"""Every example in the README's test-hook sections runs, as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fake_cinder.fake import OPERATIONS

from .readme import ROOT, SECTIONS, blocks, file_name, section

pytest_plugins = ["pytester"]
# requests is imported at the top so that pytester's in-process runs, which forget the
# modules they imported, do not import it a second time beside the first (cookie jar
# mismatch).


def test_each_section_has_examples() -> None:
    for title in SECTIONS:
        if title != "HTTP control API (/_fake/)":
            assert any(lang == "python" for lang, _code in blocks(title)), title
    assert [lang for lang, _code in blocks("HTTP control API (/_fake/)")] == ["sh"]


@pytest.mark.parametrize("title", [t for t in SECTIONS if t != "pytest plugin"])
def test_python_examples(title: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples name fixtures/... relative to the checkout
    snippets = [code for lang, code in blocks(title)
                if lang == "python" and file_name(code) is None]
    for code in snippets:
        exec(compile(code, f"README.md ({title})", "exec"), {"__name__": "readme_example"})


@pytest.fixture
def served() -> Iterator[str]:
    """`fake-cinder serve` (what `make run` starts) on a free port: its URL."""
    command = [str(Path(sys.executable).parent / "fake-cinder"), "serve", "--port", "0",
               "--fixtures", str(ROOT / "fixtures" / "default.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake-cinder listening on "), line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(10)


def test_shell_examples_against_fake_cinder_serve(served: str) -> None:
    [(_lang, script)] = blocks("HTTP control API (/_fake/)")
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script],
                            env={**os.environ, "FAKE": served}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # health (no newline of its own), the volume count, the PUT's check, the fault id
    assert result.stdout.split("\n")[:3] == ['{"status": "ok"}3', "true", "fault-1"]
    # Each fault fired once; the script cleared the journal after them, so only its last
    # /v3 request is left (nothing under /_fake/ is journaled).
    faults = requests.get(f"{served}/_fake/faults", timeout=10).json()["faults"]
    assert [(f["operation"], f["fired"]) for f in faults] == [
        ("attachment_create", 1), ("attachment_create", 1), ("volume_list", 1)]
    journal = requests.get(f"{served}/_fake/requests", timeout=10).json()["requests"]
    assert [e["operation"] for e in journal] == ["volume_show"]


def test_pytest_plugin_example(pytester: pytest.Pytester) -> None:
    files = {file_name(code): code for lang, code in blocks("pytest plugin")
             if lang == "python" and file_name(code)}
    assert files, "the pytest plugin section has a downstream test file"
    pytester.makepyfile(**files)
    # (hypothesis' plugin would re-import hypothesis at the end of an in-process run)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=5)


def test_faults_section_names_every_operation() -> None:
    text = section("Faults")
    names = text[text.index("Operation names:"):text.index("- **Effect**")]
    assert set(re.findall(r"`(\w+)`", names)) == OPERATIONS
