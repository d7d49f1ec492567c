"""The conformance harness's own logic (conformance/), without Cinder: the normaliser,
the comparison, the departures, the walk's determinism and the catalogue's placeholders."""

from __future__ import annotations

import re

from conformance.departures import classify
from conformance.engine import PLACEHOLDER, Comparison, Step, compare
from conformance.normalise import Normaliser
from conformance.nova import CINDER_ONLY_SKIPS
from conformance.nova import compare as compare_runs
from conformance.scenarios import CATALOGUE
from conformance.scenarios_nova import NOVA_CATALOGUE
from conformance.servers import Reply
from conformance.walk import Walk

ID = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"


def reply(status=200, body=None, **headers):
    headers = {k.lower().replace("_", "-"): v for k, v in headers.items()}
    return Reply(status, headers, body, "")


def test_the_normaliser_replaces_what_may_differ():
    norm = Normaliser("http://127.0.0.1:1234")
    norm.labels[ID] = "vol:a"
    body = {"volume": {"id": ID, "created_at": "2026-11-28T19:00:00.123456",
                       "updated": "2023-08-31T00:00:00Z", "os-vol-host-attr:host": "h@b#p",
                       "service_uuid": "3f0e8d5c-6a1b-4c7e-9d2f-8b4a1c6e0f35",
                       "links": [{"href": f"http://127.0.0.1:1234/v3/p/volumes/{ID}"}],
                       "connection_info": {"auth_password": "abcdefgh"},
                       "message": "req-3f0e8d5c-6a1b-4c7e-9d2f-8b4a1c6e0f35 failed"}}
    assert norm.value(body) == {"volume": {
        "id": "vol:a", "created_at": "<tsT.f>", "updated": "2023-08-31T00:00:00Z",
        "os-vol-host-attr:host": "<host>", "service_uuid": "<service-uuid>",
        "links": [{"href": "<base>/v3/p/volumes/vol:a"}],
        "connection_info": {"auth_password": "<secret:8>"},
        "message": "<request-id> failed"}}
    # Timestamps of different formats stay apart.
    assert norm.text("2026-11-28T19:00:00Z") != norm.text("2026-11-28T19:00:00.000001")


def test_compare_covers_status_headers_and_body():
    cinder = Normaliser("http://a")
    fake = Normaliser("http://b")
    same = reply(200, {"x": [1, 2]}, OpenStack_API_Version="volume 3.0")
    assert compare(same, same, cinder, fake) == []
    other = reply(404, {"x": [1, 3], "y": None}, Vary="OpenStack-API-Version")
    where = [d.where for d in compare(same, other, cinder, fake)]
    assert where == ["status", "header openstack-api-version", "header vary", "body.x[1]",
                     "body.y"]


def test_departures_cover_only_what_they_name():
    cinder, fake = Normaliser("http://a"), Normaliser("http://b")
    differences = compare(reply(404), reply(200), cinder, fake)
    allowed = Comparison("scenario", "project ids: a caller's own readable project (departure)",
                         "GET /v3/demo/volumes as anonymous at 3.71", differences)
    classify(allowed)
    assert allowed.unexpected == []
    other = Comparison("scenario", "tenancy", "GET /v3/demo/attachments as member at 3.71",
                       compare(reply(404), reply(200), cinder, fake))
    classify(other)
    assert other.unexpected == other.differences != []


def _fields(step: Step) -> str:
    return repr((step.method, step.path, step.caller, step.version, step.body, step.save,
                 step.check))


def test_the_walk_repeats_with_its_seed():
    first = [_fields(s) for s in Walk(7).steps(300)]
    assert first == [_fields(s) for s in Walk(7).steps(300)]
    assert first != [_fields(s) for s in Walk(8).steps(300)]
    operations = {s.name for s in Walk(7).steps(2000)}
    assert operations >= {"attachment_create", "attachment_update", "attachment_complete",
                          "attachment_delete", "attachment_show", "attachment_list",
                          "volume_show", "volume_list", "volume_delete",
                          "volume_reset_status", "volume_create", "quota_update",
                          "volume_begin_detaching", "volume_roll_detaching",
                          "volume_reserve", "volume_unreserve", "volume_attach",
                          "volume_detach", "volume_initialize_connection",
                          "volume_terminate_connection", "volume_extend", "snapshot_create",
                          "snapshot_delete", "limits_show"}


def test_every_placeholder_of_the_catalogue_is_defined_before_use():
    names = [scenario.name for scenario in CATALOGUE + NOVA_CATALOGUE]
    assert len(names) == len(set(names)), "scenario names must be unique"
    for scenario in CATALOGUE + NOVA_CATALOGUE:
        known = {"project", "other_project", "type:multiattach", *scenario.volumes}
        for step in scenario.steps:
            text = repr((step.path, step.body, step.raw, step.headers, step.check))
            for found in PLACEHOLDER.finditer(text):
                name = found.group(1)
                assert name in known or re.fullmatch(r"server:\d+", name), (
                    f"{scenario.name}: {{{name}}} is used before it is defined")
            if step.save:
                known.add(step.save)


def test_a_cinder_500_departure_covers_only_cinder_500s():
    cinder, fake = Normaliser("http://a"), Normaliser("http://b")
    already = {"badRequest": {"message": "Invalid volume: volume v is already attached"}}
    failed = Comparison("walk", "volume_attach", "volume_attach: POST ...", compare(
        reply(500, {"computeFault": {}}), reply(400, already), cinder, fake))
    classify(failed)
    assert failed.unexpected == []
    other = Comparison("walk", "volume_attach", "volume_attach: POST ...", compare(
        reply(500, {"computeFault": {}}), reply(400, {"badRequest": {}}), cinder, fake))
    classify(other)
    assert other.unexpected == other.differences != []
    refused = Comparison("walk", "volume_attach", "volume_attach: POST ...", compare(
        reply(202), reply(400, already), cinder, fake))
    classify(refused)
    assert refused.unexpected == refused.differences != []


def test_the_nova_run_requires_the_same_outcomes_but_the_listed_skips():
    faults = next(iter(CINDER_ONLY_SKIPS)) + "::test_x"
    fake = {"test_a.py::test_1": ("passed", ""), faults: ("passed", "")}
    assert compare_runs(fake, {"test_a.py::test_1": ("passed", ""),
                               faults: ("skipped", "no faults")}) == []
    problems = compare_runs(fake, {"test_a.py::test_1": ("skipped", "no Glance"),
                                   faults: ("skipped", "")})
    assert problems == ["test_a.py::test_1: skipped against Cinder only (no Glance)"]
    problems = compare_runs(fake, {"test_a.py::test_1": ("failed", "VolumeNotFound"),
                                   faults: ("skipped", "")})
    assert problems == ["test_a.py::test_1: passed against the fake, failed against "
                        "Cinder: VolumeNotFound"]
    assert compare_runs(fake, {faults: ("skipped", "")}) == [
        "test_a.py::test_1: passed against the fake, absent against Cinder: "]
