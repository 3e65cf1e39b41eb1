"""The fault suite (issue 14): the product hurt on purpose, with real parts only: scheduler processes killed
with SIGKILL, a real SMTP server (aiosmtpd) that stalls or is down, a PostgreSQL cluster of the test's own
stopped and started again. Every test is marked slow and asserts counts (mails sent = mails received, no
duplicate Message-ID, one clearance, no half-written row), never only that nothing crashed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import create_engine, text

from screening import migrate
from screening.config import Config
from screening.db import make_engine
from tests.conftest import require_service


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def private_sqlite(directory: Path) -> str:
    """Processes of their own get a database file of their own (see tests/scheduler/test_two_processes.py)."""
    url = f"sqlite:///{directory / 'faults.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, config: Config, url: str, **sections: dict[str, Any]) -> Path:
    """A TOML file for other processes: the test app's secrets, database ``url`` and extra ``sections``."""
    lines = [
        "[app]", f"secret_key = {_toml(config.app.secret_key)}", "session_cookie_secure = false",
        "[database]", f"url = {_toml(url)}",
        "[security]", f"identifier_keys = [{_toml(config.security.identifier_keys[0])}]",
        f"lookup_key = {_toml(config.security.lookup_key)}",
    ]  # fmt: skip
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stop_nodes(nodes: Iterable[subprocess.Popen[bytes]], logs: Iterable[IO[bytes]]) -> None:
    """Kill the processes a test started that are still running, and close their logs."""
    for node in nodes:
        if node.poll() is None:
            node.kill()
            node.wait(10)
    for log in logs:
        log.close()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``condition`` until it is truthy: real processes and servers take real time to act."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


# -- a PostgreSQL cluster of the test's own ----------------------------------------------------------------
@dataclass
class Cluster:
    """A throw-away PostgreSQL cluster (initdb in a temporary directory, a free port, run as ``postgres``):
    the fault tests stop and start it, never the shared cluster the rest of the suite uses."""

    bindir: Path
    datadir: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/screening"

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log), "-w", "-t", "60", *args]
        done = subprocess.run(
            command, user="postgres", group="postgres", extra_groups=[], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr, self.log.read_text()[-2000:])

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir.parent} -c fsync=off -c max_connections=50"
        )
        self._pg_ctl("-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")


def as_postgres(*command: str | Path) -> subprocess.CompletedProcess[str]:
    """PostgreSQL refuses to run as root: its tools run as the ``postgres`` user."""
    return subprocess.run(
        [str(part) for part in command], user="postgres", group="postgres", extra_groups=[], capture_output=True,
        text=True, check=False,
    )  # fmt: skip


def _postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture
def own_postgres() -> Iterator[Cluster]:
    bindir = _postgres_bindir()
    if bindir is None or os.geteuid() != 0:
        require_service(
            "PostgreSQL binaries run as root", "needs /usr/lib/postgresql/*/bin/initdb and root to become postgres"
        )
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="screening-faults-pg-"))  # not under pytest's 0700 tmp: postgres must enter
    shutil.chown(base, "postgres", "postgres")
    cluster = Cluster(bindir, base / "data", free_port(), base / "postgres.log")
    try:
        done = as_postgres(bindir / "initdb", "-D", cluster.datadir, "-A", "trust", "-U", "postgres", "--no-sync")
        assert done.returncode == 0, done.stderr
        cluster.start()
        server = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with server.connect() as connection:
            connection.execute(text("CREATE DATABASE screening"))
        server.dispose()
        engine = create_engine(cluster.url)
        migrate.upgrade(engine)
        engine.dispose()
        yield cluster
    finally:
        as_postgres(bindir / "pg_ctl", "-D", cluster.datadir, "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
