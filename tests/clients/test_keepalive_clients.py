"""Real consumers keep their connection to the one server alive: keystoneauth's session
(python-cinderclient's transport, so Nova's), Go's ``http.Client`` (gophercloud's
volumeattach) and ``http.client`` against `fake-cinder serve`; the shadow proxy too."""

from __future__ import annotations

import http.client
import json
import socket
import time
from pathlib import Path

from cinderclient import client as cinder_client
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from fake_cinder.server import Server
from tests.helpers.clients import SERVER, VOLUME, serve_process

from .test_nova_and_keystone_clients import _run, volumeattach  # noqa: F401 - the fixture

NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "Content-Type": "application/json"}


def test_keystoneauth_session_reuses_one_connection() -> None:
    fake = FakeCinder(fixture_path("default.json"), protect_in_use_attachments=False)
    with Server(fake.wsgi, access_log=False) as server:
        auth = v3.Password(auth_url=f"{server.url}/identity", username="demo",
                           password="demo", project_name="demo",
                           user_domain_name="Default", project_domain_name="Default")
        cinder = cinder_client.Client("3.54", session=ks_session.Session(auth=auth))
        for _ in range(3):
            attachment = cinder.attachments.create(VOLUME, None, instance_id=SERVER)
            cinder.attachments.show(attachment["id"])
            cinder.attachments.delete(attachment["id"])
        assert len(cinder.volumes.list()) == 3
        # The token, the catalog and 10 Cinder calls: one connection.
        assert server.connections.accepted == 1


def test_go_http_client_reuses_one_connection(volumeattach: Path) -> None:  # noqa: F811
    fake = FakeCinder(fixture_path("default.json"))
    with Server(fake.wsgi, access_log=False) as server:
        steps = _run(volumeattach, server.url, "attach")
        assert steps["create"]["volumeId"] == VOLUME and steps["list"] == [steps["get"]]
        # Keystone's token, then Nova's create, get and list: one connection.
        assert server.connections.accepted == 1
        assert _run(volumeattach, server.url, "detach") == {"delete": "ok"}
        assert server.connections.accepted == 2  # a second process


def test_fake_cinder_serve_keeps_the_connection(tmp_path: Path) -> None:
    with serve_process(tmp_path) as served:
        host, port = served.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        local_ports = set()
        create = json.dumps({"attachment": {"volume_uuid": VOLUME}})
        for method, path, body in [("POST", "/v3/demo/attachments", create),
                                   *[("GET", "/v3/demo/volumes/detail", None)] * 4]:
            connection.request(method, path, headers=NOVA, body=body)
            response = connection.getresponse()
            assert response.status == 200 and not response.will_close, response.read()
            response.read()
            assert connection.sock is not None
            local_ports.add(connection.sock.getsockname()[1])
        assert len(local_ports) == 1
        connection.close()


def test_serve_idle_timeout_and_connection_cap(tmp_path: Path) -> None:
    with serve_process(tmp_path, "--idle-timeout", "0.3", "--max-connections", "1") as served:
        host, port = served.url.removeprefix("http://").rsplit(":", 1)
        first = socket.create_connection((host, int(port)), timeout=10)
        first.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert first.recv(65536).startswith(b"HTTP/1.1 300")
        began = time.monotonic()
        first.settimeout(10)
        while first.recv(65536):  # the rest of the answer, then the server's close
            pass
        assert 0.2 < time.monotonic() - began < 5  # kept open until the idle timeout
        # The cap of one: a second connection is served once the first has closed.
        second = http.client.HTTPConnection(host, int(port), timeout=10)
        second.request("GET", "/")
        assert second.getresponse().status == 300
        second.close()
