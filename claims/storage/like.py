"""Text searched for literally with LIKE: its wildcards escaped, so '50%' finds fifty percent."""

from __future__ import annotations

ESCAPE = "\\"


def containing(text: str) -> str:
    """A LIKE pattern (with ESCAPE) for values that contain `text`."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
