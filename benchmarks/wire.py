"""On the wire: Nova's attach cycle (create, update with a connector, complete, delete)
through `fake-cinder serve`, against the same four requests answered by a raw WSGI app on
the same server, and against a real Cinder 29.

Both local servers run in their own process, as users run them: `fake-cinder serve` (its
default options and access log, written to /dev/null here) and ``fake_cinder.server.Server``
serving a plain WSGI function (same access log, same thread cap, same keep-alive) that
answers each request with what the fake answered (status, Cinder's headers, body). Figures
(``WIRE``), each a ratio measured in one run:

- ``wire``: a fresh connection per request (the client sends ``Connection: close``),
  through a ``requests`` session: the HTTP stack of the fake's consumers (keystoneauth, so
  Nova, the clients, the SDK). The ratio with ``http.client``, the lightest client there
  is, is printed beside it;
- ``wire-keepalive``: the same session keeping its connection, on both sides;
- ``wire-concurrent``: 8 client threads, each with its own keep-alive connection and its
  own volume, attach cycles as fast as the servers answer: the raw app's throughput over
  the fake's, in requests per CPU second (the server process's and the clients'; wall
  throughput on a shared 2-core machine follows the other processes' load), and every
  request must succeed.

A cycle's cost in the first two is the CPU time it takes: the client thread's and the
server process's (Linux's CPU-time clock of the process, in nanoseconds, its ended threads
included), which other processes on a shared machine do not inflate; the figure is the
fastest batch of each side against the other, as every other ratio of ``make bench``. The
ratio of the totals over all batches and the wall-time ratio are printed beside it.

``CINDER`` (when .venv-cinder exists): the conformance harness's real Cinder 29 (one
process, the in-memory driver, keystonemiddleware-style identity headers) and
`fake-cinder serve` with the harness's state, each attaching a volume of its own: the
fastest cycle of each, in wall time (Cinder's work spans its API, scheduler and volume
service, threads of one process), with a fresh connection per request through
``http.client``, the lightest client, so that the servers' costs show (target >= 60x;
``requests`` beside it), and through one keystoneauth session (reported).

``python -m benchmarks.wire --raw PAYLOADS`` is the raw server's process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from .harness import Figure, us

HOST = "127.0.0.1"
HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54",
           "Content-Type": "application/json"}
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
    """One client of one server: a requests session and the server's URL. ``fresh``:
    a new connection for each request (``Connection: close``)."""

    def __init__(self, url: str, fresh: bool = False,
                 headers: dict[str, str] = HEADERS) -> None:
        self.url = url
        self.session = requests.Session()
        self.headers = {**headers, "Connection": "close"} if fresh else headers

    def send(self, method: str, path: str, body: Any = None,
             service: bool = False) -> Answer:
        data = None if body is None else json.dumps(body)
        headers = {**self.headers, "X-Service-Roles": "service"} if service else self.headers
        response = self.session.request(method, self.url + path, data=data, headers=headers,
                                        timeout=60)
        own = [(k, v) for k, v in response.headers.items()
               if k.lower() not in _SERVER_HEADERS]
        return response.status_code, response.content, own


class LightClient(Client):
    """The same requests through the standard library's http.client."""

    def __init__(self, url: str, fresh: bool = False,
                 headers: dict[str, str] = HEADERS) -> None:
        super().__init__(url, fresh, headers)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(self, method: str, path: str, body: Any = None,
             service: bool = False) -> Answer:
        data = None if body is None else json.dumps(body)
        headers = {**self.headers, "X-Service-Roles": "service"} if service else self.headers
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        own = [(k, v) for k, v in response.getheaders() if k.lower() not in _SERVER_HEADERS]
        return response.status, response.read(), own


class KeystoneClient(Client):
    """The same requests through a keystoneauth session (what Nova and the clients use)."""

    def __init__(self, url: str, fresh: bool = False,
                 headers: dict[str, str] = HEADERS) -> None:
        from keystoneauth1 import session as ks_session
        super().__init__(url, fresh, headers)
        self.keystone = ks_session.Session()

    def send(self, method: str, path: str, body: Any = None,
             service: bool = False) -> Answer:
        headers = {**self.headers, "X-Service-Roles": "service"} if service else self.headers
        response = self.keystone.request(self.url + path, method, json=body, headers=headers,
                                         raise_exc=False, connect_retries=0)
        own = [(k, v) for k, v in response.headers.items()
               if k.lower() not in _SERVER_HEADERS]
        return response.status_code, response.content, own


def attach_cycle(client: Client, project: str = "demo", volume: str = VOLUME
                 ) -> list[Answer]:
    """Create, update with a connector, complete, delete: Nova's attach and detach."""
    base = f"/v3/{project}/attachments"
    created = client.send("POST", base,
                          {"attachment": {"volume_uuid": volume, "instance_uuid": INSTANCE}})
    if created[0] != 200:
        raise AssertionError(f"create: {created}")
    url = f"{base}/{json.loads(created[1])['attachment']['id']}"
    answers = [created,
               client.send("PUT", url, {"attachment": {"connector": CONNECTOR}}),
               client.send("POST", f"{url}/action", {"os-complete": None}),
               client.send("DELETE", url, service=True)]
    if [a[0] for a in answers] != [200, 200, 204, 200]:
        raise AssertionError(f"cycle: {[(a[0], a[1][:200]) for a in answers]}")
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


# The process-wide, scheduler-accounted CPU clock of a pid (linux/posix-timers.h).
_CPUCLOCK_SCHED = 2


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
        runs a thread per connection): Linux's CPU-time clock of the process (nanoseconds;
        clock_getcpuclockid's id for a pid), else /proc's user and system clock ticks."""
        try:
            return time.clock_gettime((~self.process.pid << 3) | _CPUCLOCK_SCHED)
        except OSError:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1]
            ticks = fields.split()
            return (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _compare(fake: Process, raw: Process, make_client: Callable[[str], Client], cycles: int,
             rounds: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """Per batch, each side's CPU seconds a cycle (the client thread's and the server
    process's) and wall seconds a cycle: (fake CPU, raw CPU, fake wall, raw wall)."""
    clients = {fake: make_client(fake.url), raw: make_client(raw.url)}
    cpu: dict[Process, list[float]] = {fake: [], raw: []}
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
            cpu[server].append((server.cpu_seconds() - server_cpu + time.thread_time()
                                - client_cpu) / cycles)
    return cpu[fake], cpu[raw], walls[fake], walls[raw]


def _cpu_figure(name: str, fake: Process, raw: Process, fresh: bool, cycles: int,
                rounds: int, light: bool) -> Figure:
    ours, theirs, wall_ours, wall_theirs = _compare(
        fake, raw, lambda url: Client(url, fresh), cycles, rounds)
    # Fastest batch against fastest batch (load from other processes only adds time);
    # the ratio of the totals over all batches is printed beside it.
    ratio = min(ours) / min(theirs)
    spread = (f"totals {sum(ours) / sum(theirs):.2f}x, "
              f"wall {min(wall_ours) / min(wall_theirs):.2f}x")
    detail = (f"CPU {us(min(ours))} vs {us(min(theirs))} a cycle (client and server, "
              f"requests), wall {us(min(wall_ours))} vs {us(min(wall_theirs))}")
    if light:
        light_ours, light_theirs, _w, _w2 = _compare(
            fake, raw, lambda url: LightClient(url, fresh), cycles, max(1, rounds // 2))
        spread += f"; http.client {min(light_ours) / min(light_theirs):.2f}x"
        detail += f"; http.client {us(min(light_ours))} vs {us(min(light_theirs))}"
    return Figure(name, ratio, 1.3, "x", spread=spread, detail=detail)


def _create_volumes(url: str, count: int) -> list[str]:
    """``count`` new volumes of project demo on the fake, once available."""
    client = Client(url)
    admin = Client(url, headers={**HEADERS, "X-Auth-Token": "admin:admin"})
    status, body, _headers = admin.send("PUT", "/v3/admin/os-quota-sets/demo", {
        "quota_set": {"volumes": -1, "gigabytes": -1}})
    if status != 200:
        raise AssertionError(f"quota update: {status} {body[:200]!r}")
    made = []
    for _ in range(count):
        status, body, _headers = client.send("POST", "/v3/demo/volumes",
                                             {"volume": {"size": 1}})
        if status != 202:
            raise AssertionError(f"volume create: {status} {body[:200]!r}")
        made.append(json.loads(body)["volume"]["id"])
    for volume in made:
        _wait_available(client, "demo", volume)
    return made


def _wait_available(client: Client, project: str, volume: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, body, _headers = client.send("GET", f"/v3/{project}/volumes/{volume}")
        if status == 200 and json.loads(body)["volume"]["status"] == "available":
            return
        time.sleep(0.05)
    raise AssertionError(f"volume {volume} never became available")


def throughput(server: Process, volumes: list[str], cycles: int
               ) -> tuple[float, float, int]:
    """One client thread per volume, each with its own keep-alive connection
    (http.client), ``cycles`` attach cycles each, all at once: (requests a CPU second
    (the server process's and this one's), requests a wall second, failed requests)."""
    failures = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(volumes) + 1)

    def client(volume: str) -> None:
        sender = LightClient(server.url)
        start.wait()
        for _ in range(cycles):
            try:
                attach_cycle(sender, volume=volume)
            except (AssertionError, OSError, http.client.HTTPException):
                with lock:
                    failures[0] += 1
                sender = LightClient(server.url)  # whatever state the failed one left

    workers = [threading.Thread(target=client, args=(volume,)) for volume in volumes]
    for worker in workers:
        worker.start()
    start.wait()
    began, server_cpu, client_cpu = time.perf_counter(), server.cpu_seconds(), \
        time.process_time()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    cpu = server.cpu_seconds() - server_cpu + time.process_time() - client_cpu
    requests = len(volumes) * cycles * 4
    return requests / cpu, requests / wall, failures[0]


def _concurrency_figure(fake: Process, raw: Process, threads: int, cycles: int,
                        rounds: int) -> Figure:
    volumes = _create_volumes(fake.url, threads)
    cpu: dict[Process, list[float]] = {fake: [], raw: []}
    wall: dict[Process, list[float]] = {fake: [], raw: []}
    failed = 0
    for round_ in range(rounds + 1):  # the first round warms both up
        for server in ([fake, raw] if round_ % 2 else [raw, fake]):
            per_cpu, per_wall, failures = throughput(server, volumes, cycles)
            failed += failures
            if round_:
                cpu[server].append(per_cpu)
                wall[server].append(per_wall)
    ratio = max(cpu[raw]) / max(cpu[fake])
    return Figure(f"{threads} clients' throughput: raw WSGI / `fake-cinder serve`", ratio,
                  1.5, "x", spread=f"wall {max(wall[raw]) / max(wall[fake]):.2f}x, medians "
                  f"{statistics.median(cpu[raw]) / statistics.median(cpu[fake]):.2f}x, rounds "
                  f"{min(cpu[raw]) / max(cpu[fake]):.2f}-{max(cpu[raw]) / min(cpu[fake]):.2f}x",
                  detail=f"{max(cpu[fake]):.0f} vs {max(cpu[raw]):.0f} requests a CPU second, "
                  f"{max(wall[fake]):.0f} vs {max(wall[raw]):.0f} a wall second (best rounds)",
                  failures=failed)


WIRE = ["wire", "wire-keepalive", "wire-concurrent"]


def wire_figures(names: list[str], quick: bool = False) -> list[Figure]:
    """The named figures of ``WIRE``, with one `fake-cinder serve` and one raw server."""
    cycles, rounds = (1, 2) if quick else (10, 60)
    with tempfile.TemporaryDirectory() as scratch:
        serve = Process([sys.executable, "-m", "fake_cinder.cli", "serve", "--host", HOST,
                         "--port", "0"])
        try:
            sample = attach_cycle(Client(serve.url))
            payload_file = Path(scratch) / "wire-answers.json"
            kinds = [("POST", "collection"), ("PUT", "item"), ("POST", "action"),
                     ("DELETE", "item")]
            payload_file.write_text(json.dumps([
                [method, kind, status, body.decode(), headers]
                for (method, kind), (status, body, headers) in zip(kinds, sample,
                                                                   strict=True)]),
                encoding="utf-8")
            raw = Process([sys.executable, "-m", "benchmarks.wire", "--raw",
                           str(payload_file)])
            try:
                figures = []
                for name in names:
                    if name == "wire":
                        figures.append(_cpu_figure(
                            "attach cycle, a connection a request: serve / raw WSGI",
                            serve, raw, True, cycles, rounds, light=True))
                    elif name == "wire-keepalive":
                        figures.append(_cpu_figure(
                            "attach cycle, keep-alive session: serve / raw WSGI",
                            serve, raw, False, cycles, rounds, light=False))
                    else:
                        # Rounds of 100 cycles a client (3 200 requests, about a
                        # second): in rounds of 25, the raw app's best round was a lucky
                        # quarter second, up to 2x its median, and the best-against-best
                        # ratio moved between 1.29x and 1.81x from run to run.
                        figures.append(_concurrency_figure(
                            serve, raw, threads=2 if quick else 8,
                            cycles=1 if quick else 100, rounds=1 if quick else 5))
                return figures
            finally:
                raw.close()
        finally:
            serve.close()


CINDER = ["cinder-fresh", "cinder-session"]


def cinder_available() -> bool:
    return (ROOT / ".venv-cinder" / "bin" / "python").exists()


def _fastest_cycle(client: Client, project: str, volume: str, cycles: int) -> float:
    fastest = float("inf")
    for _ in range(cycles):
        began = time.perf_counter()
        attach_cycle(client, project, volume)
        fastest = min(fastest, time.perf_counter() - began)
    return fastest


def cinder_figures(names: list[str], quick: bool = False) -> list[Figure]:
    """The named figures of ``CINDER``: real Cinder 29's fastest attach cycle over the
    fake's, each on a volume of its own."""
    sys.path.insert(0, str(ROOT))
    from conformance.engine import callers, project_id
    from conformance.servers import start_cinder, start_fake

    project = project_id("wire")
    headers = {**callers(project, project_id("other"))["member"],
               "OpenStack-API-Version": "volume 3.54", "Content-Type": "application/json"}
    cinder_cycles, fake_cycles = (1, 2) if quick else (8, 200)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cinder = start_cinder(work)
        fake = start_fake(work)
        try:
            volumes = {}
            for server in (cinder, fake):
                client = Client(server.base_url, headers=headers)
                status, body, _h = client.send("POST", f"/v3/{project}/volumes",
                                               {"volume": {"size": 1}})
                if status != 202:
                    raise AssertionError(f"{server.name} volume create: {status} {body!r}")
                volumes[server.name] = json.loads(body)["volume"]["id"]
                _wait_available(client, project, volumes[server.name])
            def fastest(kind: type[Client], fresh: bool) -> dict[str, float]:
                best = {}
                for server, cycles in ((cinder, cinder_cycles), (fake, fake_cycles)):
                    client = kind(server.base_url, fresh=fresh, headers=headers)
                    attach_cycle(client, project, volumes[server.name])  # warm up
                    best[server.name] = _fastest_cycle(client, project, volumes[server.name],
                                                       cycles)
                return best

            figures = []
            for name in names:
                if name == "cinder-fresh":
                    # The lightest client, so that the servers' costs show; requests beside.
                    best, heavy = fastest(LightClient, True), fastest(Client, True)
                    figures.append(Figure(
                        "attach cycle, a connection a request: Cinder 29 / serve",
                        best["cinder"] / best["fake"], 60, "x", at_most=False,
                        spread=f"requests {heavy['cinder'] / heavy['fake']:.1f}x",
                        detail=f"fastest cycle {best['cinder'] * 1000:.1f} ms vs "
                        f"{best['fake'] * 1000:.2f} ms (wall, http.client); requests "
                        f"{heavy['cinder'] * 1000:.1f} ms vs {heavy['fake'] * 1000:.2f} ms"))
                else:
                    best = fastest(KeystoneClient, False)
                    figures.append(Figure(
                        "attach cycle, one keystoneauth session: Cinder 29 / serve",
                        best["cinder"] / best["fake"], 60, "x", at_most=False, reported=True,
                        detail=f"fastest cycle {best['cinder'] * 1000:.1f} ms vs "
                        f"{best['fake'] * 1000:.2f} ms (wall)"))
            return figures
        finally:
            fake.stop()
            cinder.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", metavar="PAYLOADS", required=True,
                        help="serve the raw WSGI app answering with these recorded answers")
    _serve_raw(parser.parse_args().raw)


if __name__ == "__main__":
    main()
