"""The pytest plugin, exercised the way a downstream suite uses it (pytester)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests  # noqa: F401  (see below)

from fake_cinder.resources import fixture_path

pytest_plugins = ["pytester"]
# requests is imported above so that pytester's in-process runs, which forget the modules
# they imported, do not import it a second time beside the first (cookie jar mismatch).

HEADERS = '{"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54"}'
# Hypothesis' plugin imports hypothesis at the end of every run; pytester's in-process runs
# forget imported modules, so each run would pay seconds for it. These runs do not need it.
QUIET = ("-p", "no:hypothesispytest")


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers", *QUIET)
    result.stdout.fnmatch_lines(["@pytest.mark.fake_cinder_state(path, **options)*"])
    pytester.makepyfile("""
        import pytest

        @pytest.mark.fake_cinder_state("default.json")
        def test_strict(fake_cinder):
            pass
    """)
    pytester.runpytest("--strict-markers", *QUIET).assert_outcomes(passed=1)


def test_marker_paths_and_options(pytester: pytest.Pytester) -> None:
    state = json.loads(fixture_path("default.json").read_text())
    state["volumes"] = state["volumes"][:1]
    pytester.mkdir("data")
    (pytester.path / "data" / "one.json").write_text(json.dumps(state))
    tests = pytester.mkdir("tests")
    (tests / "beside.json").write_text(json.dumps({"volumes": [], "volume_types": []}))
    (tests / "test_marker.py").write_text("""
import pytest


@pytest.mark.fake_cinder_state("beside.json")
def test_relative_to_the_test_file(fake_cinder):
    assert fake_cinder.volumes() == []


@pytest.mark.fake_cinder_state("data/one.json")
def test_relative_to_the_rootdir(fake_cinder):
    assert len(fake_cinder.volumes()) == 1


@pytest.mark.fake_cinder_state("multiattach.json", seed=3)
def test_shipped_fixture_and_options(fake_cinder):
    assert fake_cinder.clock.seed == 3
    assert fake_cinder.volumes(name="shared-data")


@pytest.mark.fake_cinder_state
class TestOnAClass:
    pass


@pytest.mark.fake_cinder_state("nowhere.json")
def test_missing_file(fake_cinder):
    pass


@pytest.mark.fake_cinder_state("default.json", sead=3)
def test_keyword_typo(fake_cinder):
    pass


def test_unmarked_is_empty(fake_cinder):
    assert fake_cinder.dump() == {"volume_types": [], "volumes": [], "attachments": []}
""")
    result = pytester.runpytest("tests", *QUIET)
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(["*no state file nowhere.json (tried *"])
    result.stdout.fnmatch_lines([
        "*UsageError: @pytest.mark.fake_cinder_state: unknown keyword sead; the keywords are "
        "FakeCinder's: seed, max_version, protect_in_use_attachments, journal_size, *"])


def test_server_is_per_session_and_state_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import requests

        HEADERS = {HEADERS}
        ports = []


        def test_first(fake_cinder, fake_cinder_server, fake_cinder_url):
            ports.append(fake_cinder_server.port)
            assert fake_cinder_server.fake is fake_cinder
            assert fake_cinder_url == fake_cinder_server.url
            fake_cinder.add_volume(project_id="demo", name="first")
            listed = requests.get(fake_cinder_url + "/v3/demo/volumes", headers=HEADERS)
            assert [v["name"] for v in listed.json()["volumes"]] == ["first"]


        def test_second_starts_fresh(fake_cinder, fake_cinder_url):
            listed = requests.get(fake_cinder_url + "/v3/demo/volumes", headers=HEADERS)
            assert listed.json() == {{"volumes": []}}
            created = requests.post(fake_cinder_url + "/v3/demo/volumes", headers=HEADERS,
                                    json={{"volume": {{"size": 1, "name": "over http"}}}})
            assert created.status_code == 202
            assert fake_cinder.volumes()[0]["name"] == "over http"
            fake_cinder.journal.assert_called("volume_create", times=1)


        def test_same_server(fake_cinder_server):
            assert ports == [fake_cinder_server.port]


        def test_no_test_no_fake(fake_cinder):
            # Without fake_cinder_server the session server answers no one's state.
            pass
    """)
    pytester.runpytest(*QUIET).assert_outcomes(passed=4)


def test_errors_fail_the_test_unless_allowed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        import requests

        HEADERS = {HEADERS}


        def explode(token):
            raise RuntimeError("bug in the fake")


        def test_error_fails(fake_cinder, fake_cinder_url):
            fake_cinder.resolve_token = explode
            response = requests.get(fake_cinder_url + "/v3/demo/volumes",
                                    headers={{"X-Auth-Token": "x"}})
            assert response.status_code == 500


        def test_error_allowed(fake_cinder, fake_cinder_url):
            fake_cinder.raise_errors = False
            fake_cinder.resolve_token = explode
            requests.get(fake_cinder_url + "/v3/demo/volumes", headers={{"X-Auth-Token": "x"}})
            assert len(fake_cinder.errors) == 1


        def test_through_the_flask_client(fake_cinder):
            fake_cinder.resolve_token = explode
            client = fake_cinder.app.test_client()
            response = client.get("/v3/demo/volumes", headers={{"X-Auth-Token": "x"}})
            assert response.status_code == 500
    """)
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_error_fails*",
                                 "*RuntimeError: bug in the fake*"])


def test_under_xdist_each_worker_has_its_own_server(pytester: pytest.Pytester,
                                                    tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    out = tmp_path / "ports"
    out.mkdir()
    pytester.makepyfile(f"""
        import os
        import pytest
        import requests

        HEADERS = {HEADERS}


        @pytest.mark.parametrize("number", range(6))
        @pytest.mark.fake_cinder_state("default.json")
        def test_attach(fake_cinder, fake_cinder_url, number):
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(os.path.join({str(out)!r}, worker + "-" + str(number)), "w") as f:
                f.write(str(fake_cinder_url))
            created = requests.post(fake_cinder_url + "/v3/demo/attachments", headers=HEADERS,
                                    json={{"attachment": {{
                                        "volume_uuid": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11",
                                        "instance_uuid": "8a3c1b2d-0000-4000-8000-000000000001"}}}})
            assert created.status_code == 200  # a fresh state each time
    """)
    # Plugins this run does not need cost seconds per worker process to import.
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider",
                                           "-p", "no:hypothesispytest", "-p", "no:flask")
    result.assert_outcomes(passed=6)
    urls: dict[str, set[str]] = {}
    for path in out.iterdir():
        urls.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert set(urls) == {"gw0", "gw1"}
    assert all(len(found) == 1 for found in urls.values())  # one server per worker
    assert urls["gw0"] != urls["gw1"]


def test_a_response_hook_error_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream="""
        def test_hook(fake_cinder):
            def broken(request, response, record):
                raise RuntimeError("the hook broke")
            fake_cinder.response_hooks.append(broken)
            answer = fake_cinder.app.test_client().get("/")
            assert answer.status_code == 500
            assert answer.json["computeFault"]["code"] == 500
        """)
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_hook*",
                                 "*RuntimeError: the hook broke*"])
