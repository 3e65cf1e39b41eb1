"""The Merkle tree of the audit log, kept in our own tables with O(log n) memory per append.

Pure functions and one small class, no database: which stored subtrees a proof needs, and the right edge
of the tree (the *frontier*) as leaves are appended. The tables (``audit_tree_nodes``) hold the hash of
every complete subtree: node ``(level, index)`` covers leaves ``index * 2**level`` up to
``(index + 1) * 2**level``; level 0 are the leaf hashes. Once complete, a subtree never changes, so a
node is written once and any root or proof of any earlier size is a fold of ``O(log n)`` stored nodes
(RFC 9162 splits a tree at the largest power of two, so every range it names is a run of such nodes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from screening.audit.offline import largest_power_of_two_below, node_hash

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)


def blocks(start: int, end: int) -> list[Node]:
    """The complete, aligned subtrees that make up leaves [start, end), left to right."""
    out: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def frontier(size: int) -> list[Node]:
    """The complete subtrees a tree of ``size`` leaves is made of (its right edge), left to right."""
    return blocks(0, size)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form RFC 9162's inclusion path of leaf ``index``, leaf first."""
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index - start < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form RFC 9162's consistency proof from ``first`` to ``second`` leaves."""
    if first <= 0 or first >= second:
        return []
    out: list[Range] = []

    def subproof(m: int, start: int, end: int, whole: bool) -> None:
        n = end - start
        if m == n:
            if not whole:
                out.append((start, end))
            return
        k = largest_power_of_two_below(n)
        if m <= k:
            subproof(m, start, start + k, whole)
            out.append((start + k, end))
        else:
            subproof(m - k, start + k, end, False)
            out.append((start, start + k))

    subproof(first, 0, second, True)
    return out


def nodes_of(ranges: Iterable[Range]) -> set[Node]:
    return {node for start, end in ranges for node in blocks(start, end)}


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over consecutive complete subtrees of decreasing size: RFC 9162's MTH of their leaves."""
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def range_hash(start: int, end: int, stored: Mapping[Node, bytes]) -> bytes:
    return fold([stored[node] for node in blocks(start, end)])


class Frontier:
    """The right edge of the tree while leaves are appended: at most one complete subtree per level."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        self.size = size
        self.stack: list[tuple[int, int, bytes]] = [
            (level, index, h) for (level, index), h in zip(frontier(size), hashes, strict=True)
        ]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; returns the nodes it completes (the leaf itself first), each to be stored once."""
        node = (0, self.size, leaf)
        self.size += 1
        made = [node]
        while self.stack and self.stack[-1][0] == node[0]:
            level, index, left = self.stack.pop()
            node = (level + 1, index >> 1, node_hash(left, node[2]))
            made.append(node)
        self.stack.append(node)
        return made

    def root(self) -> bytes:
        if not self.stack:
            import hashlib

            return hashlib.sha256(b"").digest()
        return fold([h for _l, _i, h in self.stack])
