"""python-cinderclient against a live fake: its Python API (with a Keystone session
and with its noauth plugin) and the `cinder` CLI, through every attachment operation."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exceptions
from cinderclient.contrib.noauth import CinderNoAuthPlugin
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.helpers.clients import (
    BIN,
    CONNECTOR,
    PASSWORD_SETUP,
    SERVER,
    VOLUME,
    client_env,
    exercise_attachments,
    readme_exports,
    serve_process,
    server_attachment,
)


class PythonApi:
    """cinderclient's VolumeAttachmentManager; ``create`` returns a dict, the rest objects."""

    detail_has_attach_mode = True

    def __init__(self, cinder: Any) -> None:
        self.attachments = cinder.attachments

    def create(self, volume_id: str, instance_id: str, connector: dict | None = None,
               mode: str | None = None) -> dict[str, Any]:
        return self.attachments.create(volume_id, connector or {}, instance_id,
                                       mode=mode or "null")

    def list(self) -> list[str]:
        return [a.id for a in self.attachments.list()]

    def detail(self) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self.attachments.list(detailed=True)]

    def show(self, attachment_id: str) -> dict[str, Any]:
        return self.attachments.show(attachment_id).to_dict()

    def update(self, attachment_id: str, connector: dict) -> dict[str, Any]:
        return self.attachments.update(attachment_id, connector).to_dict()

    def complete(self, attachment_id: str) -> None:
        assert self.attachments.complete(attachment_id).status_code == 204

    def delete(self, attachment_id: str) -> None:
        self.attachments.delete(attachment_id)

    def show_missing(self, attachment_id: str) -> None:
        with pytest.raises(cinder_exceptions.NotFound, match="could not be found"):
            self.attachments.show(attachment_id)


def test_python_api_with_keystone_password_session(live):
    auth = v3.Password(auth_url=f"{live.url}/identity", username="demo", password="demo",
                       project_name="demo", user_domain_name="Default",
                       project_domain_name="Default")
    cinder = cinder_client.Client("3.54", session=ks_session.Session(auth=auth))
    exercise_attachments(PythonApi(cinder), live.url)
    # The fake Keystone's token named the caller: user demo, a member (not an admin).
    token = live.fake.tokens.valid(auth.get_token(ks_session.Session(auth=auth)))
    assert token is not None and token.user.name == "demo"
    assert token.caller().roles == frozenset({"member", "reader"})


def test_python_api_with_noauth_plugin(live):
    auth = CinderNoAuthPlugin("demo", "demo", endpoint=f"{live.url}/v3")
    cinder = cinder_client.Client("3.54", session=ks_session.Session(auth=auth))
    exercise_attachments(PythonApi(cinder), live.url)


class CinderCli:
    """The `cinder` CLI, one process per operation, reading its tables."""

    detail_has_attach_mode = False

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(BIN / "cinder"), *args], env=self.env, text=True,
                              capture_output=True, timeout=60)
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    @staticmethod
    def tables(output: str) -> list[list[list[str]]]:
        """prettytable output: each table as rows of cells, its header row first.
        A table is drawn with three border lines: above and below its header, and last."""
        tables: list[list[list[str]]] = []
        rows: list[list[str]] = []
        borders = 0
        for line in output.splitlines():
            if line.startswith("+"):
                borders += 1
                if borders == 3:
                    tables.append(rows)
                    rows, borders = [], 0
            elif line.startswith("|"):
                rows.append([cell.strip() for cell in line.strip("|").split("|")])
        return tables

    def _properties(self, output: str) -> list[dict[str, str]]:
        return [dict(row for row in table[1:]) for table in self.tables(output)
                if table[0] == ["Property", "Value"]]

    def _attachment(self, output: str) -> dict[str, Any]:
        """`cinder attachment-*` prints the attachment, then its connection_info."""
        found = self._properties(output)
        attachment: dict[str, Any] = dict(found[0])
        attachment["connection_info"] = found[1] if len(found) > 1 else {}
        return attachment

    def create(self, volume_id: str, instance_id: str, connector: dict | None = None,
               mode: str | None = None) -> dict[str, Any]:
        args = ["attachment-create"]
        if connector:
            args += ["--connect", "True", "--initiator", connector["initiator"],
                     "--ip", connector["ip"], "--host", connector["host"],
                     "--platform", connector["platform"], "--ostype", connector["os_type"],
                     "--mountpoint", connector["mountpoint"]]
        if mode:
            args += ["--mode", mode]
        return self._attachment(self.run(*args, volume_id, instance_id).stdout)

    def _rows(self, *args: str) -> list[dict[str, str]]:
        (table,) = self.tables(self.run(*args).stdout)
        header, *rows = table
        return [dict(zip(header, row, strict=True)) for row in rows]

    def list(self) -> list[str]:
        return [row["ID"] for row in self._rows("attachment-list")]

    def detail(self) -> list[dict[str, Any]]:
        # The CLI has no detailed list: its one list shows these columns.
        return [{"id": row["ID"], "volume_id": row["Volume ID"], "status": row["Status"],
                 "instance": row["Server ID"]} for row in self._rows("attachment-list")]

    def show(self, attachment_id: str) -> dict[str, Any]:
        return self._attachment(self.run("attachment-show", attachment_id).stdout)

    def update(self, attachment_id: str, connector: dict) -> dict[str, Any]:
        return self._attachment(self.run(
            "attachment-update", "--initiator", connector["initiator"], "--ip", connector["ip"],
            "--host", connector["host"], "--mountpoint", connector["mountpoint"],
            attachment_id).stdout)

    def complete(self, attachment_id: str) -> None:
        self.run("attachment-complete", attachment_id)

    def delete(self, attachment_id: str) -> None:
        self.run("attachment-delete", attachment_id)

    def show_missing(self, attachment_id: str) -> None:
        done = self.run("attachment-show", attachment_id, check=False)
        assert done.returncode == 1
        assert "could not be found" in done.stderr and "(HTTP 404)" in done.stderr


def test_cinder_cli_with_password_auth(tmp_path):
    with serve_process(tmp_path, "--allow-in-use-delete") as served:
        cli = CinderCli(client_env(**readme_exports(PASSWORD_SETUP, served.url)))
        exercise_attachments(cli, served.url)
    log = served.log_text()
    assert "POST /identity/v3/auth/tokens - 201" in log
    assert "POST /v3/demo/attachments/" in log and "/action 3.71 204" in log


def test_cinder_cli_gets_cinders_409_for_a_connected_attachment_by_default(tmp_path):
    with serve_process(tmp_path) as served:
        cli = CinderCli(client_env(**readme_exports(PASSWORD_SETUP, served.url)))
        attachment = cli.create(VOLUME, SERVER, connector=CONNECTOR)
        done = cli.run("attachment-delete", attachment["id"], check=False)
        assert done.returncode == 1
        assert (f"Detach volume from instance {SERVER} using the Compute API (HTTP 409)"
                in done.stderr)
        assert server_attachment(served.url, attachment["id"]) is not None
