"""On the wire: Nova's attach cycle through `fake-cinder serve`, against the same four
requests answered by a raw WSGI app on the same server.

Both servers run in their own process, as users run them: `fake-cinder serve` (its
default options and access log, written to /dev/null here) and ``fake_cinder.server.Server``
serving a plain WSGI function (same access log, same thread cap) that answers each
request with what the fake answered (status, Cinder's headers, body). One client sends
the four requests to each, in interleaved batches, through a ``requests`` session: the HTTP
stack of the fake's consumers (keystoneauth, so Nova, the clients, the SDK). The ratio with
``http.client``, the lightest client there is, is measured in the same run and printed
beside it (the smaller the client's share, the higher the ratio).

A cycle's cost is the CPU time it takes: the client thread's and the server process's
(/proc/PID/stat), which other processes on a shared machine do not inflate, totalled over
all batches of each side (the server's clock ticks are too coarse for one batch). The
wall-time ratio of the fastest batches is printed beside it.

``python -m benchmarks.wire --raw PAYLOADS`` is the raw server's process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from .harness import Figure, us

HOST = "127.0.0.1"
HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54",
           "Content-Type": "application/json"}
SERVICE_HEADERS = {**HEADERS, "X-Service-Roles": "service"}
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"  # demo-volume of fixtures/default.json
INSTANCE = "8a3c1b2d-0000-4000-8000-000000000001"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:b0c1a2d3e4f5", "ip": "192.168.10.21",
             "platform": "x86_64", "host": "compute-1", "os_type": "linux2",
             "multipath": False}
ROOT = Path(__file__).resolve().parent.parent


Answer = tuple[int, bytes, list[tuple[str, str]]]
# Added by the server itself, to either app's answers.
_SERVER_HEADERS = ("date", "server", "content-length", "connection", "keep-alive")


class Client:
    """One client of one server: a requests session and the server's URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def send(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] = HEADERS) -> Answer:
        data = None if body is None else json.dumps(body)
        response = self.session.request(method, self.url + path, data=data, headers=headers,
                                        timeout=30)
        own = [(k, v) for k, v in response.headers.items()
               if k.lower() not in _SERVER_HEADERS]
        return response.status_code, response.content, own


class LightClient(Client):
    """The same requests through the standard library's http.client."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def send(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] = HEADERS) -> Answer:
        data = None if body is None else json.dumps(body)
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        own = [(k, v) for k, v in response.getheaders() if k.lower() not in _SERVER_HEADERS]
        return response.status, response.read(), own


def attach_cycle(client: Client) -> list[Answer]:
    """Create, update with a connector, complete, delete: Nova's attach and detach."""
    created = client.send("POST", "/v3/demo/attachments",
                          {"attachment": {"volume_uuid": VOLUME, "instance_uuid": INSTANCE}})
    if created[0] != 200:
        raise AssertionError(f"create: {created}")
    url = f"/v3/demo/attachments/{json.loads(created[1])['attachment']['id']}"
    answers = [created,
               client.send("PUT", url, {"attachment": {"connector": CONNECTOR}}),
               client.send("POST", f"{url}/action", {"os-complete": None}),
               client.send("DELETE", url, headers=SERVICE_HEADERS)]
    if [a[0] for a in answers] != [200, 200, 204, 200]:
        raise AssertionError(f"cycle: {[a[0] for a in answers]}")
    return answers


def raw_app(answers: dict[tuple[str, str], Answer]
            ) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A plain WSGI function answering the cycle's requests as the fake answered them."""
    reasons = {200: "OK", 204: "No Content"}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        path = environ["PATH_INFO"]
        kind = "action" if path.endswith("/action") else (
            "item" if path.count("/") > 3 else "collection")
        status, body, headers = answers[(environ["REQUEST_METHOD"], kind)]
        start_response(f"{status} {reasons[status]}",
                       [*headers, ("Content-Length", str(len(body)))])
        return [body]
    return app


def _serve_raw(payload_file: str) -> None:
    from fake_cinder.server import Server

    recorded = json.loads(Path(payload_file).read_text(encoding="utf-8"))
    answers = {(method, kind): (status, body.encode(), [tuple(h) for h in headers])
               for method, kind, status, body, headers in recorded}
    # What `fake-cinder serve` configures: INFO logging of the access log, to stderr.
    logging.basicConfig(level="INFO", stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = Server(raw_app(answers), HOST, 0)
    print(f"fake-cinder listening on {server.url}", flush=True)
    server.serve_forever()


class Process:
    """A server subprocess that prints 'fake-cinder listening on URL'."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("fake-cinder listening on "):
            self.close()
            raise RuntimeError(f"{command}: did not start ({line!r})")
        self.url = line.split()[-1]


    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far, its ended threads' too (the server
        runs a thread per connection): user and system time from /proc, in clock ticks."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _compare(fake: Process, raw: Process, client_class: type[Client], cycles: int,
             rounds: int) -> tuple[float, float, float, float]:
    """(fake, raw) CPU seconds per cycle over all batches, and their fastest batches'
    wall seconds per cycle."""
    clients = {fake: client_class(fake.url), raw: client_class(raw.url)}
    cpu = {fake: 0.0, raw: 0.0}
    walls: dict[Process, list[float]] = {fake: [], raw: []}
    for client in clients.values():
        attach_cycle(client)
    for round_ in range(rounds):
        sides = [fake, raw] if round_ % 2 else [raw, fake]
        for server in sides:
            server_cpu, client_cpu, wall = (server.cpu_seconds(), time.thread_time(),
                                            time.perf_counter())
            for _ in range(cycles):
                attach_cycle(clients[server])
            walls[server].append((time.perf_counter() - wall) / cycles)
            cpu[server] += server.cpu_seconds() - server_cpu + time.thread_time() - client_cpu
    count = cycles * rounds
    return cpu[fake] / count, cpu[raw] / count, min(walls[fake]), min(walls[raw])


def wire_figure(cycles: int = 10, rounds: int = 60, scratch: str = ".") -> Figure:
    serve = Process([sys.executable, "-m", "fake_cinder.cli", "serve", "--host", HOST,
                     "--port", "0"])
    try:
        sample = attach_cycle(Client(serve.url))
        payload_file = Path(scratch) / "wire-answers.json"
        kinds = [("POST", "collection"), ("PUT", "item"), ("POST", "action"),
                 ("DELETE", "item")]
        payload_file.write_text(json.dumps([
            [method, kind, status, body.decode(), headers]
            for (method, kind), (status, body, headers) in zip(kinds, sample, strict=True)]),
            encoding="utf-8")
        raw = Process([sys.executable, "-m", "benchmarks.wire", "--raw", str(payload_file)])
        try:
            ours, theirs, wall_ours, wall_theirs = _compare(serve, raw, Client, cycles,
                                                            rounds)
            light_ours, light_theirs, _w, _w2 = _compare(serve, raw, LightClient, cycles,
                                                         max(1, rounds // 2))
        finally:
            raw.close()
    finally:
        serve.close()
    # A tiny run (--quick) may see less CPU than one clock tick of the server.
    ratio = ours / theirs if theirs else wall_ours / wall_theirs
    light = light_ours / light_theirs if light_theirs else float("nan")
    return Figure("attach cycle via `fake-cinder serve` / raw WSGI", ratio,
                  1.3, "x", spread=f"wall {wall_ours / wall_theirs:.2f}x; "
                  f"http.client {light:.2f}x",
                  detail=f"CPU {us(ours)} vs {us(theirs)} a cycle (client and server, "
                  f"requests), http.client {us(light_ours)} vs {us(light_theirs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", metavar="PAYLOADS", required=True,
                        help="serve the raw WSGI app answering with these recorded answers")
    _serve_raw(parser.parse_args().raw)


if __name__ == "__main__":
    main()
