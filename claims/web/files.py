"""Letters and exports as answers: a document shown on its own (its scripts never run), a PDF or an
export as a download, never kept by a cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import suppress
from typing import IO, Any

from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from claims.documents.filenames import content_disposition
from claims.documents.store import CHUNK
from claims.exports.timelines import ExportFile
from claims.notify.delivery import letter_filename

# A letter is a document of its own (its styles are inline): shown in its own page, scripts never run.
LETTER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def letter_page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=LETTER_HEADERS)


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **LETTER_HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


pdf_name = letter_filename


async def closing(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks, read in a worker thread; closed however the response ends. Starlette leaves a
    plain iterator open when the client goes away, and a portfolio's holds a read transaction (and
    perhaps a temporary XLSX file) until it is closed."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            # ValueError: still running in its thread; it closes when it is collected
            with suppress(ValueError):
                await run_in_threadpool(close)


def attachment(export: ExportFile) -> Response:
    """The file as a download, never kept by a cache or a browser's history of pages."""
    return StreamingResponse(
        closing(export.chunks),
        media_type=export.media_type,
        headers={**LETTER_HEADERS, "Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


def document_response(found: Mapping[str, Any], content: IO[bytes]) -> Response:
    """A stored document as a download: never shown in the browser, never sniffed into something else,
    served as the type its content was found to be."""
    return StreamingResponse(
        _chunks(content),
        media_type=found["media_type"],
        headers={
            **LETTER_HEADERS,
            "Content-Disposition": content_disposition(found["filename"]),
            "Content-Length": str(found["size"]),
        },
    )


def _chunks(content: IO[bytes]) -> Iterator[bytes]:
    with content:
        while chunk := content.read(CHUNK):
            yield chunk
