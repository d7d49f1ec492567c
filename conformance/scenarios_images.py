"""Scenarios of images (issue 21): volumes created from an image, uploaded to one,
re-imaged, their image metadata and bootable flag.

Both servers use the fake's Glance (``conformance/state.json``'s images, the same ids on
both): the harness's Cinder through ``glance_api_servers``. Same rules as ``scenarios.py``.
"""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, Scenario, get
from .scenarios_nova import attached

CIRROS = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"
QUEUED = "c0f0a000-0000-4000-8000-000000000002"
MIN_DISK_2 = "c0f0a000-0000-4000-8000-000000000003"
VIRTUAL_2G = "c0f0a000-0000-4000-8000-000000000004"
PRIVATE = "c0f0a000-0000-4000-8000-000000000005"
MISSING = "c0f0a000-0000-4000-8000-0000000000ff"


def from_image(label: str | None, image_ref: object, size: object = 1, caller: str = "member",
               key: str = "imageRef", name: str = "", **extra: object) -> Step:
    """POST volumes with an image source; saves (and checks) ``label`` when it is created."""
    body: dict = {"name": label or "refused", key: image_ref, **extra}
    if size is not None:
        body["size"] = size
    return Step("POST", VOL, caller=caller, body={"volume": body}, save=label, check=label,
                name=name)


def act(volume: str, action: str, body: object = None, caller: str = "member",
        version: str | None = "3.71", name: str = "", check: bool = True) -> Step:
    return Step("POST", VOL + "/{" + volume + "}/action", caller=caller, version=version,
                body={action: body}, check=volume if check else None, name=name)


def upload(volume: str, caller: str = "member", version: str = "3.71", save: str | None = None,
           **params: object) -> Step:
    body = {"image_name": f"conformance-{volume}", **params}
    return Step("POST", VOL + "/{" + volume + "}/action", caller=caller, version=version,
                body={"os-volume_upload_image": body}, check=volume, save=save,
                save_from="os-volume_upload_image.image_id")


IMAGES_CATALOGUE: list[Scenario] = [
    Scenario("images: a volume created from an image", [
        from_image("vol:img", CIRROS, name="by id"),
        get(VOL + "/{vol:img}"),
        get(VOL + "/detail"),
        act("vol:img", "os-show_image_metadata", check=False),
        from_image("vol:by-name", "cirros", size=2, name="by name"),
        from_image("vol:by-href", f"http://glance.example/v2/images/{CIRROS}", name="by href"),
        from_image("vol:image-id", CIRROS, key="image_id", name="image_id instead"),
        get(VOL + "/{vol:by-name}", caller="admin"),
    ]),
    Scenario("images: creates from an image refused", [
        from_image(None, MISSING, name="unknown id"),
        from_image(None, "no-such-image", name="unknown name"),
        from_image(None, PRIVATE, name="another project's private image"),
        from_image(None, "conf-twin", name="a name two images have"),
        from_image(None, QUEUED, name="a queued image"),
        from_image(None, MIN_DISK_2, name="min_disk over the size"),
        from_image(None, VIRTUAL_2G, name="virtual size over the size"),
        from_image(None, CIRROS, size=None, name="no size"),
        from_image(None, CIRROS, caller="reader", name="a reader"),
        from_image(None, 5, name="not a string"),
        from_image("vol:fits", MIN_DISK_2, size=2, name="min_disk met"),
        from_image("vol:private-as-admin", PRIVATE, caller="admin", name="admin"),
    ]),
    Scenario("images: upload a volume to an image", [
        from_image("vol:img", CIRROS),
        upload("vol:img"),
        # Public: the harness's Cinder (noauth, no token) uses only public images.
        upload("vol:img", caller="admin", visibility="public", save="img:up"),
        from_image("vol:again", "{img:up}", name="from the uploaded image"),
        act("vol:again", "os-show_image_metadata", check=False),
        upload("vol:plain", version="3.0", disk_format="qcow2", container_format="bare"),
        upload("vol:plain", visibility="public"),
        upload("vol:plain", caller="admin", visibility="community", protected="yes"),
        upload("vol:plain", caller="reader"),
        upload("vol:plain", caller="other"),
        upload("vol:plain", version="3.0", visibility="private"),
        upload("vol:plain", disk_format="iso"),
        Step("POST", VOL + "/{vol:plain}/action", body={"os-volume_upload_image": {}}),
        *attached("vol:used", "att:used"),
        upload("vol:used", force=True),
        upload("vol:used", force="maybe"),
    ], volumes={"vol:plain": None, "vol:used": None}),
    Scenario("images: re-image a volume", [
        act("vol:a", "os-reimage", {"image_id": CIRROS}, version="3.68"),
        get(VOL + "/{vol:a}"),
        act("vol:a", "os-reimage", {"image_id": MISSING}, version="3.68"),
        act("vol:a", "os-reimage", {"image_id": PRIVATE}, version="3.68"),
        act("vol:a", "os-reimage", {"image_id": QUEUED}, version="3.68"),
        act("vol:a", "os-reimage", {"image_id": MIN_DISK_2}, version="3.68"),
        act("vol:a", "os-reimage", {"image_id": VIRTUAL_2G}, version="3.68"),
        act("vol:a", "os-reimage", {"image_id": MISSING}, version="3.68", caller="other"),
        act("vol:a", "os-reimage", {"image_id": CIRROS}, version="3.68", caller="reader"),
    ], volumes={"vol:a": None}),
    Scenario("images: image metadata", [
        from_image("vol:img", CIRROS),
        act("vol:img", "os-set_image_metadata", {"metadata": {"k": "v", "os_distro": "x"}}),
        act("vol:img", "os-show_image_metadata", check=False),
        act("vol:img", "os-unset_image_metadata", {"key": "k"}),
        act("vol:img", "os-unset_image_metadata", {"key": "k"}, name="a key no longer there"),
        act("vol:img", "os-show_image_metadata", caller="reader", check=False),
        act("vol:img", "os-set_image_metadata", {"metadata": {"k": "v"}}, caller="reader"),
        act("vol:img", "os-unset_image_metadata", {"key": "image_name"}, caller="reader"),
        act("vol:img", "os-show_image_metadata", caller="other", check=False),
        act("vol:img", "os-set_image_metadata", {"metadata": {"bad*key": "v"}}),
        act("vol:img", "os-set_image_metadata", {"metadata": {"k": 1}}),
        act("vol:img", "os-set_image_metadata", {}),
        act("vol:img", "os-unset_image_metadata", {"key": ""}),
        act("vol:plain", "os-show_image_metadata", check=False),
        act("vol:plain", "os-set_image_metadata", {"metadata": {"k": "v"}}),
        get(VOL + "/{vol:plain}"),
        act("vol:plain", "os-unset_image_metadata", {"key": "k"}),
        get(VOL + "/{vol:plain}", name="no image metadata left"),
    ], volumes={"vol:plain": None}),
    Scenario("images: bootable", [
        act("vol:a", "os-set_bootable", {"bootable": True}),
        act("vol:a", "os-set_bootable", {"bootable": "false"}),
        act("vol:a", "os-set_bootable", {"bootable": "maybe"}),
        act("vol:a", "os-set_bootable", {}),
        act("vol:a", "os-set_bootable", {"bootable": True}, caller="reader"),
        act("vol:a", "os-set_bootable", {"bootable": True}, caller="other"),
        Step("GET", VOL + "/detail?bootable=true"),
    ], volumes={"vol:a": None}),
]
