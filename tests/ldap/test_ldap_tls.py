"""TLS with the fixture's test CA: StartTLS and ldaps:// succeed when the CA is right, fail loudly when not."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from screening.auth.directory import Directory, DirectoryTLSError
from tests.support.slapd import SlapdServer, TlsFiles

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

MakeDirectory = Callable[..., Directory]


@pytest.fixture
def tls(slapd: SlapdServer) -> TlsFiles:
    assert slapd.tls_files is not None
    return slapd.tls_files


def test_start_tls_with_the_test_ca(make_directory: MakeDirectory, tls: TlsFiles) -> None:
    directory = make_directory(start_tls=True, ca_file=str(tls.ca_file))
    assert directory.authenticate("alice", "pw-alice").role == "requester"
    account = directory.authenticate("hugo", "pw-hugo")
    assert account.round_trips == 3, "search, then StartTLS and bind on the user's connection"


def test_start_tls_with_tls_1_3_minimum(make_directory: MakeDirectory, tls: TlsFiles) -> None:
    directory = make_directory(start_tls=True, ca_file=str(tls.ca_file), tls_min_version="1.3")
    assert directory.authenticate("olga", "pw-olga").role == "officer"


def test_ldaps_with_the_test_ca(make_directory: MakeDirectory, slapd: SlapdServer, tls: TlsFiles) -> None:
    directory = make_directory(servers=[slapd.ldaps_url], ca_file=str(tls.ca_file))
    account = directory.authenticate("alice", "pw-alice")
    assert (account.server, account.role) == (slapd.ldaps_url, "requester")


@pytest.mark.parametrize("scheme", ["start_tls", "ldaps"])
def test_an_untrusted_certificate_is_a_tls_error(
    make_directory: MakeDirectory,
    slapd: SlapdServer,
    tls: TlsFiles,
    caplog: pytest.LogCaptureFixture,
    scheme: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    settings = {"start_tls": True} if scheme == "start_tls" else {"servers": [slapd.ldaps_url]}
    directory = make_directory(ca_file=str(tls.other_ca_file), **settings)
    with pytest.raises(DirectoryTLSError) as caught:
        directory.authenticate("alice", "pw-alice")
    assert caught.value.user_message == "The secure connection to the directory failed. Please tell your administrator."
    assert "certificate verify failed" in str(caught.value)
    assert any("DirectoryTLSError" in record.getMessage() for record in caplog.records)


def test_a_server_failing_tls_is_skipped_for_one_that_passes(
    make_directory: MakeDirectory, slapd: SlapdServer, tls: TlsFiles
) -> None:
    """The first address speaks plain LDAP on an ldaps:// URL. Failing over after a TLS failure is safe:
    the next server is verified just the same."""
    directory = make_directory(servers=[f"ldaps://localhost:{slapd.port}", slapd.ldaps_url], ca_file=str(tls.ca_file))
    assert directory.authenticate("alice", "pw-alice").server == slapd.ldaps_url


def test_verification_can_be_switched_off_to_diagnose(
    make_directory: MakeDirectory, tls: TlsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    directory = make_directory(start_tls=True, ca_file=str(tls.other_ca_file), verify_tls=False)
    assert directory.authenticate("alice", "pw-alice").role == "requester"
    assert any("verify_tls is false" in record.getMessage() for record in caplog.records)
