"""Deliberate departures from Cinder: the only differences a run may show.

Each names the comparisons it covers (``fnmatch`` patterns on the scenario or walk
operation, the request, and the differing field) and says why the fake differs. The README
lists the same departures.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .engine import Comparison, Difference


@dataclass(frozen=True)
class Departure:
    id: str
    reason: str
    name: str = "*"  # scenario name or walk operation
    request: str = "*"
    where: str = "*"
    cinder_500: bool = False  # only where Cinder answered 500 (the fake never does)
    fake_says: str = ""  # only where the fake's answer contains this text
    # Where the statuses differ, only where Cinder answered one of these.
    cinder_statuses: tuple[int, ...] = ()

    def covers(self, comparison: Comparison, difference: Difference) -> bool:
        if self.cinder_500 and not any(d.where == "status" and d.cinder == 500
                                       for d in comparison.differences):
            return False
        statuses = [d.cinder for d in comparison.differences if d.where == "status"]
        if self.cinder_statuses and statuses and statuses[0] not in self.cinder_statuses:
            return False
        if self.fake_says and not any(self.fake_says in repr(d.fake)
                                      for d in comparison.differences):
            return False
        return (fnmatchcase(comparison.name, self.name)
                and fnmatchcase(comparison.request, self.request)
                and fnmatchcase(difference.where, self.where))


DEPARTURES: list[Departure] = [
    Departure(
        "readable-project-ids",
        "Cinder routes only project ids made of [0-9a-f-] and answers its routing 404 for "
        "any other; the fake also routes a readable id such as `demo` when it knows that "
        "project: the caller's own, one in its Keystone directory, or one with records "
        "(its fixtures, README and CLI examples use them). Any other readable id gets "
        "Cinder's 404.",
        name="project ids: a caller's own readable project*", request="GET /v3/*"),
    Departure(
        "no-500-for-a-missing-body",
        "Cinder answers 500 to an attachment create or update with no body, or a JSON "
        "null (a bug in its controllers); the fake never answers 500 on its own and says "
        "400 `'attachment' is a required property`.",
        name="attachment * validation*", request="POST /v3/{project}/attachments as *"),
    Departure(
        "no-500-for-a-missing-update-body",
        "As above, for an attachment update.",
        name="attachment update: validation*", request="PUT /v3/{project}/attachments/*"),
    Departure(
        "bad-connector-changes-nothing",
        "When the driver refuses the connector of an attachment create, Cinder has already "
        "reserved the volume and keeps the new attachment (reserved) while answering 400; "
        "the fake checks the connector first and changes nothing, as the project's rule "
        "for refused requests demands.",
        name="attachment create: validation", request="*bad connector*"),
    Departure(
        "no-500-for-a-null-detach",
        "Cinder's schema lets `{\"os-detach\": null}` through and its handler then fails "
        "with a 500; the fake answers 400 and changes nothing.",
        name="volume actions: the legacy attach flow", request="a null body: *"),
    Departure(
        "no-500-for-a-repeated-os-attach",
        "A non-admin's os-attach of an instance or host the volume is already attached to: "
        "Cinder's volume service fails to save the volume and the API answers 500; the "
        "fake answers 400 and changes nothing (an admin's succeeds on both).",
        name="volume_attach", cinder_500=True, fake_says="is already attached"),
    Departure(
        "no-500-for-a-missing-volume-update-body",
        "Cinder answers 500 to a volume update with no body (its controller reads the "
        "missing body); the fake says 400 `'volume' is a required property`.",
        name="volume update", request="no body: *"),
    Departure(
        "conf-key-manager-hides-the-key-id",
        "The harness's Cinder has no Barbican: its ConfKeyManager hands every encrypted "
        "volume the all-zero key id, which Cinder's volume view then hides "
        "(`encryption_key_id` is absent from 3.64). The fake models a Barbican-backed "
        "Cinder, whose volumes show their key id from 3.64.",
        where="body.volume.encryption_key_id"),
    Departure(
        "implied-roles",
        "Keystone's tokens carry the roles its default implied roles add (admin ⇒ member ⇒ "
        "reader), and keystonemiddleware passes them all in `X-Roles`; the fake reads a "
        "bare `X-Roles: member` header as such a token, so that member reads too. Cinder "
        "reads the header literally: such a caller may write but not read (403, or 404 "
        "for a volume it may not get).",
        name="policy: implied roles"),
    Departure(
        "pools-of-a-volume-type",
        "GET /scheduler-stats/get_pools?volume_type=<an existing type> (3.35): Cinder 29's "
        "scheduler runs its capacity filter with no volume size and fails (TypeError, a 400 "
        "with WebOb's text); the fake lists the pools whose capabilities satisfy the type's "
        "extra specs, as the filter is meant to.",
        name="backends: availability zones and where volumes go", request="pools of a type: *"),
    Departure(
        "volume-types-keep-no-timestamps",
        "os-volume_upload_image's answer carries the volume's type as Cinder's VolumeType "
        "object, with its creation and update times; the fake's volume types keep no "
        "timestamps, so those are null.",
        name="images: upload*", where="body.os-volume_upload_image.volume_type.*_at"),
    # Issue 20's retype with migration (conformance/scenarios_migration.py).
    Departure(
        "migrated-volume-connects-as-its-new-backend",
        "A volume migrated to the `ceph` backend: the fake's backend there serves RBD, so "
        "the volume's `shared_targets` is False, as a volume Cinder's generic migration "
        "creates on an RBD backend; the harness's `ceph` backend is the in-memory iSCSI "
        "driver reporting `ceph`, whose driver-assisted migration keeps the volume's "
        "`shared_targets` (True) from its creation.",
        name="migration: *", where="*shared_targets"),
    Departure(
        "migration-status-from-the-answer-on",
        "The fake's retype with migration is `migrating` from the API's answer on; Cinder's "
        "volume manager sets `starting`, then `migrating`, a moment after (a read right "
        "after the request may still see none).",
        name="migration: retyping and migrating while the driver works",
        request="while migrating: *", where="body.volume.*mig*"),
    # Issue 24's keep-alive (conformance/scenarios_keepalive.py).
    Departure(
        "chunked-request-bodies",
        "A request body sent with `Transfer-Encoding: chunked`: Cinder 29's server "
        "(eventlet) does not set `wsgi.input_terminated`, so WebOb reads the body as "
        "empty and a route that validates its body fails with 500 (KeyError 'body'). The "
        "fake reads the chunked body, as one with a Content-Length, and answers it.",
        name="issue 24: keep-alive: a chunked body"),
    Departure(
        "attachments-of-other-projects-stay-hidden",
        "Cinder's project filter for attachments (`model_query(..., project_only=True)`) "
        "compares `volumes.project_id` without joining the attachment's volume: a cross "
        "join, so a member whose project has any volume row, deleted ones included, finds "
        "every project's attachment. Cinder then shows it, connection info included, "
        "answers 403 (policy) to its update and delete and 404 for its volume to its "
        "os-complete, and takes it as a list marker. The fake keeps another project's "
        "attachments hidden (404, the attachment not found), as Cinder does "
        "for a project without volumes: no test should depend on reading another "
        "project's connection info.",
        request="*/attachments*", cinder_statuses=(200, 403),
        fake_says="Volume attachment could not be found with filter"),
]


def classify(comparison: Comparison) -> None:
    """Fill ``comparison.allowed`` with the differences a departure covers."""
    comparison.allowed = []
    for difference in comparison.differences:
        for departure in DEPARTURES:
            if departure.covers(comparison, difference):
                comparison.allowed.append((difference, departure.id))
                break
