"""The fonts of every PDF the application makes: certificates, reports and the person's data export.

DejaVu Sans, embedded as subsets: reportlab's built-in fonts cover Latin-1 only, so "Рустам Ахмедов" or
"Nowak-Wiśniewska" would print as black boxes. The fonts are required, and checked once at start
(:func:`use_font_dir`, called by ``create_app``): a missing file stops the application with the file and
the setting named. Before, the reports fell back to Helvetica without a word while the certificates
failed at the first export; a document that silently drops the letters of a name is worse than no start.

No Flask here: the document builders (plain data in, bytes out) call :func:`faces`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from screening.config.errors import ConfigError

#: Debian's and Ubuntu's fonts-dejavu-core; the ``[documents] font_dir`` setting points elsewhere.
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
REGULAR, BOLD = "ScreeningSans", "ScreeningSans-Bold"
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

_font_dir = Path(DEFAULT_FONT_DIR)
_registered_from: Path | None = None
_registering = threading.Lock()
#: reportlab keeps per-document state on the shared font objects and warns against building two
#: documents with the same font at once: threads take turns (a certificate takes a few milliseconds).
_building = threading.Lock()


class FontMissing(ConfigError):
    """A font file of ``[documents] font_dir`` is not there."""


def font_files(font_dir: str | Path) -> dict[str, Path]:
    """The font files in ``font_dir``, by the name documents use; raises naming the first missing one."""
    files = {name: Path(font_dir) / filename for name, filename in FILES.items()}
    for path in files.values():
        if not path.is_file():
            raise FontMissing(
                f"documents.font_dir: font {path} is missing: install fonts-dejavu-core, or point "
                "documents.font_dir (or $SCREENING_FONT_DIR) to a directory with DejaVuSans.ttf and "
                "DejaVuSans-Bold.ttf"
            )
    return files


def use_font_dir(font_dir: str | Path) -> None:
    """Check the fonts now (at start) and take them from ``font_dir`` from now on."""
    global _font_dir
    font_files(font_dir)
    _font_dir = Path(font_dir)


def faces() -> tuple[str, str]:
    """The regular and bold font names, registered with reportlab once per process (the TTF files are
    parsed once, then every document reuses the faces and embeds its own subset)."""
    global _registered_from
    with _registering:
        if _registered_from != _font_dir:
            for name, path in font_files(_font_dir).items():
                # asciiReadable=False: subset only the characters a document uses, not all of ASCII.
                pdfmetrics.registerFont(TTFont(name, str(path), asciiReadable=False))
            _registered_from = _font_dir
    return REGULAR, BOLD


@contextmanager
def building() -> Iterator[None]:
    """Hold while a document is drawn and saved with these fonts (see ``_building``)."""
    with _building:
        yield
