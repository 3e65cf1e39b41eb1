"""Benchmark of the register import's reading and checking (issue 17 part 4): time and memory of 1,000 and
10,000 rows, CSV (Windows-1252, ``;``, as Belgian Excel saves it) and XLSX (written by openpyxl), beside a
baseline that reads the same file with the library alone (``csv.reader`` over the decoded text; openpyxl's
read-only rows) and does nothing with the cells.

Ours is :func:`screening.imports.tabular.open_table` (encoding pass, header mapping; for XLSX the second,
parallel pass that finds formulas without a value) and :class:`screening.imports.validation.RowChecker`
(the form's rules, the catalogue read once, the personnel numbers' index), each row dropped once checked,
as the import job stores it and moves on. Memory is ``tracemalloc``'s peak during one run: flat means the
10,000-row peak is close to the 1,000-row one (what grows is the index of personnel numbers, one entry per
row). Time is the best of ``--rounds`` runs, baseline and ours alternating.

``--pipeline`` measures the whole import instead, once per size: the job's check of an uploaded CSV into
its preview (every row staged in ``register_import_rows``, one query per 500 rows for the register's
entries, a commit per batch), then the confirmed rows written to the register through
``add_or_update_members``, 500 at a time (an empty register: every row a joiner, each audited), on SQLite.

Reproduce (figures in docs/benchmarks.md)::

    .venv/bin/python -m bench.imports
    .venv/bin/python -m bench.imports --rows 1000 10000 50000 --rounds 5
    .venv/bin/python -m bench.imports --pipeline --rows 1000 10000
"""

from __future__ import annotations

import argparse
import csv
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import create_engine, insert

import screening.models  # noqa: F401 - the whole metadata
from screening import migrate
from screening.catalogue.models import CriticalFunction
from screening.imports.tabular import HEADERS, open_table
from screening.imports.validation import RowChecker, catalogue
from screening.people.identifiers import make_national_number

CODES = ("DOCK", "GUARD", "LOGI", "ICT", "AGENT")
TODAY = date(2026, 12, 2)


def rows(count: int) -> list[list[object]]:
    """``count`` rows as an employer's register holds them: accented names, every 50th row wrong somewhere."""
    out: list[list[object]] = []
    for n in range(count):
        born = date(1960, 1, 1) + timedelta(days=(n * 37) % 15_000)
        number = make_national_number(born, n % 997 + 1)
        start = date(2015, 1, 1) + timedelta(days=n % 3_000)
        row: list[object] = [f"{n:06d}", f"Müller-Peeters {n}", "Zoë Françoise", born, number,
                             CODES[n % len(CODES)], start, None]  # fmt: skip
        if n % 50 == 0:
            row[4] = number[:-1] + str((int(number[-1]) + 1) % 10)  # a wrong check number
        out.append(row)
    return out


def write_csv(path: Path, data: list[list[object]]) -> None:
    def text(value: object) -> str:
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return "" if value is None else str(value)

    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([HEADERS[key]["nl"] for key in HEADERS])
        for row in data:
            writer.writerow([text(value) for value in row])


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([HEADERS[key]["fr"] for key in HEADERS])
    for row in data:
        sheet.append(row)
    book.save(path)


def baseline_csv(path: Path) -> int:
    with path.open(encoding="cp1252", newline="") as text:
        return sum(1 for _ in csv.reader(text, delimiter=";")) - 1


def baseline_xlsx(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.active.iter_rows(values_only=True)) - 1
    finally:
        book.close()


def ours(path: Path) -> int:
    """Read and check every row, keeping none (the job stores each and moves on); returns the rows."""
    checker = RowChecker(catalogue(), TODAY)
    count = 0
    with path.open("rb") as stream, open_table(stream, 1_000_000) as table:
        for line in table.lines:
            checker.check(line)
            count += 1
    checker.repeated_first_rows()
    return count


def measure(run: Callable[[Path], int], path: Path) -> tuple[float, int, int]:
    """Seconds, tracemalloc peak in bytes (a second run, traced), and rows."""
    gc.collect()
    start = time.perf_counter()
    count = run(path)
    seconds = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    run(path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, count


def app_context(directory: Path) -> object:
    """An application over a throw-away SQLite database holding the catalogue (the check reads it once)."""
    from screening.app import create_app
    from screening.config import make_config

    url = f"sqlite:///{directory / 'bench.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(insert(CriticalFunction), [
            {"code": code, "name_en": code, "name_nl": code, "name_fr": code, "category": 1} for code in CODES
        ])  # fmt: skip
    engine.dispose()
    app = create_app(make_config(database={"url": url}))
    return app.app_context()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipeline", action="store_true", help="time the job's check and write instead")
    options = parser.parse_args()
    from flask_babel import force_locale

    if options.pipeline:
        pipeline(options.rows)
        return
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        with app_context(directory), force_locale("nl"):
            print(f"{'file':<6} {'rows':>7} {'what':<9} {'best s':>8} {'rows/s':>9} {'peak MiB':>9}")
            for count in options.rows:
                data = rows(count)
                files = {"csv": directory / f"r{count}.csv", "xlsx": directory / f"r{count}.xlsx"}
                write_csv(files["csv"], data)
                write_xlsx(files["xlsx"], data)
                del data
                for kind, baseline in (("csv", baseline_csv), ("xlsx", baseline_xlsx)):
                    report(kind, count, files[kind], baseline, options.rounds)


def report(kind: str, count: int, path: Path, baseline: Callable[[Path], int], rounds: int) -> None:
    results: dict[str, list[tuple[float, int, int]]] = {"baseline": [], "ours": []}
    for _round in range(rounds):
        results["baseline"].append(measure(baseline, path))
        results["ours"].append(measure(ours, path))
    best = {what: min(runs) for what, runs in results.items()}
    for what, (seconds, peak, rows_read) in best.items():
        assert rows_read == count, (what, rows_read, count)
        print(f"{kind:<6} {count:>7} {what:<9} {seconds:>8.3f} {count / seconds:>9.0f} {peak / 2**20:>9.2f}")
    print(f"{kind:<6} {count:>7} {'ratio':<9} {best['ours'][0] / best['baseline'][0]:>8.2f}")


def pipeline(sizes: list[int]) -> None:
    """The job's check and write of each size, in a fresh database each."""
    from datetime import UTC, datetime

    from screening.actors import Actor
    from screening.auth.operations import create_user
    from screening.config import ImportsConfig
    from screening.db import db
    from screening.extensions import vault
    from screening.imports import operations
    from screening.organisations.operations import save_organisation
    from screening.people.identifiers import make_enterprise_number

    print(f"{'rows':>7} {'check s':>8} {'rows/s':>8} {'write s':>8} {'rows/s':>8}")
    for count in sizes:
        with tempfile.TemporaryDirectory() as name:
            directory = Path(name)
            path = directory / "register.csv"
            write_csv(path, rows(count))
            with app_context(directory):
                admin = Actor(label="bench", role="admin")
                save_organisation(admin, name="Bench", code="bench",
                                                 enterprise_number=make_enterprise_number(1))  # fmt: skip
                user = create_user(admin, username="manager", display_name="Manager", role="requester",
                                   password=None, organisation_code="bench")  # fmt: skip
                db.session.commit()
                actor = Actor.of(user)
                now = datetime.now(UTC)
                job = operations.upload(actor, vault(), path.read_bytes(), "register.csv", "nl", now)
                db.session.commit()
                config = ImportsConfig(max_rows=1_000_000)
                start = time.perf_counter()
                for _done in operations.work(job, vault(), config, now):
                    db.session.commit()
                db.session.commit()
                checked = time.perf_counter() - start
                operations.confirm(actor, job, job.version, now)
                db.session.commit()
                start = time.perf_counter()
                for _done in operations.work(job, vault(), config, now):
                    db.session.commit()
                db.session.commit()
                written = time.perf_counter() - start
                assert job.state == "applied", job.state
                print(
                    f"{count:>7} {checked:>8.2f} {count / checked:>8.0f} {written:>8.2f} {job.to_add / written:>8.0f}"
                )


if __name__ == "__main__":
    main()
