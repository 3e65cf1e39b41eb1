"""Fixtures of the privacy tests: the command line on the suite's database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from screening.cli import main


@pytest.fixture
def config_file(app: Any, tmp_path: Path) -> Path:
    config = app.extensions["screening.config"]
    path = tmp_path / "screening.toml"
    keys = ", ".join(f'"{key}"' for key in config.security.identifier_keys)
    path.write_text(
        "[app]\n"
        f'secret_key = "{config.app.secret_key}"\n'
        "[database]\n"
        f'url = "{config.database.url}"\n'
        "[security]\n"
        f"identifier_keys = [{keys}]\n"
        f'lookup_key = "{config.security.lookup_key}"\n'
        "[audit]\n"
        f'signing_key = """{config.audit.signing_key}"""\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(config_file: Path) -> Any:
    """``cli("audit", "verify")``: the real command, as an operator runs it."""

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--config", str(config_file), *args], catch_exceptions=False)

    return run


def act(client: Any, application_id: int, event: str, **fields: str) -> Any:
    """Press an action's button on the detail page, with its form fields (``reason=``, ``disclosed=``)."""
    from tests.conftest import step_fields

    token, version = step_fields(client, f"/applications/{application_id}", event)
    data = {f"{event}-csrf_token": token, f"{event}-version": version}
    data.update({f"{event}-{name}": value for name, value in fields.items()})
    return client.post(f"/applications/{application_id}/{event}", data=data)


def new_application(client: Any, function_id: int, **overrides: str) -> Any:
    """Create a draft through the requester's form, as a user would."""
    from datetime import date

    from screening.people.identifiers import make_national_number
    from tests.conftest import csrf_token

    born = date(1985, 7, 30)
    data = {
        "given_names": "Mehmet",
        "family_name": "Çelik",
        "date_of_birth": born.isoformat(),
        "nationality": "BE",
        "national_number": make_national_number(born, 33),
        "document_number": "",
        "email": "mehmet@example.org",
        "locale": "nl",
        "function_id": str(function_id),
    }
    data.update(overrides)
    page = client.get("/applications/new")
    response = client.post("/applications/new", data={**data, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])
