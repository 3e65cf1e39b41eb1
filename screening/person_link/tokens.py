"""The person's two links, and the short code printed on the consent letter.

The person has no account. Two links, signed with the application's secret (itsdangerous, HMAC-SHA1 by
default), each with its own salt so one can never be read as the other:

- **The consent link** (:data:`CONSENT_SALT`) is the one an employer may hold: it is mailed to the address
  the employer declared and printed on the letter (as a QR code and as a short typed code). It carries the
  file, the person and the moment consent was asked, and opens only the consent page, while that request for
  consent is open: once answered (single use), expired or ended otherwise, it shows nothing of the file.
- **The file link** (:data:`FILE_SALT`) is the person's own: it is mailed only to the address the person
  entered on the consent page, and is the only way to the notices, the disclosed grounds and the withdrawal
  of consent.

Links signed before the two existed (:data:`LEGACY_SALT`, one link for both purposes, printed on employers'
letters) are read as consent links: they answer an open request for consent and show nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONSENT_SALT = "screening.consent-link.v1"
FILE_SALT = "screening.person-file.v1"
#: The single link of before (consent and file); read with consent-only rights.
LEGACY_SALT = "screening.person-link.v1"

#: Crockford's base32: no I, L, O, U, so a typed code is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters of a short code: 40 bits.
CODE_LENGTH = 8
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class LinkError(ValueError):
    """The link is forged, damaged or expired; ``expired`` tells which, for a kinder message."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class PersonLink:
    application_id: int
    person_id: int
    #: For a consent link, when consent was asked (the entry into awaiting_consent), as a POSIX timestamp.
    asked_at: float


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_link_token(secret_key: str, application_id: int, person_id: int, asked_at: datetime) -> str:
    """The consent link's token (the printable one)."""
    payload = [application_id, person_id, round(asked_at.timestamp(), 3)]
    return _serializer(secret_key, CONSENT_SALT).dumps(payload)


def make_file_token(secret_key: str, application_id: int, person_id: int) -> str:
    """The person's own file link's token (mailed only to the address the person gave)."""
    return _serializer(secret_key, FILE_SALT).dumps([application_id, person_id, 0])


def _read(secret_key: str, token: str, max_age_days: float, salt: str) -> PersonLink:
    try:
        payload = _serializer(secret_key, salt).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise LinkError("This link has expired.", expired=True) from None
    except BadSignature:
        raise LinkError("This link is not valid.") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in payload)
        or not all(0 < v < 2**63 for v in payload[:2])
    ):
        raise LinkError("This link is not valid.")
    return PersonLink(application_id=int(payload[0]), person_id=int(payload[1]), asked_at=float(payload[2]))


def read_link_token(secret_key: str, token: str, max_age_days: float) -> PersonLink:
    """A consent link's content (also of a link of before the two links), or :class:`LinkError`."""
    try:
        return _read(secret_key, token, max_age_days, CONSENT_SALT)
    except LinkError as error:
        if error.expired:
            raise
    return _read(secret_key, token, max_age_days, LEGACY_SALT)


def read_file_token(secret_key: str, token: str, max_age_days: float) -> PersonLink:
    """A file link's content, or :class:`LinkError`. Its age is measured on the (movable) system clock."""
    return _read(secret_key, token, max_age_days, FILE_SALT)


# -- the short code --------------------------------------------------------------------------------------
def _mac(secret_key: str, purpose: str, *parts: object) -> bytes:
    message = ":".join(str(part) for part in (purpose, *parts)).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def _base32(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(length))


def consent_code(secret_key: str, application_id: int, asked_at: datetime, round_: int = 0) -> str:
    """The short code of one request for consent (8 characters of Crockford base32, 40 bits).

    Derived, not stored: the letter can be printed again with the same code; the database keeps only
    :func:`code_digest`. ``round_`` picks another code when this one collides with an open one."""
    return _base32(_mac(secret_key, "consent-code", application_id, round(asked_at.timestamp(), 3), round_), 8)


def normalise_code(text: str) -> str | None:
    """A typed code as the person may type it (lower case, hyphens, spaces, O for 0, I or L for 1), or None
    when it cannot be a code: never longer than a few characters past the code, so nothing big is hashed."""
    if len(text) > 32:
        return None
    compact = "".join(char for char in text.upper() if char not in " -\t").translate(_TYPOS)
    if len(compact) != CODE_LENGTH or any(char not in ALPHABET for char in compact):
        return None
    return compact


def format_code(code: str) -> str:
    """As printed: two groups of four, ``K7M2-9QXD``."""
    return f"{code[:4]}-{code[4:]}"


def code_digest(secret_key: str, code: str) -> str:
    """What the database keeps of a code: a keyed hash, so a copy of the database gives no code."""
    return _mac(secret_key, "consent-code-digest", code).hex()


def form_code(secret_key: str, application_id: int, asked_at: datetime, version: int) -> str:
    """The code printed in the paper form's signature block: the form's version and a check of the file and
    its request for consent, so the upload step takes only a form printed for this very request."""
    check = _base32(_mac(secret_key, "paper-form", application_id, round(asked_at.timestamp(), 3), version), 6)
    return f"F{version}-{check}"
