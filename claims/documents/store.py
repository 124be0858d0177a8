"""The document store: content kept by its sha256, written atomically and once, behind one small
interface (`DocumentStore`) so that a shared volume or an S3-compatible bucket can take the file system's
place. Only the file system is implemented here; several nodes share one directory on a shared volume."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DocumentStore(Protocol):
    """Where document content lives. An implementation for S3 (boto3) goes behind these three calls."""

    def put(self, content: bytes | BinaryIO) -> str:
        """Store `content` (read from its current position to its end); its sha256. Storing content that
        is there already changes nothing."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The stored content, to read; FileNotFoundError when there is none under this hash."""
        ...

    def exists(self, sha256: str) -> bool: ...


def check_sha256(sha256: str) -> str:
    """`sha256` if it is one (64 lower-case hex digits); a ValueError otherwise, so that no name given
    from outside ever becomes a path."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"geen sha256: {sha256[:80]!r}")
    return sha256


class FileStore:
    """Content under ROOT/ab/cd/<sha256>. A write goes to a temporary file in ROOT/.incoming (the same
    file system), is flushed to disk and then renamed into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes | BinaryIO) -> str:
        incoming = self.root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, temp = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(content, bytes):
                    digest.update(content)
                    out.write(content)
                else:
                    while chunk := content.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.path_of(sha256)
            if target.exists():
                return sha256  # the same content, stored before: once is enough
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp, 0o444)  # stored content is never written again
            os.replace(temp, target)
            return sha256
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def open(self, sha256: str) -> BinaryIO:
        return self.path_of(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()
