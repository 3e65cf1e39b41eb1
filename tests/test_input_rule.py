"""The one input rule (issue 12 item 9): every text field of every form refuses NUL, the other control
characters and the text-direction characters, with a message at the field in the user's language; only a
textarea takes CR/LF. The CSV guard neutralises formulas, also after a ``;`` or ``,`` inside a cell."""

from __future__ import annotations

import csv
import html
import importlib
import io
import pkgutil
import re

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField, TextAreaField

import screening
from screening.csv_guard import SafeWriter, safe_cell
from screening.db import db
from screening.inputs import CONTROL_MESSAGE, DIRECTION_MESSAGE, LINE_MESSAGE, Form, PlainText, text_problem
from screening.organisations.models import Organisation
from tests.conftest import PASSWORD, csrf_token, fresh, sign_in

HOSTILE = {
    "nul": "Jan\x00",
    "tab": "Jan\tPeeters",
    "escape": "Jan\x1b[31m",
    "c1": "Jan\x85",
    "delete": "Jan\x7f",
    "override": "Jan\u202egnp.exe",
    "isolate": "Jan\u2066x\u2069",
    "mark": "Jan\u200f",
    "line separator": "Jan\u2028Peeters",
}


def _application_forms() -> list[type[FlaskForm]]:
    """Every form class the application defines (its modules imported, so none is missed)."""
    for module in pkgutil.walk_packages(screening.__path__, "screening."):
        if ".migrations." not in module.name and module.name != "screening.wsgi":  # wsgi loads a config
            importlib.import_module(module.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        form = todo.pop()
        todo.extend(form.__subclasses__())
        if form.__module__.startswith("screening.") and form is not Form:
            found.append(form)
    return found


def test_every_form_of_the_application_applies_the_rule_to_every_text_field(app):
    forms = _application_forms()
    assert len(forms) >= 14, [f.__name__ for f in forms]
    outside = [f"{f.__module__}.{f.__name__}" for f in forms if not issubclass(f, Form)]
    assert outside == [], "subclass screening.inputs.Form, not FlaskForm"
    text_fields = 0
    with app.test_request_context("/"):
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if isinstance(field, StringField):
                    text_fields += 1
                    rule = field.validators[0]
                    assert isinstance(rule, PlainText), f"{form_class.__name__}.{field.name}"
                    assert rule.multiline == isinstance(field, TextAreaField)
                    assert rule.format_controls == (not isinstance(field, PasswordField))
    assert text_fields >= 25


@pytest.mark.nodb
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_rule_refuses_each_kind_of_hostile_character(kind):
    value = HOSTILE[kind]
    expected = {"tab": CONTROL_MESSAGE, "line separator": DIRECTION_MESSAGE}.get(kind)
    problem = text_problem(value)
    assert problem is not None
    if expected is not None:
        assert problem is expected
    assert text_problem(value, multiline=True) is not None  # a textarea refuses them too


@pytest.mark.nodb
def test_only_a_textarea_takes_line_breaks_and_a_password_takes_direction_marks():
    assert text_problem("Jan\r\nPeeters") is LINE_MESSAGE
    assert text_problem("first line\r\nsecond line\n", multiline=True) is None
    assert text_problem("pass\u202eword", format_controls=False) is None
    assert text_problem("pass\x00word", format_controls=False) is CONTROL_MESSAGE
    for fine in ("Çelik", "Nowak-Wiśniewska", "Ахмедов", "محمد", "🙂 ok", "O'Brien", ""):
        assert text_problem(fine) is None, fine


MESSAGES = {
    "en": "Remove the invisible text-direction characters from this field.",
    "nl": "Verwijder de onzichtbare tekens voor de schrijfrichting uit dit veld.",
    "fr": "Retirez de ce champ les caractères invisibles de sens d'écriture.",
}


@pytest.mark.parametrize("locale", sorted(MESSAGES))
def test_a_hostile_name_is_refused_at_its_field_in_the_users_language_and_nothing_is_stored(as_role, locale):
    admin, _user = as_role("admin")
    page = admin.get("/admin/organisations/new")
    admin.post("/language", data={"locale": locale, "csrf_token": csrf_token(page.text)})
    response = admin.post(
        "/admin/organisations/new",
        data={
            "csrf_token": csrf_token(page.text), "name": "Jan\u202egnp.exe", "enterprise_number": "0403.170.701",
            "code": "rlo", "active": "y",
        },
    )  # fmt: skip
    assert response.status_code == 422
    text = html.unescape(response.text)
    field = re.search(r'id="name"[^>]*>\s*<div class="invalid-feedback">([^<]*)</div>', text)
    assert field and field.group(1) == MESSAGES[locale]
    assert "gnp.exe" not in text  # the refused text is not echoed back
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.code == "rlo")) == 0


def test_the_sign_in_form_refuses_a_nul_at_the_field_without_asking_the_database(client, factory):
    user = factory.user("requester")
    page = client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "username": user.username + "\x00", "password": PASSWORD}
    )
    assert response.status_code in (200, 422)
    assert "Remove the control characters (such as a tab or a NUL) from this field." in html.unescape(response.text)
    assert "/logout" not in response.text


def test_a_textarea_takes_line_breaks_and_refuses_a_tab(app, factory):
    officer = factory.user("officer")
    application = factory.application("in_review", officer=officer)
    client = sign_in(app.test_client(), officer)
    page = client.get(f"/applications/{application.id}")
    form = {"csrf_token": csrf_token(page.text), "request_info-version": str(application.version)}
    refused = client.post(
        f"/applications/{application.id}/request_info", data={**form, "request_info-reason": "Which\tport?"}
    )
    assert refused.status_code == 422
    fresh()
    assert db.session.get(type(application), application.id).state == "in_review"
    accepted = client.post(
        f"/applications/{application.id}/request_info",
        data={**form, "request_info-reason": "Which port?\r\nAnd since when?"},
    )
    assert accepted.status_code == 302
    fresh()
    assert db.session.get(type(application), application.id).info_request == "Which port?\r\nAnd since when?"


# -- the CSV guard ---------------------------------------------------------------------------------


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+32 3 123", "'+32 3 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "\ufffd=1+1"),
        ("\r=1+1", "\ufffd=1+1"),
        ('Dupont;=HYPERLINK("http://x")', 'Dupont;\'=HYPERLINK("http://x")'),
        ("Dupont, =1+1", "Dupont, '=1+1"),
        ("Dupont;  @x", "Dupont;  '@x"),
        ("Jan\u202egnp.exe", "Jan\ufffdgnp.exe"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Jean-Pierre", "Jean-Pierre"),
        ("Çelik", "Çelik"),
        ("2026-12-02", "2026-12-02"),
        (None, ""),
    ],
)
def test_a_cell_never_starts_a_formula(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.nodb
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_belgian_spreadsheet_sees_one_cell_per_value_none_a_formula(delimiter):
    """Belgian Excel reads ``;`` as the separator: every cell quoted stays one cell there too."""
    out = io.StringIO()
    SafeWriter(out).writerow(["Dupont;=cmd|' /C calc'!A0", "x,@SUM(1)", "Jan\u202egnp.exe"])
    cells = next(csv.reader(io.StringIO(out.getvalue()), delimiter=delimiter))
    assert len(cells) == 3 if delimiter == "," else len(cells) == 1
    for cell in cells:
        for part in re.split(r"[;,]\s*", cell):
            assert part[:1] not in ("=", "+", "-", "@", "\t", "\r"), part
    assert "\u202e" not in out.getvalue()
