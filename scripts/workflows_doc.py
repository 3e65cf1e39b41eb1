"""Regenerate the tables and diagrams of docs/workflows.md from the declarations (`screening workflow show`):
the text between the headings stays as written."""

from __future__ import annotations

import re
from pathlib import Path

from screening.config import DeadlinesConfig
from workflows.application import APPLICATION
from workflows.clearance import CLEARANCE

DOC = Path(__file__).resolve().parent.parent / "docs" / "workflows.md"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    tables = "\n\n".join(machine.table(DeadlinesConfig()) for machine in (APPLICATION, CLEARANCE))
    table_block = r"(## Transition tables\n\n```\n).*?(\n```)"
    text = re.sub(table_block, lambda m: m[1] + tables + "\n" + m[2], text, count=1, flags=re.S)
    blocks = iter(machine.mermaid() for machine in (APPLICATION, CLEARANCE))
    text = re.sub(r"```mermaid\n.*?\n```", lambda _m: "```mermaid\n" + next(blocks) + "\n```", text, flags=re.S)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
