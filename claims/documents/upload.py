"""An upload as it is received: spooled to a temporary file while its size is counted against the
limit, so that no more than the limit and one byte is ever read, and never all of it into memory."""

from __future__ import annotations

import hashlib
import tempfile
from typing import BinaryIO

from claims.errors import DocumentTooLarge

CHUNK = 64 * 1024


def too_large(limit: int) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"Het bestand is te groot: hoogstens {limit / 1_000_000:g} MB. Er is niets opgeslagen.", limit=limit
    )


class Upload:
    """The bytes of one uploaded file, with their count and sha256; closed (and gone) when done with."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._digest = hashlib.sha256()
        # in memory up to 1 MB, on disk beyond: an upload never has to fit in memory
        self.file: BinaryIO = tempfile.SpooledTemporaryFile(max_size=1_000_000)  # type: ignore[assignment]  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        """Add `chunk`; DocumentTooLarge as soon as the file passes the limit."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.limit)
        self._digest.update(chunk)
        self.file.write(chunk)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def rewound(self) -> BinaryIO:
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Upload:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def receive(stream: BinaryIO, limit: int) -> Upload:
    """Read `stream` into an Upload, reading at most `limit` + 1 bytes (the one that tells it is too
    large); DocumentTooLarge then, with nothing kept."""
    upload = Upload(limit)
    try:
        while chunk := stream.read(min(CHUNK, limit + 1 - upload.size)):
            upload.write(chunk)
    except BaseException:
        upload.close()
        raise
    return upload
