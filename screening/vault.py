"""Protected identifiers: encrypted at rest, found through a keyed hash.

National register and document numbers are never stored in clear. ``MultiFernet`` encrypts with the
first configured key and decrypts with any, so keys rotate by putting a new key first and running
``screening identifiers rotate``. The lookup hash is an HMAC, so the same number always finds the same
person ("screened once") while the stored hash reveals nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, MultiFernet


class IdentifierVault:
    def __init__(self, keys: Sequence[str], lookup_key: str) -> None:
        if not keys:
            raise ValueError("at least one identifier key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self._lookup_key = lookup_key.encode()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

    def lookup_hash(self, kind: str, value: str) -> str:
        """A keyed hash of an identifier; ``kind`` separates national numbers from passports."""
        message = f"{kind}:{value}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()
