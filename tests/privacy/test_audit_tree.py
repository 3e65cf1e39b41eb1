"""The log's tree is RFC 9162's: leaf and node hashing by the RFC's definitions, roots equal to pymerkle's
(an independent implementation) at every size, and proofs that the RFC's verification algorithms accept."""

from __future__ import annotations

import hashlib

import pytest
from pymerkle import InmemoryTree

from screening.audit import offline
from screening.audit.tree import Frontier, consistency_ranges, inclusion_ranges

pytestmark = pytest.mark.nodb

DATA = [f"entry {i}".encode() for i in range(70)]
LEAVES = [offline.leaf_hash(d) for d in DATA]


def mth(data: list[bytes]) -> bytes:
    """RFC 9162, 2.1.1, as written: MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 || d0), and
    MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with k the largest power of two below n."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < len(data):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def test_roots_are_rfc_9162_and_pymerkle_at_every_size() -> None:
    reference = InmemoryTree(algorithm="sha256")
    tree = Frontier()
    for n, (data, leaf) in enumerate(zip(DATA, LEAVES, strict=True), start=1):
        reference.append_entry(data)
        tree.append(leaf)
        assert tree.root() == mth(DATA[:n]) == reference.get_root(n)
    assert Frontier().root() == mth([]) == hashlib.sha256(b"").digest()


def test_inclusion_proofs_verify_and_match_pymerkles_path() -> None:
    reference = InmemoryTree(algorithm="sha256")
    for data in DATA:
        reference.append_entry(data)
    for size in range(1, len(DATA) + 1):
        root = mth(DATA[:size])
        for index in range(size):
            path = [mth(DATA[s:e]) for s, e in inclusion_ranges(index, size)]
            assert offline.verify_inclusion(index, size, LEAVES[index], path, root)
            # pymerkle's path starts with the leaf itself, then the RFC's path
            assert [
                bytes.fromhex(h) for h in reference.prove_inclusion(index + 1, size).serialize()["path"][1:]
            ] == path
            assert not offline.verify_inclusion(index, size, LEAVES[(index + 1) % len(LEAVES)], path, root) or size == 1


def test_consistency_proofs_verify_and_catch_a_rewritten_past() -> None:
    for second in range(1, len(DATA) + 1):
        for first in range(1, second + 1):
            path = [mth(DATA[s:e]) for s, e in consistency_ranges(first, second)]
            assert offline.verify_consistency(first, second, mth(DATA[:first]), mth(DATA[:second]), path)
            if first < second:
                forged = mth([b"forged", *DATA[1:first]])
                assert not offline.verify_consistency(first, second, forged, mth(DATA[:second]), path)
