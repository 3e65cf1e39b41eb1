"""Standard Webhooks signatures through the ``standardwebhooks`` package: ``whsec_`` secrets (24 random
bytes, base64), and the ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers. During a
rotation's grace period the signature header carries one signature per secret, as the specification
allows, so a receiver that still has the old secret keeps verifying."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def headers(msg_id: str, body: str, signing_secrets: Sequence[str], at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt sent at ``at``."""
    moment = at.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id, moment, body) for secret in signing_secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
