"""Failover and timeouts: a refused port, a server that accepts and never answers, everything down.

Asserted on what is observable, not on the wall clock (a loaded machine stretches it at will): which
server answered, how many connections were attempted to each, and that the wait on a silent server
ended on its configured timeout (``ldap_sockets`` records the socket's timeout during the wait). Where a
duration is asserted at all, it is a lower bound (a wait happened) or a generous upper bound derived
from the configured timeouts, which only a hang would cross.
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
from tests.ldap.conftest import SocketLog
from tests.support.slapd import BlackHole, SlapdServer, refused_url

pytestmark = pytest.mark.nodb  # no database: run once, not again in the PostgreSQL pass

MakeDirectory = Callable[..., Directory]
CONNECT = 1.0  # connect_timeout of the test settings
#: receive_timeout here: unlike the settings' 1 s, so a wait under connect_timeout cannot pass for it.
RECEIVE = 1.5
#: A bound only a hang crosses: ten times what the configured timeouts allow for one server.
HANG = 10 * (CONNECT + RECEIVE)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def timed(action: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_first_server_refuses_second_answers(
    make_directory: MakeDirectory, slapd: SlapdServer, ldap_sockets: SocketLog
) -> None:
    refused = refused_url()
    directory = make_directory(servers=[refused, slapd.url])
    account = directory.authenticate("alice", "pw-alice")
    assert account.server == slapd.url
    assert ldap_sockets.attempts_to(_port(refused)) == 1  # tried once, then the next server
    assert ldap_sockets.timed_out(_port(refused)) == []  # refused at once: nothing was waited for


def test_first_server_silent_second_answers_after_its_receive_timeout(
    make_directory: MakeDirectory,
    slapd: SlapdServer,
    black_hole: BlackHole,
    caplog: pytest.LogCaptureFixture,
    ldap_sockets: SocketLog,
) -> None:
    caplog.set_level(logging.WARNING, logger="screening.auth.ldap")
    directory = make_directory(servers=[black_hole.url, slapd.url], receive_timeout=RECEIVE)
    account, elapsed = timed(lambda: directory.authenticate("alice", "pw-alice"))
    assert account.server == slapd.url
    assert ldap_sockets.attempts_to(black_hole.port) == 1
    assert ldap_sockets.timed_out(black_hole.port) == [RECEIVE], "the wait ended on receive_timeout"
    assert RECEIVE * 0.9 <= elapsed < HANG, "waited for the silent server, then moved on"
    assert any(black_hole.url in r.getMessage() and "unreachable" in r.getMessage() for r in caplog.records)

    # The service connection stays on the server that answered, and the user's bind goes there first:
    # the next sign-in does not try the silent one again.
    ldap_sockets.clear()
    account = directory.authenticate("hugo", "pw-hugo")
    assert account.server == slapd.url
    assert ldap_sockets.attempts_to(black_hole.port) == 0
    assert ldap_sockets.failed_waits == []


def test_silent_ldaps_server_is_bounded_by_the_connect_timeout(
    make_directory: MakeDirectory, slapd: SlapdServer, black_hole: BlackHole, ldap_sockets: SocketLog
) -> None:
    """With ldaps:// the TLS handshake itself meets the silent server, under connect_timeout."""
    assert slapd.tls_files is not None
    directory = make_directory(
        servers=[f"ldaps://127.0.0.1:{black_hole.port}", slapd.ldaps_url],
        ca_file=str(slapd.tls_files.ca_file),
        receive_timeout=RECEIVE,
    )
    account = directory.authenticate("olga", "pw-olga")
    assert account.server == slapd.ldaps_url
    assert ldap_sockets.attempts_to(black_hole.port) == 1
    assert ldap_sockets.timed_out(black_hole.port) == [CONNECT], "the handshake ended on connect_timeout"


def test_all_servers_refusing_fails_at_once(make_directory: MakeDirectory, ldap_sockets: SocketLog) -> None:
    servers = [refused_url(), refused_url()]
    directory = make_directory(servers=servers)
    with pytest.raises(DirectoryUnavailable) as caught:
        directory.authenticate("alice", "pw-alice")
    assert caught.value.user_message.startswith("The directory cannot be reached at the moment.")
    assert str(caught.value).count("unreachable") == 2
    assert [ldap_sockets.attempts_to(_port(url)) for url in servers] == [1, 1]
    assert [ldap_sockets.timed_out(_port(url)) for url in servers] == [[], []], "a refusal is not waited for"


def test_all_servers_silent_fails_within_the_timeouts(make_directory: MakeDirectory, ldap_sockets: SocketLog) -> None:
    with BlackHole() as first, BlackHole() as second:
        directory = make_directory(servers=[first.url, second.url], receive_timeout=RECEIVE)
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable) as caught:
            directory.authenticate("alice", "pw-alice")
        elapsed = time.monotonic() - started
    assert first.url in str(caught.value) and second.url in str(caught.value)
    for hole in (first, second):
        assert ldap_sockets.attempts_to(hole.port) == 1, "each server tried once: no retry loop"
        assert ldap_sockets.timed_out(hole.port) == [RECEIVE]
    assert elapsed < 2 * HANG, "never a hang: bounded by the timeouts per server"


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
