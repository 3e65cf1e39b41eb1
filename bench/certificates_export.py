"""Benchmark: HR's "ZIP of all valid certificates" through the application, database included.

    .venv/bin/python -m bench.certificates_export                     # print the figures (about two minutes)
    .venv/bin/python -m bench.certificates_export --write docs/benchmarks-certificates-export.md

``bench/certificates.py`` measures the renderer and ``stream_zip`` alone; this measures the whole request:
sign-in as HR, POST /certificates/zip (scope all), which records the issue rows and the audit entry in the
request's transaction, commits, and then streams the archive while reading the clearances back in batches.
The database (SQLite file, migrated) is seeded once through the real operations with one organisation of
100 and one of 1,000 valid clearances; each export then runs in a fresh process (fonts warmed by one single
certificate first, like a web worker that has served before), so the peak resident set is the export's
own. Reported: time until the response starts (recording: signing, issue rows, audit), total time, archive
size, growth of the peak RSS, and in a second pass the tracemalloc peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-0000"  # noqa: S105 - a throw-away benchmark account


def _config(database: Path, key_pem: str) -> Any:
    from screening.config import make_config

    return make_config(
        database={"url": f"sqlite:///{database}"},
        certificates={"private_key": key_pem},
        app={"base_url": "https://screening.example.org"},
    )


def seed(directory: Path, sizes: list[int]) -> dict[str, Any]:
    """A migrated SQLite database with one organisation (and its HR account) per size, all cleared."""
    from sqlalchemy import create_engine

    from screening import migrate
    from screening.actors import Actor
    from screening.app import create_app
    from screening.applications import operations
    from screening.auth.operations import create_user
    from screening.catalogue.operations import save_function
    from screening.certificates.signing import generate_keypair
    from screening.db import db
    from screening.extensions import settings, vault
    from screening.organisations.operations import save_organisation
    from screening.people.identifiers import make_enterprise_number, make_national_number
    from screening.people.operations import PersonDetails

    database = directory / "bench.db"
    engine = create_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    engine.dispose()
    key_pem = generate_keypair().private_pem.decode()
    app = create_app(_config(database, key_pem))
    admin = Actor(label="bench", role="admin")
    officer = Actor(label="bench-officer", role="officer")
    names = [("Mehmet", "Çelik"), ("Anna Maria", "Nowak-Wiśniewska"), ("Рустам", "Ахмедов"), ("Jan", "Peeters")]
    serial = 0
    accounts = {}
    with app.app_context():
        function = save_function(
            admin, code="DOCK", name_en="Dock worker", name_nl="Havenarbeider", name_fr="Travailleur portuaire",
            category=1,
        )  # fmt: skip
        for index, size in enumerate(sizes):
            org = save_organisation(
                admin,
                name=f"Employer {size}",
                code=f"bench{size}",
                enterprise_number=make_enterprise_number(9000 + index),
            )
            requester = create_user(admin, username=f"req{size}", display_name="R", role="requester",
                                    password=PASSWORD, organisation_code=org.code)  # fmt: skip
            create_user(admin, username=f"hr{size}", display_name="HR", role="hr", password=PASSWORD,
                        organisation_code=org.code)  # fmt: skip
            db.session.commit()
            accounts[size] = f"hr{size}"
            for number in range(size):
                serial += 1
                given, family = names[serial % len(names)]
                born = datetime(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28, tzinfo=UTC).date()
                application = operations.create_application(
                    Actor.of(requester), vault(), organisation_id=org.id, function_id=function.id,
                    person=PersonDetails(given_names=given, family_name=f"{family} {serial}", date_of_birth=born,
                                         nationality="BE", national_number=make_national_number(born, serial % 997 + 1),
                                         email=None),
                    now=datetime.now(UTC),
                )  # fmt: skip
                for event in ("submit", "consent", "start_review", "advise_positive"):
                    actor = {"submit": Actor.of(requester), "consent": Actor.person(application.person_id)}.get(
                        event, officer
                    )
                    operations.fire(application, event, actor, settings().deadlines, reason="bench")
                if number % 100 == 99:
                    db.session.commit()
            db.session.commit()
    app.extensions["screening.engine"].dispose()
    return {"database": str(database), "key": key_pem, "accounts": accounts}


def child(setup: dict[str, Any], size: int, traced: bool) -> dict[str, Any]:
    """One export in this (fresh) process."""
    import re

    from screening.app import create_app

    app = create_app(_config(Path(setup["database"]), setup["key"]))
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"csrf_token": token, "username": setup["accounts"][str(size)], "password": PASSWORD})
    listing = client.get("/certificates")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', listing.text).group(1)  # type: ignore[union-attr]
    first = re.search(r"/certificates/clearances/(\d+)\.pdf", listing.text).group(1)  # type: ignore[union-attr]
    warm = client.post(f"/certificates/clearances/{first}.pdf", data={"csrf_token": token})
    assert warm.status_code == 200
    assert warm.data.startswith(b"%PDF")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    response = client.post("/certificates/zip", data={"csrf_token": token, "scope": "all"}, buffered=False)
    started = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    size_bytes = 0
    for chunk in response.response:  # the sink: counts and drops, like a socket
        size_bytes += len(chunk)
    response.close()
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {"count": size, "seconds": seconds, "started": started, "bytes": size_bytes}
    if traced:
        result["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result["rss_growth_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    result["certificates"] = int(response.headers["X-Certificate-Count"])
    assert result["certificates"] == size
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, Linux {platform.release()}"


def report(results: list[dict[str, Any]], seed_seconds: float) -> str:
    plain = {r["count"]: r for r in results if not r["traced"]}
    traced = {r["count"]: r for r in results if r["traced"]}
    lines = [
        "# Benchmarks: HR's certificate ZIP through the application",
        "",
        "Reproduce (about two minutes): `.venv/bin/python -m bench.certificates_export --write "
        "docs/benchmarks-certificates-export.md`. The renderer alone is in `docs/benchmarks-certificates.md`.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; SQLite file database, seeded through the real "
        f"operations in {seed_seconds:.0f} s. POST /certificates/zip (all valid) through Flask's test client, "
        "body drained chunk by chunk into a sink that counts bytes; a fresh process per export, fonts warm.",
        "",
        "| certificates | response starts after (recording) | total seconds | ms each | archive "
        "| peak RSS growth | tracemalloc peak |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for count in sorted(plain):
        row, trace = plain[count], traced.get(count, {})
        peak = trace.get("tracemalloc_peak_bytes")
        each = row["seconds"] / count * 1000
        lines.append(
            f"| {count:,} | {row['started'] * 1000:.0f} ms | {row['seconds']:.2f} | {each:.1f} "
            f"| {row['bytes'] / 1e6:.1f} MB | {row['rss_growth_kib'] / 1024:.1f} MB "
            f"| {'' if peak is None else f'{peak / 1e6:.2f} MB'} |"
        )
    if len(plain) >= 2:
        small, big = sorted(plain)[0], sorted(plain)[-1]
        growth = (traced[big]["tracemalloc_peak_bytes"] - traced[small]["tracemalloc_peak_bytes"]) / (big - small)
        lines += [
            "",
            f"From {small:,} to {big:,} certificates the archive grows {big // small}x; the tracemalloc peak grows by "
            f"{growth:.0f} bytes a certificate (what the request recorded and the ZIP's central directory, which "
            "is written last), a small fraction of the 40 kB of each PDF, which is never held: memory stays "
            "flat in the size of the documents. The wait before the first byte is the recording (signing every "
            "certificate, inserting the issue rows, the audit entry, the commit). The traced pass is slower; "
            "its times are not reported.",
        ]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup, size, traced = json.loads(args.child)
        print(json.dumps(child(setup, size, traced)))
        return
    with tempfile.TemporaryDirectory() as directory:
        begun = time.perf_counter()
        setup = seed(Path(directory), args.sizes)
        seed_seconds = time.perf_counter() - begun
        setup["accounts"] = {str(k): v for k, v in setup["accounts"].items()}
        results = []
        for traced in (False, True):
            for size in args.sizes:
                output = subprocess.run(
                    [sys.executable, "-m", "bench.certificates_export", "--child", json.dumps([setup, size, traced])],
                    check=True, capture_output=True, text=True, cwd=ROOT,
                )  # fmt: skip
                results.append({**json.loads(output.stdout.strip().splitlines()[-1]), "traced": traced})
    text = report(results, seed_seconds)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
