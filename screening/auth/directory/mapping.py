"""Between the directory's data and the application's: filters, bind names, entries, groups -> role.

No network here, so each rule is unit-tested on its own, including the Active Directory parts that a
test slapd cannot play (``userAccountControl``, the in-chain matching rule, AD's bind diagnostics).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from screening.auth.directory.errors import (
    INVALID_USERNAME,
    NO_SUCH_USER,
    WRONG_PASSWORD,
    AccountDisabled,
    DirectoryError,
    InvalidCredentials,
)
from screening.config.ldap import LdapConfig, OrganisationMapping, RoleMapping
from workflows.roles import EMPLOYER_ROLES

#: userAccountControl ACCOUNTDISABLE: set by "Disable account" in Active Directory Users and Computers.
UAC_ACCOUNT_DISABLED = 0x2
MAX_USERNAME_LENGTH = 256
# Characters a sAMAccountName or a UPN's user part cannot hold: refused in non-DN bind templates, where
# no escaping exists ("DOMAIN\%s", "%s@example.org").
_ACCOUNT_NAME_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>@')

M = TypeVar("M", RoleMapping, OrganisationMapping)


@dataclass(frozen=True)
class DirectoryAccount:
    """A signed-in directory user, as the application needs it: who, which role, which organisation."""

    dn: str
    username: str
    display_name: str
    email: str | None
    groups: tuple[str, ...]
    role: str
    #: Enterprise number or organisation code from the first matching organisation mapping.
    organisation_key: str | None
    #: URL of the server that verified the password.
    server: str
    round_trips: int = field(default=0, compare=False)


@dataclass(frozen=True)
class DirectoryInspection:
    """What the directory says about one user, for operators (``screening ldap test USER``, admin page).

    Never involves the user's password; ``problem`` is what a sign-in would refuse, or None.
    """

    username: str
    server: str
    filter: str
    dn: str | None = None
    display_name: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = ()
    role: str | None = None
    organisation_key: str | None = None
    problem: str | None = None
    round_trips: int = 0
    elapsed_ms: float = 0.0

    def rows(self) -> list[tuple[str, str]]:
        """Label/value pairs, the same for the command line and the admin page."""
        return [
            ("username", self.username),
            ("server", self.server),
            ("filter", self.filter),
            ("dn", self.dn or "(not found)"),
            ("display name", self.display_name or ""),
            ("e-mail", self.email or ""),
            ("groups", "\n".join(self.groups) or "(none)"),
            ("role", self.role or "(none)"),
            ("organisation", self.organisation_key or "(none)"),
            ("sign-in", f"refused: {self.problem}" if self.problem else "allowed"),
            ("round trips", str(self.round_trips)),
            ("time", f"{self.elapsed_ms:.0f} ms"),
        ]


def clean_username(raw: str) -> str:
    """Trim what people type around a username and refuse what cannot be one, before any network use."""
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        raise InvalidCredentials("empty username", reason=INVALID_USERNAME)
    if len(name) > MAX_USERNAME_LENGTH:
        raise InvalidCredentials(f"username of {len(name)} characters", reason=INVALID_USERNAME)
    return name


def user_filter(template: str, username: str) -> str:
    """The user search filter, the username escaped (RFC 4515): ``*``, ``(``, ``)``, ``\\`` and NUL
    become literal characters, so no input can widen the search."""
    return template.replace("%s", escape_filter_chars(username))


def group_filter(config: LdapConfig, user_dn: str) -> str:
    """The group search filter for ``search`` and ``ad_nested`` modes, the user's DN escaped."""
    return config.effective_group_filter.replace("%s", escape_filter_chars(user_dn))


def is_dn_template(template: str) -> bool:
    return re.search(r"=\s*%s", template) is not None


def bind_name(template: str, username: str) -> str:
    """The name a direct bind uses: an escaped RDN value in a DN template, else a plain account name."""
    if is_dn_template(template):
        return template.replace("%s", escape_rdn(username))
    bad = sorted({c for c in username if c in _ACCOUNT_NAME_FORBIDDEN or ord(c) < 32})
    if bad:
        raise InvalidCredentials(
            f"username {username!r} holds {bad!r}, which no account name can", reason=INVALID_USERNAME
        )
    return template.replace("%s", username)


@dataclass(frozen=True)
class Entry:
    """A search result entry with attribute names folded to lower case (directories differ in case)."""

    dn: str
    attributes: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_response(cls, item: Mapping[str, Any]) -> Entry:
        raw = item.get("raw_attributes") or {}
        return cls(
            item["dn"],
            {name.lower(): tuple(_text(value) for value in values) for name, values in raw.items()},
        )

    def values(self, name: str) -> tuple[str, ...]:
        return self.attributes.get(name.lower(), ())

    def first(self, name: str) -> str | None:
        values = self.values(name)
        return values[0] if values and values[0] else None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def account_disabled(entry: Entry) -> bool:
    """Active Directory's own switch (bit 2 of ``userAccountControl``). A value we cannot read is a
    configuration error, never a silent yes: the service account must be allowed to read it."""
    raw = entry.first("userAccountControl")
    try:
        flags = int(raw) if raw is not None else None
    except ValueError:
        flags = None
    if flags is None:
        raise DirectoryError(f"userAccountControl of {entry.dn} is missing or not a number ({raw!r})")
    return bool(flags & UAC_ACCOUNT_DISABLED)


_ESCAPE = re.compile(r"\\([0-9a-fA-F]{2}|.)")


def _unescape(value: str) -> str:
    """RFC 4514 escapes to characters, so ``\\2c`` and ``\\,`` compare equal; hex pairs may be UTF-8."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(value):
        out += value[position : match.start()].encode()
        token = match.group(1)
        out += bytes.fromhex(token) if len(token) == 2 else token.encode()
        position = match.end()
    out += value[position:].encode()
    return out.decode("utf-8", errors="replace")


def normalise_dn(dn: str) -> str:
    """A DN in one spelling: attribute types and values folded, spaces around separators gone, escapes
    decoded. Group DNs come back from directories in other cases and spacing than the admin typed."""
    try:
        parts = parse_dn(dn, strip=True)
    except LDAPInvalidDnError:
        return dn.strip().casefold()
    return "".join(f"{name.casefold()}={_unescape(value).casefold()}{sep}" for name, value, sep in parts)


class MappingTable(Generic[M]):
    """Mappings in configuration order, their group DNs normalised once: a port community may map
    thousands of employer groups, and a sign-in should not parse them all again."""

    def __init__(self, mappings: Sequence[M]) -> None:
        self._mappings = [(normalise_dn(mapping.group), mapping) for mapping in mappings]

    def first(self, groups: Iterable[str]) -> M | None:
        """The first mapping, in configuration order, whose group the user is in: the order the
        administrator wrote decides, never the order the directory lists groups in."""
        member_of = {normalise_dn(group) for group in groups}
        return next((mapping for group, mapping in self._mappings if group in member_of), None)


def first_match(groups: Iterable[str], mappings: Sequence[M]) -> M | None:
    return MappingTable(mappings).first(groups)


def mapping_problem(role: str | None, organisation_key: str | None, groups: Sequence[str]) -> str | None:
    """Why these groups give no way in, or None: no mapped role, or an employer role without employer."""
    if role is None:
        return f"in no mapped group (member of {len(groups)} group(s): {', '.join(groups) or 'none'})"
    if role in EMPLOYER_ROLES and organisation_key is None:
        return f"role {role} needs an organisation, and no organisation mapping matches its groups"
    return None


# Active Directory explains a refused bind in the diagnostic message: "... AcceptSecurityContext error,
# data 52e, v4563". These sub-codes are documented by Microsoft (LDAP error 49 sub-codes).
_AD_BIND_DIAGNOSTICS = {
    "525": (InvalidCredentials, NO_SUCH_USER),
    "52e": (InvalidCredentials, WRONG_PASSWORD),
    "530": (AccountDisabled, "not permitted to sign in at this time"),
    "531": (AccountDisabled, "not permitted to sign in from this workstation"),
    "532": (AccountDisabled, "password expired"),
    "533": (AccountDisabled, "account disabled"),
    "701": (AccountDisabled, "account expired"),
    "773": (AccountDisabled, "password must be changed"),
    "775": (AccountDisabled, "account locked out"),
}
_AD_DATA = re.compile(r"\bdata ([0-9a-f]{3})\b", re.IGNORECASE)
INVALID_CREDENTIALS = 49


def bind_refusal(result: Mapping[str, Any], who: str, *, server: str, unknown_reason: str) -> DirectoryError:
    """The exception for a refused user bind. ``unknown_reason`` names what a bare "invalid credentials"
    means here: a wrong password after a successful search, either of two things for a direct bind."""
    code = result.get("result")
    message = (result.get("message") or "").strip()
    described = f"{result.get('description')} ({code}){': ' + message if message else ''}"
    if code != INVALID_CREDENTIALS:
        return DirectoryError(f"bind as {who!r} refused: {described}", server=server)
    found = _AD_DATA.search(message)
    kind, reason = _AD_BIND_DIAGNOSTICS.get(
        found.group(1).lower() if found else "", (InvalidCredentials, unknown_reason)
    )
    if kind is InvalidCredentials:
        return InvalidCredentials(f"bind as {who!r} refused: {reason}; {described}", reason=reason, server=server)
    return AccountDisabled(f"bind as {who!r} refused: {reason}; {described}", server=server)
