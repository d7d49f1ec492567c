"""The Cinder the Nova consumer tests talk to: a fresh in-process fake by default, or
the deployment that ``$NOVA_CONSUMER_TARGET`` describes.

``NOVA_CONSUMER_TARGET`` names a JSON file::

    {"auth_url": "http://192.0.2.10/identity", "region": "RegionOne",
     "member":  {"username": "demo",  "password": "...", "project_name": "demo"},
     "admin":   {"username": "admin", "password": "...", "project_name": "admin"},
     "service": {"username": "nova",  "password": "...", "project_name": "service"},
     "noauth_endpoint": null, "image_id": "<an active Glance image that fits 1 GiB>",
     "cinder_endpoint": null}

``service`` is Nova's own user (its ``[cinder]`` and ``[service_user]`` sections): it
needs the ``service`` role, as in a devstack. ``noauth_endpoint`` is a Cinder that
accepts noauth tokens (``http://host:8776/v3/%(project_id)s``, Nova's
``[cinder] endpoint_template``); null skips the noauth tests. ``image_id`` is the image
the re-image tests write (null skips them; the fake's is its default fixture's image).
``cinder_endpoint`` (``http://host:port/v3``) is for a Cinder that the Keystone catalog
does not list: Nova then reaches it through ``[cinder] endpoint_template``, and the admin's
client through an endpoint override; null: the catalog's ``volumev3``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_ENV = "NOVA_CONSUMER_TARGET"
# Users, projects and roles of fake-cinder's shipped default fixture.
FAKE_USERS = {
    "member": {"username": "demo", "password": "demo", "project_name": "demo"},
    "admin": {"username": "admin", "password": "admin", "project_name": "admin"},
    "service": {"username": "nova", "password": "nova", "project_name": "service"},
}


# The cirros image of fixtures/default.json, in the fake's Glance.
FAKE_IMAGE = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Credentials:
        return cls(**data)

    def conf_lines(self) -> list[str]:
        """The options of keystoneauth1's ``password`` plugin, as nova.conf spells them."""
        return [f"username = {self.username}", f"password = {self.password}",
                f"project_name = {self.project_name}",
                f"user_domain_name = {self.user_domain_name}",
                f"project_domain_name = {self.project_domain_name}"]


@dataclass(frozen=True)
class Target:
    """Where Cinder's Keystone is and who may log in; ``fake`` is the in-process fake
    (None for a real Cinder: tests never depend on it)."""

    auth_url: str
    member: Credentials
    admin: Credentials
    service: Credentials
    region: str = "RegionOne"
    noauth_endpoint: str | None = None
    image_id: str | None = None
    cinder_endpoint: str | None = None
    fake: Any = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], fake: Any = None) -> Target:
        return cls(auth_url=data["auth_url"], region=data.get("region", "RegionOne"),
                   member=Credentials.from_dict(data["member"]),
                   admin=Credentials.from_dict(data["admin"]),
                   service=Credentials.from_dict(data["service"]),
                   noauth_endpoint=data.get("noauth_endpoint"),
                   image_id=data.get("image_id"),
                   cinder_endpoint=data.get("cinder_endpoint"), fake=fake)


@contextlib.contextmanager
def open_target() -> Iterator[Target]:
    """The target of one test: the configured deployment, or a fresh fake on an
    ephemeral loopback port with the default fixture (Cinder's rules, so deleting a
    connected attachment needs Nova's service token)."""
    configured = os.environ.get(TARGET_ENV)
    if configured:
        yield Target.from_dict(json.loads(Path(configured).read_text(encoding="utf-8")))
        return
    from fake_cinder import FakeCinder
    from fake_cinder.resources import fixture_path

    fake = FakeCinder(fixture_path("default.json"))
    with fake.serve() as live:
        yield Target.from_dict({"auth_url": f"{live.url}/identity", **FAKE_USERS,
                                "noauth_endpoint": f"{live.url}/v3/%(project_id)s",
                                "image_id": FAKE_IMAGE}, fake=fake)
