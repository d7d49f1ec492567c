"""Persistent HTTP/1.1 connections on the one server (``fake_cinder.keepalive``), over real
sockets: clients reuse one connection; bodies never read, chunked bodies, pipelining,
``Connection: close`` and HTTP/1.0 keep requests apart; idle connections close after the
timeout and at the cap; ``drop_connection`` closes with no answer; the stop drains
requests in flight without waiting for idle connections."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask

from fake_cinder import FakeCinder
from fake_cinder.keepalive import BUSY, IDLE, UNREAD_BODY_LIMIT
from fake_cinder.server import Server
from tests.api.test_shadow import Shadow, cloud, shadow  # noqa: F401 - the fixtures
from tests.helpers.attach_calls import BASE, CONNECTOR, INSTANCE, NOVA

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"  # demo-volume of fixtures/default.json
TOKEN = b"X-Auth-Token: nova:demo\r\nOpenStack-API-Version: volume 3.54\r\n"
LIST = b"GET /v3/demo/volumes HTTP/1.1\r\nHost: x\r\n" + TOKEN + b"\r\n"


@pytest.fixture
def server(app: Flask) -> Iterator[Server]:
    """The app (its responses schema-checked) on the one server, short idle timeout."""
    with Server(app, access_log=False, idle_timeout=2.0) as served:
        yield served


class RawConnection:
    """One client socket that reads whole HTTP/1.1 responses (Content-Length framed)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[str, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.pending:
            self._receive()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        length = int(headers.get("content-length", "0"))
        while len(self.pending) < length:
            self._receive()
        body, self.pending = self.pending[:length], self.pending[length:]
        return status, headers, body

    def closed_by_server(self, seconds: float = 5.0) -> bool:
        """True when the server closes the connection (end of stream) within ``seconds``."""
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def _receive(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        self.pending += data

    def close(self) -> None:
        self.sock.close()


def post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + TOKEN + extra + b"\r\n" + body


def chunked(body: bytes, size: int = 7) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def test_a_requests_session_uses_one_connection(server: Server) -> None:
    with requests.Session() as session:
        for _ in range(3):  # Nova's attach cycle, three times
            created = session.post(f"{server.url}{BASE}/attachments", headers=NOVA, timeout=10,
                                   json={"attachment": {"volume_uuid": VOLUME,
                                                        "instance_uuid": INSTANCE}})
            assert created.status_code == 200, created.text
            url = f"{server.url}{BASE}/attachments/{created.json()['attachment']['id']}"
            assert session.put(url, headers=NOVA, timeout=10, json={
                "attachment": {"connector": CONNECTOR}}).status_code == 200
            assert session.post(f"{url}/action", headers=NOVA, timeout=10,
                                json={"os-complete": None}).status_code == 204
            deleted = session.delete(url, timeout=10,
                                     headers={**NOVA, "X-Service-Roles": "service"})
            assert deleted.status_code == 200
            assert "connection" not in {k.lower() for k in deleted.headers}
    assert server.connections.accepted == 1


def test_unread_bodies_and_pipelined_requests_stay_apart(server: Server) -> None:
    client = RawConnection(server.port)
    unknown = post("/v3/demo/nowhere", json.dumps({"padding": "x" * 5000}).encode())
    # Three requests in one write: a body no handler reads, a read one, then a list.
    create = post(f"{BASE}/attachments", json.dumps(
        {"attachment": {"volume_uuid": VOLUME, "instance_uuid": INSTANCE}}).encode())
    client.send(unknown + create + LIST)
    statuses = [client.response()[0] for _ in range(3)]
    assert statuses == ["HTTP/1.1 404 NOT FOUND", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]
    client.send(LIST)
    status, headers, body = client.response()
    assert status == "HTTP/1.1 200 OK" and "connection" not in headers
    assert len(json.loads(body)["volumes"]) == 3
    assert server.connections.accepted == 1
    client.close()


def test_chunked_bodies_read_or_not(server: Server) -> None:
    client = RawConnection(server.port)
    head = (f"POST {BASE}/attachments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            "\r\nTransfer-Encoding: chunked\r\n").encode() + TOKEN + b"\r\n"
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}}).encode()
    client.send(head + chunked(body))
    status, _headers, created = client.response()
    assert status == "HTTP/1.1 200 OK", created
    assert json.loads(created)["attachment"]["volume_id"] == VOLUME
    # A chunked body that no handler reads (no such route), then the next request.
    client.send(head.replace(b"/attachments", b"/nowhere") + chunked(b"y" * 3000) + LIST)
    assert client.response()[0] == "HTTP/1.1 404 NOT FOUND"
    assert client.response()[0] == "HTTP/1.1 200 OK"
    assert server.connections.accepted == 1
    client.close()


def test_client_connection_close_and_http_1_0(server: Server) -> None:
    client = RawConnection(server.port)
    client.send(LIST.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n"))
    status, headers, _body = client.response()
    assert (status, headers["connection"]) == ("HTTP/1.1 200 OK", "close")
    assert client.closed_by_server()
    old = RawConnection(server.port)
    old.send(LIST.replace(b"HTTP/1.1", b"HTTP/1.0"))
    status, headers, body = old.response()
    assert (status, headers["connection"]) == ("HTTP/1.0 200 OK", "close")
    assert "transfer-encoding" not in headers and json.loads(body)["volumes"]
    assert old.closed_by_server()


def test_large_unread_body_or_bad_length_closes(server: Server) -> None:
    client = RawConnection(server.port)
    client.send(post("/v3/demo/nowhere", b"z" * (UNREAD_BODY_LIMIT + 10)))
    status, headers, _body = client.response()
    assert status == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE" and headers["connection"] == "close"
    assert client.closed_by_server()
    bad = RawConnection(server.port)
    bad.send(post(f"{BASE}/attachments", b"{}").replace(b"Content-Length: 2",
                                                         b"Content-Length: +2") + LIST)
    assert bad.response()[1]["connection"] == "close"
    assert bad.closed_by_server()


def test_malformed_request_gets_http_server_error_and_closes(server: Server) -> None:
    # http.server's own error answers (here 431: a header line over 64 KiB) close.
    client = RawConnection(server.port)
    client.send(b"GET /v3/demo/volumes HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n" + LIST)
    status, headers, _body = client.response()
    assert status.startswith("HTTP/1.1 431") and headers["connection"] == "close"
    assert client.closed_by_server()


def test_expect_100_continue_once(server: Server) -> None:
    client = RawConnection(server.port)
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}}).encode()
    request = post(f"{BASE}/attachments", body, extra=b"Expect: 100-continue\r\n")
    client.send(request[:-len(body)])
    assert client.response()[0] == "HTTP/1.1 100 Continue"
    client.send(body)
    assert client.response()[0] == "HTTP/1.1 200 OK"
    client.send(LIST)
    assert client.response()[0] == "HTTP/1.1 200 OK"


def test_idle_connections_close_after_the_timeout(app: Flask) -> None:
    with Server(app, access_log=False, idle_timeout=0.3) as server:
        client = RawConnection(server.port)
        client.send(LIST)
        assert client.response()[0] == "HTTP/1.1 200 OK"
        began = time.monotonic()
        assert client.closed_by_server(5)
        assert 0.2 < time.monotonic() - began < 3
        deadline = time.monotonic() + 5
        while len(server.connections) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(server.connections) == 0


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_cap_closes_the_longest_idle_connection(app: Flask) -> None:
    with Server(app, access_log=False, max_connections=2) as server:
        first = RawConnection(server.port)
        first.send(LIST)
        assert first.response()[0] == "HTTP/1.1 200 OK"
        wait_for(lambda: server.connections.states() == [IDLE])
        second = RawConnection(server.port)
        second.send(LIST)
        assert second.response()[0] == "HTTP/1.1 200 OK"
        wait_for(lambda: server.connections.states() == [IDLE, IDLE])
        third = RawConnection(server.port)
        third.send(LIST)
        assert third.response()[0] == "HTTP/1.1 200 OK"
        assert first.closed_by_server()
        second.send(LIST)
        assert second.response()[0] == "HTTP/1.1 200 OK"
        assert len(server.connections) <= 2 and server.connections.accepted == 3


def test_a_new_connection_waits_while_every_one_is_busy(fake: FakeCinder) -> None:
    fake.inject("volume_list", latency=0.5)
    with Server(fake.app, access_log=False, max_connections=1) as server:
        busy, waiting = RawConnection(server.port), RawConnection(server.port)
        busy.send(LIST)
        wait_for(lambda: server.connections.states() == [BUSY])
        began = time.monotonic()
        waiting.send(LIST)
        assert waiting.response()[0] == "HTTP/1.1 200 OK"
        assert time.monotonic() - began > 0.2  # it waited for the busy one to go idle
        assert busy.response()[0] == "HTTP/1.1 200 OK"
        assert busy.closed_by_server()  # idle at the cap: closed for the waiting one


def test_drop_connection_closes_a_kept_connection(fake: FakeCinder) -> None:
    fake.inject("volume_list", drop_connection=True)
    with fake.serve() as server:
        client = RawConnection(server.port)
        client.send(LIST)
        assert client.closed_by_server()  # no answer at all
        with requests.Session() as session:
            assert session.get(f"{server.url}{BASE}/volumes", headers=NOVA,
                               timeout=10).status_code == 200


def test_stop_drains_requests_in_flight_and_skips_idle_connections(fake: FakeCinder) -> None:
    fake.inject("volume_list", latency=0.5)
    server = Server(fake.app, access_log=False, idle_timeout=60).start()
    idle = RawConnection(server.port)
    idle.send(post("/v3/demo/nowhere", b"{}"))
    assert idle.response()[0] == "HTTP/1.1 404 NOT FOUND"
    # Idle once werkzeug's drain (up to 10 ms after the answer) is over.
    wait_for(lambda: server.connections.states() == [IDLE])
    in_flight = RawConnection(server.port)
    in_flight.send(LIST)
    wait_for(lambda: server.connections.states() == [IDLE, BUSY])
    stopper = threading.Thread(target=server.stop)
    began = time.monotonic()
    stopper.start()
    status, headers, _body = in_flight.response()
    assert (status, headers["connection"]) == ("HTTP/1.1 200 OK", "close")
    stopper.join(10)
    assert not stopper.is_alive() and time.monotonic() - began < 3
    assert idle.closed_by_server(1) and in_flight.closed_by_server(1)
    assert len(server.connections) == 0


def test_the_shadow_proxy_keeps_the_connection(shadow: Shadow) -> None:  # noqa: F811
    host, port = shadow.url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    local_ports = set()
    for _ in range(3):
        connection.request("GET", f"/v3/{shadow.cloud.project}/volumes?limit=1",
                           headers={"X-Auth-Token": shadow.cloud.token,
                                    "Accept": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and not response.will_close, response.read()
        response.read()
        assert connection.sock is not None
        local_ports.add(connection.sock.getsockname()[1])
    connection.close()
    assert len(local_ports) == 1
    assert shadow.summary()["differences"] == 0


def test_the_plugins_server_keeps_the_connection(live_server_url: str) -> None:
    host, port = live_server_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    local_ports = set()
    for _ in range(3):
        connection.request("GET", f"{BASE}/volumes", headers=NOVA)
        response = connection.getresponse()
        assert response.status == 200 and not response.will_close, response.read()
        response.read()
        assert connection.sock is not None
        local_ports.add(connection.sock.getsockname()[1])
    connection.close()
    assert len(local_ports) == 1


def _server_threads(server: Server) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name == f"fake-cinder connection :{server.port}"]


def test_threads_accept_what_they_serve_and_stay_within_the_cap(fake: FakeCinder) -> None:
    """Each idle thread waits in accept() itself; one starts only when a connection is
    admitted and none is left there: at most max_connections + 1 threads, and a thread
    whose connection closed serves the next one."""
    fake.inject("volume_list", latency=0.3)
    with Server(fake.app, access_log=False, max_connections=3) as server:
        wait_for(lambda: len(_server_threads(server)) == 1)  # the first, in accept()
        clients = [RawConnection(server.port) for _ in range(6)]
        for client in clients:
            client.send(LIST)
        for client in clients:
            assert client.response()[0] == "HTTP/1.1 200 OK"
        assert server.connections.accepted == 6
        assert len(_server_threads(server)) <= 4
        for client in clients:
            client.sock.close()
        wait_for(lambda: len(server.connections) == 0)
        # Fresh connections one after another: the same threads, none more.
        threads = len(_server_threads(server))
        for _ in range(10):
            with requests.get(f"{server.url}{BASE}/volumes?limit=1",
                              headers={**NOVA, "Connection": "close"}, timeout=10) as answer:
                assert answer.status_code == 200
        assert len(_server_threads(server)) == threads
    wait_for(lambda: len(_server_threads(server)) == 0)  # the stop ended every one


def test_a_stop_wakes_every_thread_waiting_in_accept(app: Flask) -> None:
    server = Server(app, access_log=False).start()
    # Three connections at once, then closed: three threads go back to accept().
    clients = [RawConnection(server.port) for _ in range(3)]
    for client in clients:
        client.send(LIST)
    for client in clients:
        client.response()
        client.sock.close()
    wait_for(lambda: len(server.connections) == 0)
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 1
    wait_for(lambda: len(_server_threads(server)) == 0)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_a_stop_that_cannot_connect_to_itself_shuts_the_listener(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback: when the stop's own connections cannot reach the listening socket,
    shutting it down wakes every thread in accept() (Linux)."""
    from fake_cinder import keepalive

    monkeypatch.setattr(keepalive.KeepAliveServer, "_wake_one", lambda self: None)
    monkeypatch.setattr(keepalive, "WAKE_SECONDS", 0.2)
    server = Server(app, access_log=False).start()
    wait_for(lambda: len(_server_threads(server)) == 1)
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 2
    wait_for(lambda: len(_server_threads(server)) == 0)
