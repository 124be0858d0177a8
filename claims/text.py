"""The one rule for text that can be stored, whichever way it comes in (a web form, the JSON API, the
command line): no NUL (PostgreSQL refuses it in text) and no lone UTF-16 surrogate (UTF-8 cannot encode
it; it is what a JSON escape such as "\\ud800" gives, and what bytes that are not UTF-8 become when
Python reads them from argv or with `surrogateescape`)."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, as the Dutch phrase shown after the field's name; None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "bevat een NUL-teken (U+0000), dat niet kan worden opgeslagen"
    return (
        f"is geen geldige tekst: ongeldige UTF-8 of een losse surrogaat (U+{ord(found.group()):04X}), "
        "die niet kan worden opgeslagen"
    )


def from_bytes(raw: bytes) -> str:
    """Bytes as text; what is not UTF-8 stays visible to `unstorable` (as surrogates), as in argv."""
    return raw.decode("utf-8", "surrogateescape")


def displayable(text: str) -> str:
    """`text` safe to echo in an answer or a message: what cannot be stored becomes U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


# White space as both sides count it: what Python's str.strip() drops (str.isspace: also U+001C-U+001F and
# U+0085) and what a JSON Schema pattern's \s is (ECMA-262: also U+FEFF). The API's schemas and the
# services measure "at least 3 characters" on text trimmed of exactly these.
SPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\ufeff"


def trimmed(text: str) -> str:
    """`text` without white space (SPACE) around it."""
    return text.strip(SPACE)
