"""The rate limit holds across the nodes of a cluster: two application instances on one database share a
token's count (each adds its calls now and then, not on every call), refuse it together beyond the limit,
and tell the same remaining calls in their RateLimit headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from screening.api.models import RateCount
from screening.db import db
from tests.api.conftest import ApiClient

START = datetime(2031, 3, 3, 9, 0, 10, tzinfo=UTC)


def _two_nodes(make_app, make_token, limit):
    from tests.conftest import Factory, data_context

    first = make_app(api={"rate_limit": limit, "rate_window_seconds": 60})
    second = make_app(api={"rate_limit": limit, "rate_window_seconds": 60})
    with data_context(first):
        secret, _token = make_token(Factory(first).user("requester"))
    return ApiClient(first.test_client(), secret), ApiClient(second.test_client(), secret)


def test_two_nodes_together_refuse_a_token_beyond_the_limit(make_app, make_token):
    with time_machine.travel(START, tick=False):
        first, second = _two_nodes(make_app, make_token, limit=40)
        answers = [(first if i % 2 else second).get("/api/v1/applications").status_code for i in range(60)]
        assert answers.count(200) in (40, 41)  # at most one call per node beyond the limit
        assert set(answers[answers.index(429) :]) == {429}  # refused by both from then on
        refused = first.get("/api/v1/applications")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "50"
        assert refused.headers["RateLimit"] == '"per-token";r=0;t=50'
    with time_machine.travel(START + timedelta(seconds=50), tick=False):  # the next window
        assert first.get("/api/v1/applications").status_code == 200
        assert second.get("/api/v1/applications").status_code == 200


def test_each_node_alone_would_have_let_the_calls_through(make_app, make_token):
    with time_machine.travel(START, tick=False):
        first, second = _two_nodes(make_app, make_token, limit=10)
        assert [first.get("/api/v1/applications").status_code for _ in range(6)] == [200] * 6
        assert [second.get("/api/v1/applications").status_code for _ in range(6)] == [200] * 4 + [429] * 2


def test_far_from_the_limit_a_node_writes_once_a_second_and_learns_the_others_calls(make_app, make_token):
    with time_machine.travel(START, tick=False) as clock:
        first, second = _two_nodes(make_app, make_token, limit=600)
        for _ in range(30):
            first.get("/api/v1/applications")
        assert _counted() == 1  # the node's first call of the window, then nothing within the second
        clock.shift(1)
        first.get("/api/v1/applications")
        assert _counted() == 31
        answer = second.get("/api/v1/applications")  # its first call: it adds it and learns the total
        assert answer.headers["RateLimit"] == '"per-token";r=599;t=49'  # counted before it knew
        assert _counted() == 32
        assert second.get("/api/v1/applications").headers["RateLimit"] == '"per-token";r=567;t=49'


def test_a_new_window_forgets_the_token_s_older_counts(make_app, make_token):
    with time_machine.travel(START, tick=False) as clock:
        first, _second = _two_nodes(make_app, make_token, limit=600)
        first.get("/api/v1/applications")
        clock.shift(60)
        first.get("/api/v1/applications")
        db.session.rollback()
        assert db.session.scalars(select(RateCount.count)).all() == [1]


def _counted() -> int:
    db.session.rollback()  # a fresh read
    return db.session.scalar(select(func.coalesce(func.sum(RateCount.count), 0)))


def test_a_count_that_cannot_be_written_is_added_with_the_next_ones(make_app, make_token, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import screening.api.ratelimit as ratelimit

    def unavailable(*_args):
        raise OperationalError("INSERT", {}, Exception("database unavailable"))

    with time_machine.travel(START, tick=False) as clock:
        first, _second = _two_nodes(make_app, make_token, limit=600)
        adding = ratelimit._add
        monkeypatch.setattr(ratelimit, "_add", unavailable)
        assert [first.get("/api/v1/applications").status_code for _ in range(3)] == [200] * 3
        monkeypatch.setattr(ratelimit, "_add", adding)
        clock.shift(1)
        first.get("/api/v1/applications")
        assert _counted() == 4
