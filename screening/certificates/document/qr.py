"""The QR code of the certificate: our own encoder on top of reportlab's tables, and its drawing.

Why not a QR library: bulk export renders thousands of certificates and the QR code was most of the cost
of a page. reportlab's ``QRCode.make()`` picks the mask by building and scoring the whole symbol eight
times in Python lists; segno, the fastest pure-Python encoder we tried, is still about 4.5 times slower
than this one on the certificate's verify URL (a version 9 symbol; measured for issue 11), and would be
one more dependency. Here the data is laid out once, in C (``itemgetter`` over a precomputed plan per
version), each mask is scored with integer operations on rows and columns, and the symbol is drawn as
one path of rectangles (one per horizontal run of dark modules) instead of ``QrCodeWidget``'s shape per
module. The result is module for module what reportlab makes (the tests compare them, and decode the
printed code), so a reader cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from operator import itemgetter

from reportlab.graphics.barcode import qrencoder
from reportlab.pdfgen.canvas import Canvas

_QR_LEVEL = qrencoder.QRErrorCorrectLevel.M
_DARK_RUN = re.compile("1+")


@dataclass(frozen=True)
class _SymbolPlan:
    """Everything about a QR symbol of one version that does not depend on its data, worked out once.

    ``picks`` lays the data bit string out in row-major order in one C-level call (a data module takes
    its bit, a function module one of two constant characters appended to the bits). The mask and
    format/version-information bits are per-row integers to XOR in.
    """

    count: int
    data_modules: int
    picks: Callable[[str], tuple[str, ...]]
    mask_rows: tuple[tuple[int, ...], ...]
    mask_cols: tuple[tuple[int, ...], ...]
    format_rows: tuple[tuple[int, ...], ...]


def _lines_as_ints(modules: Sequence[Sequence[bool]]) -> tuple[int, ...]:
    return tuple(int("".join("1" if dark else "0" for dark in line), 2) for line in modules)


@cache
def _plan(version: int) -> _SymbolPlan:
    probe = qrencoder.QRCode(version, _QR_LEVEL)
    probe.addData("0")
    probe.makeImpl(True, 0)
    count = probe.moduleCount
    positions = probe.dataPosIterator()  # (col, row) in the order data bits are placed
    index = {(row, col): k for k, (col, row) in enumerate(positions)}
    light, dark = len(positions), len(positions) + 1
    test_symbol = [list(row) for row in probe.modules]
    cells = [(row, col) for row in range(count) for col in range(count)]
    picks = [index.get(cell, dark if test_symbol[cell[0]][cell[1]] else light) for cell in cells]
    mask_rows, mask_cols, format_rows = [], [], []
    for mask in range(8):
        flips = qrencoder.QRUtil.getMask(mask)
        grid = [[(row, col) in index and flips(row, col) for col in range(count)] for row in range(count)]
        mask_rows.append(_lines_as_ints(grid))
        mask_cols.append(_lines_as_ints(list(zip(*grid, strict=True))))
        # Format (and version) information differs between the scored "test" symbol and the final one.
        probe.makeImpl(True, mask)
        scored = _lines_as_ints(probe.modules)
        probe.makeImpl(False, mask)
        final = _lines_as_ints(probe.modules)
        format_rows.append(tuple(a ^ b for a, b in zip(scored, final, strict=True)))
    return _SymbolPlan(
        count=count,
        data_modules=len(positions),
        picks=itemgetter(*picks),
        mask_rows=tuple(mask_rows),
        mask_cols=tuple(mask_cols),
        format_rows=tuple(format_rows),
    )


def _runs_penalty(line: int, full: int) -> int:
    # Rule 1: a run of L >= 5 same-coloured modules costs L - 2, i.e. (L - 4) window hits + 2 per run.
    score = 0
    for bits in (line, ~line & full):
        hits = bits & bits >> 1 & bits >> 2 & bits >> 3 & bits >> 4
        if hits:
            score += hits.bit_count() + 2 * (hits & ~(hits << 1)).bit_count()
    return score


#: Rule 3 as reportlab scores it: dark-light-dark-dark-dark-light-dark then four light, left to right.
_FINDER_LIKE = 0b10111010000


def _finder_penalty(line: int, count: int) -> int:
    inverse = ~line
    hits = (1 << (count - 10)) - 2  # window start positions reportlab examines
    for bit in range(11):
        hits &= (line if _FINDER_LIKE >> bit & 1 else inverse) >> bit
        if not hits:
            return 0
    return 40 * hits.bit_count()


def _penalty(rows: list[int], cols: list[int], count: int) -> int:
    """The mask penalty of reportlab's ``QRUtil.getLostPoint``, computed on integer rows and columns."""
    full = (1 << count) - 1
    score = 0
    for line in rows:
        score += _runs_penalty(line, full) + _finder_penalty(line, count)
    for line in cols:
        # reportlab compares column tuples with a list, so its rule 3 never matches a column: nor do we.
        score += _runs_penalty(line, full)
    for upper, lower in zip(rows, rows[1:], strict=False):
        dark = upper & lower
        light = ~(upper | lower) & full
        score += 3 * ((dark & dark >> 1).bit_count() + (light & light >> 1).bit_count())
    dark_count = sum(line.bit_count() for line in rows)
    return score + 10 * (abs(100 * dark_count // count**2 - 50) // 5)


@cache
def _generator_products(degree: int) -> tuple[tuple[int, ...], ...]:
    """Reed-Solomon generator of this degree multiplied by every byte value (GF(256)), for fast remainders."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(degree).num[1:]
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE
    products: list[tuple[int, ...]] = [(0,) * degree]
    for factor in range(1, 256):
        products.append(tuple(exp[(log[factor] + log[g]) % 255] if g else 0 for g in generator))
    return tuple(products)


class _BitBuffer:
    """Drop-in for ``qrencoder.QRBitBuffer`` (``put``, ``putBit``, ``getLengthInBits``) on one integer,
    instead of a Python call per bit."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def putBit(self, bit: bool) -> None:
        self.put(1 if bit else 0, 1)

    def getLengthInBits(self) -> int:
        return self.length


def _codewords(version: int, data_list: list[qrencoder.QR]) -> list[int]:
    """Data and error-correction codewords, interleaved: what ``QRCode.createData`` returns, faster."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, _QR_LEVEL)
    capacity = 8 * sum(block.dataCount for block in blocks)
    buffer = _BitBuffer()
    for data in data_list:
        data.write(buffer, version)
    if buffer.length > capacity:
        raise ValueError("too much data for a QR code")
    buffer.put(0, min(4, capacity - buffer.length))  # terminator, as far as it fits
    buffer.put(0, -buffer.length % 8)
    codewords = list(buffer.value.to_bytes(buffer.length // 8, "big"))
    padding = (qrencoder.QRCode.PAD0, qrencoder.QRCode.PAD1)
    codewords += [padding[i % 2] for i in range(capacity // 8 - len(codewords))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data = codewords[offset : offset + block.dataCount]
        offset += block.dataCount
        products = _generator_products(block.totalCount - block.dataCount)
        remainder = [0] * (block.totalCount - block.dataCount)
        for value in data:
            factor = value ^ remainder[0]
            remainder = [a ^ b for a, b in zip(remainder[1:] + [0], products[factor], strict=True)]
        data_blocks.append(data)
        ec_blocks.append(remainder)
    return [
        value
        for group in (data_blocks, ec_blocks)
        for column in zip_longest(*group)
        for value in column
        if value is not None
    ]


def qr_rows(text: str) -> tuple[int, list[int]]:
    """A QR code (level M) for ``text``: its size and each row as an int (first module = highest bit).

    Module for module what reportlab's ``QRCode.make()`` produces (the tests compare them), about six
    times faster: reportlab picks the mask by building and scoring the whole symbol eight times in
    Python lists, which is most of the cost of ``QrCodeWidget``; here the data is laid out once, in C,
    and each mask is scored with integer operations on rows and columns.
    """
    code = qrencoder.QRCode(None, _QR_LEVEL)
    code.addData(text)
    version = code.calculate_version()
    plan = _plan(version)
    codewords = _codewords(version, code.dataList)
    bits = format(int.from_bytes(bytes(codewords), "big"), f"0{8 * len(codewords)}b")
    count = plan.count
    flat = "".join(plan.picks(bits.ljust(plan.data_modules, "0") + "01"))
    rows = [int(flat[start : start + count], 2) for start in range(0, count * count, count)]
    cols = [int(flat[col::count], 2) for col in range(count)]
    scores = [
        _penalty(
            [a ^ b for a, b in zip(rows, mask_rows, strict=True)],
            [a ^ b for a, b in zip(cols, mask_cols, strict=True)],
            count,
        )
        for mask_rows, mask_cols in zip(plan.mask_rows, plan.mask_cols, strict=True)
    ]
    best = scores.index(min(scores))  # the first of equals, as reportlab does
    flips = zip(plan.mask_rows[best], plan.format_rows[best], strict=True)
    return count, [row ^ mask ^ info for row, (mask, info) in zip(rows, flips, strict=True)]


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of :func:`qr_rows` as reportlab's ``QRCode.modules`` holds them (rows of booleans)."""
    count, rows = qr_rows(text)
    return [[char == "1" for char in format(row, f"0{count}b")] for row in rows]


def qr_path_operators(count: int, rows: Sequence[int]) -> str:
    """PDF path operators in module units: one rectangle per horizontal run of dark modules, row 0 on top."""
    parts: list[str] = []
    for index, row in enumerate(rows):
        y = count - 1 - index
        runs = _DARK_RUN.finditer(format(row, f"0{count}b"))
        parts.extend(f"{run.start()} {y} {run.end() - run.start()} 1 re" for run in runs)
    return "\n".join(parts)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    count, rows = qr_rows(text)
    quiet = 4  # the quiet zone the standard asks for, kept white
    scale = size / (count + 2 * quiet)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.translate(x + quiet * scale, y + quiet * scale)
    canvas.scale(scale, scale)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral(qr_path_operators(count, rows) + "\nf")
    canvas.restoreState()
