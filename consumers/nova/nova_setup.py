"""Nova 34 configured and called as nova-api and nova-compute do it.

- ``nova.conf``: a real file read by oslo.config (Nova's ``CONF``), with the
  ``[cinder]`` section (Nova's service user, the catalog lookup), the
  ``[service_user]`` section (``send_service_user_token``) and
  ``[keystone_authtoken]`` (keystonemiddleware in front of nova-api).
- A user's request context is built by nova-api's own pipeline: keystonemiddleware's
  ``auth_token`` validates the user's Keystone token and ``NovaKeystoneContext`` turns
  the headers into Nova's ``RequestContext``, whose auth plugin finds Cinder in the
  token's catalog.
- nova-compute gets that context over RPC, as a dict: the token and the catalog, not
  the auth plugin, so its calls carry a service token only with ``[service_user]``.
- nova-compute's periodic tasks use ``get_admin_context()``: no token, so Nova logs in
  with its ``[cinder]`` credentials.
- A noauth context carries a ``user:project`` token and Nova reaches Cinder through
  ``[cinder] endpoint_template``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nova.conf
import webob
import webob.dec
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystonemiddleware import auth_token
from nova import context as nova_context
from nova import service_auth
from nova.api import auth as nova_api_auth

from .target import Credentials, Target

CONF = nova.conf.CONF

# A compute host's os-brick connector, as nova-compute sends it (libvirt, iSCSI).
CONNECTOR = {"platform": "x86_64", "os_type": "linux", "ip": "192.0.2.21",
             "host": "compute-1", "multipath": False,
             "initiator": "iqn.1994-05.com.redhat:compute-1", "do_local_attach": False,
             "uuid": "0e2d5f3c-6a1b-4c7d-8e9f-1a2b3c4d5e6f", "system uuid": None,
             "nqn": "nqn.2014-08.org.nvmexpress:uuid:compute-1", "found_dsc": ""}
# The destination of a live migration.
DEST_CONNECTOR = {**CONNECTOR, "ip": "192.0.2.22", "host": "compute-2",
                  "initiator": "iqn.1994-05.com.redhat:compute-2",
                  "uuid": "1f3e6a4d-7b2c-4d8e-9fa0-2b3c4d5e6f70"}


@dataclass(frozen=True)
class NovaConfig:
    """How one test configures Nova."""

    send_service_user_token: bool = True
    noauth: bool = False  # [cinder] endpoint_template instead of the catalog
    http_retries: int | None = None  # [cinder] http_retries; None: Nova's default (3)


def _auth_section(target: Target, credentials: Credentials) -> list[str]:
    return ["auth_type = password", f"auth_url = {target.auth_url}",
            *credentials.conf_lines()]


def nova_conf_text(target: Target, config: NovaConfig, lock_path: Path) -> str:
    cinder = ["[cinder]", *_auth_section(target, target.service),
              f"os_region_name = {target.region}", "catalog_info = volumev3::publicURL"]
    if config.http_retries is not None:
        cinder.append(f"http_retries = {config.http_retries}")
    # oslo.config interpolates "$x": Nova's templates use "%(project_id)s" only.
    if config.noauth:
        assert target.noauth_endpoint is not None
        cinder.append(f"endpoint_template = {target.noauth_endpoint}")
    elif target.cinder_endpoint:
        cinder.append(f"endpoint_template = {target.cinder_endpoint}")
    service_user = ["[service_user]",
                    f"send_service_user_token = {config.send_service_user_token}",
                    *_auth_section(target, target.service)]
    authtoken = ["[keystone_authtoken]", f"www_authenticate_uri = {target.auth_url}",
                 *_auth_section(target, target.service),
                 f"region_name = {target.region}", "memcached_servers = ",
                 "service_token_roles_required = True"]
    # os-brick's connection locks (shared targets) are external locks, as on a compute host.
    concurrency = ["[oslo_concurrency]", f"lock_path = {lock_path}"]
    return "\n".join(["[DEFAULT]", "", *cinder, "", *service_user, "", *authtoken, "",
                      *concurrency, ""])


def load_nova_conf(path: Path, target: Target, config: NovaConfig) -> None:
    """Write nova.conf and parse it into Nova's global CONF, as a Nova service starts."""
    lock_path = path.parent / "locks"
    lock_path.mkdir(exist_ok=True)
    path.write_text(nova_conf_text(target, config, lock_path), encoding="utf-8")
    CONF(args=[], project="nova", default_config_files=[str(path)])
    # Nova caches its auth plugins and sessions per config group: start afresh.
    nova_context.reset_globals()


def unload_nova_conf() -> None:
    nova_context.reset_globals()
    CONF.reset()
    CONF.clear()


def password_session(target: Target, credentials: Credentials) -> ks_session.Session:
    """A keystoneauth1 session logged in to the target's Keystone as ``credentials``."""
    auth = v3.Password(auth_url=target.auth_url, username=credentials.username,
                       password=credentials.password, project_name=credentials.project_name,
                       user_domain_name=credentials.user_domain_name,
                       project_domain_name=credentials.project_domain_name)
    return ks_session.Session(auth=auth)


def keystone_token(target: Target, credentials: Credentials) -> str:
    """A user's Keystone token, as the user's client gets it before calling Nova."""
    return password_session(target, credentials).get_token()


def user_context(target: Target, credentials: Credentials | None = None
                 ) -> nova_context.RequestContext:
    """nova-api's context for a request that carries the user's Keystone token."""
    token = keystone_token(target, credentials or target.member)
    seen: dict[str, Any] = {}

    @webob.dec.wsgify
    def nova_api(request: webob.Request) -> webob.Response:
        seen["context"] = request.environ["nova.context"]
        return webob.Response(status=204)

    pipeline = auth_token.AuthProtocol(nova_api_auth.NovaKeystoneContext(nova_api),
                                       {"oslo_config_config": CONF})
    response = webob.Request.blank("/v2.1/servers", headers={"X-Auth-Token": token}
                                   ).get_response(pipeline)
    assert response.status_int == 204, f"nova-api refused the token: {response.status}"
    return seen["context"]


def compute_context(api_context: nova_context.RequestContext) -> nova_context.RequestContext:
    """The same request as nova-compute sees it after RPC: Nova's context serializer
    sends ``to_dict()`` and rebuilds it, so keystonemiddleware's plugin (which adds
    nova-api's own service token to every call) stays behind; the token and the
    catalog travel."""
    return nova_context.RequestContext.from_dict(api_context.to_dict())


def admin_context() -> nova_context.RequestContext:
    """nova-compute's context in periodic tasks and nova-manage: no token."""
    return nova_context.get_admin_context()


def noauth_context(user_id: str, project_id: str) -> nova_context.RequestContext:
    """A context whose token is Cinder's noauth ``user:project`` form."""
    return nova_context.RequestContext(user_id=user_id, project_id=project_id,
                                       auth_token=f"{user_id}:{project_id}", is_admin=False)


def service_auth_session() -> Any:
    """The keystoneauth1 session Nova built for its [cinder] group."""
    return service_auth.get_service_auth_session(nova.conf.cinder.cinder_group.name)


def wait_for(read: Any, ready: Any, timeout: float = 60.0, what: str = "") -> Any:
    """Poll ``read()`` until ``ready(value)``: real Cinder creates and deletes
    asynchronously; the fake is done at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: last {value!r}")
        time.sleep(0.2)
