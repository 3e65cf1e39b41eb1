"""The `screening` command, run as a user would, on the suite's database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from screening.auth.models import User
from screening.cli import main
from screening.db import db
from tests.conftest import fresh


@pytest.fixture
def config_file(app, tmp_path):
    config = app.extensions["screening.config"]
    path = tmp_path / "screening.toml"
    path.write_text(
        "[app]\n"
        f'secret_key = "{config.app.secret_key}"\n'
        "[database]\n"
        f'url = "{config.database.url}"\n'
        "[security]\n"
        f'identifier_keys = ["{config.security.identifier_keys[0]}"]\n'
        f'lookup_key = "{config.security.lookup_key}"\n',
        encoding="utf-8",
    )
    return path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_user_create(config_file, factory):
    org = factory.organisation(code="acme")
    result = run(
        "--config", str(config_file), "user", "create", "Rita", "--role", "requester", "--organisation", "acme",
        env={"SCREENING_NEW_PASSWORD": "long-enough-password"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created rita (requester)" in result.output
    fresh()
    user = db.session.scalar(select(User).where(User.username == "rita"))
    assert user.organisation_id == org.id
    assert user.password_hash and "long-enough-password" not in user.password_hash


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "requester"], "Employer roles need an organisation."),
        (["--role", "requester", "--organisation", "nope"], "No organisation with code 'nope'."),
    ],
)
def test_user_create_bad_input_one_line_nothing_written(config_file, args, message):
    result = run(
        "--config", str(config_file), "user", "create", "bob", *args, env={"SCREENING_NEW_PASSWORD": "long-enough-pw"}
    )
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {message}"
    fresh()
    assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_short_password_refused(config_file):
    result = run(
        "--config",
        str(config_file),
        "user",
        "create",
        "bob",
        "--role",
        "officer",
        env={"SCREENING_NEW_PASSWORD": "short"},
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_bad_config_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[app]\nsecret_kye = "x"\n', encoding="utf-8")
    result = run("--config", str(path), "db", "upgrade")
    assert result.exit_code == 2
    assert result.output.strip() == "error: app.secret_kye: unknown setting"
    result = run("--config", str(tmp_path / "absent.toml"), "db", "upgrade")
    assert result.exit_code == 2
    assert "configuration file not found" in result.output


def test_workflow_show_prints_the_declaration():
    from screening.config import DeadlinesConfig
    from workflows.application import APPLICATION

    result = run("workflow", "show")
    assert result.exit_code == 0
    assert APPLICATION.table(DeadlinesConfig()) in result.output
    assert "consent_expiry after [deadlines] consent_expiry_days days, default 30" in result.output
    mermaid = run("workflow", "show", "--format", "mermaid")
    assert "in_review --> negative: advise_negative" in mermaid.output


def test_db_upgrade_is_idempotent(config_file):
    result = run("--config", str(config_file), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "database at 0001" in result.output or "database at" in result.output


@pytest.mark.nodb
def test_quick_start_demo_serves(tmp_path):
    """The first Quick start command: `screening demo` creates the embedded default and serves it."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    screening = Path(sys.executable).with_name("screening")
    process = subprocess.Popen(
        [str(screening), "demo", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Serving on" in line or process.poll() is not None:
                break
        output = "".join(lines)
        assert "Serving on" in output, output
        for role in ("requester", "hr", "officer", "admin", "auditor"):
            assert f" {role} " in output
        officer = next(line for line in lines if line.strip().startswith("officer "))
        assert re.search(r"TOTP secret [A-Z2-7]{32} \(code now: \d{6}\)", officer), officer  # signs in at once
        assert "Scheduler running in the background" in output
        health = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)  # waiting for the server socket, not for time to pass
        assert health is not None and '"ok"' in health
        assert (tmp_path / "var" / "screening.db").exists()
        # Every link the demo wrote (consent requests, notices: the letters and QR codes use the same
        # base) points to the port it serves on, not to the default 5000.
        with closing(sqlite3.connect(tmp_path / "var" / "screening.db")) as database:
            bodies = [body for (body,) in database.execute("SELECT body FROM outbox_messages")]
        links = [link for body in bodies for link in re.findall(r"https?://[^\s]+", body)]
        assert len(links) >= 16, bodies[:2]
        assert all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links[:5]
        assert oct((tmp_path / "var" / "screening.toml").stat().st_mode)[-3:] == "600"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:5123"),
        ("0.0.0.0", "http://127.0.0.1:5123"),  # noqa: S104 - the wildcard is reached on the loopback
        ("::", "http://[::1]:5123"),
        ("::1", "http://[::1]:5123"),
        ("demo.example", "http://demo.example:5123"),
    ],
)
def test_demo_links_follow_host_and_port(host, url):
    """`screening demo --host H --port P` makes app.base_url the address it serves on."""
    from screening.app import create_app
    from screening.cli_base import Context, listening_url
    from screening.config import make_config

    assert listening_url(host, 5123) == url
    context = Context(None, create_app)
    context.__dict__["config"] = make_config()
    context.serve_at(host, 5123)
    assert context.config.app.base_url == url
