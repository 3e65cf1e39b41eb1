"""Talking to the directory: failover, timeouts, TLS, and a sign-in in as few round trips as possible.

A sign-in with ``group_lookup = "member_of"`` costs two LDAP round trips: the user search on the service
account's connection, which stays open between sign-ins and returns the groups with the entry, and the
user's bind on a short-lived connection of its own (plus one StartTLS when configured). Servers are walked
in order by this module rather than by ldap3's ``ServerPool``, which can loop for ever or sleep between
rounds (docs: RECIPES.md "ldap3 failover pitfalls"); every step is bounded by ``connect_timeout`` or
``receive_timeout``, so a dead or silent directory costs at most the sum over servers, never a hang.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ldap3 import NO_ATTRIBUTES, NONE, SUBTREE, SYNC, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPCertificateError,
    LDAPCommunicationError,
    LDAPException,
    LDAPStartTLSError,
)

from screening.auth.directory.errors import (
    AMBIGUOUS_USERNAME,
    EMPTY_PASSWORD,
    NO_SUCH_USER,
    WRONG_PASSWORD,
    AccountDisabled,
    DirectoryError,
    DirectoryTLSError,
    DirectoryUnavailable,
    InvalidCredentials,
    NotMapped,
)
from screening.auth.directory.mapping import (
    DirectoryAccount,
    DirectoryInspection,
    Entry,
    MappingTable,
    account_disabled,
    bind_name,
    bind_refusal,
    clean_username,
    group_filter,
    mapping_problem,
    user_filter,
)
from screening.config.ldap import LdapConfig

log = logging.getLogger("screening.auth.ldap")

T = TypeVar("T")
#: Failures of the channel, as opposed to answers: the next server is tried.
_CHANNEL_ERRORS = (LDAPCommunicationError, LDAPStartTLSError, LDAPCertificateError, OSError)
_PAGED_RESULTS = "1.2.840.113556.1.4.319"
_SUCCESS, _SIZE_LIMIT_EXCEEDED = 0, 4
_ANONYMOUS = " (searched anonymously: set ldap.bind_dn, directories hide entries from anonymous sessions)"


@dataclass
class _Trace:
    """What one sign-in cost: round trips sent, and the server that answered last."""

    round_trips: int = 0
    server: str | None = None


class _CheckedTls(Tls):
    """ldap3's Tls with one SSLContext built once: minimum TLS version, and host names checked by
    Python's ssl module (ldap3 2.9.1 sets ``check_hostname = False`` and calls the deprecated
    ``ssl.match_hostname``; neither can set a minimum version without deprecated ``OP_NO_*`` flags)."""

    def __init__(self, config: LdapConfig) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED if config.verify_tls else ssl.CERT_NONE)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=config.ca_file)
        context.minimum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[config.tls_min_version]
        if not config.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.context = context

    def wrap_socket(self, connection: Connection, do_handshake: bool = False) -> None:
        # Without TCP_NODELAY the request written right after the handshake's last small record waits
        # for the server's delayed ACK: 40 ms added to every TLS sign-in on Linux.
        connection.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.socket = self.context.wrap_socket(
            connection.socket, server_hostname=connection.server.host, do_handshake_on_connect=do_handshake
        )


def _is_tls_failure(error: BaseException) -> bool:
    if isinstance(error, TimeoutError):  # a handshake that timed out is a silent server, not bad TLS
        return False
    return isinstance(error, ssl.SSLError | ssl.CertificateError | LDAPStartTLSError | LDAPCertificateError)


def _close(connection: Connection) -> None:
    """Unbind and close, whatever state ldap3 left the connection in (it keeps the socket of a failed
    open or TLS handshake): tests treat a leaked socket's ResourceWarning as an error."""
    try:
        if not connection.closed:
            connection.unbind()
    except (LDAPException, OSError):
        pass
    if connection.socket is not None:
        connection.socket.close()


def _describe(result: dict[str, Any] | None) -> str:
    result = result or {}
    message = (result.get("message") or "").strip()
    return f"{result.get('description')} ({result.get('result')}){': ' + message if message else ''}"


class Directory:
    """Sign-in against one configured directory; one instance per process, safe to share among threads.

    The service account's connection is opened on first use and reused; a lock serialises its use (ldap3
    answers one request at a time per connection anyway). After a fork it is abandoned, never shared.
    """

    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        tls = _CheckedTls(config) if config.start_tls or any(u.startswith("ldaps:") for u in config.servers) else None
        self._servers = {
            url: Server(url, get_info=NONE, tls=tls, connect_timeout=config.connect_timeout) for url in config.servers
        }
        self._roles = MappingTable(config.role_mappings)
        self._organisations = MappingTable(config.organisation_mappings)
        self._lock = threading.Lock()
        self._service: Connection | None = None
        self._service_url = ""
        self._service_pid = 0
        names = config.attributes
        self._user_attributes = [names.username, names.display_name, names.email]
        if config.group_lookup == "member_of":
            self._user_attributes.append(names.member_of)
        if config.active_directory:
            self._user_attributes.append("userAccountControl")
        for url in config.servers:
            if url.startswith("ldap:") and not config.start_tls:
                log.warning("%s without start_tls: passwords cross the network in clear text", url)
        if not config.verify_tls:
            log.warning("ldap.verify_tls is false: any server can pretend to be the directory")

    # -- public ---------------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> DirectoryAccount:
        """Check a person's password with the directory and map their groups to a role and organisation.

        Raises :class:`InvalidCredentials`, :class:`AccountDisabled`, :class:`NotMapped`,
        :class:`DirectoryUnavailable`, :class:`DirectoryTLSError` or :class:`DirectoryError`; each is
        logged here once, precisely, so the caller only shows ``user_message``.
        """
        trace = _Trace()
        started = time.monotonic()
        try:
            name = clean_username(username)
            if not password:  # some directories treat a bind without password as anonymous: a success
                raise InvalidCredentials(f"empty password for {name!r}", reason=EMPTY_PASSWORD)
            if self.config.direct_bind:
                entry, groups = self._direct_bind(name, password, trace)
            else:
                entry, groups = self._search_then_bind(name, password, trace)
            account = self._account(name, entry, groups, trace)
        except DirectoryError as error:
            error.server = error.server or trace.server
            log.log(error.log_level, "directory sign-in of %r refused: %s", username, error.log_message)
            raise
        log.info(
            "directory sign-in of %r as %s via %s: role %s, organisation %s, %d round trips, %.1f ms",
            username, account.dn, account.server, account.role, account.organisation_key,
            account.round_trips, (time.monotonic() - started) * 1000,
        )  # fmt: skip
        return account

    def inspect(self, username: str) -> DirectoryInspection:
        """What a sign-in of ``username`` would find, with the service account and without a password.

        Unknown users and unmapped groups are results (``problem``), not exceptions; an unreachable
        directory or a TLS failure still raises, as it would for a sign-in.
        """
        trace = _Trace()
        started = time.monotonic()
        name = clean_username(username)
        entries = self._with_service(trace, lambda connection: self._search_user(connection, name, trace))
        found = {
            "username": name,
            "server": trace.server or "",
            "filter": user_filter(self.config.user_filter, name),
        }
        if len(entries) != 1:
            problem = NO_SUCH_USER if not entries else f"{AMBIGUOUS_USERNAME}: {', '.join(e.dn for e in entries)}"
            if not entries and self.config.bind_dn is None:
                problem += _ANONYMOUS
            return DirectoryInspection(
                **found, problem=problem, round_trips=trace.round_trips, elapsed_ms=self._ms(started)
            )
        entry = entries[0]
        groups = self._groups(entry, trace)
        role = self._roles.first(groups)
        organisation = self._organisations.first(groups)
        role_name = role.role if role else None
        organisation_key = organisation.organisation if organisation else None
        problem = mapping_problem(role_name, organisation_key, groups)
        if self.config.active_directory:
            try:
                if account_disabled(entry):
                    problem = "account disabled (userAccountControl bit 2)"
            except DirectoryError as error:
                problem = error.detail
        return DirectoryInspection(
            **found,
            dn=entry.dn,
            display_name=entry.first(self.config.attributes.display_name),
            email=entry.first(self.config.attributes.email),
            groups=groups,
            role=role_name,
            organisation_key=organisation_key,
            problem=problem,
            round_trips=trace.round_trips,
            elapsed_ms=self._ms(started),
        )

    def close(self) -> None:
        """Unbind the service account (at shutdown and in tests)."""
        with self._lock:
            self._drop_service()

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the two sign-in sequences --------------------------------------------------------------------

    def _search_then_bind(self, name: str, password: str, trace: _Trace) -> tuple[Entry, tuple[str, ...]]:
        """Find the DN with the service account, then bind as the user on the server that found it."""
        entry = self._one(name, self._with_service(trace, lambda c: self._search_user(c, name, trace)), trace)
        if self.config.active_directory and account_disabled(entry):
            raise AccountDisabled(f"{entry.dn} is disabled (userAccountControl bit 2)")

        def bind(url: str) -> dict[str, Any] | None:
            connection = self._open(url, trace, entry.dn, password)
            try:
                return self._bind(connection, trace)
            finally:
                _close(connection)

        refused = self._walk(bind, trace, prefer=trace.server)
        if refused is not None:
            raise bind_refusal(refused, entry.dn, server=trace.server or "", unknown_reason=WRONG_PASSWORD)
        return entry, self._groups(entry, trace)

    def _direct_bind(self, name: str, password: str, trace: _Trace) -> tuple[Entry, tuple[str, ...]]:
        """Bind with the template, then read the user's own entry (and groups) on that connection."""
        who = bind_name(self.config.bind_template or "", name)

        def sign_in(url: str) -> tuple[dict[str, Any] | None, list[Entry], tuple[str, ...]]:
            connection = self._open(url, trace, who, password)
            try:
                refused = self._bind(connection, trace)
                if refused is not None:
                    return refused, [], ()
                entries = self._search_user(connection, name, trace)
                if len(entries) == 1 and self.config.group_lookup != "member_of":
                    return None, entries, self._search_groups(connection, entries[0].dn, trace)
                return None, entries, ()
            finally:
                _close(connection)

        refused, entries, groups = self._walk(sign_in, trace)
        if refused is not None:
            unknown = "wrong password or no such user"
            raise bind_refusal(refused, who, server=trace.server or "", unknown_reason=unknown)
        if not entries:
            search = user_filter(self.config.user_filter, name)
            raise NotMapped(f"bound as {who!r}, but {search} finds nothing under {self.config.user_base}")
        entry = self._one(name, entries, trace)
        if self.config.active_directory and account_disabled(entry):
            raise AccountDisabled(f"{entry.dn} is disabled (userAccountControl bit 2)")
        return entry, self._member_of(entry) if self.config.group_lookup == "member_of" else groups

    # -- reading --------------------------------------------------------------------------------------

    def _one(self, name: str, entries: list[Entry], trace: _Trace) -> Entry:
        if not entries:
            raise InvalidCredentials(
                f"{user_filter(self.config.user_filter, name)} finds no entry under {self.config.user_base}",
                reason=NO_SUCH_USER,
            )
        if len(entries) > 1:
            raise InvalidCredentials(
                f"{user_filter(self.config.user_filter, name)} finds {', '.join(e.dn for e in entries)}",
                reason=AMBIGUOUS_USERNAME,
            )
        return entries[0]

    def _search_user(self, connection: Connection, name: str, trace: _Trace) -> list[Entry]:
        """At most two entries are asked for: two already mean the username is ambiguous."""
        trace.round_trips += 1
        connection.search(
            self.config.user_base,
            user_filter(self.config.user_filter, name),
            SUBTREE,
            attributes=self._user_attributes,
            size_limit=2,
            time_limit=max(1, int(self.config.receive_timeout)),
        )
        result = connection.result or {}
        if result.get("result") not in (_SUCCESS, _SIZE_LIMIT_EXCEEDED):
            hint = _ANONYMOUS if connection.user is None else ""
            raise DirectoryError(f"user search under {self.config.user_base} failed: {_describe(result)}{hint}")
        return [Entry.from_response(item) for item in connection.response or () if item.get("type") == "searchResEntry"]

    def _groups(self, entry: Entry, trace: _Trace) -> tuple[str, ...]:
        if self.config.group_lookup == "member_of":
            return self._member_of(entry)
        return self._with_service(trace, lambda connection: self._search_groups(connection, entry.dn, trace))

    def _member_of(self, entry: Entry) -> tuple[str, ...]:
        return entry.values(self.config.attributes.member_of)

    def _search_groups(self, connection: Connection, user_dn: str, trace: _Trace) -> tuple[str, ...]:
        """Groups whose member is the user (or, in ``ad_nested`` mode, whose members' members are),
        page by page so a directory's size limit never truncates the answer."""
        groups: list[str] = []
        cookie: bytes | None = None
        while True:
            trace.round_trips += 1
            connection.search(
                self.config.group_base,
                group_filter(self.config, user_dn),
                SUBTREE,
                attributes=[NO_ATTRIBUTES],
                paged_size=self.config.group_page_size,
                paged_cookie=cookie,
                time_limit=max(1, int(self.config.receive_timeout)),
            )
            result = connection.result or {}
            if result.get("result") != _SUCCESS:
                raise DirectoryError(f"group search under {self.config.group_base} failed: {_describe(result)}")
            groups += [item["dn"] for item in connection.response or () if item.get("type") == "searchResEntry"]
            cookie = result.get("controls", {}).get(_PAGED_RESULTS, {}).get("value", {}).get("cookie")
            if not cookie:
                return tuple(groups)

    def _account(self, name: str, entry: Entry, groups: tuple[str, ...], trace: _Trace) -> DirectoryAccount:
        role = self._roles.first(groups)
        organisation = self._organisations.first(groups)
        role_name = role.role if role else None
        organisation_key = organisation.organisation if organisation else None
        problem = mapping_problem(role_name, organisation_key, groups)
        if problem or role_name is None:
            raise NotMapped(f"{entry.dn}: {problem}")
        names = self.config.attributes
        return DirectoryAccount(
            dn=entry.dn,
            username=entry.first(names.username) or name,
            display_name=entry.first(names.display_name) or entry.first(names.username) or name,
            email=entry.first(names.email),
            groups=groups,
            role=role_name,
            organisation_key=organisation_key,
            server=trace.server or "",
            round_trips=trace.round_trips,
        )

    # -- connections ----------------------------------------------------------------------------------

    def _open(self, url: str, trace: _Trace, user: str | None = None, password: str | None = None) -> Connection:
        """A connected (and, when configured, StartTLS-protected) connection, not yet bound.

        ``receive_timeout`` is set on the socket here rather than through ldap3, which packs it into
        ``SO_RCVTIMEO`` as whole seconds and fails on fractions. Each resolved address of the host
        (IPv6 first, then IPv4) gets ``connect_timeout``.
        """
        server = self._servers[url]
        connection = Connection(
            server,
            user=user,
            password=password,
            client_strategy=SYNC,
            auto_bind=False,
            auto_referrals=False,
            raise_exceptions=False,
            read_only=True,
        )
        # ldap3 skips an address that failed in the last 5 s ("invalid server address") without trying
        # it: a directory back up must be used at once, and our own walk decides what to try.
        server.reset_availability()
        try:
            connection.open(read_server_info=False)
            connection.socket.settimeout(self.config.receive_timeout)
            if self.config.start_tls and not server.ssl:
                trace.round_trips += 1
                connection.start_tls(read_server_info=False)
        except BaseException:
            _close(connection)
            raise
        return connection

    @staticmethod
    def _bind(connection: Connection, trace: _Trace) -> dict[str, Any] | None:
        """Bind; None on success, else the server's refusal (an answer, so no failover)."""
        trace.round_trips += 1
        if connection.bind(read_server_info=False):
            return None
        return dict(connection.result or {})

    def _walk(self, attempt: Callable[[str], T], trace: _Trace, prefer: str | None = None) -> T:
        """Run ``attempt`` on each server in order (``prefer`` first) until one answers.

        Channel failures (refused, timed out, reset, TLS) move on to the next server; answers, even
        refusals, end the walk. When none answers: :class:`DirectoryTLSError` if TLS was the reason
        anywhere (an operator must act), else :class:`DirectoryUnavailable`.
        """
        order = sorted(self.config.servers, key=lambda url: url != prefer)
        failures: list[str] = []
        tls_failed = False
        for url in order:
            started = time.monotonic()
            try:
                result = attempt(url)
            except _CHANNEL_ERRORS as error:
                tls = _is_tls_failure(error)
                tls_failed |= tls
                what = "TLS failed" if tls else "unreachable"
                failures.append(f"{url} {what} after {self._ms(started):.0f} ms: {error}")
                log.warning("LDAP server %s %s after %.0f ms: %s", url, what, self._ms(started), error)
                continue
            trace.server = url
            return result
        summary = "; ".join(failures)
        if tls_failed:
            raise DirectoryTLSError(f"no secure connection to any directory server: {summary}")
        raise DirectoryUnavailable(f"no directory server answered: {summary}")

    def _with_service(self, trace: _Trace, operation: Callable[[Connection], T]) -> T:
        """Run ``operation`` on the service account's connection: the open one if it still works, else
        a new one from the top of the server list (a dropped connection costs one reconnect)."""
        with self._lock:
            if self._service is not None and self._service_pid != os.getpid():
                if self._service.socket is not None:  # inherited through fork: the parent still uses it,
                    self._service.socket.close()  # so close our copy without unbind or shutdown
                self._service = None
            if self._service is not None:
                try:
                    result = operation(self._service)
                except _CHANNEL_ERRORS as error:
                    log.info("service connection to %s lost (%s); reconnecting", self._service_url, error)
                    self._drop_service()
                else:
                    trace.server = self._service_url
                    return result

            def connect(url: str) -> tuple[Connection, T]:
                connection = self._open(url, trace, self.config.bind_dn, self.config.bind_password)
                try:
                    if self.config.bind_dn is not None:
                        refused = self._bind(connection, trace)
                        if refused is not None:
                            raise DirectoryError(
                                f"service account {self.config.bind_dn} refused by {url}: {_describe(refused)}",
                                server=url,
                            )
                    return connection, operation(connection)
                except BaseException:
                    _close(connection)
                    raise

            connection, result = self._walk(connect, trace)
            self._service, self._service_url, self._service_pid = connection, trace.server or "", os.getpid()
            return result

    def _drop_service(self) -> None:
        if self._service is not None:
            _close(self._service)
        self._service = None

    @staticmethod
    def _ms(started: float) -> float:
        return (time.monotonic() - started) * 1000
