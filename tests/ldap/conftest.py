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
