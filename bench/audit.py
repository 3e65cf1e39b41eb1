"""Audit log benchmarks: sealing 100,000 entries (target under 10 s) and verifying 1,000,000 entries in bounded
memory (peak RSS of the verifying process), on SQLite and PostgreSQL.

A throw-away database per backend (``var/bench/audit.db``; PostgreSQL ``screening_bench_audit``, created when
the ``screening`` role may) is migrated to head and filled with plain audit entries through Core; then the
real sealer (:func:`screening.audit.log.seal`, batches of ``--batch`` entries, one signed head each) and the
real verifier run on it, each timed; the verifier runs in a child process whose peak RSS is read from the
kernel (``ru_maxrss``), once at ``--verify`` entries and once at a tenth of it, to show memory does not grow
with the log::

    .venv/bin/python -m bench.audit                         # both backends: 100k sealed, 1M verified
    .venv/bin/python -m bench.audit --backend sqlite --verify 200000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from screening import migrate
from screening.audit.keys import from_pem, private_pem
from screening.audit.log import seal
from screening.audit.models import AuditEntry
from screening.audit.offline import redactable_digest

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
PG_URL = "postgresql+psycopg://screening:screening@127.0.0.1:5432/screening_bench_audit"
KEY = private_pem(Ed25519PrivateKey.generate())


def _url(backend: str, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{WORK / f'{name}.db'}"
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def fresh_database(backend: str, name: str) -> str:
    url = _url(backend, name)
    if backend == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(WORK / f"{name}.db") + suffix).unlink(missing_ok=True)
    else:
        admin = create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def fill(url: str, count: int) -> float:
    """Insert ``count`` unsealed entries (in chunks of 10,000); returns the seconds it took."""
    engine = create_engine(url)
    started = time.perf_counter()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for start in range(0, count, 10_000):
            rows = [
                {
                    "at": at + timedelta(seconds=n),
                    "actor_user_id": None,
                    "actor": f"officer-{n % 40:02d}",
                    "role": "officer",
                    "action": "read_grounds",
                    "object_type": "application",
                    "object_id": n % 250_000 + 1,
                    "organisation_id": None,
                    "from_state": None,
                    "to_state": None,
                    "reason": None,
                    "client_address": "10.1.2.3",
                    "redactable_digest": redactable_digest(None, "10.1.2.3"),
                }  # fmt: skip
                for n in range(start, min(count, start + 10_000))
            ]
            connection.execute(insert(AuditEntry.__table__), rows)
    engine.dispose()
    return time.perf_counter() - started


def time_seal(url: str, batch: int) -> tuple[float, int, float]:
    """Seconds (wall clock), entries sealed, and this process's CPU seconds (SQLite's work included; on a
    machine shared with other jobs the CPU time is what a quiet machine's wall clock would be)."""
    engine = create_engine(url)
    keys = from_pem(KEY)
    with Session(engine) as session:
        started, cpu = time.perf_counter(), time.process_time()
        sealed = seal(session.connection, keys, datetime.now(UTC), limit=batch, commit=session.commit)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return seconds, sealed.entries, cpu


def verify_child(url: str) -> dict[str, float]:
    """Run the verifier in a child process: its seconds, entries and peak RSS (MiB)."""
    code = (
        "import json, sys, time, resource\n"
        "from sqlalchemy import create_engine\n"
        "from screening.audit.keys import from_pem\n"
        "from screening.audit.verify import verify\n"
        "engine = create_engine(sys.argv[1]); keys = from_pem(sys.argv[2].encode())\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "started, cpu = time.perf_counter(), time.process_time()\n"
        "with engine.connect() as connection: report = verify(connection, keys.public_keys)\n"
        "seconds, cpu = time.perf_counter() - started, time.process_time() - cpu\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'seconds': seconds, 'entries': report.entries, 'heads': report.heads, 'ok': report.ok,"
        " 'problems': report.problems[:3], 'peak_mib': peak / 1024, 'before_mib': base / 1024, 'cpu': cpu}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url, KEY.decode()], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout)


def run(backend: str, sealed: int, verified: int, batch: int) -> dict[str, object]:
    result: dict[str, object] = {"backend": backend}
    url = fresh_database(backend, "screening_bench_audit" if backend == "postgresql" else "audit")
    result["fill_seconds"] = fill(url, sealed)
    seconds, count, cpu = time_seal(url, batch)
    result["seal"] = {"entries": count, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2)}
    print(f"[{backend}] sealed {count:,} entries in {seconds:.2f} s (CPU of the sealer {cpu:.2f} s)", flush=True)
    sizes = sorted({verified // 10, verified})
    for size in sizes:
        fill(url, size - count)
        more, added, _cpu = time_seal(url, batch)
        count += added
        figures = verify_child(url)
        result[f"verify_{size}"] = figures
        print(
            f"[{backend}] verified {figures['entries']:,} entries ({figures['heads']} heads) in "
            f"{figures['seconds']:.1f} s (CPU {figures['cpu']:.1f} s), peak RSS {figures['peak_mib']:.0f} MiB "
            f"(imports alone {figures['before_mib']:.0f} MiB), ok={figures['ok']}; sealing them took {more:.1f} s",
            flush=True,
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seal", type=int, default=100_000, help="entries sealed in the timed run")
    parser.add_argument("--verify", type=int, default=1_000_000, help="entries in the log that is verified")
    parser.add_argument("--batch", type=int, default=10_000, help="entries per sealing transaction")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run(backend, args.seal, args.verify, args.batch) for backend in backends]
    out = ROOT / "bench" / "results" / f"audit-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(
        f"figures written to {out.relative_to(ROOT)}; host rusage {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
