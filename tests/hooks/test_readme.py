"""Every example in the README's test-hook sections runs, as written."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import requests  # noqa: F401  (see below)

from fake_cinder import FakeCinder
from fake_cinder.fake import OPERATIONS

from .readme import ROOT, SECTIONS, blocks, file_name, section

pytest_plugins = ["pytester"]
# requests is imported above so that pytester's in-process runs, which forget the modules
# they imported, do not import it a second time beside the first (cookie jar mismatch).


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


def test_shell_examples_against_a_live_server() -> None:
    [(_lang, script)] = blocks("HTTP control API (/_fake/)")
    fake = FakeCinder(ROOT / "fixtures" / "default.json")
    with fake.serve() as server:
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script],
                                env={**os.environ, "FAKE": server.url}, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # health (no newline of its own), the volume count, the PUT's check, the fault id
    assert result.stdout.split("\n")[:3] == ['{"status": "ok"}3', "true", "fault-1"]
    # Each fault fired once; the script cleared the journal after them, so only its last
    # /v3 request is left (nothing under /_fake/ is journaled).
    assert [(f.operation, f.fired) for f in fake.faults.list()] == [
        ("attachment_create", 1), ("attachment_create", 1), ("volume_list", 1)]
    assert [e.operation for e in fake.journal.entries()] == ["volume_show"]


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
