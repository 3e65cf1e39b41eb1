"""The dashboard per role: the counts that matter to each, each bounded, each a link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

import screening.core.views as core_views
import screening.pagination as pagination


def _tiles(html: str) -> dict[str, str]:
    """label -> the number shown under it."""
    found = re.findall(
        r'<h2 class="h6 card-title" id="tile-\d+">([^<]+)</h2>\s*<p class="display-6 mb-2">([^<]+)</p>', html
    )
    return {label.strip(): number.strip() for label, number in found}


def test_the_officer_sees_queue_overdue_and_appeals(as_role, factory):
    long_ago = datetime.now(UTC) - timedelta(days=45)
    factory.application("submitted")
    factory.application("submitted", now=long_ago)  # its advice was due 15 days ago
    factory.application("in_review")
    factory.application("appealed")
    client, _ = as_role("officer")
    tiles = _tiles(client.get("/home").text)
    assert tiles == {"Waiting to be reviewed": "2", "In review": "1", "Overdue": "1", "Appeals": "1"}


def test_the_requester_sees_files_in_progress_and_clearances_expiring(as_role, factory):
    client, requester = as_role("requester")
    factory.application("draft", requester=requester)
    factory.application("awaiting_consent", requester=requester)
    factory.application("info_requested", requester=requester)
    factory.application("positive", requester=requester)
    ending_soon = datetime.now(UTC) - timedelta(days=5 * 365 - 60)
    factory.application("positive", requester=requester, now=ending_soon)
    factory.application("in_review")  # another organisation's
    tiles = _tiles(client.get("/home").text)
    assert tiles == {
        "In progress": "2",
        "Waiting for your answer": "1",
        "Drafts": "1",
        "Valid clearances": "2",
        "Expiring within 180 days": "1",
    }


def test_hr_sees_its_clearances_and_is_led_to_the_certificates(as_role, factory):
    requester = factory.user("requester")
    factory.application("positive", requester=requester)
    from screening.db import db
    from screening.organisations.models import Organisation

    client, _ = as_role("hr", db.session.get(Organisation, requester.organisation_id))
    html = client.get("/home").text
    assert _tiles(html) == {"Valid clearances": "1", "Expiring within 180 days": "0"}
    assert 'href="/certificates"' in html


def test_counts_stop_at_the_limit(as_role, factory, monkeypatch: pytest.MonkeyPatch):
    for _ in range(3):
        factory.application("submitted")
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 2)
    monkeypatch.setattr(core_views, "COUNT_LIMIT", 2)
    client, _ = as_role("officer")
    assert _tiles(client.get("/home").text)["Waiting to be reviewed"] == "more than 2"
