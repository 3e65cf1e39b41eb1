"""Security keys (WebAuthn, py_webauthn 3): registration and the sign-in assertion, without Flask.

The relying party is the application's ``app.base_url``: its host is the RP id and its origin the only
one accepted, so an assertion made for another site (a phishing copy) never verifies here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.models import SecurityKey, User
from screening.db import db

#: The credential JSON a browser posts is small; anything larger is refused before parsing.
MAX_CREDENTIAL_JSON = 64 * 1024


class KeyRefused(ValueError):
    """The browser's answer does not verify (wrong origin, challenge, signature, a cloned key...)."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str

    @classmethod
    def of(cls, base_url: str, name: str) -> RelyingParty:
        parts = urlsplit(base_url)
        return cls(id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}", name=name)


def _keys_of(user_id: int) -> list[SecurityKey]:
    return list(db.session.scalars(select(SecurityKey).where(SecurityKey.user_id == user_id).order_by(SecurityKey.id)))


def registration_options(party: RelyingParty, user: User) -> tuple[str, str]:
    """The options JSON for ``navigator.credentials.create`` and its challenge (base64url, for the session)."""
    options = generate_registration_options(
        rp_id=party.id, rp_name=party.name, user_name=user.username, user_display_name=user.display_name,
        user_id=f"screening-user-{user.id}".encode(),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id))
                             for k in _keys_of(user.id)],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )  # fmt: skip
    return options_to_json(options), bytes_to_base64url(options.challenge)


def register(
    actor: Actor, party: RelyingParty, user: User, credential: str, challenge: str, name: str, now: datetime
) -> SecurityKey:
    if len(credential) > MAX_CREDENTIAL_JSON:
        raise KeyRefused("credential too large")
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=party.id, expected_origin=party.origin,
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise KeyRefused(str(error)) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(SecurityKey.id).where(SecurityKey.credential_id == credential_id)) is not None:
        raise KeyRefused("credential already registered")
    key = SecurityKey(
        user_id=user.id, credential_id=credential_id, public_key=verified.credential_public_key,
        sign_count=verified.sign_count, name=name[:100], created_at=now,
    )  # fmt: skip
    db.session.add(key)
    db.session.flush()
    record(actor, "register_security_key", "user", user.id, organisation_id=user.organisation_id, reason=name[:100])
    return key


def authentication_options(party: RelyingParty, user_id: int) -> tuple[str, str]:
    options = generate_authentication_options(
        rp_id=party.id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id)) for k in _keys_of(user_id)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def authenticate(party: RelyingParty, user_id: int, credential: str, challenge: str, now: datetime) -> SecurityKey:
    """The account's key that signed this challenge; its signature counter moves forward (a clone
    replaying an older counter is refused by py_webauthn)."""
    if len(credential) > MAX_CREDENTIAL_JSON:
        raise KeyRefused("credential too large")
    try:
        raw: Any = json.loads(credential)
        credential_id = str(raw["id"])
    except (ValueError, KeyError, TypeError) as error:
        raise KeyRefused("not a credential") from error
    key = db.session.scalar(
        select(SecurityKey).where(SecurityKey.user_id == user_id, SecurityKey.credential_id == credential_id)
    )
    if key is None:
        raise KeyRefused("not a key of this account")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=party.id,
            expected_origin=party.origin, credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )  # fmt: skip
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise KeyRefused(str(error)) from error
    moved = db.session.execute(
        update(SecurityKey)
        .where(SecurityKey.id == key.id, SecurityKey.sign_count == key.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise KeyRefused("the key was used at the same moment by another request")
    return key
