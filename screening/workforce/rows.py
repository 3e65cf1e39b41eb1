"""The rows of the compliance view (``workforce/compliance.html``), written in Python, as the applications
list's (:mod:`screening.applications.rows`): through Jinja each of 50 rows costs two macro calls, a link, a
date and a plural, more than the rest of the page. Here a row is one ``str.format`` of escaped values; the
link pattern and the words are taken once per table, and a standing's cell and a deadline's cell once per
distinct value (most lines of a large register share them). The markup is exactly what the template's loop
and the macros of ``workforce/_standing.html`` printed (a test renders both): translations are not escaped,
as from Jinja's ``_()``, the data always is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from screening.formats import day_formatter
from screening.web import ROLE_LABELS, _request_translations, _state_badges
from screening.workforce.bulk import requestable
from workflows.compliance import Standing

#: A number no member has, replaced by each row's id in the one link built per table.
_PLACEHOLDER = "987654321"

_ROW = (
    '\n    <tr>\n      {tick}\n      <td><a href="{url}">{family}, {given}</a> '
    '<span class="small text-muted">{number}</span></td>\n      <td>{function}</td>\n'
    "      <td>{standing}</td>\n      <td>{deadline}</td>\n    </tr>\n  "
)
_TICK = (
    '<td><input class="form-check-input" type="checkbox" name="member" value="{id}" id="member-{id}"'
    ' aria-label="{label}"><input type="hidden" name="page_member" value="{id}"></td>'
)


def compliance_rows(
    lines: Sequence[Any], *, organisation_id: int, requesting: bool, labels: dict[Standing, str]
) -> Markup:
    """The ``<tr>`` of each :class:`screening.workforce.compliance.Line`; with ``requesting`` (the screening
    manager) the tick of each line a screening can be requested for."""
    link = url_for("workforce.member", organisation_id=organisation_id, member_id=int(_PLACEHOLDER))
    link = str(escape(link)).replace(_PLACEHOLDER, "{}")
    standing_cell, deadline_cell = _memo(_standing_cell(labels)), _memo(_deadline_cell())
    tick_label = _Words().text("Request a screening for %(name)s")
    out = []
    for line in lines:
        row, c = line.row, line.compliance
        tick = ""
        if requesting:
            tick = (
                _TICK.format(id=row.id, label=tick_label % {"name": f"{row.given_names} {row.family_name}"})
                if requestable(line)
                else "<td></td>"
            )
        out.append(
            _ROW.format(
                tick=tick,
                url=link.format(row.id),
                family=escape(row.family_name),
                given=escape(row.given_names),
                number=escape(row.personnel_number),
                function=escape(row.function_name),
                standing=standing_cell((c.standing, c.state, c.waits_on, c.covered_until)),
                deadline=deadline_cell((c.deadline, c.days_left)),
            )  # fmt: skip
        )
    return Markup("".join(out))  # noqa: S704 - every value above is escaped or is our own markup


def _memo(make: Callable[[Any], str]) -> Callable[[Any], str]:
    """``make`` once per distinct key, for one table."""
    made: dict[Any, str] = {}

    def cell(key: Any) -> str:
        found = made.get(key)
        if found is None:
            found = made[key] = make(key)
        return found

    return cell


def _standing_cell(labels: dict[Standing, str]) -> Callable[[Any], str]:
    """The ``standing_cell`` macro: covered until, the file's state and whose move it is, or the standing."""
    badges, day, words = _state_badges(str(get_locale() or "en")), day_formatter(), _Words()

    def cell(key: Any) -> str:
        standing, state, waits_on, covered_until = key
        if standing == Standing.COVERED:
            until = words.text("until %(day)s") % {"day": day(covered_until)}
            return f'<span class="badge text-bg-success">{escape(labels[standing])}</span> {until}\n        '
        if state:
            badge = badges.get(state) or Markup('<span class="badge text-bg-secondary">{}</span>').format(state)
            if waits_on:
                party = words.text("waits on: %(party)s") % {"party": str(ROLE_LABELS[waits_on])}
                badge += Markup(' <span class="small text-muted">{}</span>').format(party)
            return f"{badge}\n        "
        return f'<span class="badge text-bg-secondary">{escape(labels[standing])}</span>'

    return cell


def _deadline_cell() -> Callable[[Any], str]:
    """The ``deadline_cell`` macro: the deadline, and the days left or overdue while not covered. Each date
    and each number of days is written once per table."""
    formatted, words = day_formatter(), _Words()
    day = _memo(lambda value: str(escape(formatted(value))))
    days = _memo(words.days)

    def cell(key: Any) -> str:
        deadline, days_left = key
        if days_left is None:
            return day(deadline)
        return f"{day(deadline)} {days(days_left)}"

    return cell


class _Words:
    """Jinja's ``_()`` and ``ngettext()`` (newstyle, autoescaped) for one table: the translation as markup,
    the values put in escaped with ``%``; the catalogue looked up once."""

    def __init__(self) -> None:
        self.catalogue = _request_translations()

    def text(self, text: str) -> Markup:
        return Markup(self.catalogue.ugettext(text))  # noqa: S704 - our own translations

    def plural(self, singular: str, plural: str, number: int) -> Markup:
        return Markup(self.catalogue.ungettext(singular, plural, number)) % {"num": number}  # noqa: S704

    def days(self, days_left: int) -> str:
        """The days left or overdue, red from the deadline on (:attr:`Compliance.overdue`)."""
        if days_left < 0:
            words = self.plural("overdue by %(num)d day", "overdue by %(num)d days", -days_left)
        elif days_left == 0:
            words = self.text("due today")
        else:
            words = self.plural("%(num)d day left", "%(num)d days left", days_left)
        style = "text-danger fw-bold" if days_left <= 0 else "text-muted"
        return f'<span class="small {style}">{words}</span>'
