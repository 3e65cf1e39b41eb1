"""The rows of the applications list and of the queue (``applications/_table.html``), written in Python.

A list page shows 50 rows of about fifteen values each; through Jinja every value is an attribute lookup, an
escape and a join, and the rows cost more than the rest of the page. Here each row is one ``str.format`` of
values escaped with markupsafe, with everything that is the same for every row (the link patterns, the
badges, the translated words, the date formatters) taken once per table. The markup is exactly what the
template's loop printed (translations, as from Jinja's ``_()``, are not escaped; the data always is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape

from screening.clock import today
from screening.formats import day_formatter, moment_formatter
from screening.web import _relative_formatter, _state_badges

#: A number no file has, replaced by each row's id in the one link built per table.
_PLACEHOLDER = "987654321"
_APPEALS = ("appealed", "appealed_no_advice")

_ROW = (
    '\n    <tr>\n      {tick}\n      <td><a href="{url}">{reference}</a></td>\n      <td>{family}, {given}</td>\n'
    "      <td>{function}</td>\n      {organisation}\n      <td>{badge}{overdue}</td>\n      <td>{when}</td>\n"
    "      {assignee}\n    </tr>\n  "
)
_TICK = (
    '<td><input class="form-check-input" type="checkbox" name="file" value="{id}:{version}" id="tick-{id}"'
    ' aria-label="{label} {reference}"></td>'
)
_CLAIM = (
    '{name} <button class="btn btn-sm btn-outline-primary ms-1" type="submit" formaction="{url}" name="version"'
    ' value="{version}" aria-label="{label} {reference}">{label}</button>'
)


def _pattern(endpoint: str) -> str:
    return url_for(endpoint, application_id=int(_PLACEHOLDER)).replace(_PLACEHOLDER, "{}")


def application_rows(rows: Sequence[Any], *, queue: bool, show_organisation: bool) -> Markup:
    """The ``<tr>`` of each listing row (``queries._listing``), for the list or, with ``queue``, the queue."""
    detail = _pattern("applications.detail")
    badges = _state_badges(str(get_locale() or "en"))
    moment = moment_formatter()
    words = _queue_words() if queue else {}
    due_text = _due_text(words) if queue else None
    out = []
    for a in rows:
        reference = escape(a.reference)
        out.append(
            _ROW.format(
                tick=_TICK.format(id=a.id, version=a.version, label=words["tick"], reference=reference)
                if queue
                else "",
                url=escape(detail.format(a.id)),
                reference=reference,
                family=escape(a.family_name),
                given=escape(a.given_names),
                function=escape(a.function_name),
                organisation=f"<td>{escape(a.organisation_name)}</td>" if show_organisation else "",
                badge=badges.get(a.state, ""),
                overdue=words["overdue"] if queue and a.due_on and a.due_on < words["today"] else "",
                when=f"{escape(moment(a.submitted_at))}{due_text(a)}" if due_text else escape(moment(a.created_at)),
                assignee=f"<td>{_assignee(a, reference, words)}</td>" if queue else "",
            )
        )
    return Markup("".join(out))  # noqa: S704 - every value above is escaped or is our own markup


def _queue_words() -> dict[str, Any]:
    """What every row of the queue shares: its words in the reader's language, today, the claim link."""
    return {
        "overdue": f' <span class="badge text-bg-danger">{gettext("overdue")}</span>',
        "due": gettext("due"),
        "ruling_due": gettext("ruling due"),
        "tick": gettext("Select file"),
        "claim": gettext("Claim"),
        "nobody": gettext("nobody"),
        "claim_url": _pattern("applications.claim"),
        "today": today(),
        "me": current_user.id,
    }


def _due_text(words: dict[str, Any]) -> Any:
    """The queue's "due 12 Mar 2026 (in 3 days)" line under the submission moment, for one row."""
    day, relative = day_formatter(), _relative_formatter()

    def text(a: Any) -> str:
        if not a.due_on:
            return ""
        label = words["ruling_due"] if a.state in _APPEALS else words["due"]
        return (
            f'<br><span class="small text-muted">{label} {escape(day(a.due_on))} ({escape(relative(a.due_on))})</span>'
        )

    return text


def _assignee(a: Any, reference: Markup, words: dict[str, Any]) -> str:
    if a.assigned_to_id == words["me"]:
        return f"<strong>{escape(a.assignee_name)}</strong>"
    url = escape(words["claim_url"].format(a.id))
    name = escape(a.assignee_name) if a.assignee_name else words["nobody"]
    return _CLAIM.format(name=name, url=url, version=a.version, label=words["claim"], reference=reference)
