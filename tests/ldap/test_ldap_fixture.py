"""The slapd fixture itself: a missing slapd fails under CI instead of skipping the directory tests."""

from __future__ import annotations

import pytest

from tests.support import slapd as fixture

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass


def test_missing_slapd_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixture, "SLAPD", "/nonexistent/slapd")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="slapd is required under CI=true: /nonexistent/slapd not found"):
        fixture.require_slapd()


def test_missing_slapd_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixture, "SLAPD", "/nonexistent/slapd")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="slapd unavailable"):
        fixture.require_slapd()


def test_the_tree_has_what_the_tests_rely_on(slapd: fixture.SlapdServer) -> None:
    with slapd.admin_connection() as admin:
        admin.search(fixture.PEOPLE, "(uid=dual)", attributes=["memberOf"])
        member_of = set(admin.response[0]["attributes"]["memberOf"])
    assert member_of == {fixture.group_dn("acme-requesters"), fixture.group_dn("acme-hr")}, "memberof overlay"
    assert slapd.tls_files is not None and slapd.tls_files.ca_file.exists()
