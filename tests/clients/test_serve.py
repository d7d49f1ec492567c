"""`fake-cinder serve`: its options, the threaded server, the access log, signals,
the non-loopback warning and the /_fake/ control token."""

from __future__ import annotations

import importlib.metadata
import json
import re
import signal
import subprocess
import threading
import time

import pytest
import requests
from flask import Flask

import fake_cinder
from fake_cinder import FakeCinder
from fake_cinder.cli import build_fake, build_parser, is_loopback, main
from fake_cinder.resources import fixture_path
from fake_cinder.server import Server
from tests.helpers.clients import BIN, VOLUME, serve_process

ACCESS_LINE = re.compile(
    r"INFO fake_cinder\.access: (?P<method>[A-Z]+) (?P<path>\S+) (?P<version>\S+) "
    r"(?P<status>\d{3}) (?P<ms>\d+\.\d)ms$", re.MULTILINE)


def test_serve_options_and_access_log(tmp_path):
    with serve_process(tmp_path, "--seed", "7", "--max-version", "3.60",
                       "--control-token", "s3cret") as served:
        root = requests.get(f"{served.url}/", timeout=10)
        assert root.status_code == 300 and root.json()["versions"][0]["version"] == "3.60"
        too_new = requests.get(f"{served.url}/v3/demo/volumes", timeout=10, headers={
            "X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.61"})
        assert too_new.status_code == 406
        created = requests.post(f"{served.url}/v3/demo/attachments", timeout=10, headers={
            "X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"},
            json={"attachment": {"volume_uuid": VOLUME}})
        assert created.status_code == 200
        guarded = requests.get(f"{served.url}/_fake/health", timeout=10)
        assert guarded.status_code == 401
        assert requests.get(f"{served.url}/_fake/health", timeout=10, headers={
            "X-Fake-Control-Token": "s3cret"}).status_code == 200
        requests.get(f"{served.url}/v3/demo/volumes?limit=1", timeout=10,
                     headers={"X-Auth-Token": "demo:demo"})
    assert served.process.returncode == 0  # SIGTERM: a clean exit
    lines = [m.groupdict() for m in ACCESS_LINE.finditer(served.log_text())]
    assert [(line["method"], line["path"], line["version"], line["status"])
            for line in lines] == [
        ("GET", "/", "3.0", "300"),  # the version document negotiates, as in Cinder
        ("GET", "/v3/demo/volumes", "3.61", "406"),
        ("POST", "/v3/demo/attachments", "3.54", "200"),
        ("GET", "/_fake/health", "-", "401"),
        ("GET", "/_fake/health", "-", "200"),
        ("GET", "/v3/demo/volumes?limit=1", "3.0", "200"),
    ]
    assert all(float(line["ms"]) < 5000 for line in lines)
    assert "SIGTERM received, shutting down" in served.log_text()


def test_sigint_stops_the_server_cleanly(tmp_path):
    with serve_process(tmp_path) as served:
        assert requests.get(f"{served.url}/identity", timeout=10).status_code == 300
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(10) == 0
    log = served.log_text()
    assert "SIGINT received, shutting down" in log and "stopped" in log
    assert "Traceback" not in log


def test_a_non_loopback_address_gets_a_warning(tmp_path):
    # 192.0.2.1 (TEST-NET-1) is not this machine's: the warning comes, the bind fails,
    # and nothing ever listens beyond loopback.
    done = subprocess.run([str(BIN / "fake-cinder"), "serve", "--host", "192.0.2.1",
                           "--port", "0", "--log-level", "ERROR"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "fake-cinder: WARNING: listening on 192.0.2.1, which is not a loopback " \
           "address" in done.stderr
    assert "use --control-token to guard /_fake/" in done.stderr
    assert "fake-cinder: cannot listen on 192.0.2.1:0" in done.stderr


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.0.1", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.0.2.1", False),
    ("fake.example", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_bad_fixture_files_and_options_are_refused(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"volumes": [{"id": "3c2b1a09-8f7e-4d6c-9b5a-4a3b2c1d0e9f",
                                            "project_id": "p", "volume_type": "nope"}]}),
                   encoding="utf-8")
    done = subprocess.run([str(BIN / "fake-cinder"), "serve", "--port", "0", "--fixtures",
                           str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith(f"fake-cinder: {bad}: ")
    assert done.stderr.count(str(bad)) == 1
    assert "unknown volume type 'nope'" in done.stderr
    for options, message in ((["--fixtures", str(tmp_path / "missing.json")], "no such file"),
                             (["--max-version", "3.72"], "must be between 3.0 and 3.71"),
                             (["--max-version", "three"], "is of invalid format"),
                             (["--log-level", "chatty"], "invalid choice")):
        with pytest.raises(SystemExit) as raised:
            build_parser().parse_args(["serve", *options])
        assert raised.value.code == 2
        assert message in capsys.readouterr().err


@pytest.mark.parametrize(("options", "message"), [
    (["--port", "99999"], "argument --port: 99999 is not a port number (0 to 65535; 0 picks a "
                          "free one)"),
    (["--port", "-1"], "argument --port: -1 is not a port number"),
    (["--port", "http"], "argument --port: http is not a port number"),
    (["--threads", "0"], "argument --threads: 0 is not a number of threads (at least 1)"),
    (["--threads", "many"], "argument --threads: many is not a number of threads"),
    (["--max-connections", "0"], "argument --max-connections: 0 is not a number of "
                                 "connections (at least 1)"),
    (["--idle-timeout", "0"], "argument --idle-timeout: 0 is not a number of seconds (more "
                              "than 0)"),
    (["--idle-timeout", "nan"], "argument --idle-timeout: nan is not a number of seconds"),
    (["--host", "nosuchhost.invalid"], "argument --host: cannot resolve 'nosuchhost.invalid': "),
    (["--fixtures", "defualt.json"], "argument --fixtures: defualt.json: no such file, nor a "
                                     "fixture shipped with fake-cinder (those are default.json"),
])
def test_bad_values_get_one_line_and_status_2(options, message, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["serve", *options])
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"fake-cinder serve: error: {message}")
    assert line.endswith("; see fake-cinder serve --help")


def test_the_command_line_refuses_a_bad_port_and_tells_its_version():
    done = subprocess.run([str(BIN / "fake-cinder"), "serve", "--port", "99999"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    for command in (["--version"], ["serve", "--version"]):
        done = subprocess.run([str(BIN / "fake-cinder"), *command], capture_output=True,
                              text=True, timeout=60)
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == f"fake-cinder {importlib.metadata.version('fake-cinder')}\n"
    assert fake_cinder.__version__ == importlib.metadata.version("fake-cinder")


def test_fixtures_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no fixtures/ here: the shipped file is found by name
    fake = build_fake(build_parser().parse_args(["serve", "--fixtures", "multiattach.json"]))
    assert fake.dump() == FakeCinder(fixture_path("multiattach.json")).dump()


def test_build_fake_follows_the_options():
    args = build_parser().parse_args(["serve", "--seed", "3", "--max-version", "3.50",
                                      "--control-token", "t", "--allow-in-use-delete"])
    first, second = build_fake(args), build_fake(args)
    assert first.clock.new_id() == second.clock.new_id()  # seeded: the same ids
    assert str(first.max_version) == "3.50" and first.control_token == "t"
    assert first.protect_in_use_attachments is False
    defaults = build_fake(build_parser().parse_args(["serve"]))
    assert defaults.protect_in_use_attachments is True  # Cinder's rule unless told
    assert defaults.control_token is None and len(defaults.store.volumes) == 3
    assert defaults.store.identity["users"][0]["name"] == "admin"


def test_the_server_serves_requests_concurrently():
    """Worker threads: four slow requests overlap instead of queueing."""
    app = Flask("slow")
    inside = threading.Semaphore(0)

    @app.get("/slow")
    def slow() -> str:
        inside.release()
        time.sleep(0.3)
        return "ok"

    server = Server(app, "127.0.0.1", 0, threads=4, access_log=False)
    thread = server.start_background()
    try:
        started = time.monotonic()
        results: list[int] = []
        workers = [threading.Thread(target=lambda: results.append(
            requests.get(f"{server.url}/slow", timeout=10).status_code)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert results == [200] * 4
        assert time.monotonic() - started < 1.0  # 4 x 0.3 s in a row would be 1.2 s
    finally:
        server.shutdown()
        thread.join(10)
    assert not thread.is_alive()


def test_shutdown_finishes_the_requests_in_progress_then_refuses():
    app = Flask("slow")
    inside = threading.Event()

    @app.get("/slow")
    def slow() -> str:
        inside.set()
        time.sleep(0.3)
        return "done"

    server = Server(app, "127.0.0.1", 0, threads=2, access_log=False)
    thread = server.start_background()
    answers: list[str] = []
    client = threading.Thread(target=lambda: answers.append(
        requests.get(f"{server.url}/slow", timeout=10).text))
    client.start()
    assert inside.wait(10)
    server.shutdown()
    server.shutdown()  # a second signal changes nothing
    client.join(10)
    thread.join(10)
    assert answers == ["done"] and not thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/slow", timeout=10)


# -- the /_fake/ control token -------------------------------------------------------------------
def test_control_token_guards_fake_routes_only():
    fake = FakeCinder(fixture_path("default.json"), control_token="s3cret")
    client = fake.app.test_client()
    assert client.get("/_fake/health").status_code == 401
    wrong = client.post("/_fake/reset", headers={"X-Fake-Control-Token": "guess"})
    assert wrong.status_code == 401
    assert wrong.json == {"unauthorized": {
        "code": 401, "message": "Missing or wrong X-Fake-Control-Token header."}}
    assert len(fake.store.volumes) == 3  # not reset
    assert client.get("/_fake/no-such-thing").status_code == 401  # nothing told to strangers
    token = {"X-Fake-Control-Token": "s3cret"}
    assert client.get("/_fake/health", headers=token).status_code == 200
    assert client.put("/_fake/state", headers=token, json={}).status_code == 200
    assert fake.store.volumes == {}
    assert client.get("/_fakeish").status_code == 404  # not under /_fake/
    assert client.get("/v3/", headers={"X-Auth-Token": "a:b"}).status_code == 200


def test_without_a_control_token_fake_routes_are_open():
    client = FakeCinder().app.test_client()
    assert client.get("/_fake/health").status_code == 200
