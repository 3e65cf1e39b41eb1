"""The person's signed link: consent or refusal, then the state of their own file.

The person has no account. The link carries the application and person it was made for and the moment
consent was asked, signed with the application's secret (itsdangerous, HMAC-SHA1 by default, salted per
purpose) and checked for age. It cannot be forged, cannot be used for another file, and once the person
has answered, the consent step it was made for is gone (the state moved on), so a replay changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "screening.person-link.v1"


class LinkError(ValueError):
    """The link is forged, damaged or expired; ``expired`` tells which, for a kinder message."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class PersonLink:
    application_id: int
    person_id: int
    #: When consent was asked (the application's entry into awaiting_consent), as a POSIX timestamp.
    asked_at: float


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_link_token(secret_key: str, application_id: int, person_id: int, asked_at: datetime) -> str:
    return _serializer(secret_key).dumps([application_id, person_id, round(asked_at.timestamp(), 3)])


def read_link_token(secret_key: str, token: str, max_age_days: int) -> PersonLink:
    """The link's content, or :class:`LinkError`. Its age is measured on the (movable) system clock."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise LinkError("This link has expired.", expired=True) from None
    except BadSignature:
        raise LinkError("This link is not valid.") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in payload)
    ):
        raise LinkError("This link is not valid.")
    return PersonLink(application_id=int(payload[0]), person_id=int(payload[1]), asked_at=float(payload[2]))
