"""The status list's canonical form, its signature and its offline check: what a gate system needs.

No Flask, no database: a gate (or anyone) can copy this file, or rewrite its few lines, and check a list
with the public key alone (the ``cryptography`` package). The signed bytes are the plain text file without
its last line, UTF-8 (all ASCII), every line ending in ``\\n``::

    screening status list v1
    issued_at 2026-12-02T14:20:00Z
    kid 7KQ4M2XD
    since 0
    sequence 3
    7KQ4-M2XD-9PAY revoked 2026-12-01 1
    ...
    signature <base64url of the Ed25519 signature over every line above, no padding>

``since`` is the ``?since=`` asked (0: the full list), ``sequence`` the highest entry sequence the list
knew when it was issued (a delta with no entry keeps it), one line per entry: code, status, date (the
day the status took effect, Brussels), sequence, oldest first. The JSON form carries the same fields and
the same signature; the gate rebuilds the text from them (:func:`canonical_text`) and checks that. A
code's status is its latest entry; entries are never removed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAGIC = "screening status list v1"
#: revoked; expired; suspended (under re-evaluation); reinstated (valid again after a suspension or an
#: annulled revocation).
STATUSES = ("revoked", "expired", "suspended", "reinstated")
_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_KID = re.compile(r"[0-9A-Z]{1,16}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{86}")


class NotGenuine(Exception):
    """The list is damaged, altered, or signed by a key the gate does not trust."""


@dataclass(frozen=True)
class Entry:
    code: str
    status: str
    date: str
    sequence: int


@dataclass(frozen=True)
class StatusList:
    issued_at: str
    kid: str
    since: int
    sequence: int
    entries: tuple[Entry, ...]


def header(issued_at: str, kid: str, since: int, sequence: int) -> str:
    return f"{MAGIC}\nissued_at {issued_at}\nkid {kid}\nsince {since}\nsequence {sequence}\n"


def entry_line(code: str, status: str, date: str, sequence: int) -> str:
    return f"{code} {status} {date} {sequence}\n"


def canonical_text(issued_at: str, kid: str, since: int, sequence: int, entries: Iterable[Entry]) -> str:
    """The signed text of a list (the server builds it faster, line by line, with the same two functions)."""
    lines = "".join(entry_line(e.code, e.status, e.date, e.sequence) for e in entries)
    return header(issued_at, kid, since, sequence) + lines


def sign(signing_key: Ed25519PrivateKey, text: str) -> str:
    return base64.urlsafe_b64encode(signing_key.sign(text.encode("ascii"))).rstrip(b"=").decode("ascii")


def signature_line(signature: str) -> str:
    return f"signature {signature}\n"


def verify_text(document: str, public_keys: Mapping[str, Ed25519PublicKey]) -> StatusList:
    """The list in ``document`` (the plain text file) once its signature checks out with the key it names."""
    body, _sep, last = document.rstrip("\n").rpartition("\n")
    if not last.startswith("signature "):
        raise NotGenuine("the last line is not the signature")
    parsed = _parse(body + "\n")
    _check(body + "\n", last.removeprefix("signature "), parsed.kid, public_keys)
    return parsed


def verify_json(document: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]) -> StatusList:
    """The list in ``document`` (the JSON form, parsed) once its signature checks out."""
    try:
        entries = tuple(
            Entry(str(e["code"]), str(e["status"]), str(e["date"]), _int(e["sequence"])) for e in document["entries"]
        )
        text = canonical_text(
            str(document["issued_at"]), str(document["kid"]), _int(document["since"]), _int(document["sequence"]),
            entries,
        )  # fmt: skip
    except (KeyError, TypeError) as error:
        raise NotGenuine(f"a field is missing or malformed: {error}") from None
    parsed = _parse(text)  # the same rules as the text file: a field with a space or a line break fails here
    _check(text, str(document.get("signature", "")), parsed.kid, public_keys)
    return parsed


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not a whole number: {value!r}")
    return value


def _check(text: str, signature: str, kid: str, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
    key = public_keys.get(kid)
    if key is None:
        raise NotGenuine(f"signed with key {kid}, which is not trusted here")
    if not _SIGNATURE.fullmatch(signature):
        raise NotGenuine("the signature is malformed")
    try:
        key.verify(base64.urlsafe_b64decode(signature + "=="), text.encode("ascii"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise NotGenuine("the signature does not match: the list was altered or not signed by this key") from None


def _field(line: str, name: str, pattern: re.Pattern[str]) -> str:
    prefix = f"{name} "
    value = line.removeprefix(prefix)
    if not line.startswith(prefix) or not pattern.fullmatch(value):
        raise NotGenuine(f"expected {name}, got {line[:60]!r}")
    return value


def _parse(text: str) -> StatusList:
    lines = text.split("\n")
    if len(lines) < 6 or lines[0] != MAGIC or lines[-1] != "":
        raise NotGenuine("not a status list")
    issued_at = _field(lines[1], "issued_at", _STAMP)
    kid = _field(lines[2], "kid", _KID)
    since = int(_field(lines[3], "since", _NUMBER))
    sequence = int(_field(lines[4], "sequence", _NUMBER))
    entries = tuple(_entry(line) for line in lines[5:-1])
    return StatusList(issued_at, kid, since, sequence, entries)


def _entry(line: str) -> Entry:
    parts = line.split(" ")
    if len(parts) != 4 or not (_CODE.fullmatch(parts[0]) and parts[1] in STATUSES and _DATE.fullmatch(parts[2])):
        raise NotGenuine(f"not an entry: {line[:60]!r}")
    if not _NUMBER.fullmatch(parts[3]):
        raise NotGenuine(f"not an entry: {line[:60]!r}")
    return Entry(parts[0], parts[1], parts[2], int(parts[3]))
