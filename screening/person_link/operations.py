"""Writes of the person's link: open a request for consent with its short code, take the address the person
gives, close the request once answered, and count the short codes that found nothing (the guessing throttle).

Plain arguments only (this package sits below the applications: it never imports them)."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from screening.db import db
from screening.person_link.models import ConsentCodeAttempt, ConsentRequest
from screening.person_link.tokens import code_digest, consent_code

#: Codes tried for one request before giving up on a free one (40 bits: a collision is already rare).
_ROUNDS = 16


def request_for(application_id: int) -> ConsentRequest | None:
    return db.session.scalar(select(ConsentRequest).where(ConsentRequest.application_id == application_id))


def open_request(secret_key: str, application_id: int, asked_at: datetime) -> ConsentRequest:
    """The request for consent of a file that has just been submitted (or, for a file submitted before
    requests were kept, the first time its letter or code is needed), with a short code no open request has."""
    request = request_for(application_id)
    if request is not None and abs((request.asked_at - asked_at).total_seconds()) < 0.01:
        return request
    if request is None:
        request = ConsentRequest(application_id=application_id, asked_at=asked_at)
        db.session.add(request)
    request.asked_at, request.answered_at, request.email, request.email_given_at = asked_at, None, None, None
    digests = [code_digest(secret_key, consent_code(secret_key, application_id, asked_at, n)) for n in range(_ROUNDS)]
    taken = set(db.session.scalars(select(ConsentRequest.code_digest).where(ConsentRequest.code_digest.in_(digests))))
    free = next(n for n, digest in enumerate(digests) if digest not in taken)
    request.code_round, request.code_digest = free, digests[free]
    db.session.flush()
    return request


def find_by_code(secret_key: str, code: str) -> ConsentRequest | None:
    """The open request a (normalised) code belongs to, or None."""
    digest = code_digest(secret_key, code)
    return db.session.scalar(
        select(ConsentRequest).where(ConsentRequest.code_digest == digest, ConsentRequest.answered_at.is_(None))
    )


def give_address(request: ConsentRequest, email: str | None, now: datetime) -> None:
    """The address the person typed (or confirmed) on the consent page: the file link and notices go there."""
    request.email = email
    request.email_given_at = now if email else None


def close_request(request: ConsentRequest, now: datetime) -> None:
    """Answered (consent, refusal, the signed form): the consent link and the short code stop for good."""
    request.answered_at = now
    request.code_digest = None


def confirmed_address(application_id: int) -> str | None:
    """The address the person gave for this file, if any: the only one the person's own link goes to."""
    return db.session.scalar(select(ConsentRequest.email).where(ConsentRequest.application_id == application_id))


# -- the guessing throttle ------------------------------------------------------------------------------
def throttle_key(address: str | None) -> str | None:
    """The address as counted: an IPv6 address by its /64 (a host is usually given the whole network, so
    counting single addresses would give an attacker 2**64 of them)."""
    if not address:
        return address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:45]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))[:45]
    return str(parsed)


def failures_since(address: str | None, since: datetime) -> tuple[int, int]:
    """Failed codes since ``since``: from this (throttled) address, and from everywhere (both indexed)."""
    key = throttle_key(address)
    mine = db.session.scalar(
        select(func.count())
        .select_from(ConsentCodeAttempt)
        .where(ConsentCodeAttempt.client_address == key, ConsentCodeAttempt.at >= since)
    )
    everyone = db.session.scalar(
        select(func.count()).select_from(ConsentCodeAttempt).where(ConsentCodeAttempt.at >= since)
    )
    return mine or 0, everyone or 0


def log_failure(address: str | None, now: datetime, window: timedelta) -> None:
    """Count one code that found nothing, and drop the rows the window no longer needs. The page answers
    422: the caller keeps the refusal (:func:`screening.db.keep_refusal`) so the count is committed."""
    db.session.execute(delete(ConsentCodeAttempt).where(ConsentCodeAttempt.at < now - window))
    db.session.add(ConsentCodeAttempt(at=now, client_address=throttle_key(address)))
    db.session.flush()
