"""Attaching through Nova and Keystone's admin API with real clients against
`fake-cinder serve`: the `openstack` CLI (docs/clients.md's commands, as written),
gophercloud's volumeattach (Debian's golang-github-gophercloud-gophercloud-dev, built
here) and tempest's dynamic credentials' identity calls. Each checks what the Cinder
side shows afterwards."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.clients import (
    BIN,
    NAMES,
    PASSWORD_SETUP,
    SERVER,
    VOLUME,
    client_env,
    noauth_get,
    readme_blocks,
    readme_exports,
    serve_process,
)

from .test_openstackclient import OpenstackCli

REPOSITORY = Path(__file__).resolve().parents[2]
GO_PROGRAM = REPOSITORY / "consumers" / "gophercloud" / "volumeattach.go"
GOPATH = Path("/usr/share/gocode")  # where Debian's golang-*-dev packages put the sources
GOPHERCLOUD = GOPATH / "src" / "github.com" / "gophercloud" / "gophercloud"


def doc_commands(subsection: str) -> list[str]:
    """The subsection's shell commands (exports aside), as docs/clients.md shows them."""
    [(_language, script)] = readme_blocks(subsection)
    return [line for line in script.splitlines() if line and not line.startswith("export ")]


def journal(url: str) -> list[dict[str, Any]]:
    return requests.get(f"{url}/_fake/requests", timeout=10).json()["requests"]


def cinder_attachments(url: str) -> list[dict[str, Any]]:
    return noauth_get(url, "attachments/detail?all_tenants=1").json()["attachments"]


def volume(url: str, volume_id: str = VOLUME) -> dict[str, Any]:
    return noauth_get(url, f"volumes/{volume_id}").json()["volume"]


def test_openstack_server_add_and_remove_volume(tmp_path):
    add, list_, show, remove = doc_commands("Attaching through Nova")
    assert add == f"openstack server add volume {NAMES[SERVER]} {NAMES[VOLUME]}"
    # Cinder's delete protection stays on: Nova deletes with its service token.
    with serve_process(tmp_path) as served:
        cli = OpenstackCli(client_env(**readme_exports(PASSWORD_SETUP, served.url)))
        try:
            added = cli.json(add.removeprefix("openstack "))
            assert (added["Server ID"], added["Volume ID"], added["Device"]) == (
                SERVER, VOLUME, "/dev/vdb")
            # Nova's calls to Cinder, journaled before the compute request.
            assert [e["operation"] for e in journal(served.url) if e["operation"]][-3:] == [
                "attachment_create", "attachment_update", "attachment_complete"]
            [attachment] = cinder_attachments(served.url)
            assert (attachment["volume_id"], attachment["instance"], attachment["status"],
                    attachment["attach_mode"]) == (VOLUME, SERVER, "attached", "rw")
            assert attachment["connection_info"]["driver_volume_type"] == "iscsi"
            assert volume(served.url)["status"] == "in-use"
            [row] = cli.json(list_.removeprefix("openstack "))
            assert row["Attachment ID"] == attachment["id"] and row["Device"] == "/dev/vdb"
            shown = cli.json(show.removeprefix("openstack "))
            assert shown["status"] == "in-use"
            assert [a["server_id"] for a in shown["attachments"]] == [SERVER]
            assert cli.call(remove.removeprefix("openstack ")) == ""
            assert [e["operation"] for e in journal(served.url) if e["operation"]][-2:] == [
                "volume_begin_detaching", "attachment_delete"]
            assert cinder_attachments(served.url) == []
            assert volume(served.url)["status"] == "available"
        finally:
            cli.close()


def test_openstack_project_user_and_role_commands(tmp_path):
    commands = doc_commands("Projects, users and roles (Keystone's admin API)")
    with serve_process(tmp_path) as served:
        env = client_env(**readme_exports(PASSWORD_SETUP, served.url))
        env.update(OS_USERNAME="admin", OS_PASSWORD="admin", OS_PROJECT_NAME="admin")
        outputs = []
        for command in commands:
            words = shlex.split(command)
            extra = dict(w.split("=", 1) for w in words if "=" in w and w.startswith("OS_"))
            argv = [w for w in words if not (w.startswith("OS_") and "=" in w)]
            done = subprocess.run([str(BIN / argv[0]), *argv[1:],
                                   *(["-f", "json"] if argv[1] != "role" or argv[2] != "add"
                                     else [])],
                                  env={**env, **extra}, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            outputs.append(done.stdout)
        project, user = json.loads(outputs[0]), json.loads(outputs[1])
        assert (project["name"], user["name"], user["default_project_id"]) == (
            "team", "alice", project["id"])
        [assignment] = json.loads(outputs[3])
        assert (assignment["Role"], assignment["User"], assignment["Project"]) == (
            "member", "alice@Default", "team@Default")
        assert json.loads(outputs[4]) == []  # alice's project has no volumes yet
        # What Keystone's admin API made is state: alice logs in and uses Cinder.
        state = requests.get(f"{served.url}/_fake/state", timeout=10).json()
        alice = next(u for u in state["identity"]["users"] if u["name"] == "alice")
        assert alice["roles"] == {project["id"]: ["member"]}


def _go_toolchain() -> str | None:
    go = shutil.which("go")
    if go is None or not GOPHERCLOUD.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs golang-go and golang-github-gophercloud-gophercloud-dev "
                        "(.ci/run installs them)")
        pytest.skip("needs golang-go and golang-github-gophercloud-gophercloud-dev")
    return go


@pytest.fixture(scope="module")
def volumeattach(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """consumers/gophercloud/volumeattach.go built against Debian's gophercloud."""
    go = _go_toolchain()
    build = tmp_path_factory.mktemp("gophercloud")
    binary = build / "volumeattach"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH),
           "GOCACHE": str(build / "cache"), "GOFLAGS": ""}
    done = subprocess.run([go, "build", "-o", str(binary), str(GO_PROGRAM)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return binary


def _run(binary: Path, url: str, mode: str) -> dict[str, Any]:
    done = subprocess.run([str(binary), f"{url}/identity/v3", "demo", "demo", "demo", SERVER,
                           VOLUME, mode], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return {line["step"]: line["result"] for line in map(json.loads, done.stdout.splitlines())}


def test_gophercloud_volumeattach_create_get_delete(volumeattach, tmp_path):
    with serve_process(tmp_path) as served:
        steps = _run(volumeattach, served.url, "attach")
        expected = {"id": VOLUME, "volumeId": VOLUME, "serverId": SERVER, "device": "/dev/vdb"}
        assert steps["create"] == expected and steps["get"] == expected
        assert steps["list"] == [expected]
        [attachment] = cinder_attachments(served.url)
        assert (attachment["instance"], attachment["status"]) == (SERVER, "attached")
        assert volume(served.url)["status"] == "in-use"
        assert _run(volumeattach, served.url, "detach") == {"delete": "ok"}
        assert cinder_attachments(served.url) == []
        assert volume(served.url)["status"] == "available"


def test_tempest_dynamic_credentials_calls(tmp_path):
    """The identity calls tempest 47.0.0's DynamicCredentialProvider makes per test class
    (tempest/lib/common/dynamic_creds.py, cred_client.py), in its order, with its
    expected statuses; then the new user uses Cinder, and the cleanup."""
    with serve_process(tmp_path) as served:
        identity = f"{served.url}/identity/v3"

        def call(method: str, path: str, token: str, expected: int,
                 body: dict | None = None) -> Any:
            response = requests.request(method, f"{identity}/{path}", json=body, timeout=10,
                                        headers={"X-Auth-Token": token})
            assert response.status_code == expected, (method, path, response.text)
            return response.json() if response.content else None

        def token(name: str, password: str, project: str) -> requests.Response:
            body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": name, "password": password, "domain": {"name": "Default"}}}},
                "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
            response = requests.post(f"{identity}/auth/tokens", json=body, timeout=10)
            assert response.status_code == 201, response.text
            return response

        admin = token("admin", "admin", "admin").headers["X-Subject-Token"]
        [domain] = call("GET", "domains?name=Default", admin, 200)["domains"]
        project = call("POST", "projects", admin, 201, {"project": {
            "name": "tempest-VolumesTest-1", "description": "tempest-VolumesTest-1-desc",
            "domain_id": domain["id"]}})["project"]
        user = call("POST", "users", admin, 201, {"user": {
            "name": "tempest-VolumesTest-1-project-member", "password": "pw",
            "domain_id": domain["id"]}})["user"]
        roles = call("GET", "roles", admin, 200)["roles"]
        member = next(r for r in roles if r["name"].lower() == "member")
        call("PUT", f"projects/{project['id']}/users/{user['id']}/roles/{member['id']}",
             admin, 204)
        issued = token(user["name"], "pw", project["name"]).json()["token"]
        assert sorted(r["name"] for r in issued["roles"]) == ["member", "reader"]
        [cinder] = [s for s in issued["catalog"] if s["type"] == "volumev3"]
        url = next(e["url"] for e in cinder["endpoints"] if e["interface"] == "public")
        assert url.endswith(f"/v3/{project['id']}")
        created = requests.post(f"{url}/volumes", timeout=10, json={"volume": {"size": 1}},
                                headers={"X-Auth-Token": token(user["name"], "pw",
                                                               project["name"]).headers[
                                    "X-Subject-Token"]})
        assert created.status_code == 202
        call("DELETE", f"users/{user['id']}", admin, 204)
        call("DELETE", f"projects/{project['id']}", admin, 204)
        call("DELETE", f"projects/{project['id']}", admin, 404)
