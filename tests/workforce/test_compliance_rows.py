"""The compliance view's rows written in Python (screening/workforce/rows.py) are exactly what the template's
loop and the macros of ``workforce/_standing.html`` print, for every kind of line and in every language."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, gettext

from screening.workforce.compliance import Line
from screening.workforce.rows import compliance_rows
from workflows.compliance import FILE_STATES, Standing, compliance

#: The loop the template had, with its macros: the reference markup.
LOOP = """{% from "workforce/_standing.html" import standing_cell, deadline_cell %}
{%- for line in lines %}{% set c = line.compliance %}
    <tr>
      {% if requesting %}<td>{% if requestable(line) %}<input class="form-check-input" type="checkbox" name="member" value="{{ line.row.id }}" id="member-{{ line.row.id }}" aria-label="{{ _('Request a screening for %(name)s', name=line.row.given_names ~ ' ' ~ line.row.family_name) }}"><input type="hidden" name="page_member" value="{{ line.row.id }}">{% endif %}</td>{% endif %}
      <td><a href="{{ url_for('workforce.member', organisation_id=organisation_id, member_id=line.row.id) }}">{{ line.row.family_name }}, {{ line.row.given_names }}</a> <span class="small text-muted">{{ line.row.personnel_number }}</span></td>
      <td>{{ line.row.function_name }}</td>
      <td>{{ standing_cell(c, labels) }}</td>
      <td>{{ deadline_cell(c) }}</td>
    </tr>
  {% endfor %}"""  # noqa: E501

TODAY = date(2026, 12, 2)


def _lines():
    lines = []
    advice = {"positive": "positive", "negative": "negative", "positive_with_warning": "positive_with_warning"}
    for n, state in enumerate(FILE_STATES):
        for days in (-400, -1, 0, 1, 60):
            for covered in (None, TODAY + timedelta(days=days)):
                row = SimpleNamespace(
                    id=n * 1000 + days + 500, given_names='Zoë <b>&"', family_name=f"D'Hondt {n}",
                    personnel_number=f"P&{n}", function_name="Docker <crane>", state=state,
                )  # fmt: skip
                decided = compliance(state=state, advice_type=advice.get(state or ""), covered_until=covered,
                                     deadline=TODAY + timedelta(days=days), today=TODAY)  # fmt: skip
                lines.append(Line(row, decided))
    return lines


@pytest.mark.parametrize("locale", ["en", "nl", "fr"])
@pytest.mark.parametrize("requesting", [True, False])
def test_the_rows_are_the_loops_markup(app, locale, requesting):
    from screening.workforce.bulk import requestable

    lines = _lines()
    assert {line.compliance.standing for line in lines} == set(Standing)
    with app.test_request_context("/"), force_locale(locale):
        labels = {s: gettext(s.label) for s in Standing}
        expected = app.jinja_env.from_string(LOOP).render(
            lines=lines, requesting=requesting, labels=labels, organisation_id=7, requestable=requestable
        )
        written = compliance_rows(lines, organisation_id=7, requesting=requesting, labels=labels)
    assert str(written) == expected
