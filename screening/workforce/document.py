"""The compliance view as CSV, for the employer's HR systems and spreadsheets: one row per person, with
stable keys (``covered``, ``in_review``, ``officer``) rather than translated words, every cell defused."""

from __future__ import annotations

import io
from collections.abc import Iterable

from screening.csv_guard import SafeWriter
from screening.workforce.compliance import Line

HEADER = [
    "personnel_number", "family_name", "given_names", "function", "started_on", "standing", "file_state",
    "waits_on", "covered_until", "deadline", "days_left",
]  # fmt: skip


def to_csv(lines: Iterable[Line]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(HEADER)
    for line in lines:
        row, standing = line.row, line.compliance
        writer.writerow([
            row.personnel_number, row.family_name, row.given_names, row.function_name, row.started_on.isoformat(),
            standing.standing.value, standing.state or "", standing.waits_on.value if standing.waits_on else "",
            standing.covered_until.isoformat() if standing.covered_until else "", standing.deadline.isoformat(),
            "" if standing.days_left is None else standing.days_left,
        ])  # fmt: skip
    return out.getvalue()
