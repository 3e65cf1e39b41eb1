"""Texts of the declarations, marked for translation without importing Flask.

``N_("Submit")`` returns the English text unchanged; Babel extracts it (``N_`` is one of its default
keywords, and babel.cfg reads ``workflows/``) into the catalogues, and the screening side translates it
when it renders (``gettext(label)`` in the user's language).
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark ``text`` for translation; the translation happens where it is shown."""
    return text
