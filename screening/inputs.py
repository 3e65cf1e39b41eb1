"""The one input rule: what a person may type into any text field, query string or path of the application.

Every text refuses NUL and the other control characters (Unicode category Cc: C0, DEL and C1), the
Unicode characters that change the direction of text (the Bidi_Control set: U+061C, U+200E, U+200F,
U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators U+2028/U+2029. Only a multi-line field
(a textarea) accepts CR and LF; a tab is refused everywhere (it moves a spreadsheet cell, and nobody types
one into a web form). Direction marks (U+200E/U+200F, U+061C) are refused too: they are invisible, a name
or a reason never needs them (the page sets the direction), and they make two names that look alike differ.
Passwords refuse the control characters only: ASVS 2.1.4 allows any printable character, and a password is
never shown.

Forms get the rule by subclassing :class:`Form` (``tests/test_input_rule.py`` fails for a form that does
not); query strings and path segments get it from :func:`init_input`, which answers 400 before any view
runs. Ids in paths are bounded to :data:`MAX_INT` by the ``int`` converter, and a query parameter named
``page`` or ``..._id`` holding a number beyond it (or a page beyond :data:`MAX_PAGE`) answers 404, so no
database is asked for a number its column cannot hold.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Flask, abort, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

#: The largest id or number a request may name: the ids' column type (``INTEGER``, 32 bits on PostgreSQL;
#: SQLite's 64-bit INTEGER holds more, but a number no id can reach is not worth a query either).
MAX_INT = 2**31 - 1
#: The deepest page a list answers; beyond it, 404 (offset = page x page size must stay far inside 64 bits).
MAX_PAGE = 1_000_000

#: Characters that change the direction of text, and the line and paragraph separators.
FORMAT_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
LINE_BREAKS = frozenset("\r\n")

CONTROL_MESSAGE = _l("Remove the control characters (such as a tab or a NUL) from this field.")
LINE_MESSAGE = _l("This field takes a single line: remove the line breaks.")
DIRECTION_MESSAGE = _l("Remove the invisible text-direction characters from this field.")


def text_problem(value: str | None, *, multiline: bool = False, format_controls: bool = True) -> Any:
    """The message for the first character ``value`` may not hold (lazy, in the user's language), or None.

    ``multiline`` allows CR and LF; ``format_controls=False`` (passwords) allows the direction characters."""
    if not value or value.isprintable():  # the common case, in C: no Cc, no Cf, no Zl/Zp at all
        return None
    for character in value:
        if character in LINE_BREAKS:
            if not multiline:
                return LINE_MESSAGE
        elif unicodedata.category(character) == "Cc":
            return CONTROL_MESSAGE
        elif format_controls and character in FORMAT_CONTROLS:
            return DIRECTION_MESSAGE
    return None


def clean(value: str) -> bool:
    """Whether a single-line text (a query parameter, a path segment) passes the rule."""
    return text_problem(value) is None


class PlainText:
    """The rule as a WTForms validator, first in every text field's chain of a :class:`Form`: the field
    shows the one message and its other validators do not run on a text that cannot be stored."""

    field_flags: dict[str, Any] = {}

    def __init__(self, *, multiline: bool = False, format_controls: bool = True) -> None:
        self.multiline = multiline
        self.format_controls = format_controls

    def __call__(self, _form: Any, field: Field) -> None:
        values = [field.data] if isinstance(field.data, str) else []
        values += [raw for raw in field.raw_data or () if isinstance(raw, str)]
        for value in values:
            problem = text_problem(value, multiline=self.multiline, format_controls=self.format_controls)
            if problem is not None:
                field.data = ""  # never echo the refused text back into the page
                raise StopValidation(str(problem))


def rule_for(field: Field) -> PlainText | None:
    """The rule a bound field gets: every text field (string, e-mail, hidden, search, password, textarea)."""
    if isinstance(field, PasswordField):
        return PlainText(format_controls=False)
    if isinstance(field, TextAreaField):
        return PlainText(multiline=True)
    if isinstance(field, StringField):
        return PlainText()
    return None


class Form(FlaskForm):
    """The application's base form: :class:`FlaskForm` (CSRF) with :class:`PlainText` on every text field.

    Every form of the application subclasses it; ``tests/test_input_rule.py`` walks them all."""

    class Meta(FlaskForm.Meta):  # type: ignore[name-defined,misc]
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            field: Field = super().bind_field(form, unbound_field, options)
            rule = rule_for(field)
            if rule is not None:
                field.validators = [rule, *field.validators]  # a new list: the class's stays as declared
            return field


class BoundedInteger(IntegerConverter):
    """``<int:...>`` in every route, bounded to :data:`MAX_INT`: a larger id matches no route (404)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None) -> None:  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_INT if max is None else max)


def parse_id(value: str | None) -> int | None:
    """A positive id or version typed by a client (a form's hidden field, a ticked box), or None when it is
    not a plain decimal number up to :data:`MAX_INT` (``"²".isdigit()`` is true, and ``int("²")`` raises)."""
    if not value or len(value) > 10 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number <= MAX_INT else None


def _number(value: str) -> int | None:
    if len(value) > 40:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _is_number_key(key: str) -> bool:
    """Query parameters that name an id or a page (``page``, ``object_id``...): their numbers are bounded.
    Others may hold long numbers (a national register number typed into a search box)."""
    return key == "page" or key.endswith("_id")


def _check_request() -> None:
    """Every query parameter and path segment passes the rule (400 otherwise); ids stay within
    :data:`MAX_INT` and pages within :data:`MAX_PAGE` (404 otherwise)."""
    for key, value in request.args.items(multi=True):
        if not (clean(key) and clean(value)):
            abort(400, description=gettext("The address contains characters that are not allowed here."))
        number = _number(value) if _is_number_key(key) else None
        if number is not None and (abs(number) > MAX_INT or (key == "page" and number > MAX_PAGE)):
            abort(404)
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and not clean(value):
            abort(400, description=gettext("The address contains characters that are not allowed here."))


def init_input(app: Flask) -> None:
    """The bounded ``int`` converter (before any blueprint adds its routes) and the request check."""
    app.url_map.converters["int"] = BoundedInteger
    app.before_request(_check_request)
