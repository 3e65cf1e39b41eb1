"""The one rule for a test whose service or tool is missing (PostgreSQL, slapd, Chromium, poppler): it fails
the run under ``CI=true`` (CI installs and starts them all, so a skip there is a test that did not run) and
skips with the reason on a developer machine. No import of the application: the benchmarks use slapd's
fixture through this module."""

from __future__ import annotations

import os
from typing import NoReturn


def require_service(name: str, reason: str) -> NoReturn:
    import pytest  # here, not at the top: the benchmark imports tests.support.slapd without pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"{name} unavailable: {reason}")
