"""Scenarios of a deactivated image (issue 20's tempest leftover,
test_create_volume_from_deactivated_image): Cinder refuses an image that is not active
as a volume's source. Both servers use the fake's Glance, whose conformance state holds
a deactivated image (``conf-deactivated``); the deactivate and reactivate actions
themselves are Glance's (tests/api/test_glance_activation.py checks them against
glance/api/v2/image_actions.py's rules).
"""

from __future__ import annotations

from .scenarios import Scenario, get
from .scenarios_images import CIRROS, from_image

DEACTIVATED = "c0f0a000-0000-4000-8000-000000000008"

IMAGE_ACTIVATION_CATALOGUE: list[Scenario] = [
    Scenario("image activation: a deactivated image is no volume source", [
        from_image(None, DEACTIVATED, name="deactivated"),
        from_image(None, DEACTIVATED, caller="admin", name="deactivated, as an admin"),
        from_image(None, DEACTIVATED, size=None, name="deactivated, no size"),
        get("/v3/{project}/volumes/detail"),
        from_image("vol:active", CIRROS, name="an active image still serves"),
    ]),
]
