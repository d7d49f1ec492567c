"""The `openstack` CLI (python-openstackclient) with password auth against
`fake-cinder serve`, through every attachment operation.

One interactive `openstack` process runs all the commands (its start-up costs
more than the commands): each command is followed by a shell echo of a marker,
which tells where the command's output ends.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from typing import Any

from tests.helpers.clients import (
    BIN,
    NAMES,
    PASSWORD_SETUP,
    UNNAMED_SERVER,
    client_env,
    exercise_attachments,
    readme_exports,
    serve_process,
)

MARK = "__fake_cinder_command_done__"
TIMEOUT = 60


class OpenstackCli:
    detail_has_attach_mode = False

    def __init__(self, env: dict[str, str]) -> None:
        # Unbuffered, so each command's output comes before the marker's.
        self.process = subprocess.Popen(
            [str(BIN / "openstack")], env={**env, "PYTHONUNBUFFERED": "1"}, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.transcript: list[str] = []

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def call(self, command: str) -> str:
        """Run one command; its output (stdout and stderr)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n!echo {MARK}\n")
        self.process.stdin.flush()
        output = []
        while True:
            line = self.lines.get(timeout=TIMEOUT)
            assert line is not None, f"openstack exited: {''.join(self.transcript)}"
            self.transcript.append(line)
            if line.strip() == MARK:
                return "".join(output)
            output.append(line)

    def json(self, command: str) -> Any:
        output = self.call(f"{command} -f json")
        try:
            return json.loads(output)
        except ValueError:
            raise AssertionError(f"{command}: {output}") from None

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(TIMEOUT)

    # -- the attachment operations, with Cinder's field names ------------------------------------
    @staticmethod
    def _attachment(shown: dict[str, Any]) -> dict[str, Any]:
        return {"id": shown["ID"], "volume_id": shown["Volume ID"],
                "instance": shown["Instance ID"], "status": shown["Status"],
                "attach_mode": shown["Attach Mode"], "connection_info": shown["Properties"]}

    @staticmethod
    def _connector_options(connector: dict[str, Any]) -> str:
        return (f"--initiator {connector['initiator']} --ip {connector['ip']} "
                f"--host {connector['host']} --platform {connector['platform']} "
                f"--os-type {connector['os_type']} --mountpoint {connector['mountpoint']}")

    def create(self, volume_id: str, instance_id: str, connector: dict | None = None,
               mode: str | None = None) -> dict[str, Any]:
        # Names where the fixture has them: the CLI looks volumes and servers up.
        command = (f"volume attachment create {NAMES.get(volume_id, volume_id)} "
                   f"--server {NAMES.get(instance_id, instance_id)}")
        if connector:
            command += " --connect " + self._connector_options(connector)
        if mode:
            command += f" --mode {mode}"
        return self._attachment(self.json(command))

    def _listed(self) -> list[dict[str, Any]]:
        return self.json("volume attachment list")

    def list(self) -> list[str]:
        return [row["ID"] for row in self._listed()]

    def detail(self) -> list[dict[str, Any]]:
        # The CLI's list asks for the detailed list, and shows these columns of it.
        return [{"id": row["ID"], "volume_id": row["Volume ID"], "status": row["Status"],
                 "instance": row["Server ID"]} for row in self._listed()]

    def show(self, attachment_id: str) -> dict[str, Any]:
        return self._attachment(self.json(f"volume attachment show {attachment_id}"))

    def update(self, attachment_id: str, connector: dict) -> dict[str, Any]:
        return self._attachment(self.json(
            f"volume attachment set {attachment_id} {self._connector_options(connector)}"))

    def complete(self, attachment_id: str) -> None:
        assert self.call(f"volume attachment complete {attachment_id}") == ""

    def delete(self, attachment_id: str) -> None:
        assert self.call(f"volume attachment delete {attachment_id}") == ""

    def show_missing(self, attachment_id: str) -> None:
        output = self.call(f"volume attachment show {attachment_id} -f json")
        assert f"No Attachment found for {attachment_id}" in output
        assert "could not be found" in output


def test_openstack_cli_with_password_auth(tmp_path):
    with serve_process(tmp_path, "--allow-in-use-delete") as served:
        cli = OpenstackCli(client_env(**readme_exports(PASSWORD_SETUP, served.url)))
        try:
            exercise_attachments(cli, served.url)
        finally:
            cli.close()
    log = served.log_text()
    # It found a server by name, and one by id, through the compute lookups.
    assert "GET /compute/v2.1/servers/detail?name=demo-server - 200" in log
    assert f"GET /compute/v2.1/servers/{UNNAMED_SERVER} - 200" in log
