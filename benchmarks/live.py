"""Throughput of a live server: the fake and the bare route on the same WSGI server.

Each app runs in its own subprocess (``python -m benchmarks.live --app fake``),
so the client threads here do not share a GIL with the server they measure.
``--server`` picks the WSGI server; add one to SERVERS to compare another.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import Figure

HOST = "127.0.0.1"
HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"}
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"  # demo-volume of fixtures/default.json
INSTANCE = "8a3c1b2d-0000-4000-8000-000000000001"


def _werkzeug(app: Any) -> tuple[int, Callable[[], None]]:
    # The one server of every entry point: werkzeug's threaded server, with keep-alive.
    from fake_cinder.server import Server
    server = Server(app, HOST, 0, access_log=False)
    return server.port, server.serve_forever


def _waitress(app: Any) -> tuple[int, Callable[[], None]]:
    from waitress.server import create_server
    server = create_server(app, host=HOST, port=0, threads=8)
    return server.effective_port, server.run


def _cheroot(app: Any) -> tuple[int, Callable[[], None]]:
    from cheroot.wsgi import Server
    server = Server((HOST, 0), app, numthreads=8)
    server.prepare()
    return server.bind_addr[1], server.serve


# Each factory binds to an ephemeral loopback port and returns (port, serve forever).
SERVERS: dict[str, Callable[[Any], tuple[int, Callable[[], None]]]] = {
    "werkzeug": _werkzeug, "waitress": _waitress, "cheroot": _cheroot}


def _serve(app_name: str, server_name: str, payload_file: str | None) -> None:
    """The subprocess: build the app, print 'PORT <port> <path>' and serve."""
    if app_name == "fake":
        from fake_cinder import FakeCinder
        from fake_cinder.resources import fixture_path
        fake = FakeCinder(fixture_path("default.json"))
        response = fake.app.test_client().post("/v3/demo/attachments", headers=HEADERS, json={
            "attachment": {"volume_uuid": VOLUME, "instance_uuid": INSTANCE}})
        path = f"/v3/demo/attachments/{response.json['attachment']['id']}"
        app = fake.app
    else:
        from .baseline import create_bare_app
        assert payload_file is not None
        payload = json.loads(Path(payload_file).read_text(encoding="utf-8"))
        app = create_bare_app({"show": payload})
        path = f"/v3/demo/attachments/{payload['attachment']['id']}"
    # No access log on either side: it would time the terminal, not the app.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port, serve_forever = SERVERS[server_name](app)
    print(f"PORT {port} {path}", flush=True)
    serve_forever()


class LiveServer:
    """A server subprocess; stopped (by its own pid) on exit."""

    def __init__(self, app_name: str, server_name: str, payload_file: str | None = None):
        command = [sys.executable, "-m", "benchmarks.live", "--app", app_name,
                   "--server", server_name]
        if payload_file:
            command += ["--payload", payload_file]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                                        cwd=Path(__file__).resolve().parent.parent)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "PORT":
            self.close()
            raise RuntimeError(f"the {app_name} server did not start")
        self.port, self.path = int(line[1]), line[2]

    def get(self, connection: http.client.HTTPConnection) -> bytes:
        connection.request("GET", self.path, headers=HEADERS)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise AssertionError(f"GET {self.path}: {response.status} {body[:200]!r}")
        return body

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def throughput(server: LiveServer, threads: int, requests: int) -> float:
    """Requests per second of ``threads`` clients, each with a keep-alive connection."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        try:
            start.wait()
            for _ in range(requests):
                try:
                    server.get(connection)
                except (http.client.HTTPException, ConnectionError):
                    connection.close()  # the server closed it: open a new one
                    server.get(connection)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    begin = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - begin
    if errors:
        raise errors[0]
    return threads * requests / elapsed


def live_figure(server_name: str = "werkzeug", threads: int = 8, requests: int = 250,
                rounds: int = 5, payload_dir: str = ".") -> Figure:
    with LiveServer("fake", server_name) as fake:
        connection = http.client.HTTPConnection(HOST, fake.port, timeout=30)
        payload = json.loads(fake.get(connection))
        connection.close()
        payload_file = Path(payload_dir) / "live-payload.json"
        payload_file.write_text(json.dumps(payload), encoding="utf-8")
        with LiveServer("bare", server_name, str(payload_file)) as bare:
            ratios, ours, theirs = [], [], []
            throughput(fake, threads, max(1, requests // 10))  # warm up both
            throughput(bare, threads, max(1, requests // 10))
            for round_ in range(rounds):
                pair = [(fake, ours), (bare, theirs)]
                for server, results in (pair if round_ % 2 else pair[::-1]):
                    results.append(throughput(server, threads, requests))
                ratios.append(ours[-1] / theirs[-1])
    ratio = sorted(ratios)[len(ratios) // 2]
    return Figure(f"live {server_name} server, {threads} threads: fake/bare", ratio, 0.7,
                  "x", at_most=False, spread=f"rounds {min(ratios):.2f}-{max(ratios):.2f}",
                  detail=f"{max(ours):.0f} vs {max(theirs):.0f} req/s (best round)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=("fake", "bare"), required=True)
    parser.add_argument("--server", choices=sorted(SERVERS), default="werkzeug")
    parser.add_argument("--payload", help="JSON file the bare route answers with")
    args = parser.parse_args()
    _serve(args.app, args.server, args.payload)


if __name__ == "__main__":
    main()
