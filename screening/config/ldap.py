"""The ``[ldap]`` section of the configuration, checked and frozen.

Administrators write it once and the application refuses to start on a mistake, naming the key, rather
than failing at the first sign-in. ``config.example.toml`` (its ``[ldap]`` part) documents every key and default.
It is a section of :class:`screening.config.Config` like the others, but with its own parser: its checks
(URLs, DNs, filters, mappings, the service account) go beyond the types the generic loader coerces. The
directory client (:mod:`screening.auth.directory`) reads it and stays free of Flask.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

with warnings.catch_warnings():
    # ldap3 2.9.1 imports names that pyasn1 >= 0.6 deprecates: harmless, and not ours to fix. The loader
    # imports this module first, before screening.auth.directory, so the warning is kept out here too.
    warnings.simplefilter("ignore", DeprecationWarning)
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

from screening.config.errors import ConfigError
from workflows.roles import ACCOUNT_ROLES

GROUP_LOOKUPS = ("member_of", "search", "ad_nested")
TLS_VERSIONS = ("1.2", "1.3")
#: Which local (break-glass) accounts may still sign in once a directory is configured.
LOCAL_ACCOUNT_POLICIES = ("admins", "all")
#: LDAP_MATCHING_RULE_IN_CHAIN: Active Directory follows nested group membership server-side.
AD_IN_CHAIN_RULE = "1.2.840.113556.1.4.1941"
DEFAULT_GROUP_FILTERS = {
    "search": "(member=%s)",
    "ad_nested": f"(member:{AD_IN_CHAIN_RULE}:=%s)",
}
DEFAULT_PASSWORD_ENV = "SCREENING_LDAP_BIND_PASSWORD"  # noqa: S105 - the variable's name


@dataclass(frozen=True)
class AttributeNames:
    """Which directory attributes hold what; AD uses ``sAMAccountName`` and ``displayName``."""

    username: str = "uid"
    display_name: str = "cn"
    email: str = "mail"
    member_of: str = "memberOf"


@dataclass(frozen=True)
class RoleMapping:
    group: str
    role: str


@dataclass(frozen=True)
class OrganisationMapping:
    group: str
    #: Enterprise number ("0202.239.951") or organisation code; resolved by the caller.
    organisation: str


@dataclass(frozen=True)
class LdapConfig:
    """A directory: where it is, how to reach it safely, how to find people, and what their groups mean."""

    servers: tuple[str, ...]
    user_base: str
    user_filter: str = "(uid=%s)"
    start_tls: bool = False
    ca_file: str | None = None
    tls_min_version: str = "1.2"
    verify_tls: bool = True
    connect_timeout: float = 3.0
    receive_timeout: float = 5.0
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)
    bind_password_env: str = DEFAULT_PASSWORD_ENV
    bind_template: str | None = None
    attributes: AttributeNames = field(default_factory=AttributeNames)
    group_lookup: str = "member_of"
    group_base: str | None = None
    group_filter: str | None = None
    group_page_size: int = 500
    role_mappings: tuple[RoleMapping, ...] = ()
    organisation_mappings: tuple[OrganisationMapping, ...] = ()
    active_directory: bool = False
    #: "admins": only local administrators sign in with a local password (break-glass); "all": every
    #: local account does. Enforced by the sign-in view, not by this package.
    local_accounts: str = "admins"

    @property
    def direct_bind(self) -> bool:
        """Users bind with ``bind_template`` instead of being looked up by the service account first."""
        return self.bind_template is not None

    @property
    def effective_group_filter(self) -> str:
        return self.group_filter or DEFAULT_GROUP_FILTERS.get(self.group_lookup, "")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> LdapConfig:
        """Check a parsed ``[ldap]`` table; the service password may come from ``env`` instead of the file.

        The loader (:func:`screening.config.parse_config`) passes the process environment; nothing else
        reads it, so without ``env`` only the file counts. Raises
        :class:`~screening.config.ConfigError` (a ``ValueError``) naming the first bad key.
        """
        return _parse(data, {} if env is None else env)


def _fail(key: str, problem: str) -> ConfigError:
    return ConfigError(f"ldap.{key}: {problem}")


def _known(prefix: str, data: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(prefix, "expected a table") if prefix else ConfigError("ldap: expected a table")
    for key in data:
        if key not in allowed:
            raise _fail(f"{prefix}.{key}" if prefix else str(key), "unknown setting")
    return data


def _string(key: str, value: Any, *, dn: bool = False, placeholder: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"expected a string, got {value!r}")
    if not value.strip():
        raise _fail(key, "must not be empty")
    if placeholder and "%s" not in value:
        raise _fail(key, f"must contain %s where the username goes, got {value!r}")
    if dn:
        try:
            parse_dn(value, strip=True)
        except LDAPInvalidDnError:
            raise _fail(key, f"not a valid DN: {value!r}") from None
    return value


def _filter(key: str, value: Any) -> str:
    text = _string(key, value, placeholder=True).strip()
    if not (text.startswith("(") and text.endswith(")") and text.count("(") == text.count(")")):
        raise _fail(key, f"expected an LDAP filter in parentheses, got {value!r}")
    return text


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"expected true or false, got {value!r}")
    return value


def _seconds(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, f"expected a number of seconds, got {value!r}")
    if not 0 < value <= 300:
        raise _fail(key, f"expected between 0 and 300 seconds, got {value!r}")
    return float(value)


def _server(key: str, value: Any) -> str:
    url = _string(key, value)
    problem = f"expected ldap://host[:port] or ldaps://host[:port], got {value!r}"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise _fail(key, problem) from None
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname or parts.path not in ("", "/"):
        raise _fail(key, problem)
    if parts.query or parts.fragment or parts.username or port == 0:
        raise _fail(key, problem)
    return url.rstrip("/")


def _tables(key: str, value: Any, fields_: tuple[str, str]) -> list[tuple[str, Mapping[str, Any]]]:
    if not isinstance(value, list):
        raise _fail(key, f"expected a list of tables ([[ldap.{key}]]), got {value!r}")
    items = []
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        _known(where, item, set(fields_))
        for name in fields_:
            if name not in item:
                raise _fail(f"{where}.{name}", "required setting is missing")
        items.append((where, item))
    return items


def _parse(data: Mapping[str, Any], env: Mapping[str, str]) -> LdapConfig:
    _known("", data, {f.name for f in fields(LdapConfig)})
    for key in ("servers", "user_base"):
        if key not in data:
            raise _fail(key, "required setting is missing")
    values: dict[str, Any] = {}

    servers = data["servers"]
    if not isinstance(servers, list) or not servers:
        raise _fail("servers", f"expected a non-empty list of ldap:// or ldaps:// URLs, got {servers!r}")
    values["servers"] = tuple(_server(f"servers[{i}]", url) for i, url in enumerate(servers))
    values["user_base"] = _string("user_base", data["user_base"], dn=True)

    for key in ("start_tls", "verify_tls", "active_directory"):
        if key in data:
            values[key] = _bool(key, data[key])
    for key in ("connect_timeout", "receive_timeout"):
        if key in data:
            values[key] = _seconds(key, data[key])
    for key in ("user_filter", "group_filter"):
        if key in data:
            values[key] = _filter(key, data[key])
    for key in ("bind_dn", "group_base"):
        if key in data:
            values[key] = _string(key, data[key], dn=True)
    if "bind_template" in data:
        values["bind_template"] = _string("bind_template", data["bind_template"], placeholder=True)
    if "bind_password_env" in data:
        values["bind_password_env"] = _string("bind_password_env", data["bind_password_env"])

    if "ca_file" in data:
        ca_file = _string("ca_file", data["ca_file"])
        if not Path(ca_file).is_file():
            raise _fail("ca_file", f"no such file: {ca_file}")
        values["ca_file"] = ca_file
    if "tls_min_version" in data:
        version = data["tls_min_version"]
        if version not in TLS_VERSIONS:
            raise _fail("tls_min_version", f'expected "1.2" or "1.3" (a string), got {version!r}')
        values["tls_min_version"] = version

    names = _known("attributes", data.get("attributes", {}), {f.name for f in fields(AttributeNames)})
    values["attributes"] = AttributeNames(**{k: _string(f"attributes.{k}", v) for k, v in names.items()})

    lookup = data.get("group_lookup", "member_of")
    if lookup not in GROUP_LOOKUPS:
        raise _fail("group_lookup", f"expected one of {', '.join(GROUP_LOOKUPS)}, got {lookup!r}")
    values["group_lookup"] = lookup
    if "local_accounts" in data:
        policy = data["local_accounts"]
        if policy not in LOCAL_ACCOUNT_POLICIES:
            raise _fail("local_accounts", f'expected "admins" or "all", got {policy!r}')
        values["local_accounts"] = policy
    if lookup != "member_of" and "group_base" not in data:
        raise _fail("group_base", f'required when group_lookup = "{lookup}"')
    if "group_page_size" in data:
        size = data["group_page_size"]
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100_000:
            raise _fail("group_page_size", f"expected a whole number from 1 to 100000, got {size!r}")
        values["group_page_size"] = size

    values["role_mappings"] = tuple(_role_mappings(data.get("role_mappings")))
    values["organisation_mappings"] = tuple(
        OrganisationMapping(_string(f"{where}.group", item["group"], dn=True), _organisation(where, item))
        for where, item in _tables(
            "organisation_mappings", data.get("organisation_mappings", []), ("group", "organisation")
        )
    )

    _bind_account(data, env, values)
    return LdapConfig(**values)


def _role_mappings(value: Any) -> list[RoleMapping]:
    if value is None:
        raise _fail("role_mappings", "at least one [[ldap.role_mappings]] is required, or nobody could sign in")
    mappings = []
    for where, item in _tables("role_mappings", value, ("group", "role")):
        role = item["role"]
        if role not in ACCOUNT_ROLES:
            raise _fail(f"{where}.role", f"expected one of {', '.join(ACCOUNT_ROLES)}, got {role!r}")
        mappings.append(RoleMapping(_string(f"{where}.group", item["group"], dn=True), role))
    if not mappings:
        raise _fail("role_mappings", "at least one mapping is required, or nobody could sign in")
    return mappings


def _organisation(where: str, item: Mapping[str, Any]) -> str:
    value = item["organisation"]
    if isinstance(value, int) and not isinstance(value, bool):
        raise _fail(
            f"{where}.organisation",
            f"expected a string: quote it, an enterprise number keeps its leading 0 ({value!r})",
        )
    return _string(f"{where}.organisation", value).strip()


def _bind_account(data: Mapping[str, Any], env: Mapping[str, str], values: dict[str, Any]) -> None:
    """Search-then-bind needs the service account and its password (the environment wins over the
    file, as for every secret); a direct bind template makes the service account optional."""
    env_name = values.get("bind_password_env", DEFAULT_PASSWORD_ENV)
    password = env.get(env_name) or None
    if password is None and "bind_password" in data:
        password = data["bind_password"]
        if not isinstance(password, str) or not password:
            raise _fail("bind_password", "expected a non-empty string")
    if "bind_dn" in values:
        if password is None:
            raise _fail("bind_password", f"required with bind_dn (or set ${env_name})")
        values["bind_password"] = password
    elif "bind_password" in data:
        raise _fail("bind_password", "set without ldap.bind_dn")
    elif "bind_template" not in values:
        raise _fail("bind_dn", "required: a service account for search-then-bind (or bind_template for a direct bind)")
