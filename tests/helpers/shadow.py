"""Shadow tests' two fakes: a live fake plays the user's cloud (its Keystone at /identity
issues and validates the tokens), and a shadow proxy in front of it compares its answers
with its own in-process fake's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from fake_cinder import FakeCinder
from fake_cinder.server import Server
from fake_cinder.shadow.commands import new_fake
from fake_cinder.shadow.proxy import ShadowProxy, VerbatimHandler, WritePolicy, request_answer

PASSWORD = "planted-Passw0rd-never-written"
VERSION = {"OpenStack-API-Version": "volume 3.71"}


class Cloud:
    """The 'upstream': a live fake with a user whose token the shadow validates."""

    def __init__(self, fake: FakeCinder, url: str) -> None:
        self.fake = fake
        self.url = url
        self.project = fake.add_project("shadowed")["id"]
        fake.add_user("alice", PASSWORD, project_id=self.project)
        self.admin_project = fake.add_project("ops")["id"]
        fake.add_user("ops", PASSWORD, project_id=self.admin_project,
                      roles=("admin", "member", "reader"))
        self.token = self.login("alice", self.project)
        fake.add_user("nova", PASSWORD, project_id=self.admin_project,
                      roles=("service", "admin"))
        self.service_token = self.login("nova", self.admin_project)
        self.admin_token = self.login("ops", self.admin_project)
        self.validations: list[str] = []  # the X-Subject-Token of each validation
        fake.response_hooks.append(self._note_validation)

    def _note_validation(self, request: Any, _response: Any, _record: Any) -> None:
        if request.method == "GET" and request.path.endswith("/v3/auth/tokens"):
            assert request.headers["X-Auth-Token"] == request.headers["X-Subject-Token"]
            self.validations.append(request.headers["X-Subject-Token"])

    def login(self, user: str, project: str) -> str:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": PASSWORD}}},
            "scope": {"project": {"id": project}}}}
        status, headers, payload = request_answer(
            self.url, "POST", "/identity/v3/auth/tokens",
            {"Content-Type": "application/json"}, json.dumps(body).encode())
        assert status == 201, payload
        return dict(headers)["X-Subject-Token"]


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    fake = new_fake(None, None)
    with fake.serve() as server:
        yield Cloud(fake, server.url)


class Shadow:
    def __init__(self, cloud: Cloud, proxy: ShadowProxy, url: str) -> None:
        self.cloud = cloud
        self.proxy = proxy
        self.url = url

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        sent = {"X-Auth-Token": token or self.cloud.token, "Accept": "application/json",
                **VERSION, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        status, answer_headers, payload = request_answer(
            self.url, method, path.replace("{project}", self.cloud.project), sent, data)
        return status, dict(answer_headers), json.loads(payload) if payload else None

    def summary(self) -> dict[str, int]:
        assert self.proxy.replayer is not None
        self.proxy.replayer.drain()
        return self.proxy.report.summary()


def start_shadow(cloud: Cloud, policy: WritePolicy, fake: FakeCinder | None = None,
                 **options: Any) -> Iterator[Shadow]:
    proxy = ShadowProxy(cloud.url, f"{cloud.url}/identity", fake=fake or new_fake(None, None),
                        policy=policy, **options)
    with Server(proxy, access_log=False, request_handler=VerbatimHandler) as server:
        yield Shadow(cloud, proxy, server.url)
    proxy.finish()
