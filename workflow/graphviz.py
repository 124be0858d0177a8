"""Running Graphviz's `dot` on DOT text: found on PATH, given a time limit, its failures one exception."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["Graphviz", "GraphvizError", "find_graphviz"]


class GraphvizError(RuntimeError):
    """`dot` could not lay the graph out: it failed, took too long or printed no picture."""


@dataclass(frozen=True)
class Graphviz:
    """The `dot` program at `executable`; each run may take `timeout` seconds."""

    executable: str
    timeout: float = 20.0

    def render(self, dot_text: str, fmt: str) -> bytes:
        """The graph laid out by `dot -T<fmt>` (svg, png): its output, or GraphvizError."""
        try:
            result = subprocess.run(
                [self.executable, f"-T{fmt}"],
                input=dot_text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GraphvizError(f"{self.executable}: {exc}") from exc
        if result.returncode != 0 or not result.stdout:
            message = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
            raise GraphvizError(f"{self.executable}: {message}")
        return result.stdout


def find_graphviz(timeout: float = 20.0) -> Graphviz | None:
    """Graphviz as installed on PATH (Debian's package `graphviz`), or None when it is not."""
    found = shutil.which("dot")
    return Graphviz(found, timeout) if found else None
