"""Documents people upload (a signed consent form, an appeal letter): the type is read from the first bytes,
never from the file's name or the browser's claim; only PDF, JPEG and PNG are taken, up to :data:`MAX_BYTES`."""

from __future__ import annotations

#: The largest scan accepted (a few pages at 300 dpi fit easily).
MAX_BYTES = 5 * 1024 * 1024
#: Media types by their magic numbers.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are, among those accepted; None otherwise."""
    return next((media for magic, media in SIGNATURES if content.startswith(magic)), None)
