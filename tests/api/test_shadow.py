"""fake-cinder shadow, record and replay against two fakes: one plays the user's cloud.

The "upstream" is a live fake (its Keystone at /identity issues and validates the tokens);
the shadow proxy forwards to it and compares its answers with its own in-process fake's.
The same against real Cinder 29 is `make conformance-shadow` (conformance/shadow.py and
conformance/shadow_nova.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_cinder.server import Server
from fake_cinder.shadow.cassette import (
    Cassette,
    CassetteWriter,
    fake_sender,
    replay,
    to_pytest,
)
from fake_cinder.shadow.commands import new_fake
from fake_cinder.shadow.proxy import WritePolicy, request_answer
from fake_cinder.shadow.report import Report
from tests.helpers.shadow import PASSWORD, VERSION, Cloud, Shadow, cloud, start_shadow

__all__ = ["cloud"]  # the fixture, shared with the other shadow tests

ROOT = Path(__file__).resolve().parents[2]
CHAP_PASSWORD = "planted-chap-secret-0123456789"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:cafe", "ip": "192.0.2.10",
             "host": "compute-1", "platform": "x86_64", "os_type": "linux",
             "multipath": False}


@pytest.fixture
def shadow(cloud: Cloud) -> Iterator[Shadow]:
    yield from start_shadow(cloud, WritePolicy(True, frozenset({cloud.project,
                                                               cloud.admin_project})))


def attach_flow(shadow: Shadow) -> str:
    """cinderclient's attach and detach, as Nova drives it through the attachments API."""
    status, _, body = shadow.call("POST", "/v3/{project}/volumes",
                                  {"volume": {"size": 1, "name": "shadowed"}})
    assert status == 202, body
    volume = body["volume"]["id"]
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    status, _, body = shadow.call("POST", "/v3/{project}/attachments", {"attachment": {
        "volume_uuid": volume, "instance_uuid": "5e7e7000-0000-4000-8000-000000000001",
        "connector": CONNECTOR}})
    assert status == 200, body
    attachment = body["attachment"]["id"]
    status, _, body = shadow.call("POST", f"/v3/{{project}}/attachments/{attachment}/action",
                                  {"os-complete": None})
    assert status == 204, body
    assert shadow.call("GET", "/v3/{project}/volumes/detail")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/attachments/{attachment}")[0] == 200
    # Nova's service token: a connected attachment's delete needs it (bug 2004555).
    assert shadow.call("DELETE", f"/v3/{{project}}/attachments/{attachment}",
                       headers={"X-Service-Token": shadow.cloud.service_token})[0] == 200
    assert shadow.call("DELETE", f"/v3/{{project}}/volumes/{volume}")[0] == 202
    return volume


def test_an_attach_flow_through_the_shadow_has_no_difference(shadow: Shadow) -> None:
    attach_flow(shadow)
    summary = shadow.summary()
    assert summary["differences"] == 0, shadow.proxy.report.markdown()
    assert summary["compared"] == 8 and summary["matched"] == 8, summary
    # Each token (the user's, Nova's service token) validated once, with itself.
    assert sorted(shadow.cloud.validations) == sorted([shadow.cloud.token,
                                                       shadow.cloud.service_token])
    # The shadow's fake took the cloud's ids: its volume is the cloud's.
    status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 2}})
    shadow.summary()
    assert shadow.proxy.replayer is not None
    assert shadow.proxy.replayer.fake.volume(body["volume"]["id"])["size"] == 2


def test_the_consumer_gets_the_clouds_answer_unchanged(shadow: Shadow) -> None:
    path = "/v3/{project}/volumes?limit=1"
    sent = {"X-Auth-Token": shadow.cloud.token, **VERSION}
    direct = request_answer(shadow.cloud.url, "GET", path.replace(
        "{project}", shadow.cloud.project), sent, None)
    through = request_answer(shadow.url, "GET", path.replace(
        "{project}", shadow.cloud.project), sent, None)
    assert through[0] == direct[0] and through[2] == direct[2]
    # Two requests: their own dates and request ids; the rest in the same order.
    differ = {"date", "x-openstack-request-id", "x-compute-request-id"}
    assert ([k for k, _ in through[1]] == [k for k, _ in direct[1]])
    assert ([(k, v) for k, v in through[1] if k.lower() not in differ]
            == [(k, v) for k, v in direct[1] if k.lower() not in differ])
    settled = shadow.summary()  # once the replay is done
    assert shadow.call("GET", "/_shadow/report")[2] == settled == {
        "compared": 1, "matched": 1, "departures": 0, "differences": 0, "not_compared": 0}


def test_a_wrong_fake_reports_each_difference(cloud: Cloud) -> None:
    wrong = new_fake(None, None)
    wrong.inject("volume_create", status=413, message="injected quota", times=None)
    for shadow in start_shadow(cloud, WritePolicy(True), fake=wrong):
        status, _, _ = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
        assert status == 202  # the consumer still gets the cloud's answer
        summary = shadow.summary()
        assert summary["differences"] == 1, summary
        (outcome,) = shadow.proxy.report.differences()
        assert outcome.operation == "volume_create"
        found = {d["where"]: (d["upstream"], d["fake"]) for d in outcome.differences}
        assert found["status"] == (202, 413)
        markdown = shadow.proxy.report.markdown()
        assert "### volume_create" in markdown and "`status`" in markdown
        assert 'failures="1"' in shadow.proxy.report.junit()


def test_read_only_refuses_writes_with_a_clear_403(cloud: Cloud) -> None:
    for shadow in start_shadow(cloud, WritePolicy()):
        status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
        assert status == 403
        assert "read-only" in body["forbidden"]["message"]
        assert "--allow-writes" in body["forbidden"]["message"]
        assert cloud.fake.volumes() == []
        assert shadow.call("GET", "/v3/{project}/volumes")[0] == 200


def test_writes_are_limited_to_the_listed_projects_and_actions(cloud: Cloud) -> None:
    volume = cloud.fake.add_volume(project_id=cloud.admin_project)["id"]
    for shadow in start_shadow(cloud, WritePolicy(True, frozenset({cloud.project}))):
        status, _, body = shadow.call(
            "POST", f"/v3/{cloud.admin_project}/volumes", {"volume": {"size": 1}},
            token=cloud.admin_token)
        assert status == 403 and "allowed only to projects" in body["forbidden"]["message"]
    for shadow in start_shadow(cloud, WritePolicy(True, frozenset({cloud.admin_project}))):
        path = f"/v3/{cloud.admin_project}/volumes/{volume}/action"
        status, _, body = shadow.call("POST", path, {"os-reset_status": {"status": "error"}},
                                      token=cloud.admin_token)
        assert status == 403 and "--allow-action os-reset_status" in body["forbidden"][
            "message"]
        assert cloud.fake.volume(volume)["status"] == "available"
    policy = WritePolicy(True, frozenset({cloud.admin_project}),
                         frozenset({"os-reset_status"}))
    for shadow in start_shadow(cloud, policy):
        status, _, _ = shadow.call("POST", path, {"os-reset_status": {"status": "error"}},
                                   token=cloud.admin_token)
        assert status == 202 and cloud.fake.volume(volume)["status"] == "error"
        # The shadow's fake took the volume from the cloud's answer: compared, no difference.
        assert shadow.summary()["differences"] == 0


def test_an_unknown_volume_is_taken_from_the_clouds_answer(shadow: Shadow) -> None:
    volume = shadow.cloud.fake.add_volume(project_id=shadow.cloud.project, name="old")["id"]
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    summary = shadow.summary()
    assert summary["differences"] == 0 and summary["compared"] == 2, (
        shadow.proxy.report.markdown())


def test_an_unknown_resource_is_reported_not_compared(shadow: Shadow) -> None:
    volume = shadow.cloud.fake.add_volume(project_id=shadow.cloud.project)["id"]
    shadow.cloud.fake.add_snapshot(volume, name="unseen")
    (snapshot,) = shadow.cloud.fake.snapshots()
    assert shadow.call("GET", f"/v3/{{project}}/snapshots/{snapshot['id']}")[0] == 200
    assert shadow.summary()["not_compared"] == 1
    (outcome,) = shadow.proxy.report.outcomes
    assert outcome.reason.startswith(f"unknown resource {snapshot['id']}")


def test_the_ledger_lists_and_cleans_up_in_reverse(shadow: Shadow) -> None:
    volume = attach_flow(shadow)
    status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
    kept = body["volume"]["id"]
    lines = shadow.proxy.ledger.lines()
    assert any(volume in line and line.startswith("deleted") for line in lines)
    assert any(kept in line and line.startswith("exists") for line in lines)
    done = shadow.proxy.ledger.cleanup(shadow.cloud.url)
    assert done == [f"DELETE /v3/{shadow.cloud.project}/volumes/{kept}: 202"]
    assert shadow.cloud.fake.volumes() == []


def _run_cli(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fake_cinder.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _cli_proxy(cloud: Cloud, tmp_path: Path, command: str, *extra: str
               ) -> tuple[subprocess.Popen[str], Shadow]:
    process = _run_cli([command, "--upstream", cloud.url, "--keystone",
                        f"{cloud.url}/identity", "--report-dir", str(tmp_path), *extra],
                       tmp_path)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (http://\S+)", line)
    assert found, line
    return process, Shadow(cloud, None, found.group(1))  # type: ignore[arg-type]


def test_the_command_writes_its_reports_and_fails_on_differences(
        cloud: Cloud, tmp_path: Path) -> None:
    process, shadow = _cli_proxy(cloud, tmp_path, "shadow", "--allow-writes",
                                 "--project", cloud.project, "--cleanup")
    attach_flow(shadow)
    cloud.fake.inject("volume_create", status=500, message="a broken cloud")
    assert shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})[0] == 500
    assert shadow.call("GET", "/_shadow/report")[0] == 200
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1, output
    summary = json.loads(output.split("fake-cinder shadow: ", 1)[1].splitlines()[0])
    assert summary == {"compared": 9, "matched": 8, "departures": 0, "differences": 1,
                       "not_compared": 0}
    assert "DIFFERENCE volume_create" in output and "status: upstream=500 fake=202" in output
    assert "cleanup ledger" in output
    lines = [json.loads(x) for x in (tmp_path / "shadow.jsonl").read_text().splitlines()]
    assert [x["outcome"] for x in lines].count("match") == 8
    assert "### volume_create" in (tmp_path / "shadow.md").read_text()
    assert 'failures="1"' in (tmp_path / "shadow-junit.xml").read_text()


def test_no_secret_reaches_any_file_written(cloud: Cloud, tmp_path: Path) -> None:
    # A CHAP password planted in the cloud's connection_info, and the consumer's token.
    def chap(_request: Any, response: Any, record: Any) -> None:
        if record.operation == "attachment_create" and response.status_code == 200:
            body = response.get_json()
            body["attachment"]["connection_info"]["auth_password"] = CHAP_PASSWORD
            response.set_data(json.dumps(body))

    cloud.fake.response_hooks.append(chap)
    process, shadow = _cli_proxy(cloud, tmp_path, "shadow", "--allow-writes",
                                 "--cassette", str(tmp_path / "flow.cassette"))
    status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
    status, _, body = shadow.call("POST", "/v3/{project}/attachments", {"attachment": {
        "volume_uuid": body["volume"]["id"], "connector": CONNECTOR}})
    assert body["attachment"]["connection_info"]["auth_password"] == CHAP_PASSWORD
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    written = sorted(tmp_path.iterdir())
    assert {p.name for p in written} >= {"shadow.jsonl", "shadow.md", "shadow-junit.xml",
                                         "flow.cassette"}
    for text in [output, *(p.read_text() for p in written)]:
        assert cloud.token not in text
        assert CHAP_PASSWORD not in text
        assert PASSWORD not in text
        assert cloud.service_token not in text


def test_a_recorded_cassette_replays_and_becomes_a_pytest_module(
        cloud: Cloud, tmp_path: Path) -> None:
    cassette_path = tmp_path / "attach.cassette"
    process, shadow = _cli_proxy(cloud, tmp_path, "record", "--allow-writes",
                                 "--cassette", str(cassette_path))
    attach_flow(shadow)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    cassette = Cassette.read(cassette_path)
    assert cassette.header["cloud_version"] == "3.71" and cassette.header["recorded_at"]
    assert len(cassette.exchanges) == 8
    report = replay(cassette, fake_sender(new_fake(None, "3.71")))
    assert report.summary()["differences"] == 0, report.markdown()
    assert report.summary()["compared"] == 8
    # The command line: against a fresh fake, then as a pytest module.
    replayed = _run_cli(["replay", str(cassette_path), "--report-dir", str(tmp_path)],
                        tmp_path)
    output, _ = replayed.communicate(timeout=60)
    assert replayed.returncode == 0, output
    module = tmp_path / "test_attach_replay.py"
    module.write_text(to_pytest(cassette, str(cassette_path)))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(module)], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_replay_reports_a_changed_answer(cloud: Cloud, tmp_path: Path) -> None:
    cassette_path = tmp_path / "one.cassette"
    process, shadow = _cli_proxy(cloud, tmp_path, "record", "--allow-writes",
                                 "--cassette", str(cassette_path))
    shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    target = new_fake(None, None)
    target.inject("volume_create", status=413, message="over quota")
    report = replay(Cassette.read(cassette_path), fake_sender(target), report=Report())
    (outcome,) = report.differences()
    assert {"where": "status", "upstream": 202, "fake": 413} in outcome.differences


def test_noauth_tokens_go_to_the_noauth_listener_as_admins(cloud: Cloud,
                                                          tmp_path: Path) -> None:
    """Nova's endpoint_template with noauth `user:project` tokens: the shadow sends them to
    the cloud's noauth listener, and the fake sees what Cinder's noauth pipeline makes of
    them (that user and project, an admin)."""
    seen: list[str] = []

    def noauth_listener(environ: dict[str, Any], start_response: Any) -> Any:
        seen.append(environ["PATH_INFO"])
        return cloud.fake.app(environ, start_response)

    cassette_path = tmp_path / "noauth.cassette"
    cassette = CassetteWriter(cassette_path, cloud_version="3.71", upstream=cloud.url)
    with Server(noauth_listener, access_log=False) as listener:
        for shadow in start_shadow(cloud, WritePolicy(True, frozenset({cloud.project})),
                                   noauth_upstream=listener.url, cassette=cassette):
            noauth = f"alice:{cloud.project}"
            status, _, body = shadow.call("POST", "/v3/{project}/volumes",
                                          {"volume": {"size": 1}}, token=noauth)
            assert status == 202
            volume = body["volume"]["id"]
            status, _, body = shadow.call("GET", f"/v3/{{project}}/volumes/{volume}",
                                          token=noauth)
            assert body["volume"]["os-vol-tenant-attr:tenant_id"] == cloud.project  # admin
            # A Keystone token still goes to the main listener, on the same records.
            assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
            assert shadow.summary() == {"compared": 3, "matched": 3, "departures": 0,
                                        "differences": 0, "not_compared": 0}
            assert shadow.proxy.report.outcomes[1].request.endswith("as admin at 3.71")
    assert len(seen) == 2
    # The recording replays on a fresh fake: the noauth answers link to their listener.
    recorded = Cassette.read(cassette_path)
    assert [e.get("listener") for e in recorded.exchanges] == [listener.url] * 2 + [None]
    report = replay(recorded, fake_sender(new_fake(None, None)))
    assert report.summary()["matched"] == 3, report.markdown()


def test_a_legacy_attach_flow_replays_with_the_targets_attachment_ids(
        cloud: Cloud, tmp_path: Path) -> None:
    """os-attach answers no id: the replay matches the recorded attachment with the
    target's by volume and instance, from the first answers that show both."""
    cassette_path = tmp_path / "legacy.cassette"
    process, shadow = _cli_proxy(cloud, tmp_path, "record", "--allow-writes",
                                 "--cassette", str(cassette_path))
    status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
    volume = body["volume"]["id"]
    instance = "5e7e7000-0000-4000-8000-0000000000ee"
    for action in ({"os-reserve": None},
                   {"os-initialize_connection": {"connector": CONNECTOR}},
                   {"os-attach": {"instance_uuid": instance, "mountpoint": "/dev/vdb"}}):
        shadow.call("POST", f"/v3/{{project}}/volumes/{volume}/action", action)
    status, _, body = shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")
    attachment = body["volume"]["attachments"][0]["attachment_id"]
    assert shadow.call("GET", f"/v3/{{project}}/attachments/{attachment}")[0] == 200
    assert shadow.call("POST", f"/v3/{{project}}/volumes/{volume}/action",
                       {"os-detach": {"attachment_id": attachment}})[0] == 202
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    report = replay(Cassette.read(cassette_path), fake_sender(new_fake(None, None)))
    assert report.summary() == {"compared": 8, "matched": 8, "departures": 0,
                                "differences": 0, "not_compared": 0}, report.markdown()


def test_a_replay_matches_the_volume_types_it_did_not_create_by_name(
        cloud: Cloud, tmp_path: Path) -> None:
    """Every Cinder makes __DEFAULT__ with its own id: a recording that names the cloud's
    replays on a fake whose __DEFAULT__ has another."""
    cassette_path = tmp_path / "types.cassette"
    process, shadow = _cli_proxy(cloud, tmp_path, "record", "--cassette", str(cassette_path))
    status, _, body = shadow.call("GET", "/v3/{project}/types")
    (default,) = body["volume_types"]
    assert shadow.call("GET", f"/v3/{{project}}/types/{default['id']}")[0] == 200
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    target = new_fake(None, None)
    assert target.volume_types()[0]["id"] != default["id"]
    report = replay(Cassette.read(cassette_path), fake_sender(target))
    assert report.summary()["matched"] == 2, report.markdown()
