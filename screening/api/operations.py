"""Every write of the API's own: tokens (made and revoked by the organisation's screening manager, an
access-control organisation's by an administrator) and the answers kept for idempotent retries.
Operations flush, never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from screening.actors import Actor
from screening.api.auth import AUTHORITY_TOKEN_ROLE, SHOWN_CHARACTERS, TOKEN_ROLE, new_token, token_digest
from screening.api.models import ACCESS_CONTROL_SCOPE, EMPLOYER_SCOPES, ApiToken, IdempotentRequest
from screening.audit.operations import record
from screening.clock import utcnow
from screening.db import db
from screening.errors import Conflict, InvalidInput, NotAllowed
from screening.organisations.models import ACCESS_CONTROL_MAKER, Organisation

NAME_MAX = 60


def create_token(
    actor: Actor, *, name: str, scopes: Iterable[str], expires_at: datetime | None = None,
    organisation: Organisation | None = None, now: datetime | None = None,
) -> tuple[ApiToken, str]:  # fmt: skip
    """A new token of the actor's organisation, or made by a security officer for the authority's own tools
    (no organisation, read only), or made by an administrator for the access-control ``organisation``;
    returns it and the secret, which is never shown again."""
    organisation_id, allowed = _token_owner(actor, organisation)
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInput("Give the token a name of at most %(n)d characters.", field="name", n=NAME_MAX)
    wanted = set(scopes)
    if wanted - set(allowed):
        raise InvalidInput(
            "This organisation's tokens may hold only: %(scopes)s.", field="scopes", scopes=", ".join(allowed)
        )
    chosen = [scope for scope in allowed if scope in wanted]
    if not chosen:
        raise InvalidInput("Choose at least one scope.", field="scopes")
    if actor.role == AUTHORITY_TOKEN_ROLE and chosen != ["read"]:
        raise InvalidInput(
            "A token of the authority's own tools only reads: choose the read scope only.", field="scopes"
        )
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("The expiry date must be in the future.", field="expires_on")
    secret = new_token()
    token = ApiToken(
        organisation_id=organisation_id, created_by_id=actor.user_id, name=name,
        prefix=secret[:SHOWN_CHARACTERS], token_hash=token_digest(secret), scopes=" ".join(chosen),
        created_at=now, expires_at=expires_at,
    )  # fmt: skip
    db.session.add(token)
    db.session.flush()
    record(
        actor, "create_api_token", "api_token", token.id, organisation_id=organisation_id,
        reason=f"{name} ({' '.join(chosen)})", now=now,
    )  # fmt: skip
    return token, secret


def _token_owner(actor: Actor, organisation: Organisation | None) -> tuple[int | None, tuple[str, ...]]:
    """Whose token the actor makes, and the scopes it may hold: an employer's screening manager makes its
    own organisation's, a security officer the authority's (never the access-control scope); an
    access-control organisation has no accounts, so an administrator makes its tokens, with that scope only."""
    if organisation is not None:
        if actor.user_id is None or actor.role != ACCESS_CONTROL_MAKER or not organisation.is_access_control:
            raise NotAllowed("Only an employer's screening manager or a security officer can manage API tokens.")
        return organisation.id, (ACCESS_CONTROL_SCOPE,)
    _check_maker(actor, actor.organisation_id)
    return actor.organisation_id, EMPLOYER_SCOPES


def _check_maker(actor: Actor, organisation_id: int | None) -> None:
    """An organisation's tokens are its screening manager's; the authority's (no organisation) its officers'."""
    wanted = TOKEN_ROLE if organisation_id is not None else AUTHORITY_TOKEN_ROLE
    if actor.user_id is None or actor.organisation_id != organisation_id or actor.role != wanted:
        raise NotAllowed("Only an employer's screening manager or a security officer can manage API tokens.")


def revoke_token(actor: Actor, token: ApiToken, *, now: datetime | None = None) -> None:
    """The token stops at its next request (it is read fresh on every one)."""
    if not (actor.role == ACCESS_CONTROL_MAKER and token.scopes == ACCESS_CONTROL_SCOPE):
        _check_maker(actor, token.organisation_id)
    if token.revoked_at is not None:
        raise Conflict("This token was already revoked.")
    now = now or utcnow()
    token.revoked_at = now
    token.revoked_by_id = actor.user_id
    record(
        actor,
        "revoke_api_token",
        "api_token",
        token.id,
        organisation_id=token.organisation_id,
        reason=token.name,
        now=now,
    )


# -- idempotent retries ---------------------------------------------------------------------------


def claim_key(
    token_id: int, key: str, fingerprint: str, keep: timedelta, now: datetime | None = None
) -> IdempotentRequest:
    """The row of ``key`` for this token: the stored first answer when there is one, else a new claim
    (``status`` None) written before the work, so a concurrent twin waits for it and then finds it taken.

    Keys older than ``keep`` are forgotten first (the token's own, through its index): a key may then be used
    again."""
    now = now or utcnow()
    db.session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.token_id == token_id, IdempotentRequest.created_at < now - keep
        )
    )
    existing = db.session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
    )
    if existing is not None:
        return existing
    claim = IdempotentRequest(token_id=token_id, key=key, fingerprint=fingerprint, created_at=now)
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A request with this Idempotency-Key is still being processed. Try again shortly.") from None
    return claim


def keep_answer(claim: IdempotentRequest, status: int, headers: Mapping[str, str], body: bytes) -> None:
    claim.status = status
    claim.headers = json.dumps(dict(headers))
    claim.body = body
