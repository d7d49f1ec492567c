"""docs/clients.md's section "Pointing clients at the fake" runs as written (against a live
fake instead of `make run`'s port). The CLI tests take their environment and the SDK
tests their clouds.yaml from the same section."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess

import pytest

from tests.helpers.clients import (
    BIN,
    PASSWORD_SETUP,
    README_URL,
    client_env,
    live_fake,
    readme_blocks,
    readme_exports,
    serve_process,
    use_readme_clouds_yaml,
)

PYTHON_SUBSECTIONS = ("python-cinderclient", "openstacksdk", "Deleting a connected attachment")
# print(...)   # what it prints   (or that comment on the line below the print)
_PRINTED = re.compile(r"^print\(.*\)(?:[ ]+|\n)# (?P<expected>.+)$", re.MULTILINE)
PYTHON_BLOCKS = [pytest.param(code, id=f"{title}-{index}")
                 for title in PYTHON_SUBSECTIONS
                 for index, (language, code) in enumerate(readme_blocks(title))
                 if language == "python"]


def test_the_section_shows_every_client():
    assert len(PYTHON_BLOCKS) == 5
    assert [lang for lang, _code in readme_blocks("openstacksdk")] == [
        "yaml", "python", "python"]
    assert set(readme_exports(PASSWORD_SETUP, README_URL)) == {
        "OS_AUTH_URL", "OS_IDENTITY_API_VERSION", "OS_USERNAME", "OS_PASSWORD",
        "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME"}


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.parametrize("code", PYTHON_BLOCKS)
def test_python_examples_print_what_they_say(code, tmp_path, monkeypatch):
    expected = [m.group("expected") for m in _PRINTED.finditer(code)]
    assert expected, "each example says what it prints"
    output = io.StringIO()
    # What `make run` serves: the default state, Cinder's delete protection on.
    with live_fake() as live, contextlib.redirect_stdout(output):
        use_readme_clouds_yaml(live.url, tmp_path, monkeypatch)
        exec(compile(code.replace(README_URL, live.url), "docs/clients.md", "exec"),
             {"__name__": "readme_example"})
    assert output.getvalue().splitlines() == expected


def test_cinder_cli_noauth_example(tmp_path):
    [(_language, script)] = readme_blocks("The `cinder` CLI without Keystone (noauth)")
    with serve_process(tmp_path) as served:
        command = script.splitlines()[-1]
        assert command == "cinder attachment-list"
        done = subprocess.run([str(BIN / "cinder"), "attachment-list"], text=True,
                              capture_output=True, timeout=60, env=client_env(
                                  **readme_exports("The `cinder` CLI without Keystone (noauth)",
                                                   served.url)))
    assert done.returncode == 0, done.stderr
    assert "| ID | Volume ID | Status | Server ID |" in done.stdout.replace("  ", " ")
    assert "GET /v3/demo/attachments 3.71 200" in served.log_text()
