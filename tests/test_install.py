"""``pip install .`` into a fresh venv (``installed.py``), then ``fake-cinder serve`` from
another directory: the installed fake must find its schemas and fixtures inside the package."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.installed import clean_env as _clean_env

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")

pytestmark = pytest.mark.install


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:  # 300 and 4xx arrive as HTTPError
        return error.code, json.loads(error.read())


def test_installed_package_carries_schemas_and_fixtures(installed_venv, tmp_path):
    script = ("import fake_cinder, fake_cinder.resources as r; "
              "print(fake_cinder.__file__); print(r.data_dir('schemas')); "
              "print(r.fixture_path('default.json').is_file())")
    result = subprocess.run([str(installed_venv / "bin" / "python"), "-c", script], cwd=tmp_path,
                            env=_clean_env(), capture_output=True, text=True, check=True,
                            timeout=60)
    module, schemas, fixture = result.stdout.split()
    assert module.startswith(str(installed_venv))
    assert schemas.startswith(str(installed_venv))
    assert any(Path(schemas).glob("attachment_create.request*.json"))
    assert fixture == "True"


def test_fake_cinder_serve_answers_the_version_document(installed_venv, tmp_path):
    server = subprocess.Popen(
        [str(installed_venv / "bin" / "fake-cinder"), "serve", "--host", "127.0.0.1", "--port", "0",
         "--fixtures", "default.json"],  # a shipped fixture, by name
        cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = LISTENING.search(line)
        assert match, line
        base = match.group(1)
        status, body = _get(f"{base}/")
        assert status == 300
        version = body["versions"][0]
        assert version["version"] == "3.71"
        assert version["min_version"] == "3.0"
        assert {"rel": "self", "href": f"{base}/v3/"} in version["links"]
        # The installed fake validates with its installed schemas and has the default state.
        headers = {"X-Project-Id": "demo", "X-Roles": "reader",
                   "OpenStack-API-Version": "volume 3.27"}
        status, body = _get(f"{base}/v3/demo/volumes", headers)
        assert status == 200
        assert {v["name"] for v in body["volumes"]} >= {"demo-volume", "demo-shared"}
        status, body = _get(f"{base}/v3/demo/attachments?limit=abc", headers)
        assert (status, body) == (400, {"badRequest": {
            "code": 400, "message": "limit param must be an integer"}})
        # The dashboard's page and vendored files are package data.
        for path in ("/_fake/ui", "/_fake/ui/dashboard.js", "/_fake/ui/vendor/alpine-3.17.5.min.js",
                     "/_fake/ui/vendor/pico-2.1.1.min.css"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200 and response.read(), path
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_installed_package_is_typed(installed_venv, tmp_path):
    """PEP 561: the package ships py.typed, so type checkers read its hints."""
    script = "import fake_cinder, pathlib; print(pathlib.Path(fake_cinder.__file__).parent)"
    result = subprocess.run([str(installed_venv / "bin" / "python"), "-c", script],
                            cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
                            check=True, timeout=60)
    assert (Path(result.stdout.strip()) / "py.typed").is_file()
