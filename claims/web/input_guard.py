"""What the server reads of a request, checked once before any route sees it.

An address (path or query) holding a NUL is refused with 400. A document upload (a POST to
`UPLOAD_PATH`) has a limit of its own, `max_upload`, checked here against its Content-Length and counted
by the route as it streams the file (claims.web.uploads): it is handed on unread. Any other body larger
than `MAX_BODY` is refused with 413 without reading it all (at once when its Content-Length says so).
A JSON or form body is read whole (it is small by then) and refused with 422, naming the field, when
it holds text no table can store: bytes that are not UTF-8, a NUL, a lone surrogate
(`claims.text.unstorable`, the rule the command line follows too), or JSON nested deeper than
`MAX_DEPTH`. What passes is handed on unchanged, so each route parses exactly the bytes checked here.
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from python_multipart import MultipartParser, QuerystringParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claims.text import displayable, from_bytes, unstorable
from claims.web.errors import domain_error_json, is_api, page_message
from claims.web.templating import render
from claims.web.uploads import FORM_OVERHEAD
from workflow.errors import InvalidInput

MAX_BODY = 1_000_000  # bytes: a melding or a transition is a few kB; uploads have their own limit
# where documents are uploaded (web form and API): their body is the file, streamed by the route
UPLOAD_PATH = re.compile(r"^(/api)?/claims/[^/]+/documents$")

MAX_DEPTH = 20  # nesting of JSON objects and arrays; the API's bodies need 2
MAX_NAMED = 20  # fields named in one refusal; the rest are like them
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class BodyRefused(Exception):
    """A body refused as a whole (too large, not a form, not UTF-8 where a charset is declared)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class InputGuard:
    """ASGI middleware: refuse a body the application cannot read or store, before it is routed."""

    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY,
        max_depth: int = MAX_DEPTH,
        max_upload: int = 25_000_000,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            _check_address(scope)
            declared = _content_length(headers)
            if _is_upload(scope, headers):
                if declared is not None and declared > self.max_upload + FORM_OVERHEAD:
                    raise self._too_large(self.max_upload)
                await self.app(scope, receive, send)  # the route streams it, counting (claims.web.uploads)
                return
            if declared is not None and declared > self.max_body:
                raise self._too_large()
            if scope["method"] in _BODILESS:
                body = None
            else:
                body = await self._read(receive)
                if body is None:
                    return  # the client went away while sending
                check_body(headers.get("content-type", ""), body, self.max_depth)
        except (InvalidInput, BodyRefused) as refusal:
            await _answer(scope, refusal)(scope, receive, send)
            return
        await self.app(scope, receive if body is None else _replay(body, receive), send)

    def _too_large(self, limit: int | None = None) -> BodyRefused:
        return BodyRefused(
            413,
            f"Het verzoek is te groot: hoogstens {(limit or self.max_body) / 1_000_000:g} MB. "
            "Er is niets verwerkt.",
            {"Connection": "close"},  # the rest of the body is not read, so the connection cannot go on
        )

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _is_upload(scope: Scope, headers: Headers) -> bool:
    """A document's form posted where documents are uploaded; any other body there (JSON, say) is
    checked like every other, and the route refuses it."""
    media, _ = parse_options_header(headers.get("content-type", ""))
    return (
        scope["method"] == "POST"
        and media == b"multipart/form-data"
        and bool(UPLOAD_PATH.match(scope["path"]))
    )


def _check_address(scope: Scope) -> None:
    # No database stores a NUL in text (PostgreSQL refuses it): refused at the door, not as a 500.
    if (
        "\x00" in scope["path"]
        or b"%00" in scope.get("query_string", b"")
        or b"%00" in scope.get("raw_path", b"")
    ):
        raise BodyRefused(400, "Ongeldig teken (NUL) in het adres.")


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _answer(scope: Scope, refusal: InvalidInput | BodyRefused) -> Response:
    """The refusal as every other answer of this application: JSON under /api, else the error page."""
    request = Request(scope)
    api = is_api(request.url.path)
    ctx = getattr(request.app.state, "web", None) if "app" in scope else None
    if isinstance(refusal, InvalidInput):
        if api or ctx is None:
            return domain_error_json(request, refusal)
        response: Response = render(request, ctx, "error.html", {"message": page_message(refusal)}, 422)
        return response
    message = str(refusal)
    if api:
        response = JSONResponse({"detail": message}, refusal.status)
    elif ctx is None:
        response = PlainTextResponse(message, refusal.status)
    else:
        response = render(request, ctx, "error.html", {"message": message}, refusal.status)
    response.headers.update(refusal.headers)
    return response


# --- the body's text ---------------------------------------------------------------------------


def check_body(content_type: str, body: bytes, max_depth: int = MAX_DEPTH) -> None:
    """InvalidInput naming every field (up to MAX_NAMED) whose text cannot be stored, or BodyRefused;
    a body of another type is left to the route, which refuses what it cannot read."""
    media, params = parse_options_header(content_type)
    if media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json")):
        _check_json(body, max_depth)
    elif media == b"application/x-www-form-urlencoded":
        _check_urlencoded(body)
    elif media == b"multipart/form-data":
        _check_multipart(body, params)


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise InvalidInput(errors)


def _check_json(body: bytes, max_depth: int) -> None:
    if not body.strip():
        return  # the route says what it misses
    text = from_bytes(body).removeprefix("\ufeff")
    try:
        # strict=False: a NUL inside a string is named below, with its field, not as a syntax error
        document = json.loads(text, strict=False)
    except RecursionError:
        raise InvalidInput({"body": f"te diep genest (hoogstens {max_depth} niveaus)"}) from None
    except ValueError:
        raise InvalidInput({"body": unstorable(text) or "geen geldig JSON-document"}) from None
    _refuse(_json_problems(document, max_depth))


def _json_problems(document: Any, max_depth: int) -> dict[str, str]:
    """Every string and key in `document`, breadth first, with the path that names its field."""
    errors: dict[str, str] = {}
    todo: deque[tuple[Any, tuple[str, ...]]] = deque([(document, ())])
    while todo and len(errors) < MAX_NAMED:
        value, path = todo.popleft()
        if isinstance(value, str):
            problem = unstorable(value)
            if problem:
                errors[_path_name(path)] = problem
        elif isinstance(value, dict | list):
            if len(path) >= max_depth:
                return {"body": f"te diep genest (hoogstens {max_depth} niveaus)"}
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = key if isinstance(key, str) else str(key)
                problem = unstorable(name)
                if problem:
                    errors[_path_name((*path, name))] = f"naam van het veld {problem}"
                todo.append((item, (*path, name)))
    return errors


def _path_name(path: tuple[str, ...]) -> str:
    return displayable(".".join(path)) or "body"


def _form_text(raw: bytes) -> str:
    return from_bytes(unquote_to_bytes(raw.replace(b"+", b" ")))


def _check_fields(fields: list[tuple[str, str | None]]) -> None:
    """(name, value) pairs of a form; a value None is a file's content, which is not text."""
    errors: dict[str, str] = {}
    for name, value in fields:
        shown = displayable(name) or "veld"
        problem = unstorable(name)
        if problem:
            errors[shown] = f"naam van het veld {problem}"
        elif value is not None and (problem := unstorable(value)):
            errors[shown] = problem
        if len(errors) >= MAX_NAMED:
            break
    _refuse(errors)


def _check_urlencoded(body: bytes) -> None:
    # the parser Starlette uses, so a field is split here exactly as the route will see it
    fields: list[tuple[bytearray, bytearray]] = []

    def on_field_start() -> None:
        fields.append((bytearray(), bytearray()))

    def on_field_name(data: bytes, start: int, end: int) -> None:
        fields[-1][0].extend(data[start:end])

    def on_field_data(data: bytes, start: int, end: int) -> None:
        fields[-1][1].extend(data[start:end])

    parser = QuerystringParser(
        {"on_field_start": on_field_start, "on_field_name": on_field_name, "on_field_data": on_field_data}
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise BodyRefused(400, "Het formulier kan niet worden gelezen.") from None
    _check_fields([(_form_text(bytes(name)), _form_text(bytes(value))) for name, value in fields])


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.data = bytearray()
        self.header = bytearray()
        self.value = bytearray()


def _check_multipart(body: bytes, params: dict[bytes, bytes]) -> None:
    charset = params.get(b"charset", b"utf-8").lower()
    if charset not in (b"utf-8", b"utf8"):
        raise BodyRefused(415, "Stuur formulieren in UTF-8.")
    boundary = params.get(b"boundary")
    if not boundary:
        raise BodyRefused(400, "Het formulier kan niet worden gelezen (geen boundary).")
    parts: list[_Part] = []

    def on_header_end() -> None:
        part = parts[-1]
        part.headers[bytes(part.header).lower()] = bytes(part.value)
        part.header.clear()
        part.value.clear()

    callbacks: Any = {
        "on_part_begin": lambda: parts.append(_Part()),
        "on_header_field": lambda data, start, end: parts[-1].header.extend(data[start:end]),
        "on_header_value": lambda data, start, end: parts[-1].value.extend(data[start:end]),
        "on_header_end": on_header_end,
        "on_part_data": lambda data, start, end: parts[-1].data.extend(data[start:end]),
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise BodyRefused(400, "Het formulier kan niet worden gelezen.") from None
    fields: list[tuple[str, str | None]] = []
    for part in parts:
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        name = from_bytes(options.get(b"name", b""))
        if b"filename" in options:
            fields.append((name, from_bytes(options[b"filename"])))  # a file's name is text, its content not
        else:
            fields.append((name, from_bytes(bytes(part.data))))
    _check_fields(fields)
