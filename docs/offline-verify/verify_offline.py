"""Check a screening certificate, or an access-control status list, with nothing but the authority's
published key set.

Plain Python 3.11+ and the ``cryptography`` package; this file imports nothing of the application, so
another authority, a gate system or an inspector can copy it alone, next to the key set saved from
``<site>/.well-known/screening-keys.json``:

    python verify_offline.py --keys screening-keys.json CERTIFICATE.pdf
    python verify_offline.py --keys screening-keys.json TOKEN          # the token from the QR code
    python verify_offline.py --keys screening-keys.json CERTIFICATE.pdf --on 2027-01-01
    python verify_offline.py --keys screening-keys.json --status-list status-list.txt   # or the .json form
    python verify_offline.py --keys screening-keys.json --status-list status-list.json --code 7KQ4-M2XD-9PAY

For a certificate it prints the signed claims (reference, holder initials, validity, issue date, key,
verification code); for a status list its header and entries (or, with ``--code``, what it says of one
code). Exit status: 0 genuine (a certificate: and valid on the day); 1 not genuine; 2 usage error (e.g.
the key set is not one); 3 a genuine certificate outside its validity period. Revocation is never in a
certificate: check the live status with the verification code on the authority's verification page, or
in the status list.

What it reads, as docs/certificates.md describes it:

* The key set is a JWK Set (RFC 7517) of Ed25519 keys (RFC 8037: ``kty`` OKP, ``crv`` Ed25519, ``x``). A
  key id is the key's fingerprint, recomputed here: 8 Crockford base32 characters of the first 40 bits of
  SHA-256 of the raw key. ``nbf`` / ``exp`` (seconds since 1970) bound the days the key's signatures count.
* The token is base64url (no padding) of a payload and its 64-byte Ed25519 signature over
  ``"screening/certificate/v1\\0" + payload``; the payload is a version byte (1), three length-prefixed
  fields (key id, clearance reference, holder initials) and three big-endian 16-bit day counts since
  2000-01-01 (valid from, valid until, issue date).
* From a PDF the token is taken from the file's Keywords metadata, which holds the verify URL
  (``.../verify/<token>``) as plain text. A file holding two different tokens is refused. The metadata is
  not the printed page: compare the claims printed here with the page (or scan the QR code and pass its
  token) before relying on the page's name and dates.
* A status list's signed text is ``screening status list v1``, then ``issued_at``, ``kid``, ``since`` and
  ``sequence`` lines, then one ``CODE STATUS DAY SEQUENCE`` line per entry, each line ending in a newline;
  the plain text file adds a last ``signature <base64url>`` line, the JSON form has the same fields and
  the signature, and the text is written out from them. The entries printed are read back from the
  signed text itself. The list counts as signed on its ``issued_at`` day (UTC) for the key's period.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import struct
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CERTIFICATE_CONTEXT = b"screening/certificate/v1\x00"
CODE_CONTEXT = b"screening/certificate-code/v1\x00"
EPOCH = date(2000, 1, 1)
KEYWORDS_TOKEN = re.compile(rb"/Keywords\s*\([^()]*/verify/([A-Za-z0-9_-]{40,512})\)")
TOKEN = re.compile(r"[A-Za-z0-9_-]{40,512}")

LIST_MAGIC = "screening status list v1"
LIST_FIELDS = {
    "issued_at": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"),
    "kid": re.compile(r"[0-9A-Z]{1,16}"),
    "since": re.compile(r"0|[1-9][0-9]{0,17}"),
    "sequence": re.compile(r"0|[1-9][0-9]{0,17}"),
}
LIST_LABELS = {"issued_at": "issued at", "kid": "key"}
LIST_ENTRY = re.compile(
    r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} (revoked|expired|suspended|reinstated) [0-9]{4}-[0-9]{2}-[0-9]{2}"
    r" (0|[1-9][0-9]{0,17})"
)

EXIT_NOT_GENUINE, EXIT_USAGE, EXIT_OUTSIDE_VALIDITY = 1, 2, 3
#: Certificates count days in the authority's zone.
SITE_ZONE = "Europe/Brussels"


class NotGenuine(Exception):
    """The signature, the key or the key's period does not hold."""


class Usage(Exception):
    """The key set or the input cannot be used."""


@dataclass(frozen=True)
class Key:
    kid: str
    public_key: Ed25519PublicKey
    first_day: date | None
    last_day: date | None

    def check_period(self, signed_on: date, day: date) -> None:
        """Refuse what the key signed on a day outside its period, or anything of it after its last day."""
        if (self.first_day and signed_on < self.first_day) or (self.last_day and signed_on > self.last_day):
            raise NotGenuine(f"signed on {signed_on}, outside the days key {self.kid} signs")
        if self.last_day and day > self.last_day:
            raise NotGenuine(f"key {self.kid} is trusted until {self.last_day} only")


def crockford(raw: bytes, chars: int) -> str:
    number = int.from_bytes(raw, "big") >> (len(raw) * 8 - chars * 5)
    return "".join(CROCKFORD[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def numeric_day(jwk: dict[str, Any], name: str) -> datetime | None:
    value = jwk.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Usage(f"key {jwk.get('kid')}: {name} is not a NumericDate")
    return datetime.fromtimestamp(value, UTC)


def read_keys(path: Path) -> dict[str, Key]:
    """The key set's Ed25519 signing keys by kid, each kid checked against the key's fingerprint."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as error:
        raise Usage(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError:
        raise Usage(f"{path}: not a JSON document") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise Usage(f'{path}: not a JWK Set (expected {{"keys": [...]}})')
    keys: dict[str, Key] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
            continue
        try:
            public_key = Ed25519PublicKey.from_public_bytes(b64decode(str(jwk.get("x"))))
        except (binascii.Error, ValueError):
            raise Usage(f"key {jwk.get('kid')}: x is not an Ed25519 public key") from None
        kid = crockford(hashlib.sha256(b64decode(str(jwk["x"]))).digest()[:5], 8)
        if jwk.get("kid") != kid:
            raise Usage(f"key {jwk.get('kid')}: the kid does not match the key (its fingerprint is {kid})")
        starts, ends = numeric_day(jwk, "nbf"), numeric_day(jwk, "exp")
        last = (ends - timedelta(seconds=1)).date() if ends else None
        keys[kid] = Key(kid, public_key, starts.date() if starts else None, last)
    if not keys:
        raise Usage(f"{path}: the key set holds no Ed25519 key")
    return keys


def read_token(source: str) -> str:
    """The token itself, or the one in a PDF file's Keywords metadata."""
    path = Path(source)
    if not path.is_file():
        if not TOKEN.fullmatch(source.strip()):
            raise Usage(f"{source}: neither a file nor a token")
        return source.strip()
    tokens = {match.group(1).decode("ascii") for match in KEYWORDS_TOKEN.finditer(path.read_bytes())}
    if len(tokens) > 1:
        raise NotGenuine("the file holds two different tokens: altered (pass the token of the QR code)")
    if not tokens:
        raise NotGenuine("no verification token in the file's metadata (pass the token of the QR code)")
    return tokens.pop()


def field(payload: bytes, at: int) -> tuple[bytes, int]:
    length = payload[at]
    if at + 1 + length > len(payload):
        raise NotGenuine("truncated token")
    return payload[at + 1 : at + 1 + length], at + 1 + length


def verification_code(token: str) -> str:
    data = crockford(hashlib.sha256(CODE_CONTEXT + token.encode("ascii")).digest()[:7], 11)
    check = CROCKFORD[sum((i + 1) * CROCKFORD.index(char) for i, char in enumerate(data)) % 31]
    code = data + check
    return "-".join(code[i : i + 4] for i in range(0, 12, 4))


def verify(token: str, keys: dict[str, Key], day: date) -> dict[str, str]:
    """The signed claims of a genuine token; raises NotGenuine."""
    try:
        raw = b64decode(token)
    except (binascii.Error, ValueError):
        raise NotGenuine("not base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        raise NotGenuine("not canonical base64url")
    payload, signature = raw[:-64], raw[-64:]
    if len(payload) < 10 or payload[0] != 1:
        raise NotGenuine("not a version 1 certificate token")
    try:
        kid, at = field(payload, 1)
        reference, at = field(payload, at)
        initials, at = field(payload, at)
        days = struct.unpack(">HHH", payload[at : at + 6])
    except (IndexError, struct.error):
        raise NotGenuine("truncated token") from None
    if at + 6 != len(payload):
        raise NotGenuine("trailing data in the token")
    valid_from, valid_until, issued = (EPOCH + timedelta(days=count) for count in days)
    key = keys.get(kid.decode("ascii", "replace"))
    if key is None:
        raise NotGenuine(f"signed with key {kid.decode('ascii', 'replace')!r}, which is not in the key set")
    try:
        key.public_key.verify(signature, CERTIFICATE_CONTEXT + payload)
    except InvalidSignature:
        raise NotGenuine("the signature does not match: altered") from None
    key.check_period(issued, day)
    return {
        "reference": reference.decode("ascii"),
        "holder initials": initials.decode("utf-8"),
        "valid from": valid_from.isoformat(),
        "valid until": valid_until.isoformat(),
        "issued on": issued.isoformat(),
        "key": kid.decode("ascii"),
        "verification code": verification_code(token),
    }


def read_status_list(path: Path) -> tuple[str, str]:
    """The signed text of a status list file and its signature: the plain text file without its last line,
    or the JSON form's fields written out as that text."""
    try:
        raw = path.read_bytes().decode("ascii")
    except OSError as error:
        raise Usage(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise NotGenuine("not a status list (not ASCII)") from None
    if not raw.lstrip().startswith("{"):
        body, _newline, last = raw.rstrip("\n").rpartition("\n")
        if not last.startswith("signature "):
            raise NotGenuine("the last line is not the signature")
        return body + "\n", last.removeprefix("signature ")
    try:
        document = json.loads(raw)
        lines = [LIST_MAGIC, *(f"{name} {document[name]}" for name in LIST_FIELDS)]
        lines += [f"{e['code']} {e['status']} {e['date']} {e['sequence']}" for e in document["entries"]]
        return "\n".join(lines) + "\n", str(document["signature"])
    except (ValueError, KeyError, TypeError) as error:
        raise NotGenuine(f"not a status list ({error.__class__.__name__}: {error})") from None


def verify_status_list(text: str, signature: str, keys: dict[str, Key], day: date) -> tuple[dict[str, str], list[str]]:
    """The header and the entry lines of a genuine list; raises NotGenuine. Parsed from the signed text
    itself, so what is printed is exactly what was signed."""
    lines = text.split("\n")[:-1]
    if len(lines) < len(LIST_FIELDS) + 1 or lines[0] != LIST_MAGIC:
        raise NotGenuine("not a status list")
    header = {}
    for line, (name, pattern) in zip(lines[1:], LIST_FIELDS.items(), strict=False):
        if not line.startswith(f"{name} ") or not pattern.fullmatch(line.removeprefix(f"{name} ")):
            raise NotGenuine(f"expected {name}, got {line[:60]!r}")
        header[name] = line.removeprefix(f"{name} ")
    entries = lines[len(LIST_FIELDS) + 1 :]
    for line in entries:
        if not LIST_ENTRY.fullmatch(line):
            raise NotGenuine(f"not an entry: {line[:60]!r}")
    key = keys.get(header["kid"])
    if key is None:
        raise NotGenuine(f"signed with key {header['kid']!r}, which is not in the key set")
    try:
        key.public_key.verify(b64decode(signature), text.encode("ascii"))
    except (InvalidSignature, binascii.Error, ValueError):
        raise NotGenuine("the signature does not match: altered") from None
    key.check_period(date.fromisoformat(header["issued_at"][:10]), day)
    return header, entries


def code_status(code: str, entries: list[str]) -> str:
    """What the list says of one code: its latest entry (entries are never removed, oldest first)."""
    compact = re.sub(r"[^0-9A-Za-z]", "", code).upper()
    grouped = "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    latest = [line for line in entries if line.startswith(grouped + " ")][-1:]
    if not latest:
        return f"{grouped}: not in the list (valid, unless past the end date on its certificate)"
    _code, status, day, sequence = latest[0].split(" ")
    return f"{grouped}: {status} on {day} (entry {sequence})"


def today() -> date:
    """Today in Belgium (where the dates are counted), or in UTC where the system has no time zone data."""
    try:
        return datetime.now(ZoneInfo(SITE_ZONE)).date()
    except ZoneInfoNotFoundError:
        return datetime.now(UTC).date()


def check_certificate(source: str, keys: dict[str, Key], day: date) -> int:
    claims = verify(read_token(source), keys, day)
    within = claims["valid from"] <= day.isoformat() <= claims["valid until"]
    print("GENUINE: signed by the authority" + ("" if within else f", but not valid on {day.isoformat()}"))
    for name, value in claims.items():
        print(f"{name}: {value}")
    return 0 if within else EXIT_OUTSIDE_VALIDITY


def check_status_list(path: Path, keys: dict[str, Key], day: date, code: str | None) -> int:
    header, entries = verify_status_list(*read_status_list(path), keys, day)
    print("GENUINE: status list signed by the authority")
    for name, value in header.items():
        print(f"{LIST_LABELS.get(name, name)}: {value}")
    print(f"entries: {len(entries)}")
    for line in [code_status(code, entries)] if code else entries:
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a certificate or a status list with the published keys.")
    parser.add_argument("certificate", nargs="?", help="the certificate PDF, or the token from its QR code")
    parser.add_argument("--status-list", type=Path, help="a status list instead (the .txt or the .json form)")
    parser.add_argument("--code", help="with --status-list: what the list says of this verification code")
    parser.add_argument("--keys", required=True, type=Path, help="the key set (screening-keys.json)")
    parser.add_argument("--on", type=date.fromisoformat, default=None, help="judge this day (YYYY-MM-DD)")
    arguments = parser.parse_args(argv)
    if (arguments.certificate is None) == (arguments.status_list is None):
        parser.error("give a certificate (PDF or token) or --status-list FILE")
    day = arguments.on or today()
    try:
        keys = read_keys(arguments.keys)
        if arguments.status_list:
            return check_status_list(arguments.status_list, keys, day, arguments.code)
        return check_certificate(arguments.certificate, keys, day)
    except Usage as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except NotGenuine as error:
        print(f"NOT GENUINE: {error}")
        return EXIT_NOT_GENUINE


if __name__ == "__main__":
    sys.exit(main())
