"""``pip install .`` into a fresh venv, then ``fake-cinder serve`` from another directory.

The repository is copied first (pip builds in the source tree) and installed without
``-e``, so the installed fake must find its schemas and fixtures inside the package.
The fresh venv has no pip of its own: the running pip installs into it with ``--python``,
resolving flask, werkzeug and jsonschema through pip's usual indexes and cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import venv
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                 ".pytest_cache", ".ruff_cache", ".hypothesis", "tests",
                                 "benchmarks")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")

pytestmark = pytest.mark.install


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:  # 300 and 4xx arrive as HTTPError
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with fake-cinder installed from a copy of the repository."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    shutil.copytree(REPOSITORY, source, ignore=IGNORED)
    target = root / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", str(source)],
                   check=True, cwd=root, env=_clean_env(), timeout=240,
                   capture_output=True, text=True)
    shutil.rmtree(source)  # nothing may depend on the source tree
    return target


def test_installed_package_carries_schemas_and_fixtures(installed, tmp_path):
    script = ("import fake_cinder, fake_cinder.resources as r; "
              "print(fake_cinder.__file__); print(r.data_dir('schemas')); "
              "print(r.fixture_path('default.json').is_file())")
    result = subprocess.run([str(installed / "bin" / "python"), "-c", script], cwd=tmp_path,
                            env=_clean_env(), capture_output=True, text=True, check=True,
                            timeout=60)
    module, schemas, fixture = result.stdout.split()
    assert module.startswith(str(installed))
    assert schemas.startswith(str(installed))
    assert any(Path(schemas).glob("attachment_create.request*.json"))
    assert fixture == "True"


def test_fake_cinder_serve_answers_the_version_document(installed, tmp_path):
    fixture = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "from fake_cinder.resources import fixture_path; print(fixture_path('default.json'))"],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True,
        timeout=60).stdout.strip()
    server = subprocess.Popen(
        [str(installed / "bin" / "fake-cinder"), "serve", "--host", "127.0.0.1", "--port", "0",
         "--fixtures", fixture],
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
        headers = {"X-Project-Id": "demo", "OpenStack-API-Version": "volume 3.27"}
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
