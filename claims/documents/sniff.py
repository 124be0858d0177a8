"""A document's type read from its content, never from its name (puremagic's signatures, then a look
inside the containers that share one: a ZIP that is a Word or Excel file, an OLE file that is an
Outlook message), checked against the types a claim file takes and against the name it came with."""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

import puremagic

from workflow.errors import InvalidInput

HEAD = 8192  # what puremagic's signatures need to see
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MSG = "application/vnd.ms-outlook"
EML = "message/rfc822"
TEXT = "text/plain"

# what each allowed type is called on screen, and the names a file of that type may carry
ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("PDF", (".pdf",)),
    PNG: ("PNG-afbeelding", (".png",)),
    JPEG: ("JPEG-afbeelding", (".jpg", ".jpeg")),
    TIFF: ("TIFF-afbeelding", (".tif", ".tiff")),
    DOCX: ("Word-document (DOCX)", (".docx",)),
    XLSX: ("Excel-werkmap (XLSX)", (".xlsx",)),
    MSG: ("Outlook-bericht (MSG)", (".msg",)),
    EML: ("e-mailbericht (EML)", (".eml",)),
    TEXT: ("tekstbestand", (".txt", ".csv")),
}
ALLOWED_NAMES = "PDF, PNG, JPEG, TIFF, DOCX, XLSX, MSG, EML of platte tekst"
_SIGNATURES = {
    b"%PDF-": PDF,
    b"\x89PNG\r\n\x1a\n": PNG,
    b"\xff\xd8\xff": JPEG,
    b"II*\x00": TIFF,
    b"MM\x00*": TIFF,
}
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")  # the property streams every Outlook message has
_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"message-id", b"received", b"mime-version"}


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    label: str


def label_of(media_type: str) -> str:
    return ALLOWED.get(media_type, (media_type, ()))[0]


def sniff(content: BinaryIO, filename: str) -> Sniffed:
    """The type of `content` (read from the start, left at the start), if a claim file takes it and its
    name does not say otherwise; InvalidInput on the field "file" else."""
    content.seek(0)
    head = content.read(HEAD)
    content.seek(0)
    if not head:
        raise InvalidInput({"file": "het bestand is leeg"})
    media_type = _media_type(content, head)
    content.seek(0)
    if media_type is None:
        raise InvalidInput({"file": f"{_what(head)} wordt niet aangenomen (wel: {ALLOWED_NAMES})"})
    extension = PurePosixPath(filename.lower()).suffix
    if extension:
        named = next((t for t, (_, names) in ALLOWED.items() if extension in names), None)
        if named is None:
            raise InvalidInput(
                {"file": f"de extensie {extension} wordt niet aangenomen (wel: {ALLOWED_NAMES})"}
            )
        if named == EML and media_type == TEXT:
            raise InvalidInput({"file": "het bestand heet .eml maar is geen e-mailbericht"})
        if named != media_type and not (named == TEXT and media_type == EML):
            raise InvalidInput(
                {"file": f"het bestand heet {extension} maar is een {label_of(media_type)}: kies het juiste"}
            )
        if named == TEXT:
            media_type = TEXT  # an e-mail saved as .txt is served as the text it says it is
    return Sniffed(media_type, label_of(media_type))


def _media_type(content: BinaryIO, head: bytes) -> str | None:
    found = _signature(head)
    if found == "zip":
        return _office(content)
    if found == "ole":
        return MSG if _is_outlook_message(content) else None
    if found is not None:
        return found
    if _is_text(content):
        return EML if _looks_like_mail(head) else TEXT
    return None


def _signature(head: bytes) -> str | None:
    """Our name for what puremagic recognises: an allowed type, 'zip' or 'ole' (a container to look
    into), or None (not recognised, or recognised as something else)."""
    try:
        candidates = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    for candidate in candidates:
        if head.startswith(_ZIP) and candidate.byte_match.startswith(_ZIP):
            return "zip"
        if head.startswith(_OLE) and candidate.byte_match.startswith(_OLE[:4]):
            return "ole"
        for signature, media_type in _SIGNATURES.items():
            # puremagic's match must be the real one at the start, not a weak match further in
            if candidate.offset == 0 and head.startswith(signature) and candidate.mime_type == media_type:
                return media_type
    return None


def _office(content: BinaryIO) -> str | None:
    """A ZIP is a Word or Excel file by what it holds (its content types and main part), not its name."""
    try:
        with zipfile.ZipFile(content) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_outlook_message(content: BinaryIO) -> bool:
    content.seek(0)
    tail = b""
    while chunk := content.read(1 << 16):
        if _MSG_STREAM in tail + chunk:
            return True
        tail = chunk[-len(_MSG_STREAM) :]
    return False


def _is_text(content: BinaryIO) -> bool:
    """UTF-8 throughout, without NULs or other control characters a text file does not hold."""
    content.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := content.read(1 << 16):
            text = decoder.decode(chunk)
            if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_mail(head: bytes) -> bool:
    """An RFC 5322 message starts with header fields, among them those every e-mail carries."""
    seen: set[bytes] = set()
    for line in head.removeprefix(b"\xef\xbb\xbf").splitlines():
        if not line.strip():
            break  # the end of the header block
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header goes on
        if not _HEADER.match(line):
            return False
        seen.add(line.split(b":", 1)[0].lower())
    return b"from" in seen and len(seen & _MAIL_HEADERS) >= 2


def _what(head: bytes) -> str:
    try:
        candidates = puremagic.magic_string(head)
    except puremagic.PureError:
        return "dit soort bestand"
    best = max(candidates, key=lambda c: c.confidence)
    return f"een {best.name}" + (f" ({best.extension})" if best.extension else "")
