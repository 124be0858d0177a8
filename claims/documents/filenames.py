"""The name a document was uploaded under, made safe to store and to send back in a Content-Disposition
header (no path, no control characters, a bounded length), and that header itself."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 150
FALLBACK = "document"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')


def safe_filename(name: str) -> str:
    """The last part of `name` (a browser may send a whole path), without characters a file system or
    a header would trip over; FALLBACK when nothing is left."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = stem[: MAX_NAME - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else base[:MAX_NAME]
    return base or FALLBACK


def content_disposition(filename: str) -> str:
    """`attachment` with the name in ASCII for old clients and in UTF-8 (RFC 6266, 5987) for the rest."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or FALLBACK
    ascii_name = _UNSAFE.sub("_", ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
