"""The pytest plugin's --cinder-target: one suite against the fake, a real Cinder, or a shadow.

A live fake plays the real Cinder (and, behind a shadow proxy, the shadowed cloud).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests  # noqa: F401  (imported once, before pytester's in-process runs)

from fake_cinder.server import Server
from fake_cinder.shadow.commands import new_fake
from fake_cinder.shadow.proxy import ShadowProxy, VerbatimHandler

pytest_plugins = ["pytester"]
QUIET = ("-p", "no:hypothesispytest")

SUITE = """
import requests

HEADERS = {"X-User-Id": "u1", "X-Project-Id": "ab12", "X-Roles": "member,reader",
           "OpenStack-API-Version": "volume 3.71"}


def test_lists_volumes(fake_cinder_url):
    answer = requests.get(f"{fake_cinder_url}/v3/ab12/volumes", headers=HEADERS, timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {"volumes": []}


def test_injects_a_fault(fake_cinder, fake_cinder_url):
    fake_cinder.inject("volume_list", status=503)
    answer = requests.get(f"{fake_cinder_url}/v3/ab12/volumes", headers=HEADERS, timeout=30)
    assert answer.status_code == 503
"""


@pytest.fixture
def cloud() -> Iterator[str]:
    with new_fake(None, None).serve() as server:
        yield server.url


def test_fake_is_the_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)
    pytester.runpytest("--cinder-target=fake", *QUIET).assert_outcomes(passed=2)


def test_real_points_at_the_cloud_and_skips_the_fakes_hooks(
        pytester: pytest.Pytester, cloud: str) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest(f"--cinder-target=real:{cloud}/", "-rs", *QUIET)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"*fake_cinder is the fake itself (its inject, journal and "
                                 f"state): --cinder-target=real:{cloud} has none of them*"])


def test_shadow_points_at_the_proxy(pytester: pytest.Pytester, cloud: str) -> None:
    proxy = ShadowProxy(cloud, None, fake=new_fake(None, None))
    with Server(proxy, access_log=False, request_handler=VerbatimHandler) as server:
        pytester.makepyfile(SUITE)
        result = pytester.runpytest(f"--cinder-target=shadow:{server.url}", "-rs", *QUIET)
        result.assert_outcomes(passed=1, skipped=1)
    proxy.finish()
    assert proxy.report.summary() == {"compared": 1, "matched": 1, "departures": 0,
                                      "differences": 0, "not_compared": 0}


def test_a_bad_target_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--cinder-target=staging", *QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cinder-target=staging: expected fake, real:URL or "
                                 "shadow:URL*"])
