"""The compliance view's page, rendered once per version of what it shows and reused on this node.

A page of a register of 20,000 people costs a statement with two correlated look-ups per line, 50 rows and their
translations and dates: several times a signed-in page's fixed cost. What it shows changes only when the
organisation's register, its files, the clearances of the people it has files on, its name or the catalogue
change, and database triggers count exactly those changes in two rows of ``change_counters`` (migration 0034):
``compliance:<organisation id>`` and ``compliance:0`` (the catalogue, every view). So each node keeps the page's
markup keyed by the organisation, both values, the day (days left and overdue move with it), the filters, the
page number and size, the language, whether the reader may request screenings (the tick boxes) and the
application's root, and reads the two values (with the organisation's existence) in one statement by primary
keys on every request: a change committed on any node is seen on the next request, and a change in one
organisation leaves the other organisations' pages in place.

Only the request's CSRF token differs between readers of one key: it is a slot in the kept markup, filled in on
each request. Access is checked before the memo is read (an employer's reader only for its own organisation,
then the organisation must exist), so a page is never shown to someone who may not open it. A search is never
kept (its words are the reader's own and rarely asked twice); nor is a page past the last, so a stranger's page
numbers cannot fill the memo. A missing counter row (a database emptied by hand) means no memo: the page is
built each time."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import abort, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import bindparam, select

from screening.db import Prepared, db
from screening.organisations.models import Organisation
from screening.web import LAYOUT_SLOTS, fill_slots, layout_values, slot_marks, split_slots
from screening.workforce.models import ChangeCounter

PREFIX = "compliance:"
#: The counter of what every organisation's view shows (the critical functions).
EVERY_ORGANISATION = 0
_MEMO = "screening.compliance_pages"
#: At most this many pages are kept per node (about 35 kB each for a full page); past it the memo starts
#: again.
MEMO_SIZE = 256


_PROBE = Prepared(
    select(
        Organisation.id,
        select(ChangeCounter.value).where(ChangeCounter.name == bindparam("own")).scalar_subquery(),
        select(ChangeCounter.value).where(ChangeCounter.name == bindparam("every")).scalar_subquery(),
    ).where(Organisation.id == bindparam("organisation"))
)


def probe(organisation_id: int) -> tuple[bool, tuple[int, int] | None]:
    """Whether the organisation exists, and the two counters of its view (None when one is missing): one
    statement by primary keys, run on the connection's cursor (:class:`screening.db.Prepared`)."""
    own, every = f"{PREFIX}{organisation_id}", f"{PREFIX}{EVERY_ORGANISATION}"
    values = {"organisation": organisation_id, "own": own, "every": every}
    rows = _PROBE.rows(db.session.connection(), values)
    if not rows:
        return False, None
    _id, own, every = rows[0]
    return True, None if own is None or every is None else (int(own), int(every))


def version(organisation_id: int) -> tuple[int, int] | None:
    """The two counters of ``organisation_id``'s view; None when one (or the organisation) is missing."""
    return probe(organisation_id)[1]


def page(organisation_id: int, key: tuple[Hashable, ...], build: Callable[[], tuple[str, bool]]) -> str:
    """The whole page for ``key``, kept on this node while the organisation's version stays the same, with the
    request's own values (the reader's name and organisation, the CSRF token, the path to come back to:
    :func:`screening.web.layout_values`) filled into its slots; 404 for an organisation that does not exist
    (the caller has checked the reader's scope: an employer's own organisation only). ``build()`` renders the
    page (with slots while ``g`` holds them) and says whether it may be kept. A request with messages to
    flash gets a page of its own."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    values = layout_values()
    if app.jinja_env.auto_reload or session.get("_flashes"):  # templates reloaded while developing; messages
        return build()[0]  # (build opens the organisation for the reader: 404 for a missing one)
    exists, current = probe(organisation_id)
    if not exists:
        abort(404)
    if current is None:
        return build()[0]
    # An empty value renders as it would (an {% if %} sees it empty): which ones are empty is in the key.
    empty = tuple(name for name, value in values.items() if not value)
    full_key = (organisation_id, current, request.script_root, current_user.role, empty, *key)
    memo: dict[tuple[Hashable, ...], list[str]] = app.extensions.setdefault(_MEMO, {})
    parts = memo.get(full_key)
    if parts is None:
        setattr(g, LAYOUT_SLOTS, slot_marks(values))
        try:
            html, keep = build()
        finally:
            g.pop(LAYOUT_SLOTS, None)
        parts = split_slots(html, values)
        if parts is None:
            return build()[0]  # a NUL of its own after all: rendered with the values themselves, not kept
        if keep:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[full_key] = parts  # one assignment: a thread reads the old entry or the new
    return fill_slots(parts, values)  # Markup is a str: the page is not copied again
