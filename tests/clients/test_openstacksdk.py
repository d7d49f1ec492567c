"""openstacksdk's block_storage proxy against a live fake, through every attachment
operation: password auth from the README's clouds.yaml, and auth_type none with an
endpoint override from the same file."""

from __future__ import annotations

from typing import Any

import openstack
import pytest

from tests.helpers.clients import exercise_attachments

# The SDK's own notices about its future releases are not this suite's business.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
FIELDS = ("id", "status", "instance", "volume_id", "attach_mode", "connection_info")


class SdkProxy:
    """conn.block_storage.*; SDK resources rendered with Cinder's field names."""

    detail_has_attach_mode = True

    def __init__(self, conn: openstack.connection.Connection) -> None:
        self.block_storage = conn.block_storage

    @staticmethod
    def _plain(attachment: Any) -> dict[str, Any]:
        return {name: getattr(attachment, name) for name in FIELDS}

    def create(self, volume_id: str, instance_id: str, connector: dict | None = None,
               mode: str | None = None) -> dict[str, Any]:
        attrs: dict[str, Any] = {"instance": instance_id}
        if connector:
            attrs["connector"] = connector
        if mode:
            attrs["mode"] = mode
        return self._plain(self.block_storage.create_attachment(volume_id, **attrs))

    def list(self) -> list[str]:
        return [a.id for a in self.block_storage.attachments(details=False)]

    def detail(self) -> list[dict[str, Any]]:
        return [self._plain(a) for a in self.block_storage.attachments()]

    def show(self, attachment_id: str) -> dict[str, Any]:
        return self._plain(self.block_storage.get_attachment(attachment_id))

    def update(self, attachment_id: str, connector: dict) -> dict[str, Any]:
        return self._plain(self.block_storage.update_attachment(attachment_id,
                                                                connector=connector))

    def complete(self, attachment_id: str) -> None:
        self.block_storage.complete_attachment(attachment_id)

    def delete(self, attachment_id: str) -> None:
        self.block_storage.delete_attachment(attachment_id, ignore_missing=False)

    def show_missing(self, attachment_id: str) -> None:
        with pytest.raises(openstack.exceptions.NotFoundException, match="could not be found"):
            self.block_storage.get_attachment(attachment_id)


def test_password_auth_from_clouds_yaml(live, clouds_yaml):
    conn = openstack.connect(cloud="fake")
    exercise_attachments(SdkProxy(conn), live.url)
    # The SDK found Cinder through the fake Keystone's catalog, at the token's project.
    assert conn.block_storage.get_endpoint().rstrip("/").endswith("/v3/demo")


def test_auth_type_none_with_endpoint_override(live, clouds_yaml):
    """keystoneauth's none plugin sends the token 'notused', which Cinder's noauth mode
    (and the fake) reads as an admin of project 'notused': it works in project-less
    /v3 URLs, on volumes of its own project."""
    conn = openstack.connect(cloud="fake-noauth")
    volumes = tuple(conn.block_storage.create_volume(size=1, name=f"noauth-{n}").id
                    for n in range(3))
    exercise_attachments(SdkProxy(conn), live.url, volumes=volumes, project="notused")
    assert {v.project_id for v in live.fake.store.volumes.values()
            if v.id in volumes} == {"notused"}
