"""A page of results: one query for the rows and at most one, bounded, for the count; never a query per row.

Counting every matching row is the expensive part of a list at scale: an officer's list of 250,000
applications or a queue of 100,000 would count them all on every page view (70 to 120 ms on SQLite). The
count here stops at :data:`COUNT_LIMIT` ("more than 1000 results"), and is skipped altogether when the rows
themselves tell the total (a short last page, or a first page that holds everything). Whether there is a
next page is known from one extra row fetched with the page, not from the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, bindparam, func, literal, select

from screening.db import db

T = TypeVar("T")

#: Rows counted at most; beyond it a list says "more than 1000 results" and deep pages stay reachable through
#: "Next". Twenty pages is more than anyone reads without searching; counting to 10,000 instead cost 0.5 ms
#: (SQLite) to 1 ms (PostgreSQL) per page view, a sixth of a whole list page.
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    #: The number of matching rows, or :data:`COUNT_LIMIT` when there are more (then ``more`` is true).
    total: int
    more: bool = False
    #: Whether a row follows this page (known from the extra row); ``None`` when not fetched that way.
    following: bool | None = None

    @property
    def pages(self) -> int:
        """Pages up to the counted total (a lower bound when ``more``)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.following if self.following is not None else self.page < self.pages


def count_up_to(statement: Select[Any], limit: int | None = None) -> int:
    """``min(rows of statement, limit + 1)``: the database stops reading after ``limit + 1`` rows."""
    limit = COUNT_LIMIT if limit is None else limit
    bounded = (
        statement.order_by(None).with_only_columns(literal(1), maintain_column_froms=True).limit(limit + 1).subquery()
    )
    return db.session.scalar(select(func.count()).select_from(bounded)) or 0


def counts_up_to(statements: list[Select[Any]], limit: int | None = None) -> list[int]:
    """:func:`count_up_to` of each statement, all in one statement (one round trip for a dashboard's tiles)."""
    if not statements:
        return []
    row = db.session.execute(counts_statement(statements, limit)).one()
    return [count or 0 for count in row]


def counts_statement(statements: list[Select[Any]], limit: int | None = None) -> Select[Any]:
    """The one statement of :func:`counts_up_to`, to build once and run with bound values."""
    limit = COUNT_LIMIT if limit is None else limit
    counts = [
        select(func.count())
        .select_from(
            s.order_by(None).with_only_columns(literal(1), maintain_column_froms=True).limit(limit + 1).subquery()
        )
        .scalar_subquery()
        for s in statements
    ]
    return select(*counts)


def paginate(statement: Select[Any], page: int, per_page: int, *, scalars: bool = True) -> Page[Any]:
    page = max(1, page)
    offset = (page - 1) * per_page
    result = db.session.execute(statement.limit(per_page + 1).offset(offset))
    rows = list(result.scalars() if scalars else result)
    return page_of(rows, statement, page, per_page)


def page_of(rows: list[Any], statement: Select[Any], page: int, per_page: int) -> Page[Any]:
    """A page from ``per_page + 1`` fetched ``rows``; counts (bounded) only when the rows cannot tell."""
    following = len(rows) > per_page
    items = rows[:per_page]
    offset = (page - 1) * per_page
    # On the last page, the total is everything before it plus what it holds: no count needed.
    last_page = not following and (items or page == 1)
    total = offset + len(items) if last_page else count_up_to(statement)
    more = total > COUNT_LIMIT
    return Page(
        items=items, page=page, per_page=per_page, total=min(total, COUNT_LIMIT), more=more, following=following
    )


def counted_page(ids: Select[Any], scope: Select[Any], listing: Any) -> tuple[Select[Any], Select[Any]]:
    """A page's statement and its bounded count's, for a statement built once with bound values.

    ``ids`` chooses the page's ids (ordered, ``LIMIT :limit OFFSET :offset``), ``scope`` is every matching
    row, and ``listing(page_ids)`` joins the page's ids (a CTE: a listing may name them twice) to what
    the page shows. As in :func:`page_of`, the
    count is run only when the rows cannot tell it (:func:`page_from`). Bringing the count along in the
    page's statement (a ``CASE`` the database evaluates only for a full page) saved one round trip but put a
    count into every page's statement, and a list that fits one page must not look counted."""
    return listing(ids.cte("page_ids")), _bounded(scope)


def _bounded(statement: Select[Any]) -> Select[Any]:
    bounded = (
        statement.order_by(None)
        .with_only_columns(literal(1), maintain_column_froms=True)
        .limit(bindparam("count_limit", type_=Integer))
        .subquery()
    )
    return select(func.count()).select_from(bounded)


def page_from(
    rows: list[Any], page: int, per_page: int, counted: Any, values: dict[str, Any], connection: Any
) -> Page[Any]:
    """:func:`page_of` for the rows of a :func:`counted_page` statement: the count (``counted``, with the
    same ``values``) is run only when the rows cannot tell it."""
    following = len(rows) > per_page
    items = rows[:per_page]
    offset = (page - 1) * per_page
    if not following and (items or page == 1):
        total = offset + len(items)
    else:
        total = connection.execute(counted, values).scalar() or 0
    more = total > COUNT_LIMIT
    return Page(
        items=items, page=page, per_page=per_page, total=min(total, COUNT_LIMIT), more=more, following=following
    )


def page_values(page: int, per_page: int) -> dict[str, Any]:
    """The bound values every :func:`counted_page` statement takes."""
    return {"limit": per_page + 1, "offset": (page - 1) * per_page, "count_limit": COUNT_LIMIT + 1}
