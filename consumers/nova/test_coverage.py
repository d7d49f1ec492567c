"""Every public method of Nova's ``nova.volume.cinder.API`` has a consumer test.

A test names what it drives with ``@pytest.mark.covers(...)``, and the ``nova_api``
fixture fails it unless it called each of those methods; this test fails when a
public method of the installed Nova is named by no test (``coverage.py`` lists them).
"""

from __future__ import annotations

from .coverage import covered_methods, public_methods


def test_every_public_method_has_a_consumer_test() -> None:
    missing = public_methods() - set(covered_methods())
    assert not missing, f"no consumer test covers nova.volume.cinder.API.{sorted(missing)}"


def test_covers_names_only_real_methods() -> None:
    unknown = set(covered_methods()) - public_methods()
    assert not unknown, f"covers() names methods Nova's API does not have: {sorted(unknown)}"


def test_nova_is_the_pinned_release() -> None:
    from importlib.metadata import version

    assert version("nova") == "34.0.0"
    assert len(public_methods()) == 32  # Nova 34.0.0's API; a new one needs its test
