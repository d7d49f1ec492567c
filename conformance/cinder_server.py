"""Run a real Cinder (API, scheduler, volume service) in one process on 127.0.0.1.

Run with .venv-cinder's python: ``python conformance/cinder_server.py [--state-dir DIR]``.
It prints ``CINDER LISTENING <port>`` once the API serves and the scheduler knows the
volume backend, then serves until SIGTERM arrives or its parent process exits.

- eventlet's monkey-patching comes first, as in Cinder's own entry points;
- the services talk over oslo.messaging's in-process ``fake:/`` transport;
- an sqlite file database, created with Cinder's db sync;
- the volume backends are ``memory_driver.MemoryISCSIDriver`` (ours, in memory), one
  service and pool each (``BACKENDS``; the fake's conformance state has the same ones);
- each service's heartbeat updates its own row (Cinder assumes one service a process);
- RPC replies go through JSON as on a real transport (the in-process one hands the
  scheduler's read-only dicts over as they are, and the pools view then fails);
- identity: keystonemiddleware-style ``X-*`` headers (when ``X-Roles`` is sent or there is
  no token) or Cinder's noauth middleware (a token and no ``X-Roles``: what
  python-cinderclient's noauth plugin sends). With ``--keystone URL`` (the Nova consumer
  run, ``conformance/nova.py``) it authenticates as a production Cinder does instead:
  ``auth_strategy = keystone`` (keystonemiddleware's ``auth_token`` against that Keystone,
  Cinder's ``CinderKeystoneContext``), and a second API listener with Cinder's noauth
  middleware (``CINDER LISTENING <port> NOAUTH <port>``);
- images: with ``--glance URL`` (the fake's ``/image``) that Glance is Cinder's image
  service (``glance_api_servers``); the memory driver copies image data in and out;
- ``qemu-img info`` is a stand-in (``qemu_stand_in``): no qemu-img, no root;
- Nova is a stand-in (``nova_stand_in``) that answers the one question Cinder asks it on
  these routes, with the fake's rule;
- Cinder's default quotas (the harness raises a walk project's through the quota API, on
  both servers alike);
- encryption keys from ``ConfKeyManager`` with a fixed key (no Barbican in one process).
"""

import eventlet

eventlet.monkey_patch()

# Everything else after the monkey-patching (isort would move these up).
import argparse  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # memory_driver and this module's identity_factory

# Backend name -> its availability zone. "spare" is the one scenarios and walks disable.
BACKENDS = {"memory": "nova", "ceph": "nova", "east": "az-east", "spare": "nova"}
HOST = "conformance"


def identity_factory(global_conf, **local_conf):
    """Paste filter: Cinder's keystone context from X-* headers, or its noauth middleware."""
    from cinder.api.middleware import auth

    def make(app):
        from_headers = auth.CinderKeystoneContext(app)
        from_token = auth.NoAuthMiddleware(app)

        def identity(environ, start_response):
            if "HTTP_X_ROLES" in environ or "HTTP_X_AUTH_TOKEN" not in environ:
                return from_headers(environ, start_response)
            return from_token(environ, start_response)

        return identity

    return make


def nova_stand_in() -> None:
    """Nova, as far as Cinder asks it: every server exists and uses the newest connected
    attachment of its volume (what the fake assumes of Nova, which it does not run).

    Cinder asks Nova before letting a caller without a service token delete an attachment
    that has an instance and connection info (bug 2004555); without a Nova the question
    fails with a 500.
    """
    from types import SimpleNamespace

    from cinder import context, objects
    from cinder.compute import nova

    def get_server_volume(self, ctxt, server_id, volume_id):
        admin = context.get_admin_context()
        attachments = [a for a in objects.VolumeAttachmentList.get_all_by_volume_id(
            admin, volume_id) if a.instance_uuid == server_id and a.connection_info]
        if not attachments:
            raise nova.API.NotFound(404)
        newest = max(attachments, key=lambda a: (a.created_at, a.id))
        return SimpleNamespace(attachment_id=newest.id, volumeId=volume_id, id=volume_id)

    nova.API.get_server_volume = get_server_volume


def json_replies() -> None:
    """RPC replies through JSON, as every real oslo.messaging transport sends them."""
    from oslo_messaging._drivers import impl_fake
    from oslo_serialization import jsonutils

    reply = impl_fake.FakeIncomingMessage.reply

    def json_reply(self, reply_value=None, failure=None):
        if reply_value is not None:
            reply_value = jsonutils.loads(jsonutils.dumps(reply_value))
        return reply(self, reply_value, failure)

    impl_fake.FakeIncomingMessage.reply = json_reply


def own_service_rows() -> None:
    """Each service's heartbeat updates its own row. Cinder keeps the service id in a
    class attribute (one service per process), so the services of this one process
    would all beat on the row of the last one started (its zone, its updated_at)."""
    from cinder import service

    report_state = service.Service.report_state

    def own_report_state(self):
        service.Service.service_id = self.origin_service_id
        return report_state(self)

    service.Service.report_state = own_report_state


def qemu_stand_in() -> None:
    """``qemu-img info`` without qemu-img or root (Cinder runs it through privsep and sudo on
    every image it downloads): a qcow2 header's virtual size, else a raw file's own size,
    which is what the fake's Glance computes for the same data."""
    import struct
    from types import SimpleNamespace

    from cinder.image import image_utils

    def qemu_img_info(path, run_as_root=True, force_share=False,
                      allow_qcow2_backing_file=False):
        with open(path, "rb") as image:
            head = image.read(32)
        size = os.path.getsize(path)
        qcow2 = head[:4] == b"QFI\xfb" and len(head) == 32
        return SimpleNamespace(
            image=path, file_format="qcow2" if qcow2 else "raw",
            virtual_size=struct.unpack(">Q", head[24:32])[0] if qcow2 else size,
            disk_size=size, backing_file=None, cluster_size=None, encrypted=None,
            format_specific=None, snapshots=[])

    image_utils.qemu_img_info = qemu_img_info


def keystone_options(keystone: str | None) -> tuple[str, str]:
    """[DEFAULT] options and the [keystone_authtoken] section of a Cinder behind
    keystonemiddleware; without a Keystone, noauth (the harness's identity filter)."""
    if not keystone:
        return "auth_strategy = noauth", ""
    # The fake Keystone's project ids are names (demo, service): Cinder routes them once
    # its project_id_regex allows them. Nova's service user validates the tokens.
    return ("auth_strategy = keystone\nproject_id_regex = [0-9a-z\\-]+", f"""
[keystone_authtoken]
www_authenticate_uri = {keystone}
auth_url = {keystone}
auth_type = password
username = nova
password = nova
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = True
""")


def backend_sections() -> str:
    return "\n".join(f"""[{name}]
volume_driver = memory_driver.MemoryISCSIDriver
volume_backend_name = {name}
backend_availability_zone = {zone}
""" for name, zone in BACKENDS.items())


def write_config(state_dir: Path, keystone: str | None = None,
                 glance: str | None = None) -> Path:
    import sysconfig

    data = Path(sysconfig.get_paths()["data"]) / "etc" / "cinder"
    config = state_dir / "cinder.conf"
    auth, authtoken = keystone_options(keystone)
    images = f"glance_api_servers = {glance}\n" if glance else ""
    config.write_text(f"""[DEFAULT]
{auth}
api_paste_config = {HERE / 'api-paste.ini'}
resource_query_filters_file = {data / 'resource_filters.json'}
transport_url = fake:/
state_path = {state_dir}
host = {HOST}
enabled_backends = {",".join(BACKENDS)}
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = 0
osapi_volume_workers = 1
osapi_volume_use_ssl = false
report_interval = 2
# The heartbeats of the services in this one process are not guaranteed to keep up while
# it serves requests; without this the scheduler would call the volume service down.
service_down_time = 86400
periodic_interval = 2
periodic_fuzzy_delay = 0
scheduler_driver_init_wait_time = 1
debug = false
use_stderr = true
{images}
[database]
connection = sqlite:///{state_dir / 'cinder.sqlite'}

[oslo_concurrency]
lock_path = {state_dir / 'locks'}

[coordination]
backend_url = file://{state_dir / 'coordination'}

[oslo_messaging_notifications]
driver = noop

[key_manager]
# Encrypted volume types without Barbican: every key is this fixed one (Cinder then hides
# the all-zero key id from volume shows: a departure, see departures.py).
backend = cinder.keymgr.conf_key_mgr.ConfKeyManager
fixed_key = {'0' * 64}

{backend_sections()}
{authtoken}""")
    return config


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--keystone", metavar="URL",
                        help="authenticate with keystonemiddleware against this Keystone")
    parser.add_argument("--glance", metavar="URL", help="the image service (Glance v2)")
    args = parser.parse_args()
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="conformance-cinder-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    config = write_config(state_dir, args.keystone, args.glance)

    from cinder import objects
    from oslo_config import cfg
    from oslo_log import log as logging

    objects.register_all()
    from cinder import rpc, service, version
    from cinder.common import config as cinder_config
    from cinder.db import migration

    conf = cfg.CONF
    conf(["--config-file", str(config)], project="cinder", version=version.version_string())
    cinder_config.set_middleware_defaults()
    logging.setup(conf, "cinder")
    migration.db_sync()
    rpc.init(conf)
    nova_stand_in()
    json_replies()
    own_service_rows()
    qemu_stand_in()

    scheduler = service.Service.create(binary="cinder-scheduler")
    volumes = [service.Service.create(host=f"{HOST}@{name}", service_name=name,
                                      binary="cinder-volume", coordination=True)
               for name in BACKENDS]
    api = service.WSGIService("osapi_volume")
    apis = [api]
    if args.keystone:
        # The same Cinder's noauth pipeline on a loopback port of its own (Nova finds a
        # Cinder's version document at the root of its endpoint).
        conf.register_opts([cfg.StrOpt("osapi_volume_noauth_listen", default="127.0.0.1"),
                            cfg.PortOpt("osapi_volume_noauth_listen_port", default=0),
                            cfg.IntOpt("osapi_volume_noauth_workers", default=1)])
        apis.append(service.WSGIService("osapi_volume_noauth"))
    for volume in volumes:
        volume.start()
    scheduler.start()
    for each in apis:
        each.start()

    # The scheduler learns the backends' capabilities from the volume services' periodic
    # reports: until then every create would fail with "No valid backend".
    host_manager = scheduler.manager.driver.host_manager
    for _ in range(600):
        if all(f"{HOST}@{name}" in host_manager.service_states for name in BACKENDS):
            break
        eventlet.sleep(0.1)
    else:
        print("CINDER FAILED: the scheduler never heard of every volume backend", flush=True)
        return 1
    noauth = f" NOAUTH {apis[1].port}" if len(apis) > 1 else ""
    print(f"CINDER LISTENING {api.port}{noauth}", flush=True)

    def stop(*_args):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    # Serve until stopped, or until the harness that started us is gone.
    parent = os.getppid()
    while os.getppid() == parent:
        eventlet.sleep(1)
    stop()


if __name__ == "__main__":
    sys.exit(main())
