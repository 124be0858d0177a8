"""Text and numbers inside hand-written SVG: escaped for XML, characters XML forbids dropped."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def xml_text(text: str) -> str:
    """Element content."""
    return escape(_XML_ILLEGAL.sub("", text))


def xml_attr(text: str) -> str:
    """A double-quoted XML attribute value, quotes included."""
    return '"' + escape(_XML_ILLEGAL.sub("", text), _XML_ATTR_ESCAPES) + '"'


def svg_number(value: float) -> str:
    """A coordinate to one decimal, without a trailing '.0' or a negative zero."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text
