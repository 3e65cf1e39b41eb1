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
        f'lookup_key = "{config.security.lookup_key}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(config_file: Path) -> Any:
    """``cli("audit", "verify")``: the real command, as an operator runs it."""

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--config", str(config_file), *args], catch_exceptions=False)

    return run
