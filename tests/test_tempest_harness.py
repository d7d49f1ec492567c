"""The tempest harness's own logic (conformance/tempest.py), without running tempest:
tempest.conf and the accounts, the comparison of a run with Cinder's outcomes and the known
gaps, the per-test table, and the fake Keystone's catalog naming another Cinder."""

from __future__ import annotations

import ast
import configparser
import json
import re
from pathlib import Path

import pytest
from keystoneauth1 import session
from keystoneauth1.identity import v3

from conformance import tempest as harness
from conformance.tempest import Gap, Outcome
from fake_cinder import FakeCinder
from fake_cinder.api import keystone_views
from fake_cinder.cli import build_fake, build_parser

CINDER = "http://127.0.0.1:9999/v3/$(project_id)s"


# -- tempest.conf and the accounts -------------------------------------------------------------
def test_the_config_fills_every_placeholder(tmp_path):
    text = harness.render_config(tmp_path, "http://127.0.0.1:1234/identity/")
    assert [line for line in text.splitlines() if "$" in line and line[:1] != "#"] == []
    config = configparser.ConfigParser()
    config.read_string(text)
    assert config["identity"]["uri_v3"] == "http://127.0.0.1:1234/identity/v3"
    assert config["auth"]["use_dynamic_credentials"] == "false"
    assert config["auth"]["test_accounts_file"] == f"{tmp_path}/etc/accounts.yaml"
    assert config["oslo_concurrency"]["lock_path"] == f"{tmp_path}/locks"
    assert config["volume"]["catalog_type"] == "block-storage"
    assert config["volume"]["max_microversion"] == "3.71"
    assert config["compute"]["image_ref"] == harness.image_ref()
    # The services neither target has are off, and so are their features.
    assert {name: config["service_available"][name]
            for name in ("cinder", "nova", "neutron", "glance", "swift")} == {
        "cinder": "true", "nova": "false", "neutron": "false", "glance": "true",
        "swift": "false"}
    features = config["volume-feature-enabled"]
    assert [features[name] for name in ("backup", "manage_volume",
                                        "manage_snapshot")] == ["false"] * 3
    # Multi-backend: two backends both targets have (the harness's Cinder and the fake's
    # tempest state), in the volumes' default zone (retype with migration stays there).
    assert features["multi_backend"] == "true"
    # VolumeRetypeMultiattachTest runs (it attaches nothing).
    assert config["compute-feature-enabled"]["volume_multiattach"] == "true"
    names = config["volume"]["backend_names"].split(",")
    assert len(set(names)) == 2
    fake_backends = {b["volume_backend_name"]: b.get("availability_zone", "nova")
                     for b in harness.state_file()["backends"]}
    for name in names:
        assert fake_backends[name] == "nova"
        assert cinder_server_backends()[name] == "nova"


def cinder_server_backends() -> dict[str, str]:
    """conformance/cinder_server.py's BACKENDS (that module runs inside Cinder's venv)."""
    source = (Path(harness.__file__).with_name("cinder_server.py")).read_text()
    found = re.search(r"^BACKENDS = (\{.*?\})$", source, re.MULTILINE)
    assert found is not None
    return ast.literal_eval(found.group(1))


def test_dynamic_credentials_are_one_switch(tmp_path):
    config = configparser.ConfigParser()
    config.read_string(harness.render_config(tmp_path, "http://h/identity", dynamic=True))
    assert config["auth"]["use_dynamic_credentials"] == "true"
    assert (config["auth"]["admin_username"], config["auth"]["admin_password"]) == (
        harness.ADMIN.username, harness.ADMIN.username)


def test_a_template_with_an_unknown_placeholder_fails(tmp_path):
    template = tmp_path / "t.conf.in"
    template.write_text("[volume]\nregion = $region\n")
    with pytest.raises(KeyError, match="region"):
        harness.render_config(tmp_path, "http://h/identity", template=template)


def test_the_accounts_are_what_tempest_allocates():
    accounts = json.loads(harness.accounts_yaml())  # JSON is YAML
    personas = [a["roles"] for a in accounts]
    # Members first (alt is the first free non-admin account), two of each persona at least
    # (two workers), and each reader in a project that has a member (primary and reader).
    assert personas[:4] == [["member"]] * 4
    assert personas.count(["reader"]) >= 2 and personas.count(["admin"]) >= 2
    member_projects = {a["project_name"] for a in accounts if a["roles"] == ["member"]}
    reader_projects = {a["project_name"] for a in accounts if a["roles"] == ["reader"]}
    assert member_projects == reader_projects
    assert len({a["username"] for a in accounts}) == len(accounts)


def test_every_account_logs_in_to_the_fake_keystone_with_its_roles():
    fake = FakeCinder(harness.state_file())
    client = fake.app.test_client()
    for account in json.loads(harness.accounts_yaml()):
        response = client.post("/identity/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": account["username"], "domain": {"name": "Default"},
                "password": account["password"]}}},
            "scope": {"project": {"name": account["project_name"],
                                  "domain": {"name": "Default"}}}}})
        assert response.status_code == 201, account
        roles = {r["name"] for r in response.json["token"]["roles"]}
        assert set(account["roles"]) <= roles and "reader" in roles
    # A fresh Cinder's state besides: the default type, nothing else.
    assert [t["name"] for t in fake.dump()["volume_types"]] == ["__DEFAULT__"]
    assert fake.volumes() == []
    # and the image of [compute] image_ref in the fake's Glance.
    assert [image["id"] for image in fake.images()] == [harness.image_ref()]


# -- outcomes and the comparison ---------------------------------------------------------------
def test_outcome_files_round_trip(tmp_path):
    path = tmp_path / "outcomes.txt"
    outcomes = {"t.A.test_b": Outcome("passed"),
                "setUpClass (t.C)": Outcome("skipped", "Cinder backup feature disabled"),
                "t.A.test_a": Outcome("failed", "NotFound: Object not found")}
    harness.write_outcomes(path, outcomes, "a title")
    text = path.read_text()
    assert text.startswith("# a title\n") and "# 1 passed, 1 failed, 1 skipped\n" in text
    assert harness.read_outcomes(path) == outcomes
    path.write_text("t.x\tbroken\n")
    with pytest.raises(ValueError, match="unknown outcome 'broken'"):
        harness.read_outcomes(path)


def test_known_gaps_need_an_issue_and_a_reason(tmp_path):
    path = tmp_path / "gaps.txt"
    path.write_text("# comment\n\nt.A.test_a  #19  metadata sub-resources not served\n"
                    "setUpClass (t.B)  #20  os-services #2 is not served\n")
    assert harness.read_gaps(path) == {
        "t.A.test_a": Gap("#19", "metadata sub-resources not served"),
        "setUpClass (t.B)": Gap("#20", "os-services #2 is not served")}
    for bad in ("t.A.test_a no-issue reason\n", "t.A.test_a #19\n",
                "t.A.test_a #19 r\nt.A.test_a #20 r\n"):
        path.write_text(bad)
        with pytest.raises(ValueError):
            harness.read_gaps(path)


def _fixture_runs(tmp_path):
    """A Cinder run and a fake run, as outcome files (what `make tempest` writes)."""
    cinder, fake = tmp_path / "outcomes-cinder.txt", tmp_path / "outcomes-fake.txt"
    cinder.write_text(
        "# Cinder\n"
        "t.Same.test_pass\tpassed\n"
        "t.Gap.test_missing_route\tpassed\n"
        "t.Gap.test_fixed\tpassed\n"
        "t.Regressed.test_x\tpassed\n"
        "setUpClass (t.Backups)\tskipped\tCinder backup feature disabled\n"
        "setUpClass (t.Other)\tskipped\tVolumesActionsTest skipped as Neutron is not "
        "available\n"
        "t.Skip.test_only_fake\tpassed\n"
        "t.Broken.test_on_cinder\tfailed\tServerFault: 500\n"
        "t.Gap.test_stale\tfailed\tServerFault: 500\n")
    fake.write_text(
        "# fake\n"
        "t.Same.test_pass\tpassed\n"
        "t.Gap.test_missing_route\tfailed\tNotFound: Object not found\n"
        "t.Gap.test_fixed\tpassed\n"
        "t.Regressed.test_x\tfailed\tBadRequest: 400\n"
        "setUpClass (t.Backups)\tskipped\tCinder backup feature disabled\n"
        "setUpClass (t.Other)\tskipped\tanother reason\n"
        "t.Skip.test_only_fake\tskipped\tnot on the fake\n"
        "t.Broken.test_on_cinder\tfailed\tNotFound\n"
        "t.Gap.test_stale\tfailed\tNotFound\n"
        "t.New.test_unknown_to_cinder\tpassed\n")
    gaps = tmp_path / "known-gaps.txt"
    gaps.write_text("t.Gap.test_missing_route #19 volume metadata not served\n"
                    "t.Gap.test_fixed #19 fixed since\n"
                    "t.Gap.test_stale #19 fails on Cinder too\n")
    return (harness.read_outcomes(fake), harness.read_outcomes(cinder),
            harness.read_gaps(gaps))


def test_the_comparison_with_cinder_and_the_gaps(tmp_path):
    problems = harness.compare(*_fixture_runs(tmp_path))
    by_test = {p.split(":", 1)[0]: p for p in problems}
    assert sorted(by_test) == sorted([
        "t.Gap.test_fixed", "t.Regressed.test_x", "setUpClass (t.Other)",
        "t.Skip.test_only_fake", "t.Gap.test_stale", "t.New.test_unknown_to_cinder"])
    assert "passes on the fake now: remove it from known-gaps.txt (#19)" in by_test[
        "t.Gap.test_fixed"]
    assert "passes on Cinder, failed on the fake: BadRequest: 400" in by_test[
        "t.Regressed.test_x"]
    # A skip counts only with the reason Cinder gives.
    assert "skipped on the fake (another reason), skipped on Cinder" in by_test[
        "setUpClass (t.Other)"]
    assert "skipped on the fake (not on the fake), passed on Cinder" in by_test[
        "t.Skip.test_only_fake"]
    assert "does not pass on Cinder: remove it" in by_test["t.Gap.test_stale"]
    assert "make tempest TARGET=cinder" in by_test["t.New.test_unknown_to_cinder"]


def test_a_test_missing_from_the_fakes_run_counts_unless_declared(tmp_path):
    cinder = {"t.A.test_a": Outcome("passed"), "t.A.test_b": Outcome("passed"),
              "t.A.test_c": Outcome("failed", "x")}
    assert harness.compare({}, cinder, {"t.A.test_b": Gap("#19", "r")}) == [
        "t.A.test_a: passes on Cinder and did not run on the fake"]


def test_the_committed_runs_agree_with_the_known_gaps():
    """outcomes-fake.txt and outcomes-cinder.txt are what the last runs wrote: the gaps
    list explains every difference between them, and nothing else."""
    fake = harness.read_outcomes(harness.outcome_file("fake"))
    cinder = harness.read_outcomes(harness.outcome_file("cinder"))
    assert harness.compare(fake, cinder, harness.read_gaps()) == []


def test_the_table_of_docs_tempest_md(tmp_path):
    fake, cinder, gaps = _fixture_runs(tmp_path)
    doc = tmp_path / "tempest.md"
    doc.write_text(f"# T\n\n{harness.TABLE_START}\nold\n{harness.TABLE_END}\n\nafter\n")
    harness.rewrite_doc(fake, cinder, gaps, doc)
    text = doc.read_text()
    assert "old" not in text and text.endswith(f"{harness.TABLE_END}\n\nafter\n")
    assert "Real Cinder 29.0.0: 5 passed, 2 failed, 2 skipped. The fake: 3 passed, " \
           "4 failed, 3 skipped. Known gaps: 3." in text
    assert "| t.Gap.test_missing_route | pass | **FAIL** | #19 |" in text
    assert "| t.New.test_unknown_to_cinder | - | pass |  |" in text
    assert "| setUpClass (t.Backups) | skip | skip |  |" in text
    # The committed table is the committed runs' (make tempest, or --table after an edit
    # of known-gaps.txt).
    committed = harness.DOC.read_text()
    start = committed.index(harness.TABLE_START) + len(harness.TABLE_START)
    assert committed[start:committed.index(harness.TABLE_END)] == "\n" + harness.table(
        harness.read_outcomes(harness.outcome_file("fake")),
        harness.read_outcomes(harness.outcome_file("cinder")), harness.read_gaps()) + "\n"


# -- the catalog's block-storage endpoint ------------------------------------------------------
def test_keystone_fills_in_the_project_as_keystone_does():
    assert keystone_views.endpoint_url(CINDER, "p1") == "http://127.0.0.1:9999/v3/p1"
    assert keystone_views.endpoint_url("http://c/v3/%(tenant_id)s", "p1") == "http://c/v3/p1"
    assert keystone_views.endpoint_url("http://c/v3", "p1") == "http://c/v3"


def test_serve_option_names_another_cinder_in_the_catalog():
    fake = build_fake(build_parser().parse_args(["serve", "--catalog-volume-endpoint",
                                                 CINDER]))
    assert fake.volume_endpoint == CINDER
    with fake.serve() as server:
        auth = v3.Password(auth_url=f"{server.url}/identity/v3", username="demo",
                           password="demo", project_name="demo", user_domain_name="Default",
                           project_domain_name="Default")
        keystone = session.Session(auth=auth)
        for service_type in ("block-storage", "volumev3"):
            for interface in ("public", "internal", "admin"):
                assert keystone.get_endpoint(service_type=service_type,
                                             interface=interface) == (
                    "http://127.0.0.1:9999/v3/demo")
        assert keystone.get_endpoint(service_type="compute") == f"{server.url}/compute/v2.1"
        # The fake's own Cinder API still serves, whatever the catalog says.
        assert keystone.get(f"{server.url}/v3/demo/volumes").status_code == 200
        fake.set_volume_endpoint(None)
        keystone.invalidate()
        assert keystone.get_endpoint(service_type="block-storage") == f"{server.url}/v3/demo"


def test_the_endpoint_must_be_a_url(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--catalog-volume-endpoint", "cinder:8776"])
    assert exited.value.code == 2
    assert "'cinder:8776' is not an http(s) URL" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not an http"):
        FakeCinder().set_volume_endpoint("ftp://x")


def test_class_fixtures_missing_from_a_run_succeeded_there():
    """tempest reports a setUpClass only when it fails or skips: then the class's tests
    are not reported at all."""
    cinder = {"t.C.test_a": Outcome("passed")}
    fake = {"setUpClass (t.C)": Outcome("failed", "NotFound")}
    assert harness.compare(fake, cinder, {}) == [
        "setUpClass (t.C): passes on Cinder, failed on the fake: NotFound",
        "t.C.test_a: passes on Cinder and did not run on the fake"]
    gaps = {"setUpClass (t.C)": Gap("#20", "r"), "t.C.test_a": Gap("#20", "r")}
    assert harness.compare(fake, cinder, gaps) == []
    assert harness.compare({"t.C.test_a": Outcome("failed", "x")}, cinder, gaps) == [
        "setUpClass (t.C): passes on the fake now: remove it from known-gaps.txt (#20)"]


def test_a_partial_run_stays_among_the_volume_tests():
    pattern = re.compile(harness.selection("test_versions"))
    assert pattern.search("tempest.api.volume.test_versions.VersionsTest.test_list_versions")
    assert not pattern.search("tempest.api.image.v2.test_versions.VersionsTest.test_list_"
                              "versions")
    assert harness.selection(None) == harness.TESTS
    assert re.search(harness.TESTS, "tempest.api.volume.admin.test_qos.QosSpecsTestJSON.t")


def test_check_fails_on_a_difference_and_writes_nothing(tmp_path, monkeypatch, capsys):
    """What .ci/run's `make tempest TEMPEST_ARGS=--check` does after the run: compare,
    print each difference and the closing line, exit 1; files stay as they were."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tempest").touch()
    (tmp_path / "outcomes-cinder.txt").write_text("t.A.test_a\tpassed\nt.A.test_b\tpassed\n")
    (tmp_path / "known-gaps.txt").write_text("")
    monkeypatch.setattr(harness, "TEMPEST_BIN", tmp_path / "bin")
    monkeypatch.setattr(harness, "TEMPEST_DIR", tmp_path)
    monkeypatch.setattr(harness, "KNOWN_GAPS", tmp_path / "known-gaps.txt")
    runs = {"t.A.test_a": Outcome("passed"), "t.A.test_b": Outcome("failed", "NotFound")}
    monkeypatch.setattr(harness, "run", lambda *args: runs)
    assert harness.main(["--check"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert "DIFFERENCE t.A.test_b: passes on Cinder, failed on the fake: NotFound" in printed
    assert printed[-1] == "1 passed, 1 failed, 0 skipped"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "known-gaps.txt",
                                                          "outcomes-cinder.txt"]
    runs["t.A.test_b"] = Outcome("passed")
    assert harness.main(["--check"]) == 0


LOG = """\
2026-12-06 20:37:10.380 1 INFO tempest.lib.common.rest_client [req-1 ] Request \
(ExtraSpecsNegativeTest:test_get_nonexistent_volume_type_id): 404 GET \
http://127.0.0.1:44857/v3/admin/types/847406a3-4ffa-441c-b5ac-064097a8e5e2/extra_specs/spec1 0.003s
2026-12-06 20:37:10.381 1 DEBUG tempest.lib.common.rest_client [req-1 ] Request - Headers: {}
        Body: None
    Response - Headers: {'status': '404'}
        Body: b'{"code": "404 Not Found", "title": "Not Found", "message": "The resource could \
not be found.<br /><br />\\\\n\\\\n\\\\n"}' _log_request_full rest_client.py:489
2026-12-06 20:37:10.416 1 INFO tempest.lib.common.rest_client [req-2 ] Request \
(VolumeTypesNegativeTest:test_get_nonexistent_type_id): 404 GET \
http://127.0.0.1:44857/v3/tempest-2/types/847406a3-4ffa-441c-b5ac-064097a8e5e2 0.030s
2026-12-06 20:37:10.417 1 DEBUG tempest.lib.common.rest_client [req-2 ] Request - Headers: {}
        Body: None
    Response - Headers: {'status': '404'}
        Body: b'{"itemNotFound": {"code": 404, "message": "Volume type 8474 could not be \
found."}}' _log_request_full rest_client.py:489
"""
EXTRA_SPECS = ("tempest.api.volume.admin.test_volume_types_extra_specs_negative."
               "ExtraSpecsNegativeTest.test_get_nonexistent_volume_type_id")


def test_the_requests_no_route_served_come_from_tempest_log():
    assert harness.route_404s(LOG) == {
        ("ExtraSpecsNegativeTest", "test_get_nonexistent_volume_type_id"): {
            "GET /v3/<project>/types/<id>/extra_specs/spec1"}}  # Cinder's own 404 is not one
    outcomes = harness.with_route_404s({EXTRA_SPECS: Outcome("passed"),
                                        "t.Other.test_x": Outcome("failed", "x")},
                                       harness.route_404s(LOG))
    assert outcomes == {EXTRA_SPECS: Outcome("passed", "route 404: GET /v3/<project>/types/"
                                                       "<id>/extra_specs/spec1"),
                        "t.Other.test_x": Outcome("failed", "x")}


def test_a_pass_for_want_of_a_route_is_no_pass():
    """A negative test that expects a 404 passes on the fake when no route serves its URL:
    it counts as a failure, unless Cinder's routes did not serve that request either."""
    cinder = {EXTRA_SPECS: Outcome("passed")}
    fake = {EXTRA_SPECS: Outcome("passed", "route 404: GET /v3/<project>/types/<id>/x")}
    assert harness.compare(fake, cinder, {}) == [
        f"{EXTRA_SPECS}: passes on Cinder, failed on the fake: passes only because the fake "
        "serves no route for GET /v3/<project>/types/<id>/x"]
    assert harness.compare(fake, cinder, {EXTRA_SPECS: Gap("#20", "extra specs")}) == []
    assert harness.compare(fake, {EXTRA_SPECS: fake[EXTRA_SPECS]}, {}) == []
    assert "**pass, for want of a route**" in harness.table(fake, cinder, {})
