"""Every user-facing string is translated in Dutch and French, and the compiled catalogues are current.

The strings are extracted afresh from the code and templates through Babel's API, with babel.cfg and the
keywords of scripts/i18n.sh, not read from the committed messages.pot: a string added without running the
catalogue cycle fails here, named.
"""

from __future__ import annotations

import re
import shlex
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "screening" / "translations"
LOCALES = ("nl", "fr")
#: The extra keywords the code uses (beyond Babel's defaults, N_ included): lazy strings and the domain errors.
KEYWORDS = ("lazy_gettext", "_l", "Conflict", "NotAllowed", "InvalidInput", "DomainError", "IdentifierError")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
#: Words that are the same in every language (file formats), allowed as plain template text.
SAME_IN_EVERY_LANGUAGE = frozenset({"PDF", "CSV", "ZIP", "QR"})


def _extracted() -> dict[str, tuple[tuple[str, ...], str]]:
    """msgid -> (every form of it: singular, plural; where it was first found), from the sources now."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update({keyword: None for keyword in KEYWORDS})
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords, strip_comment_tags=True
    ):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        if forms and forms[0]:
            found.setdefault(forms[0], (forms, f"{filename}:{lineno}"))
    return found


def _catalogue(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[tuple[str, ...], str]]:
    return _extracted()


def test_the_keywords_agree_with_the_catalogue_script() -> None:
    script = (ROOT / "scripts" / "i18n.sh").read_text()
    line = next(line for line in script.splitlines() if line.startswith("KEYWORDS=("))
    words = shlex.split(line.removeprefix("KEYWORDS=(").removesuffix(")"))
    assert tuple(words[1::2]) == KEYWORDS


def test_extraction_finds_the_strings_of_code_templates_and_errors(extracted) -> None:
    assert "Skip to content" in extracted  # templates/base.html
    assert "Waiting to be reviewed" in extracted  # lazy_gettext in screening/core/views.py
    assert "This is not possible while the application is %(state)s." in extracted  # Conflict(...)
    assert extracted["%(num)d result"][0] == ("%(num)d result", "%(num)d results")  # ngettext


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_is_translated(locale, extracted) -> None:
    catalogue = _catalogue(locale)
    problems = []
    for msgid, (forms, where) in sorted(extracted.items()):
        message = catalogue.get(msgid)
        strings = () if message is None else (message.string,) if isinstance(message.string, str) else message.string
        if message is None:
            problems.append(f"missing: {msgid!r} ({where})")
        elif not strings or not all(strings):
            problems.append(f"empty: {msgid!r} ({where})")
        elif message.fuzzy:
            problems.append(f"fuzzy (needs review): {msgid!r} ({where})")
        else:
            expected = {name for form in forms for name in PLACEHOLDER.findall(form)}
            for string in strings:
                if not set(PLACEHOLDER.findall(string)) <= expected:
                    problems.append(f"placeholder not in the source: {msgid!r} -> {string!r}")
    assert not problems, (
        f"{len(problems)} strings not translated in {locale} (run scripts/i18n.sh, translate, compile):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_the_po_file(locale) -> None:
    expected: dict[object, str] = {}
    for message in _catalogue(locale):
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            expected[message.id] = message.string
        else:
            for index, string in enumerate(message.string):
                expected[(message.id[0], index)] = string
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = {key: value for key, value in GNUTranslations(mo)._catalog.items() if key != ""}
    stale = sorted(str(key) for key in expected.keys() ^ compiled.keys()) + sorted(
        str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key]
    )
    assert not stale, f"{locale}: messages.mo is out of date with messages.po (run scripts/i18n.sh compile): {stale}"


def test_no_template_shows_text_outside_gettext() -> None:
    """Text written straight into a page's HTML (or in a placeholder, aria-label, title or alt) never reaches
    a catalogue: every word a user reads must come through ``_()``."""
    from jinja2 import Environment

    lexer = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    tag, entity = re.compile(r"<[^>]*>", re.S), re.compile(r"&#?\w+;")
    attribute = re.compile(r'\b(?:placeholder|aria-label|title|alt)="([^"]*)"')
    word = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        html = "".join(value for _line, kind, value in lexer.lex(path.read_text()) if kind == "data")
        texts = [*attribute.findall(html), *entity.sub(" ", tag.sub("\n", html)).splitlines()]
        for text in texts:
            words = set(word.findall(text)) - SAME_IN_EVERY_LANGUAGE
            if words:
                problems.append(f"{path.relative_to(ROOT)}: {text.strip()!r}")
    assert not problems, "text not translatable (wrap it in _()):\n" + "\n".join(problems)


def test_every_mail_exists_in_every_language() -> None:
    mails = ROOT / "templates" / "mail"
    for english in sorted(mails.glob("*.en.txt")):
        for locale in LOCALES:
            translated = english.with_name(english.name.replace(".en.", f".{locale}."))
            assert translated.exists(), f"{english.name} has no {locale} version"
