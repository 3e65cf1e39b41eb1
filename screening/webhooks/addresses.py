"""Where a webhook may be sent: an ``https://`` URL whose host resolves only to public addresses.

Checked when an endpoint is subscribed and again at every send, on the addresses the name resolves to
then; the sender connects to the address it checked (the name goes in ``Host`` and TLS's SNI), so a name
that resolves to a public address for the check and to ``127.0.0.1`` a moment later (DNS rebinding) never
reaches the private one. ``[webhooks] allow_private_addresses`` lifts the address rule (demo, tests),
``allow_http`` the scheme rule.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from screening.config.webhooks import WebhooksConfig
from screening.errors import InvalidInput, Label
from workflows.text import N_

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: The cloud metadata services (also link-local or private, named so the refusal says what it is).
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


class RefusedAddress(InvalidInput):
    """The URL or the address it resolves to may not receive webhooks; the message says why."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, field="url", **params)


@dataclass(frozen=True)
class Target:
    """A checked URL: its parts and the address to connect to."""

    url: SplitResult
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the name (the name goes in the Host header)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        path = self.url.path or "/"
        query = f"?{self.url.query}" if self.url.query else ""
        return f"{self.url.scheme}://{host}:{self.port}{path}{query}"

    @property
    def host_header(self) -> str:
        default = 443 if self.url.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def check_url(url: str, config: WebhooksConfig) -> SplitResult:
    """The URL's form: https (or http when allowed), a host, no user name or password, no fragment."""
    if len(url) > 2000 or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise RefusedAddress(N_("Enter a URL without spaces or control characters, at most 2000 characters long."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedAddress(N_("Enter a valid URL.")) from None
    allowed = ("https", "http") if config.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise RefusedAddress(N_("The endpoint must be an https:// URL."))
    if not parts.hostname:
        raise RefusedAddress(N_("Enter a valid URL."))
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress(N_("The URL may not contain a user name or password."))
    if parts.fragment:
        raise RefusedAddress(N_("The URL may not contain a fragment (#...)."))
    if port == 0:
        raise RefusedAddress(N_("Enter a valid URL."))
    return parts


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not receive webhooks (a text to translate), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return N_("the cloud metadata address")
    if address.is_loopback:
        return N_("a loopback address")
    if address.is_link_local:
        return N_("a link-local address")
    if address.is_private:
        return N_("a private address")
    if address.is_multicast or address.is_unspecified or address.is_reserved or not address.is_global:
        return N_("not a public address")
    return None


def resolve(parts: SplitResult, config: WebhooksConfig) -> Target:
    """Resolve the URL's host now and check every address it has; the first one is the one to connect to."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedAddress(N_("The host name %(host)s does not resolve."), host=host[:200]) from error
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos))
    if not addresses:
        raise RefusedAddress(N_("The host name %(host)s does not resolve."), host=host[:200])
    if not config.allow_private_addresses:
        for address in addresses:
            why = refusal(address)
            if why:
                raise RefusedAddress(
                    N_("%(host)s resolves to %(address)s, %(why)s: webhooks go to public addresses only."),
                    host=host[:200], address=str(address), why=Label(why),
                )  # fmt: skip
    return Target(parts, host, port, str(addresses[0]))


def check_endpoint(url: str, config: WebhooksConfig) -> Target:
    """Form and addresses of a URL, as at subscription (and at every send)."""
    return resolve(check_url(url, config), config)
