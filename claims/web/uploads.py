"""A document's upload form read as it streams in (multipart/form-data): its text fields, checked as the
input guard checks every other form, and its one file, spooled under the size limit. The body is never
read past the limit (and the form's own small overhead), so a refused upload leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request

from claims.documents.upload import Upload, too_large
from claims.text import displayable, from_bytes, unstorable
from workflow.errors import InvalidInput

FILE_FIELD = "file"
# what a document's form holds besides the file: its fields and the multipart framing
FORM_OVERHEAD = 64 * 1024
MAX_FIELD = 10_000  # bytes of one text field: a title, a date, a token


@dataclass
class UploadForm:
    """The posted fields as text, and the file (None when none was sent) with the name it came with."""

    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None
    filename: str = ""

    def close(self) -> None:
        if self.upload is not None:
            self.upload.close()

    def __enter__(self) -> UploadForm:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Reader:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.form = UploadForm()
        self.errors: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._header = bytearray()
        self._value = bytearray()
        self._name = ""
        self._is_file = False
        self._data = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._header.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _begin(self) -> None:
        self._headers, self._name, self._is_file = {}, "", False
        self._data = bytearray()

    def _header_end(self) -> None:
        self._headers[bytes(self._header).lower()] = bytes(self._value)
        self._header.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = from_bytes(options.get(b"name", b""))
        if b"filename" not in options:
            return
        if self._name != FILE_FIELD or self.form.upload is not None:
            self.errors[displayable(self._name) or "veld"] = "stuur één bestand, in het veld 'file'"
            return
        self._is_file = True
        self.form.filename = from_bytes(options[b"filename"])
        if problem := unstorable(self.form.filename):
            self.errors[FILE_FIELD] = f"bestandsnaam {problem}"
        self.form.upload = Upload(self.limit)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            assert self.form.upload is not None
            self.form.upload.write(data[start:end])  # DocumentTooLarge past the limit
        elif len(self._data) + end - start > MAX_FIELD:
            self.errors[displayable(self._name) or "veld"] = f"hoogstens {MAX_FIELD} tekens"
        else:
            self._data.extend(data[start:end])

    def _part_end(self) -> None:
        if self._is_file or not self._name:
            return
        text = from_bytes(bytes(self._data))
        if problem := unstorable(self._name) or unstorable(text):
            self.errors[displayable(self._name) or "veld"] = problem
        else:
            self.form.fields[self._name] = text.strip()


async def read_upload_form(request: Request, limit: int) -> UploadForm:
    """The posted form with its file spooled; DocumentTooLarge as soon as the file (or the body) passes
    the limit, HTTPException (415, 400) for a body that is no readable form, InvalidInput naming a field
    that cannot be stored. Nothing is kept when it raises."""
    media, params = parse_options_header(request.headers.get("content-type", ""))
    if media != b"multipart/form-data":
        raise HTTPException(415, "Stuur het document als multipart/form-data (een veld 'file').")
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPException(400, "Het formulier kan niet worden gelezen (geen boundary).")
    reader = _Reader(limit)
    received = 0
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + FORM_OVERHEAD:
                raise too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        reader.form.close()
        raise HTTPException(400, "Het formulier kan niet worden gelezen.") from None
    except BaseException:
        reader.form.close()
        raise
    if reader.errors:
        reader.form.close()
        raise InvalidInput(reader.errors)
    return reader.form
