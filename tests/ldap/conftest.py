"""Directory tests run against one real slapd per session (plain, StartTLS and ldaps on loopback ports).

``make_directory(**overrides)`` builds a :class:`Directory` from the standard ``[ldap]`` table with some
keys changed (``None`` removes a key) and closes it after the test. ``ldap_requests`` records every LDAP
request ldap3 sends, to count round trips independently of the module's own counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from screening.auth.directory import Directory, LdapConfig
from tests.support import slapd as fixture
from tests.support.slapd import BlackHole, SlapdServer

#: Mappings in the order an administrator would write them: employers first, then the authority.
ROLE_MAPPINGS = [
    {"group": fixture.group_dn("acme-requesters"), "role": "requester"},
    {"group": fixture.group_dn("acme-hr"), "role": "hr"},
    {"group": fixture.group_dn("scheldt-requesters"), "role": "requester"},
    {"group": fixture.group_dn("scheldt-hr"), "role": "hr"},
    {"group": fixture.group_dn("nvo-officers"), "role": "officer"},
    {"group": fixture.group_dn("portadmins"), "role": "admin"},
    {"group": fixture.group_dn("auditors"), "role": "auditor"},
]
ORGANISATION_MAPPINGS = [
    {"group": fixture.group_dn("acme-requesters"), "organisation": fixture.ACME},
    {"group": fixture.group_dn("acme-hr"), "organisation": fixture.ACME},
    {"group": fixture.group_dn("scheldt-requesters"), "organisation": fixture.SCHELDT},
    {"group": fixture.group_dn("scheldt-hr"), "organisation": fixture.SCHELDT},
]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    fixture.require_slapd()
    server = SlapdServer(tmp_path_factory.mktemp("slapd"), tls=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ldap_settings(slapd: SlapdServer) -> dict[str, Any]:
    """The ``[ldap]`` table as an administrator writes it for the test tree."""
    return {
        "servers": [slapd.url],
        "user_base": fixture.PEOPLE,
        "bind_dn": fixture.SERVICE_DN,
        "bind_password": fixture.SERVICE_PASSWORD,
        "connect_timeout": 1,
        "receive_timeout": 1,
        "role_mappings": [dict(item) for item in ROLE_MAPPINGS],
        "organisation_mappings": [dict(item) for item in ORGANISATION_MAPPINGS],
    }


@pytest.fixture
def make_directory(ldap_settings: dict[str, Any]) -> Iterator[Callable[..., Directory]]:
    created: list[Directory] = []

    def build(**overrides: Any) -> Directory:
        settings = {**ldap_settings, **overrides}
        directory = Directory(LdapConfig.from_mapping({k: v for k, v in settings.items() if v is not None}, env={}))
        created.append(directory)
        return directory

    yield build
    for directory in created:
        directory.close()


@pytest.fixture
def directory(make_directory: Callable[..., Directory]) -> Directory:
    return make_directory()


class RequestLog:
    """Types of the LDAP requests sent ("bindRequest", "searchRequest", ...), counted in ldap3 itself."""

    def __init__(self) -> None:
        self.types: list[str] = []

    @property
    def round_trips(self) -> int:
        """Requests that wait for an answer: an unbind has none."""
        return sum(1 for kind in self.types if kind != "unbindRequest")

    def count(self, kind: str) -> int:
        return self.types.count(kind)

    def clear(self) -> None:
        self.types.clear()


@pytest.fixture
def ldap_requests(monkeypatch: pytest.MonkeyPatch) -> RequestLog:
    from ldap3.strategy.base import BaseStrategy

    log = RequestLog()
    original = BaseStrategy.send

    def send(self: BaseStrategy, message_type: str, request: Any, controls: Any = None) -> Any:
        log.types.append(message_type)
        return original(self, message_type, request, controls)

    monkeypatch.setattr(BaseStrategy, "send", send)
    return log


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    with BlackHole() as hole:
        yield hole


class SocketLog:
    """What ldap3 did on the network, seen in ldap3 itself: every connection attempt (by port) and every
    wait that ended in an error, with the timeout the socket had while it waited. Tests assert on these
    rather than on the wall clock, which a loaded machine stretches at will."""

    def __init__(self) -> None:
        self.attempts: list[int] = []
        #: (port, the socket's timeout during the failed wait, the error)
        self.failed_waits: list[tuple[int, float | None, str]] = []

    def attempts_to(self, port: int) -> int:
        return self.attempts.count(port)

    def timed_out(self, port: int) -> list[float | None]:
        """The timeouts of the waits on ``port`` that ended because nothing came in time."""
        return [timeout for where, timeout, error in self.failed_waits if where == port and "timed out" in error]

    def clear(self) -> None:
        self.attempts.clear()
        self.failed_waits.clear()


@pytest.fixture
def ldap_sockets(monkeypatch: pytest.MonkeyPatch) -> SocketLog:
    from ldap3.strategy.base import BaseStrategy
    from ldap3.strategy.sync import SyncStrategy

    log = SocketLog()
    open_socket, receiving = BaseStrategy._open_socket, SyncStrategy.receiving

    def logged_open(self: BaseStrategy, address: Any, use_ssl: bool = False, unix_socket: bool = False) -> Any:
        port = int(address[4][1])
        log.attempts.append(port)
        try:
            return open_socket(self, address, use_ssl, unix_socket)
        except Exception as error:
            sock = self.connection.socket
            log.failed_waits.append((port, sock.gettimeout() if sock is not None else None, str(error)))
            raise

    def logged_receiving(self: SyncStrategy) -> Any:
        sock = self.connection.socket
        try:
            port, timeout = int(sock.getpeername()[1]), sock.gettimeout()
        except (AttributeError, OSError):  # no socket, or one already closed: not a wait on a server
            port, timeout = -1, None
        try:
            return receiving(self)
        except Exception as error:
            log.failed_waits.append((port, timeout, str(error)))
            raise

    monkeypatch.setattr(BaseStrategy, "_open_socket", logged_open)
    monkeypatch.setattr(SyncStrategy, "receiving", logged_receiving)
    return log
