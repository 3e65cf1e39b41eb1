"""Failover and timeouts: a refused port, a server that accepts and never answers, everything down.

Times are measured, not slept: each bound is what the configured timeouts promise (connect_timeout and
receive_timeout are 1 s in these tests) plus a generous margin for a loaded machine.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from screening.auth.directory import Directory, DirectoryError, DirectoryUnavailable
from tests.support.slapd import BlackHole, SlapdServer, refused_url

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

MakeDirectory = Callable[..., Directory]
TIMEOUT = 1.0  # connect_timeout and receive_timeout of the test settings
MARGIN = 1.0


def timed(action: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_first_server_refuses_second_answers(make_directory: MakeDirectory, slapd: SlapdServer) -> None:
    directory = make_directory(servers=[refused_url(), slapd.url])
    account, elapsed = timed(lambda: directory.authenticate("alice", "pw-alice"))
    assert account.server == slapd.url  # type: ignore[attr-defined]
    assert elapsed < MARGIN


def test_first_server_silent_second_answers_within_the_timeouts(
    make_directory: MakeDirectory, slapd: SlapdServer, black_hole: BlackHole, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    directory = make_directory(servers=[black_hole.url, slapd.url])
    account, elapsed = timed(lambda: directory.authenticate("alice", "pw-alice"))
    assert account.server == slapd.url  # type: ignore[attr-defined]
    assert TIMEOUT * 0.9 <= elapsed < 2 * TIMEOUT + MARGIN, "waited for the silent server, then moved on"
    assert any(black_hole.url in r.getMessage() and "unreachable" in r.getMessage() for r in caplog.records)

    # The service connection stays on the server that answered, and the user's bind goes there first:
    # the next sign-in does not wait for the silent one again.
    account, elapsed = timed(lambda: directory.authenticate("hugo", "pw-hugo"))
    assert account.server == slapd.url  # type: ignore[attr-defined]
    assert elapsed < TIMEOUT * 0.5


def test_silent_ldaps_server_is_bounded_by_the_connect_timeout(
    make_directory: MakeDirectory, slapd: SlapdServer, black_hole: BlackHole
) -> None:
    """With ldaps:// the TLS handshake itself meets the silent server."""
    assert slapd.tls_files is not None
    directory = make_directory(
        servers=[f"ldaps://127.0.0.1:{black_hole.port}", slapd.ldaps_url], ca_file=str(slapd.tls_files.ca_file)
    )
    account, elapsed = timed(lambda: directory.authenticate("olga", "pw-olga"))
    assert account.server == slapd.ldaps_url  # type: ignore[attr-defined]
    assert elapsed < 2 * TIMEOUT + MARGIN


def test_all_servers_refusing_fails_at_once(make_directory: MakeDirectory) -> None:
    directory = make_directory(servers=[refused_url(), refused_url()])
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable) as caught:
        directory.authenticate("alice", "pw-alice")
    assert time.monotonic() - started < MARGIN
    assert caught.value.user_message.startswith("The directory cannot be reached at the moment.")
    assert str(caught.value).count("unreachable") == 2


def test_all_servers_silent_fails_within_the_timeouts(make_directory: MakeDirectory) -> None:
    with BlackHole() as first, BlackHole() as second:
        directory = make_directory(servers=[first.url, second.url])
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable) as caught:
            directory.authenticate("alice", "pw-alice")
        elapsed = time.monotonic() - started
    assert elapsed < 2 * (TIMEOUT + TIMEOUT) + MARGIN, "never a hang: bounded by the timeouts per server"
    assert first.url in str(caught.value) and second.url in str(caught.value)


def test_inspect_fails_the_same_way(make_directory: MakeDirectory) -> None:
    with pytest.raises(DirectoryUnavailable):
        make_directory(servers=[refused_url()]).inspect("alice")


def test_a_directory_back_up_is_used_again(make_directory: MakeDirectory, slapd: SlapdServer) -> None:
    directory = make_directory()
    slapd.stop()
    try:
        with pytest.raises(DirectoryUnavailable):
            directory.authenticate("alice", "pw-alice")
    finally:
        slapd.start()
    assert directory.authenticate("alice", "pw-alice").role == "requester"


def _open_sockets() -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def test_failures_leave_no_socket_open(
    make_directory: MakeDirectory, slapd: SlapdServer, black_hole: BlackHole
) -> None:
    """ldap3 keeps the socket of a failed connect or TLS handshake; every path here must close it."""
    assert slapd.tls_files is not None
    gc.collect()  # earlier tests' garbage must not be counted, nor collected during the count
    before = _open_sockets()
    for servers, extra in [
        ([refused_url(), black_hole.url], {}),
        ([f"ldaps://127.0.0.1:{slapd.port}"], {}),
        ([slapd.url], {"start_tls": True, "ca_file": str(slapd.tls_files.other_ca_file)}),
        ([slapd.ldaps_url], {"ca_file": str(slapd.tls_files.other_ca_file)}),
    ]:
        directory = make_directory(servers=servers, **extra)
        with pytest.raises(DirectoryError):
            directory.authenticate("alice", "pw-alice")
        directory.close()
    directory = make_directory()
    with pytest.raises(DirectoryError):
        directory.authenticate("alice", "wrong")
    directory.close()
    gc.collect()
    assert _open_sockets() == before
