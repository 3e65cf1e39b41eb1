"""The slots of kept markup (screening.web): the layout's fragments and the kept compliance page carry the
request's own values as slots, filled in escaped per request; a stray NUL keeps nothing."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from screening.web import fill_slots, slot_marks, split_slots

pytestmark = pytest.mark.nodb


def _render(values: dict[str, object]) -> str:
    return f'<p>{values["name"]}</p><input value="{values["csrf"]}">{"<b>org</b>" if values["org"] else ""}'


def test_kept_markup_takes_each_readers_values_escaped():
    values = {"name": "x", "csrf": "y", "org": ""}
    parts = split_slots(_render(slot_marks(values)), values)
    assert parts is not None and parts[1::2] == ["name", "csrf"]  # the empty value is no slot
    filled = fill_slots(parts, {"name": "<script>Ann</script>", "csrf": 'a"b', "org": ""})
    assert isinstance(filled, Markup)
    assert filled == '<p>&lt;script&gt;Ann&lt;/script&gt;</p><input value="a&#34;b">'


def test_a_stray_nul_or_an_unknown_name_keeps_nothing():
    values = {"name": "x", "csrf": "y"}
    assert split_slots("<p>\x00name\x00 and \x00</p>", values) is None
    assert split_slots("<p>\x00other\x00</p>", values) is None
    assert split_slots("<p>plain</p>", values) == ["<p>plain</p>"]
