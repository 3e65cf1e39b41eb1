"""TOTP arithmetic (RFC 6238 through pyotp) and recovery codes, without Flask or the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from html import escape

import pyotp

#: Codes of the step before and after the current one are accepted too (clocks drift; typing takes time).
DRIFT_STEPS = 1
STEP_SECONDS = 30
RECOVERY_CODES = 10
#: base32 without look-alikes is overkill; 12 characters of base32 (60 bits), shown in groups of four.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (within the drift), or None. The caller refuses a step it
    already accepted, so a code seen over a shoulder or in a proxy log cannot be replayed."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():  # "²".isdigit(); compare_digest: ASCII
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step  # no early exit: the same work whichever step matches
    return found


def current_code(secret: str, now: datetime) -> str:
    return pyotp.TOTP(secret).at(now)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    return "".join(character for character in code.lower() if character.isalnum())


def hash_recovery_code(code: str, salt: str) -> str:
    """Salted SHA-256 (ASVS 2.6.2: a lookup secret under 112 bits is salted and hashed)."""
    return hashlib.sha256(f"{salt}:{normalise_recovery_code(code)}".encode()).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def qr_svg(text: str, label: str) -> str:
    """The provisioning URI as an inline SVG QR code: rectangles with presentation attributes only (no
    script, no style attribute, no external image), so the page's Content-Security-Policy holds."""
    from reportlab.graphics.barcode.qr import QrCodeWidget

    widget = QrCodeWidget(text, barLevel="M")
    widget.qr.make()
    modules = widget.qr.modules
    border, count = 4, len(modules)
    size = count + 2 * border
    cells = "".join(
        f'<rect x="{column + border}" y="{row + border}" width="1" height="1"/>'
        for row, line in enumerate(modules)
        for column, dark in enumerate(line)
        if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="200" height="200" '
        f'role="img" aria-label="{escape(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<g fill="#000">{cells}</g></svg>'
    )
