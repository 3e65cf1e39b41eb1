"""Check the audit log's proofs offline: plain Python, ``hashlib``, ``json`` and ``cryptography`` only.

This file imports nothing of the application, so an auditor can copy it alone and check what
``screening audit prove ENTRY_ID`` printed and the signed tree heads that were exported:

    python offline.py PROOF.json --public-key audit-signing.pub.pem [--head EXPORTED-HEAD.json]

The log is a Merkle tree as in Certificate Transparency (RFC 9162, section 2.1): a leaf hash is
``SHA-256(0x00 || entry)``, an inner node ``SHA-256(0x01 || left || right)``, and a tree of ``n`` leaves
splits at the largest power of two below ``n``. A tree head (size, root hash, time, key id) is signed with
Ed25519. The application uses the same functions (``screening/audit/log.py`` imports them), so what the
auditor runs is what the sealer ran.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

#: The entry's fields in the order they enter its leaf; ``reason`` and ``client_address`` (personal data
#: that may be erased) enter through ``redactable_digest``; an erasure event names the entries it blanked
#: through ``erases_digest``.
LEAF_FIELDS = (
    "id", "at", "actor_user_id", "actor", "role", "action", "object_type", "object_id", "organisation_id",
    "from_state", "to_state", "redactable_digest", "erases_digest",
)  # fmt: skip
LEAF_VERSION = "screening-audit/1"
#: Domain separation of the head signature: nothing else the application signs can pass for a head.
HEAD_CONTEXT = b"screening/audit-tree-head/v1\x00"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


# -- RFC 9162 hashing ------------------------------------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def timestamp(value: datetime) -> str:
    """The one textual form of a time in leaves and heads: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def leaf_values(values: Sequence[Any]) -> bytes:
    """The leaf of an entry given as the values of :data:`LEAF_FIELDS`, in that order."""
    return _ENCODE([LEAF_VERSION, *(timestamp(v) if isinstance(v, datetime) else v for v in values)]).encode()


def leaf_data(entry: Mapping[str, Any]) -> bytes:
    """An audit entry as its leaf holds it: a compact JSON array of :data:`LEAF_FIELDS`, UTF-8."""
    return leaf_values([entry[name] for name in LEAF_FIELDS])


def redactable_digest(reason: str | None, client_address: str | None) -> str:
    """SHA-256 of the two erasable fields, as the leaf covers them (the formula of the first hash chain)."""
    return hashlib.sha256(json.dumps([reason, client_address], ensure_ascii=False).encode()).hexdigest()


def erases_digest(entry_ids: Iterable[int]) -> str:
    """SHA-256 of the ids an erasure event blanked, ascending: the event's leaf names them through it."""
    text = ",".join(str(i) for i in sorted(entry_ids))
    return hashlib.sha256(b"screening-audit-erases/1\n" + text.encode()).hexdigest()


def largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, by RFC 9162's recursive definition (for tests and small trees)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = largest_power_of_two_below(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


# -- proofs ----------------------------------------------------------------------------------------------------
def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162, 2.1.3.2: does ``path`` prove leaf ``index`` (hash ``leaf``) is in the tree ``root`` of ``size``?"""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162, 2.1.4.2: does ``path`` prove the tree of ``second`` leaves extends the one of ``first``?"""
    if first < 0 or first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


# -- signed tree heads -----------------------------------------------------------------------------------------
def head_message(head: Mapping[str, Any]) -> bytes:
    """The bytes a tree head's signature covers."""
    fields = [head["tree_size"], head["root_hash"], head["timestamp"], head["key_id"]]
    return HEAD_CONTEXT + json.dumps(fields, separators=(",", ":")).encode()


def key_id(public_key: Any) -> str:
    """A public key's id: the first 16 hex digits of SHA-256 over its 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_head(head: Mapping[str, Any], public_keys: Mapping[str, Any]) -> str | None:
    """None when ``head`` is signed by one of ``public_keys`` (by key id), else what is wrong."""
    from cryptography.exceptions import InvalidSignature

    key = public_keys.get(head.get("key_id", ""))
    if key is None:
        return f"signed with unknown key {head.get('key_id')!r}"
    try:
        key.verify(base64.b64decode(head["signature"], validate=True), head_message(head))
    except (InvalidSignature, ValueError, KeyError):
        return "its signature does not match"
    return None


# -- the command line ------------------------------------------------------------------------------------------
def check_proof(
    proof: Mapping[str, Any], public_keys: Mapping[str, Any], exported: Mapping[str, Any] | None
) -> list[str]:
    """Everything wrong with a proof printed by ``screening audit prove`` (empty: it holds)."""
    problems: list[str] = []
    entry, head = proof["entry"], proof["head"]
    problem = verify_head(head, public_keys)
    if problem:
        problems.append(f"tree head: {problem}")
    texts = entry.get("reason"), entry.get("client_address")
    if texts != (None, None) and redactable_digest(*texts) != entry["redactable_digest"]:
        problems.append("entry: its reason or address do not match their digest")
    leaf = leaf_hash(leaf_data(entry))
    path = [bytes.fromhex(h) for h in proof["inclusion"]]
    if not verify_inclusion(proof["leaf_index"], head["tree_size"], leaf, path, bytes.fromhex(head["root_hash"])):
        problems.append("entry: the inclusion proof does not lead to the head's root hash")
    if exported is not None:
        problem = verify_head(exported, public_keys)
        if problem:
            problems.append(f"exported head: {problem}")
        consistency = [bytes.fromhex(h) for h in proof.get("consistency", [])]
        if proof.get("consistency_from") != exported["tree_size"] or not verify_consistency(
            exported["tree_size"], head["tree_size"], bytes.fromhex(exported["root_hash"]),
            bytes.fromhex(head["root_hash"]), consistency,
        ):  # fmt: skip
            problems.append("exported head: the log of today does not extend it (consistency proof fails)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an audit entry's proof against signed tree heads.")
    parser.add_argument("proof", help="the JSON printed by `screening audit prove ENTRY_ID`")
    parser.add_argument("--public-key", action="append", required=True, help="PEM file of an audit public key")
    parser.add_argument("--head", help="a tree head exported earlier (JSON), which the proof's head must extend")
    args = parser.parse_args(argv)
    keys = {}
    for path in args.public_key:
        with open(path, "rb") as handle:
            key = load_public_key(handle.read())
        keys[key_id(key)] = key
    with open(args.proof, encoding="utf-8") as handle:
        proof = json.load(handle)
    exported = None
    if args.head:
        with open(args.head, encoding="utf-8") as handle:
            exported = json.load(handle)
    problems = check_proof(proof, keys, exported)
    for problem in problems:
        print(f"FAILED: {problem}")
    if not problems:
        size = proof["head"]["tree_size"]
        print(f"OK: entry {proof['entry']['id']} is leaf {proof['leaf_index']} of the signed log of {size} entries")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
