"""Helpers of the client tests: the fixture's ids, live fakes, `fake-cinder serve`.

Every fake here listens on an ephemeral 127.0.0.1 port and is driven over real
sockets; the shipped default fixture supplies the users (admin/admin,
demo/demo), the demo volumes and the named servers the tests use.
"""


from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from fake_cinder.server import Server

BIN = Path(sys.executable).parent
# From fixtures/default.json: project "demo" owns these volumes and servers.
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"         # demo-volume
SHARED = "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22"         # demo-shared (multiattach)
CEPH = "2e804d63-7d3c-4f20-9c69-3b8f5e4d0a33"           # demo-ceph
SERVER = "5a1e0f6c-3b7d-4c2e-9f10-4d8a6b2c7e01"         # demo-server
# No fixture names this one: a server looked up by UUID exists all the same.
UNNAMED_SERVER = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
# What the CLIs may be given instead of an id (they look names up).
NAMES = {VOLUME: "demo-volume", SHARED: "demo-shared", CEPH: "demo-ceph",
         SERVER: "demo-server"}
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:fake", "ip": "192.0.2.20",
             "platform": "x86_64", "host": "compute-1", "os_type": "linux2",
             "multipath": False, "mountpoint": "/dev/vdb"}

# -- docs/clients.md's section "Pointing clients at the fake": the tests use its setup as written
README = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
README_SECTION = "Pointing clients at the fake"
README_URL = "http://127.0.0.1:8776"  # what `make run` serves; tests swap in their own
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def readme_blocks(subsection: str) -> list[tuple[str, str]]:
    """(language, code) of the fenced blocks under ``### subsection`` of the section."""
    text = README.read_text(encoding="utf-8")
    section = re.split(r"^## ", text, flags=re.MULTILINE)
    body = next(part for part in section if part.startswith(README_SECTION + "\n"))
    for part in re.split(r"^### ", body, flags=re.MULTILINE)[1:]:
        heading, _newline, content = part.partition("\n")
        if heading.strip() == subsection:
            return [(m.group(1), m.group(2)) for m in _FENCE.finditer(content)]
    raise LookupError(f"README: no subsection {subsection!r} under {README_SECTION!r}")


def readme_exports(subsection: str, url: str) -> dict[str, str]:
    """The variables the subsection's shell block exports, pointed at ``url``."""
    env: dict[str, str] = {}
    for language, code in readme_blocks(subsection):
        if language == "sh":
            for line in code.splitlines():
                if line.startswith("export "):
                    for word in shlex.split(line)[1:]:
                        name, _eq, value = word.partition("=")
                        env[name] = value.replace(README_URL, url)
    assert env, f"README: {subsection!r} exports nothing"
    return env


PASSWORD_SETUP = "The `openstack` CLI and the `cinder` CLI (password)"


def use_readme_clouds_yaml(url: str, directory: Path, monkeypatch: Any) -> Path:
    """The README's clouds.yaml, pointed at ``url``, as the SDK's only config file."""
    [(_language, clouds)] = [b for b in readme_blocks("openstacksdk") if b[0] == "yaml"]
    path = directory / "clouds.yaml"
    path.write_text(clouds.replace(README_URL, url), encoding="utf-8")
    for name in [n for n in os.environ if n.startswith("OS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


@dataclass
class Live:
    fake: FakeCinder
    url: str


@contextmanager
def live_fake(**options: Any) -> Iterator[Live]:
    """A FakeCinder with the default fixture, served from a thread by fake_cinder.server."""
    fake = FakeCinder(fixture_path("default.json"), **options)
    server = Server(fake.wsgi, "127.0.0.1", 0, threads=4, access_log=False)
    thread = server.start_background()
    try:
        yield Live(fake, server.url)
    finally:
        server.shutdown()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@contextmanager
def serve_process(tmp_path: Path, *options: str) -> Iterator[ServeProcess]:
    """`fake-cinder serve` on a free port (it prints the URL it listens on)."""
    log = tmp_path / f"serve-{time.monotonic_ns()}.log"
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen([str(BIN / "fake-cinder"), "serve", "--port", "0", *options],
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake-cinder listening on "), (line, log.read_text())
        yield ServeProcess(process, line.split()[-1], log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()


def keystone_cinder(url: str, version: str = "3.0", user: str = "demo") -> Any:
    """python-cinderclient in a keystoneauth session, as Nova builds it: a password login of
    ``user`` (demo: a member of project demo; admin: an admin) to the fake's Keystone."""
    from cinderclient import client as cinder_client
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=f"{url}/identity", username=user, password=user,
                       project_name=user, user_domain_name="Default",
                       project_domain_name="Default")
    return cinder_client.Client(version, session=ks_session.Session(auth=auth))


def client_env(**extra: str) -> dict[str, str]:
    """The environment without anyone's OpenStack settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OS_", "CINDER_", "Cinder_"))}
    env.update(extra)
    return env


def noauth_get(url: str, path: str, project: str = "demo") -> requests.Response:
    """Read the fake's state over HTTP as an admin of ``project`` (noauth token)."""
    return requests.get(f"{url}/v3/{project}/{path}", timeout=10,
                        headers={"X-Auth-Token": f"admin:{project}",
                                 "OpenStack-API-Version": "volume 3.71"})


# -- the attachment operations every client goes through -------------------------------------------
class AttachmentClient(Protocol):
    """One client's way of calling each attachment operation; results are plain dicts
    with Cinder's field names (id, status, instance, volume_id, attach_mode, ...)."""

    detail_has_attach_mode: bool

    def create(self, volume_id: str, instance_id: str, connector: dict[str, Any] | None = None,
               mode: str | None = None) -> dict[str, Any]: ...

    def list(self) -> list[str]: ...

    def detail(self) -> list[dict[str, Any]]: ...

    def show(self, attachment_id: str) -> dict[str, Any]: ...

    def update(self, attachment_id: str, connector: dict[str, Any]) -> dict[str, Any]: ...

    def complete(self, attachment_id: str) -> None: ...

    def delete(self, attachment_id: str) -> None: ...

    def show_missing(self, attachment_id: str) -> None:
        """Show an attachment that is gone: must fail with the client's not-found error."""


def server_attachment(url: str, attachment_id: str, project: str = "demo") -> dict | None:
    """The attachment as the fake stores it, read over HTTP (None once it is gone)."""
    response = noauth_get(url, f"attachments/{attachment_id}", project)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()["attachment"]


def volume_status(url: str, volume_id: str, project: str = "demo") -> str:
    response = noauth_get(url, f"volumes/{volume_id}", project)
    response.raise_for_status()
    return response.json()["volume"]["status"]


def exercise_attachments(client: AttachmentClient, url: str, volumes: tuple[str, str, str] = (
        VOLUME, SHARED, CEPH), project: str = "demo") -> None:
    """Every attachment operation through ``client``, each checked in the client's
    result and in the state of the fake behind ``url``. Uses three available volumes."""
    volume, connected_volume, read_only_volume = volumes
    # create without a connector: a reserve
    reserved = client.create(volume, SERVER)
    assert reserved["status"] == "reserved" and reserved["instance"] == SERVER
    assert reserved["volume_id"] == volume and not reserved.get("connection_info")
    assert server_attachment(url, reserved["id"], project)["status"] == "reserved"
    assert volume_status(url, volume, project) == "reserved"

    # create with a connector: connected at once (Cinder answers with the reserved record)
    connected = client.create(connected_volume, SERVER, connector=CONNECTOR)
    assert connected["volume_id"] == connected_volume
    assert connected["connection_info"]["driver_volume_type"] == "iscsi"
    stored = server_attachment(url, connected["id"], project)
    assert stored["status"] == "attaching" and stored["connection_info"]

    # create with a mode (3.54)
    read_only = client.create(read_only_volume, UNNAMED_SERVER, mode="ro")
    assert read_only["attach_mode"] == "ro" and read_only["instance"] == UNNAMED_SERVER
    assert server_attachment(url, read_only["id"], project)["attach_mode"] == "ro"

    created = {reserved["id"], connected["id"], read_only["id"]}
    assert created <= set(client.list())
    details = {a["id"]: a for a in client.detail()}
    assert created <= set(details)
    assert details[connected["id"]]["status"] == "attaching"
    assert details[read_only["id"]]["instance"] == UNNAMED_SERVER
    if client.detail_has_attach_mode:  # the CLIs' list tables have no such column
        assert details[read_only["id"]]["attach_mode"] == "ro"

    shown = client.show(reserved["id"])
    assert shown["id"] == reserved["id"] and shown["status"] == "reserved"
    assert shown["volume_id"] == volume

    updated = client.update(reserved["id"], CONNECTOR)
    assert updated["id"] == reserved["id"]
    assert updated["connection_info"]["driver_volume_type"] == "iscsi"
    assert server_attachment(url, reserved["id"], project)["status"] == "attaching"

    client.complete(reserved["id"])
    assert server_attachment(url, reserved["id"], project)["status"] == "attached"
    assert volume_status(url, volume, project) == "in-use"
    assert client.show(reserved["id"])["status"] == "attached"

    client.delete(reserved["id"])
    assert server_attachment(url, reserved["id"], project) is None
    assert volume_status(url, volume, project) == "available"
    client.show_missing(reserved["id"])
