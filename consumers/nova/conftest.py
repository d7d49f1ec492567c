"""Fixtures of the Nova consumer tests: a target Cinder, Nova configured for it, and
Nova's own ``nova.volume.cinder.API`` with a record of which methods a test called."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exceptions
from nova import exception
from nova.volume import cinder

from fake_cinder.shadow.adopt import BACKGROUND  # statuses of Cinder's background work

from .nova_setup import (
    NovaConfig,
    admin_context,
    compute_context,
    load_nova_conf,
    password_session,
    unload_nova_conf,
    user_context,
    wait_for,
)
from .target import Target, open_target


class RecordingAPI:
    """Nova's ``cinder.API``, noting each public method the test calls on it."""

    def __init__(self) -> None:
        self._api = cinder.API()
        self.called: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._api, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.called.add(name)
            return attribute(*args, **kwargs)
        return call


class Nova:
    """One test's Nova: the API; a user's request as nova-api and as nova-compute see
    it; nova-compute's admin context; the setup a cloud operator does as admin."""

    def __init__(self, target: Target, api: RecordingAPI) -> None:
        self.target = target
        self.api = api
        self.ctx = user_context(target)  # nova-api's
        self.compute_ctx = compute_context(self.ctx)  # the same request in nova-compute
        self.admin_ctx = admin_context()
        self.created: list[str] = []
        self._operator: Any = None

    @property
    def operator(self) -> Any:
        """python-cinderclient as the cloud admin: volume types and the like, which
        Nova never creates itself."""
        if self._operator is None:
            session = password_session(self.target, self.target.admin)
            endpoint = self.target.cinder_endpoint
            if endpoint:
                endpoint = endpoint % {"project_id": session.get_project_id()}
            self._operator = cinder_client.Client(
                "3.66", session=session, region_name=self.target.region,
                endpoint_override=endpoint)
        return self._operator

    def volume_type(self, name: str, extra_specs: dict[str, str]) -> Any:
        """A public volume type with these extra specs (found or created by the admin)."""
        for found in self.operator.volume_types.list(is_public=None):
            if found.name == name:
                return found
        # Cinder takes the extra specs in the create body (cinderclient cannot send them).
        _response, body = self.operator.client.post(
            "/types", body={"volume_type": {"name": name, "extra_specs": extra_specs}})
        return self.operator.volume_types.get(body["volume_type"]["id"])

    def multiattach_type(self) -> Any:
        return self.volume_type("nova-consumer-multiattach", {"multiattach": "<is> True"})

    def create_volume(self, size: int = 1, *, context: Any = None, **options: Any
                      ) -> dict[str, Any]:
        """Nova's own ``create`` (as for a boot-from-volume), waited until available."""
        context = context or self.ctx
        name = options.pop("name", f"nova-consumer-{uuid.uuid4().hex[:8]}")
        created = self.api.create(context, size, name, "made by Nova's API", **options)
        self.created.append(created["id"])
        return self.wait_volume(created["id"], "available", context=context)

    def wait_volume(self, volume_id: str, status: str, *, context: Any = None
                    ) -> dict[str, Any]:
        def ready(volume: dict[str, Any]) -> bool:
            if volume["status"].startswith("error") and not status.startswith("error"):
                raise AssertionError(f"volume {volume_id} went {volume['status']}, "
                                     f"not {status}")
            return volume["status"] == status
        return wait_for(lambda: self.api._api.get(context or self.ctx, volume_id), ready,
                        what=f"volume {volume_id} {status}")

    def wait_gone(self, volume_id: str) -> None:
        def gone() -> bool:
            try:
                self.api._api.get(self.ctx, volume_id)
            except exception.VolumeNotFound:
                return True
            return False
        wait_for(gone, bool, what=f"volume {volume_id} deleted")

    def cleanup(self) -> None:
        """Against a real Cinder, take away what the test made (best effort): the
        attachments through nova-api as the admin (keystonemiddleware's service token
        lets it delete connected ones), an admin's reset of what is left to detached, then
        the volumes with their snapshots."""
        admin = user_context(self.target, self.target.admin)
        for volume_id in reversed(self.created):
            # A volume Cinder is still creating: an admin's reset and delete now race its
            # create flow, which can finish after the delete and leave it "available".
            with contextlib.suppress(Exception):
                wait_for(lambda v=volume_id: self.operator.volumes.get(v).status,
                         lambda status: status not in BACKGROUND,
                         what=f"volume {volume_id} settled")
            with contextlib.suppress(Exception):
                for attachment in self.operator.attachments.list(
                        search_opts={"volume_id": volume_id, "all_tenants": 1}):
                    self.api._api.attachment_delete(admin, attachment.id)
            # What is left (a connected attachment made without Nova's service token, say)
            # goes with an admin's reset to detached.
            with contextlib.suppress(Exception):
                self.operator.volumes.reset_state(volume_id, "available",
                                                  attach_status="detached")
            with contextlib.suppress(Exception):
                self.operator.volumes.delete(volume_id, cascade=True)
        # Cinder deletes in the background: wait, so the next test's usage is settled.
        for volume_id in self.created:
            with contextlib.suppress(AssertionError):
                wait_for(lambda v=volume_id: _is_gone(self.operator.volumes, v), bool,
                         what=f"volume {volume_id} deleted")


def _is_gone(manager: Any, resource_id: str) -> bool:
    try:
        manager.get(resource_id)
    except cinder_exceptions.NotFound:
        return True
    return False


@pytest.fixture
def target() -> Iterator[Target]:
    with open_target() as opened:
        yield opened


@pytest.fixture
def nova_config(request: pytest.FixtureRequest, target: Target) -> NovaConfig:
    marker = request.node.get_closest_marker("nova_config")
    config = NovaConfig(**(marker.kwargs if marker else {}))
    if config.noauth and target.noauth_endpoint is None:
        pytest.skip("the target Cinder does not accept noauth tokens")
    return config


@pytest.fixture
def nova_conf(target: Target, nova_config: NovaConfig, tmp_path: Path) -> Iterator[Path]:
    """nova.conf for the target, loaded into Nova's CONF for the test."""
    path = tmp_path / "nova.conf"
    load_nova_conf(path, target, nova_config)
    try:
        yield path
    finally:
        unload_nova_conf()


@pytest.fixture
def nova_api(request: pytest.FixtureRequest, nova_conf: Path) -> Iterator[RecordingAPI]:
    """Nova's ``cinder.API``; at the end, the test must have called what it covers."""
    api = RecordingAPI()
    yield api
    marker = request.node.get_closest_marker("covers")
    declared = set(marker.args) if marker else set()
    if getattr(request.node, "rep_call_passed", False):  # set by the hook below
        missing = declared - api.called
        assert not missing, f"the test covers {sorted(missing)} but never called them"


@pytest.fixture
def nova(target: Target, nova_api: RecordingAPI) -> Iterator[Nova]:
    running = Nova(target, nova_api)
    try:
        yield running
    finally:
        if target.fake is None:
            running.cleanup()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call_passed = report.passed  # type: ignore[attr-defined]
    return report
