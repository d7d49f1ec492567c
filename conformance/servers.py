"""The two servers under comparison, each a subprocess on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CINDER_PYTHON = ROOT / ".venv-cinder" / "bin" / "python"
FAKE_STATE = HERE / "state.json"  # what a fresh Cinder has after db sync: __DEFAULT__
# The fake keeps a deleted volume "deleting" this long, as Cinder's volume manager takes a
# moment to delete it (the harness waits on both servers until it is gone).
VOLUME_DELETE_SECONDS = 0.3


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any  # decoded JSON, else the text
    text: str


@dataclass
class Server:
    """A running server and a keep-alive connection to it."""

    name: str
    process: subprocess.Popen
    port: int
    log: Path
    ids: dict[str, str] = field(default_factory=dict)  # label -> this server's id
    noauth_port: int | None = None  # Cinder behind Keystone: its noauth listener
    _conn: http.client.HTTPConnection | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: Any = None, raw: bytes | None = None) -> Reply:
        data = raw
        # What every OpenStack client sends (WebOb's own errors are JSON only then).
        headers = {"Accept": "application/json", **(headers or {})}
        if data is None and body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self._conn.request(method, path, body=data, headers=headers)
                response = self._conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
        if response.will_close:
            self._conn.close()
            self._conn = None
        text = payload.decode("utf-8", "replace")
        try:
            decoded: Any = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     decoded, text)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _wait_for_line(process: subprocess.Popen, pattern: str, log: Path,
                   timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        found = re.search(pattern, line)
        if found:
            return found
    process.kill()
    raise RuntimeError(f"server did not start (looked for {pattern!r}); see {log}")


def start_cinder(work_dir: Path, keystone: str | None = None,
                 glance: str | None = None) -> Server:
    """Real Cinder 29.0.0 from .venv-cinder (conformance/cinder_server.py); ``keystone``:
    the identity URL it validates tokens with (else the harness's X-* headers); ``glance``:
    its image service's URL (the fake's /image)."""
    if not CINDER_PYTHON.exists():
        raise RuntimeError(f"{CINDER_PYTHON} is missing: run `make conformance`")
    log = work_dir / "cinder.log"
    command = [str(CINDER_PYTHON), str(HERE / "cinder_server.py"), "--state-dir",
               str(work_dir / "cinder")]
    if keystone:
        command += ["--keystone", keystone]
    if glance:
        command += ["--glance", glance]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
        cwd=work_dir)
    found = _wait_for_line(process, r"CINDER LISTENING (\d+)(?: NOAUTH (\d+))?", log,
                           timeout=180)
    noauth = int(found.group(2)) if found.group(2) else None
    return Server("cinder", process, int(found.group(1)), log, noauth_port=noauth)


def start_fake(work_dir: Path, source: Path | None = None, fixtures: Path = FAKE_STATE,
               name: str = "fake") -> Server:
    """fake-cinder serve (werkzeug's threaded server), from the running python, with Cinder's
    initial state (or ``fixtures``).

    ``source``: another checkout whose fake_cinder to run instead (with this .venv's
    dependencies), e.g. an older commit, to see which differences it had."""
    log = work_dir / f"{name}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "fake_cinder.cli", "serve", "--port", "0",
               "--fixtures", str(fixtures), "--log-level", "WARNING"]
    if source is not None:
        env["PYTHONPATH"] = str(source)
    cli = (source or ROOT) / "fake_cinder" / "cli.py"
    if "--volume-delete-seconds" in cli.read_text():  # older fakes lack the option
        command += ["--volume-delete-seconds", str(VOLUME_DELETE_SECONDS)]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log.open("w"),
        text=True, cwd=source or ROOT, env=env)
    found = _wait_for_line(process, r"listening on http://127\.0\.0\.1:(\d+)", log, timeout=60)
    return Server(name, process, int(found.group(1)), log)


def work_directory() -> Path:
    return Path(tempfile.mkdtemp(prefix="conformance-"))
